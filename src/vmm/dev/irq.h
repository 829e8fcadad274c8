/*
 * irq: how a device model raises its interrupt line without knowing about
 * KVM. The monitor binds a line to KVM_IRQ_LINE on a GSI; unit tests bind
 * it to a recorder.
 */
#ifndef IRQ_H
#define IRQ_H

struct irq_line {
	void (*set)(void *ctx, unsigned gsi, int level);
	void *ctx;
	unsigned gsi;
};

static inline void irq_set_level(const struct irq_line *l, int level)
{
	if (l->set)
		l->set(l->ctx, l->gsi, level);
}

#endif
