/*
 * vrng: the rng-read workload on the first virtio-rng function (virtio
 * 1.2, 5.4): its one queue (requestq) is given `qd` device-writable
 * buffers of `chunk` bytes; the device fills each with entropy and says
 * how many bytes it wrote (the used element's len); every buffer is given
 * back until `total` bytes have come. Reported in bytes per second, with
 * a self-check that the bytes are not constant: over at least 4 KiB a
 * random source shows nearly all 256 byte values. Guest-only: the native
 * side has no virtio-rng (the host's own getrandom is what vmm reads).
 */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "guestwl.h"
#include "platform.h"
#include "virtio.h"

static const char *const vrng_waits[] = {"irq", "poll", NULL};

static const struct bench_param vrng_params[] = {
	{"total", BENCH_P_SIZE, "4M", "bytes read", 4096, 1ull << 36, NULL},
	{"chunk", BENCH_P_SIZE, "4K", "bytes per buffer", 16, 1u << 20, NULL},
	{"qd", BENCH_P_UINT, "1", "buffers given to the device at once", 1, 64, NULL},
	{"wait", BENCH_P_CHOICE, "irq", "completion by MSI-X interrupt or by polling", 0, 0,
	 vrng_waits},
	{0},
};

static int vrng_run(const struct bench_args *a);

const struct bench_workload vrng_read = {
	"rng-read", "synthetic", "entropy from virtio-rng (vmm run --rng; guest only); B/s",
	vrng_params, vrng_run,
};

static struct virtio_dev rdev;
static struct virtq rq;

static int vrng_open(int wait, const char **why)
{
	if (virtio_open(&rdev, VIRTIO_ID_RNG, 0, 2, VIRTIO_BIT(VIRTIO_F_EVENT_IDX), why))
		return -1;
	if (virtq_setup(&rdev, &rq, 0, 64, wait, why)) {
		virtio_reset(&rdev, NULL, 0);
		return -1;
	}
	virtio_driver_ok(&rdev);
	return 0;
}

static void vrng_give(uint8_t *buf, uint32_t chunk, uint16_t s)
{
	rq.desc[s] = (struct vq_desc){(uint64_t)(uintptr_t)(buf + (uint64_t)s * chunk), chunk,
				      VIRTQ_DESC_F_WRITE, 0};
	virtq_publish(&rq, s);
	virtq_kick(&rq);
}

/* Reads `total` bytes; counts[256] gets the byte histogram. Returns the
 * bytes read, or 0 with *why set. */
static uint64_t vrng_pump(uint8_t *buf, uint32_t chunk, unsigned qd, uint64_t total,
			  uint64_t *counts, const char **why)
{
	uint64_t got = 0, empty = 0;
	if (qd > rq.size)
		qd = rq.size;
	for (unsigned s = 0; s < qd; s++)
		vrng_give(buf, chunk, (uint16_t)s);
	while (got < total) {
		uint32_t id, len;
		if (virtq_wait(&rq, &id, &len)) {
			*why = "virtio-rng stopped answering";
			return 0;
		}
		if (id >= qd || len > chunk) {
			*why = "virtio-rng returned a buffer it was not given, or overfilled one";
			return 0;
		}
		if (!len && ++empty > 1000) {
			*why = "virtio-rng keeps returning empty buffers";
			return 0;
		}
		const uint8_t *p = buf + (uint64_t)id * chunk;
		for (uint32_t i = 0; i < len; i++)
			counts[p[i]]++;
		got += len;
		vrng_give(buf, chunk, (uint16_t)id);
	}
	return got;
}

static int vrng_run(const struct bench_args *a)
{
	const char *why = "";
	uint32_t chunk = (uint32_t)bench_arg(a, "chunk");
	unsigned qd = (unsigned)bench_arg(a, "qd");
	uint64_t total = bench_arg(a, "total"), counts[256] = {0};
	int wait = bench_arg_is(a, "wait", "poll") ? VIRTIO_WAIT_POLL : VIRTIO_WAIT_IRQ;
	size_t bytes = (size_t)qd * chunk;
	uint8_t *buf = plat_alloc(bytes);
	if (!buf)
		return bench_fail(a, "out of memory");
	if (vrng_open(wait, &why)) {
		plat_free(buf, bytes);
		return bench_fail(a, why);
	}
	uint64_t t0 = plat_now_ns();
	uint64_t got = vrng_pump(buf, chunk, qd, total, counts, &why);
	uint64_t ns = plat_now_ns() - t0;
	virtio_reset(&rdev, &rq, 1);
	plat_free(buf, bytes);
	if (!got)
		return bench_fail(a, why);
	unsigned distinct = 0;
	for (int i = 0; i < 256; i++)
		distinct += counts[i] != 0;
	/* 4 KiB of uniform bytes miss a given value with probability
	 * (255/256)^4096 ~ 1e-7: 250 of 256 is a safe floor, and a constant
	 * or a counter in a few values fails it. */
	if (distinct < 250)
		return bench_fail(a, "virtio-rng bytes are not random (too few byte values)");
	struct bench_result r;
	result_begin(&r, a, "throughput", "B/s", "higher", (double)got * 1e9 / (double)(ns ? ns : 1),
		     0);
	result_u64(&r, "check", distinct);
	result_u64(&r, "bytes", got);
	result_f64(&r, "time_ms", bench_ns_to_ms(ns), 3);
	result_f64(&r, "setup_us", (double)rdev.setup_tsc * 1000.0 /
				       (double)virtio_info()->tsc_khz, 1);
	result_u64(&r, "virtio_irq", rq.wait == VIRTIO_WAIT_IRQ);
	result_u64(&r, "notifies", rq.kicks);
	result_u64(&r, "notifies_suppressed", rq.kicks_skipped);
	result_u64(&r, "interrupts", rq.irq_waits);
	return result_end(&r);
}

/* `vtest rng`: two 64-byte reads differ and neither is constant. */
int vrng_test_hook(void)
{
	const char *why = "";
	static uint8_t two[2][64] __attribute__((aligned(64)));
	if (vrng_open(VIRTIO_WAIT_IRQ, &why)) {
		plat_write("VTEST open failed: ", 19);
		plat_write(why, fmt_strlen(why));
		plat_write("\n", 1);
		return 1;
	}
	uint64_t c0[256] = {0}, c1[256] = {0};
	uint64_t g0 = vrng_pump(two[0], 64, 1, 64, c0, &why);
	virtio_reset(&rdev, &rq, 1);
	if (vrng_open(VIRTIO_WAIT_IRQ, &why))
		return 1;
	uint64_t g1 = vrng_pump(two[1], 64, 1, 64, c1, &why);
	virtio_reset(&rdev, &rq, 1);
	unsigned d0 = 0, d1 = 0, same = 0;
	for (int i = 0; i < 256; i++) {
		d0 += c0[i] != 0;
		d1 += c1[i] != 0;
	}
	for (int i = 0; i < 64; i++)
		same += two[0][i] == two[1][i];
	char line[128];
	struct fmt f;
	fmt_init(&f, line, sizeof(line));
	fmt_str(&f, "VTEST rng got=");
	fmt_u64(&f, g0 + g1);
	fmt_str(&f, " distinct=");
	fmt_u64(&f, d0 < d1 ? d0 : d1);
	fmt_str(&f, " same=");
	fmt_u64(&f, same);
	fmt_char(&f, '\n');
	plat_write(f.buf, f.len);
	/* 64 random bytes show ~56 distinct values; equal positions ~0.25 */
	return !(g0 >= 64 && g1 >= 64 && d0 > 16 && d1 > 16 && same < 16);
}
