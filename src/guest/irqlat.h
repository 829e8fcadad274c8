/* irqlat: the guest-only irq-latency workload (irqlat.c). */
#ifndef IRQLAT_H
#define IRQLAT_H

#include <stdint.h>

#include "bench.h"
#include "guest.h"

/* Guest-only workloads, found by irqlat_find(). */
extern const struct bench_workload irqlat_user, irqlat_irqfd;
const struct bench_workload *irqlat_find(const char *name);
void irqlat_init(const struct guest_info *gi);
/* user.c: SYS_GPIO_SETUP. */
int64_t irqlat_gpio_setup(void);

#endif
