/*
 * chan: ping-pong over a channel between two benchmark guests (vmm system;
 * src/vmm/dev/channel.h): the CAmkES dataport + notification round trip.
 *
 * The channel is a PCI function (src/vmm/dev/chanpci.h), found here by
 * enumeration of bus 0 like any driver would: BAR2 is the shared region,
 * BAR0 the register page whose DOORBELL raises the peer's interrupt. We
 * aim its MSI at CHANNEL_VECTOR on this CPU, so a doorbell goes from the
 * peer's ioeventfd to our irqfd in the host kernel, through no monitor.
 * Layout of the region (both sides agree, little-endian u64s):
 *   0x00 ping's "ready" word   0x08 pong's "ready" word
 *   0x10 ping's sequence       0x18 pong's sequence
 * channel-ping waits for pong to be ready, then `loops` times writes the
 * next sequence number, rings, and waits for its own doorbell interrupt
 * and pong's echo; the round trip is the TSC from before the ring to the
 * first instruction of ping's interrupt handler. channel-pong echoes each
 * sequence number it is rung for and prints "PONG echoed N messages" (its
 * only output: the RESULT line is ping's). With bytes=B each message also
 * carries B bytes from offset 0x40 (ping writes them before its sequence
 * number, pong reads and checks every word before it answers): a bulk
 * transfer whose throughput is loops * B / time_ms. The waits spin on the handler's counter
 * at CPL3, so no scheduling is in the measured path.
 *
 * On arm64 (VIOARCH_INTX: no GICv3 ITS, so no MSI) the doorbell comes as
 * the function's INTx, a level GIC SPI the kernel routes (SYS_PCI_INTX
 * with PCI_INTX_CHAN): the peer's ioeventfd, then this VM's monitor reads
 * the eventfd and raises INTA# (chanpci.h, INTx mode); the kernel's
 * handler stamps, counts and clears PENDING. The round trip then goes
 * through the monitor once each way; nothing else here differs.
 */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "guestarch.h"
#include "guestwl.h"
#include "platform.h"
#include "vioarch.h"

#define READY_MAGIC 0x5945444145524843ull /* "CHREADYE" */
#define SPIN_LIMIT 4000000000ull

static const struct bench_param chan_params[] = {
	{"loops", BENCH_P_UINT, "1000", "round trips", 1, 10000000, NULL},
	{"hist_us", BENCH_P_UINT, "200", "histogram range in us", 1, 1000, NULL},
	{"bytes", BENCH_P_SIZE, "0",
	 "payload per message, written by ping and checked by pong (a bulk transfer: "
	 "loops * bytes / time_ms)", 0, 128ull << 20, NULL},
	{0},
};

static int chan_run(const struct bench_args *a);

const struct bench_workload chan_ping = {
	"channel-ping", "latency",
	"round trip over a channel to a VM running channel-pong (vmm system); us", chan_params,
	chan_run,
};
const struct bench_workload chan_pong = {
	"channel-pong", "latency", "echoes channel-ping's messages (vmm system)", chan_params,
	chan_run,
};

static const struct guest_info *gi;

/* The channel function's identity and register page (chanpci.h). */
#define CHAN_IDENT (0x6368u << 16 | 0x1234u)
#define CHAN_REG_DOORBELL 0x00
#define CHAN_REG_PENDING 0x04
#define CHAN_REG_ID 0x08
#define CHAN_REG_SIZE_LO 0x10
#define CHAN_ID 0x4e414843u

/* Configuration space through the kernel (CPL3 has no ports): the
 * SYS_PCI_READ/WRITE calls, as the virtio driver makes them. */
static uint32_t cfg_rd(unsigned bdf, unsigned reg)
{
	return (uint32_t)sys3(SYS_PCI_READ, bdf, reg, 0);
}
static void cfg_wr(unsigned bdf, unsigned reg, uint32_t v)
{
	sys3(SYS_PCI_WRITE, bdf, reg, v);
}

/* Finds the first channel function on bus 0 and sets it up: MSI to
 * CHANNEL_VECTOR on APIC 0 (fixed, edge: SDM vol. 3A 10.11), memory
 * decode and bus mastering on, INTx off; on arm64 INTx on, MSI off. Returns 0 with the region and
 * register page, or -1 with why. */
