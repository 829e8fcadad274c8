/* pl061: ARM PrimeCell GPIO (PL061) TRM, DDI 0190B, looped back. */
#include "pl061.h"

#include <string.h>

/* TRM 3.3.11-3.3.12: part 0x061, designer ARM, revision 1; PrimeCell ID. */
static const uint8_t pl061_id[8] = {0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

/* Raw status (TRM 3.3.7): latched edges, and level-sensitive pins whose
 * level is the one GPIOIEV selects (1: high, 0: low). */
static uint8_t ris(const struct pl061 *g)
{
	uint8_t pins = g->out;
	uint8_t lvl = (uint8_t)((pins & g->iev) | (~pins & ~g->iev));
	return (uint8_t)((g->edge_ris & ~g->is) | (lvl & g->is));
}

static void update_irq(struct pl061 *g)
{
	int level = (ris(g) & g->ie) != 0;
	if (level != g->level) {
		g->level = level;
		irq_set_level(&g->irq, level);
	}
}

/* The pins changed from `old` to g->out: latch the edges the
 * edge-sensitive pins are set to see (TRM 3.3.3-3.3.5: both edges with
 * GPIOIBE, else the rising one with GPIOIEV set, the falling one clear). */
static void pins_changed(struct pl061 *g, uint8_t old)
{
	uint8_t rise = (uint8_t)(~old & g->out), fall = (uint8_t)(old & ~g->out);
	uint8_t seen = (uint8_t)((g->ibe & (rise | fall)) |
				 (~g->ibe & ((g->iev & rise) | (~g->iev & fall))));
	g->edge_ris |= (uint8_t)(seen & ~g->is);
}

static uint8_t reg_read(const struct pl061 *g, uint64_t off)
{
	if (off < PL061_DIR)
		return (uint8_t)(g->out & (off >> 2)); /* inputs = the looped latch */
	switch (off) {
	case PL061_DIR: return g->dir;
	case PL061_IS: return g->is;
	case PL061_IBE: return g->ibe;
	case PL061_IEV: return g->iev;
	case PL061_IE: return g->ie;
	case PL061_RIS: return ris(g);
	case PL061_MIS: return (uint8_t)(ris(g) & g->ie);
	case PL061_AFSEL: return g->afsel;
	default:
		if (off >= PL061_PERIPH_ID0 && off < PL061_SIZE)
			return pl061_id[(off - PL061_PERIPH_ID0) / 4];
		return 0; /* GPIOIC is write-only; reserved reads as zero */
	}
}

static void reg_write(struct pl061 *g, uint64_t off, uint8_t v)
{
	uint8_t old = g->out;
	if (off < PL061_DIR) {
		uint8_t mask = (uint8_t)((off >> 2) & g->dir);
		g->out = (uint8_t)((g->out & ~mask) | (v & mask));
		pins_changed(g, old);
		return;
	}
	switch (off) {
	case PL061_DIR: g->dir = v; break;
	case PL061_IS: g->is = v; break;
	case PL061_IBE: g->ibe = v; break;
	case PL061_IEV: g->iev = v; break;
	case PL061_IE: g->ie = v; break;
	case PL061_IC: g->edge_ris &= (uint8_t)~v; break;
	case PL061_AFSEL: g->afsel = v; break;
	default: break; /* RIS, MIS, the ID: read-only; reserved: ignored */
	}
}

void pl061_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pl061 *g = opaque;
	/* Registers are 8 bits wide in 32-bit words (TRM 3.1): an access of
	 * 1 to 4 bytes at a word acts on its low byte; others are ignored. */
	bool ok = len >= 1 && len <= 4 && (offset & 3) == 0 && offset < PL061_SIZE;
	uint8_t v = 0;
	pthread_mutex_lock(&g->lock);
	if (ok && is_write)
		reg_write(g, offset, data[0]);
	else if (ok)
		v = reg_read(g, offset);
	update_irq(g);
	pthread_mutex_unlock(&g->lock);
	if (!is_write) {
		memset(data, 0, len);
		if (ok)
			data[0] = v;
	}
}

void pl061_init(struct pl061 *g, struct irq_line irq)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	g->irq = irq;
}

void pl061_destroy(struct pl061 *g)
{
	pthread_mutex_destroy(&g->lock);
}
