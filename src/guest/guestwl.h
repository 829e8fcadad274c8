/* guestwl: workloads only the benchmark guest has, because they need its
 * devices: irq-latency-user/-irqfd (irqlat.c, the GPIO loopback) and
 * channel-ping/-pong (chan.c, a channel to another VM), rng-read (vrng.c,
 * virtio-rng), net-ping/-pong and net-bulk/-sink (vnet.c, a net link to
 * another VM), vsock-ping/-pong and vsock-bulk/-sink (vvsock.c, a vsock
 * stream), port-io-loop (arch/x86/portio.c, the --interference io
 * neighbour's load). */
#ifndef GUESTWL_H
#define GUESTWL_H

#include <stdint.h>

#include "bench.h"
#include "guest.h"

/* What a guest-only workload's run returns, beside 0 and 1, when the
 * machine lacks what it measures: it has printed `UNAVAILABLE name:
 * reason` (never a number) and the guest exits GUEST_EXIT_UNAVAILABLE. */
#define GUESTWL_UNAVAILABLE 3

extern const struct bench_workload irqlat_user, irqlat_irqfd, chan_ping, chan_pong, vrng_read;
/* vnet.c (virtio-net, a net link between two VMs) and vvsock.c (virtio-vsock) */
extern const struct bench_workload vnet_ping, vnet_pong, vnet_bulk, vnet_sink;
extern const struct bench_workload vsock_ping, vsock_pong, vsock_bulk, vsock_sink;
/* x86 only (arch/x86/portio.c): port I/O in a loop, the io neighbour. */
extern const struct bench_workload portio_loop;

/* x86 monwl.c: what the monitor decides (start-up, exit round trips, its
 * memory), run under every monitor. */
extern const struct bench_workload mon_start_entry, mon_start_wl, mon_exit_port, mon_exit_uart,
	mon_exit_pci, mon_memory;
void monwl_init(const struct guest_info *gi);

/* The guest-only workload called `name`, or NULL. */
const struct bench_workload *guestwl_find(const char *name);
/* Hands the kernel's information block to the workloads. */
void guestwl_init(const struct guest_info *gi);
void chan_init(const struct guest_info *gi);
/* user.c: SYS_GPIO_SETUP. */
int64_t irqlat_gpio_setup(void);

#endif