static int chan_find(volatile uint64_t **shm, volatile uint32_t **regs, uint64_t *size,
		     const char **why)
{
	unsigned bdf = 0, dev;
	for (dev = 0; dev < 32; dev++)
		if (cfg_rd(dev << 3, 0) == CHAN_IDENT)
			break;
	if (dev == 32) {
		*why = "no channel function on PCI bus 0 (is the channel connected?)";
		return -1;
	}
	bdf = dev << 3;
	uint32_t bar0 = cfg_rd(bdf, 0x10) & ~0xfu, bar2 = cfg_rd(bdf, 0x18) & ~0xfu;
	unsigned cap = cfg_rd(bdf, 0x34) & 0xfc;
	for (int n = 0; cap && n < 48 && (cfg_rd(bdf, cap) & 0xff) != 0x05; n++)
		cap = (cfg_rd(bdf, cap) >> 8) & 0xfc;
	if (!bar0 || !bar2 || !cap) {
		*why = "the channel function has no BARs or no MSI capability";
		return -1;
	}
	if (VIOARCH_INTX) {
		/* memory decode, INTx on (Interrupt Disable clear, MSI left off) */
		cfg_wr(bdf, 0x04, ((cfg_rd(bdf, 0x04) & 0xffff) | 0x2) & ~(1u << 10));
		if (sys3(SYS_PCI_INTX, bdf, bar0 + CHAN_REG_PENDING, PCI_INTX_CHAN) != 0) {
			*why = "the channel function's INTx cannot be routed";
			return -1;
		}
	} else {
		cfg_wr(bdf, cap + 4, 0xfee00000u);
		cfg_wr(bdf, cap + 8, CHANNEL_VECTOR);
		cfg_wr(bdf, cap, cfg_rd(bdf, cap) | (1u << 16)); /* MSI enable */
		/* memory decode, bus mastering (the MSI is a write by the device), INTx off */
		cfg_wr(bdf, 0x04, (cfg_rd(bdf, 0x04) & 0xffff) | 0x6 | (1u << 10));
	}
	*regs = (volatile uint32_t *)(uintptr_t)bar0;
	if ((*regs)[CHAN_REG_ID / 4] != CHAN_ID) {
		*why = "the channel's register page has the wrong ID";
		return -1;
	}
	*size = (*regs)[CHAN_REG_SIZE_LO / 4];
	*shm = (volatile uint64_t *)(uintptr_t)bar2;
	return 0;
}

void chan_init(const struct guest_info *info)
{
	gi = info;
}

/* Waits until `count` doorbell interrupts have arrived in all (a count,
 * not "one more than when we looked": the peer may ring before we look),
 * then for `*word` to reach `want`. Returns 0, or -1 after SPIN_LIMIT
 * tries. */
static int wait_for(uint64_t count, volatile uint64_t *word, uint64_t want)
{
	for (uint64_t spin = 0; *gi->chan_irq_count < count; spin++)
		if (spin > SPIN_LIMIT)
			return -1;
	for (uint64_t spin = 0; *word != want; spin++)
		if (spin > SPIN_LIMIT)
			return -1;
	return 0;
}

static int chan_run(const struct bench_args *a)
{
	bool ping = a->w == &chan_ping;
	uint64_t n = bench_arg(a, "loops"), hmax = bench_arg(a, "hist_us");
	volatile uint64_t *shm;
	volatile uint32_t *regs;
	uint64_t size;
	const char *why;
	if (chan_find(&shm, &regs, &size, &why))
		return bench_fail(a, why);
	uint64_t payload = bench_arg(a, "bytes");
	if (size < 64 || payload > size - 64)
		return bench_fail(a, "the channel's region is too small for bytes= plus 64");
	volatile uint64_t *data = shm + 8;
	uint64_t words = payload / 8;
	volatile uint32_t *bell = &regs[CHAN_REG_DOORBELL / 4];
	volatile uint64_t *mine = ping ? &shm[0] : &shm[1], *theirs = ping ? &shm[1] : &shm[0];
	volatile uint64_t *my_seq = ping ? &shm[2] : &shm[3], *their_seq = ping ? &shm[3] : &shm[2];

	/* Count interrupts from here: none can come before the peer sees our
	 * ready word, and after it does, one may come at any moment. */
	uint64_t base = *gi->chan_irq_count;
	*mine = READY_MAGIC;
	for (uint64_t spin = 0; *theirs != READY_MAGIC; spin++)
		if (spin > SPIN_LIMIT * 4)
			return bench_fail(a, "the peer never came up (is the channel connected?)");

	uint64_t *lat = NULL;
	size_t bytes = n * sizeof(uint64_t);
	if (ping && !(lat = plat_alloc(bytes)))
		return bench_fail(a, "out of memory");
	uint64_t t_start = plat_now_ns();
	for (uint64_t i = 1; i <= n; i++) {
		uint64_t count = base + i;
		if (ping) {
			uint64_t t0 = plat_rdtsc();
			for (uint64_t k = 0; k < words; k++)
				data[k] = i ^ k;
			*my_seq = i;
			*bell = 1;
			if (wait_for(count, their_seq, i)) {
				plat_free(lat, bytes);
				return bench_fail(a, "no reply from channel-pong");
			}
			uint64_t t1 = *gi->chan_irq_tsc;
			lat[i - 1] = t1 > t0 ? (t1 - t0) * 1000000ull / gi->tsc_khz : 0;
		} else {
			if (wait_for(count, their_seq, i))
				return bench_fail(a, "channel-ping stopped sending");
			for (uint64_t k = 0; k < words; k++)
				if (data[k] != (i ^ k))
					return bench_fail(a, "channel-ping's payload arrived wrong");
			*my_seq = i;
			*bell = 1;
		}
	}
	uint64_t t_end = plat_now_ns();
	if (!ping) {
		/* Not a measurement: a plain line, so that a system of the two
		 * VMs prints exactly one RESULT (channel-ping's). */
		char line[64];
		struct fmt f;
		fmt_init(&f, line, sizeof(line));
		fmt_str(&f, "PONG echoed ");
		fmt_u64(&f, n);
		fmt_str(&f, " messages\n");
		plat_write(f.buf, f.len);
		(void)t_end;
		(void)t_start;
		return 0;
	}
	int rc = latency_report(a, "rtt_avg", lat, n, hmax, t_end - t_start);
	plat_free(lat, bytes);
	return rc;
}
