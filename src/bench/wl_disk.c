/*
 * wl_disk: the disk workloads, on the platform's disk (platform.h): natively
 * pread/pwrite on the image file, in the benchmark guest virtio-blk.
 *
 *   disk-seq-read   bs-sized reads (128 KiB) front to back, wrapping at the
 *                   end of the disk, until `total` bytes: MiB/s
 *   disk-seq-write  the same as writes, then one flush (inside the timed
 *                   interval: the data must reach the file): MiB/s
 *   disk-rand-read  bs-sized reads (4 KiB) at random bs-aligned offsets,
 *                   each timed from submission to completion: latency in
 *                   us (p50, p99) at queue depth 1
 *   disk-rand-iops  the same reads kept `qd` deep (32): requests per second
 *
 * Every read is checked against the image's pattern (diskpat.h), which the
 * harness wrote into it; writes write the same pattern (of generation
 * `gen`), so a run leaves a default image as it found it, and a test can
 * write another generation and look for it in the file. Each workload
 * keeps up to `qd` requests in flight, one buffer each: after each wait it
 * takes every completion that is ready and refills every free slot in one
 * batch (PLAT_DISK_F_MORE on all but the last), the way a block layer
 * plugs a batch, so a guest notifies the device once per batch.
 */
#include "diskpat.h"
#include "platform.h"
#include "rng.h"
#include "workloads.h"

static const char *const disk_waits[] = {"irq", "poll", NULL};
static const char *const disk_verify[] = {"sample", "full", NULL};

#define DISK_COMMON_PARAMS(bs, qd)                                                         \
	{"bs", BENCH_P_SIZE, bs, "bytes per request (multiple of 512)", 512,               \
	 PLAT_DISK_MAX_XFER, NULL},                                                        \
	{"qd", BENCH_P_UINT, qd, "requests kept in flight", 1, PLAT_DISK_MAX_QD, NULL},    \
	{"wait", BENCH_P_CHOICE, "irq", "guest: completion by MSI-X interrupt or by "      \
	 "polling the used ring (ignored natively)", 0, 0, disk_waits},                    \
	{"gen", BENCH_P_UINT, "0", "pattern generation of the image (diskpat.h)", 0,       \
	 65535, NULL}

static const struct bench_param seq_params[] = {
	DISK_COMMON_PARAMS("128K", "1"),
	{"total", BENCH_P_SIZE, "256M", "bytes transferred", 4096, 1ull << 40, NULL},
	{"verify", BENCH_P_CHOICE, "sample", "reads: check words 0 and 63 of each sector, "
	 "or every word", 0, 0, disk_verify},
	{0},
};

static const struct bench_param rand_params[] = {
	DISK_COMMON_PARAMS("4K", "1"),
	{"ios", BENCH_P_UINT, "20000", "requests", 1, 100000000, NULL},
	{"seed", BENCH_P_UINT, "1", "seed of the offsets", 0, ~0ull, NULL},
	/* at most 200 buckets of "[b,n]," with the other fields fit the
	 * RESULT line's 4 KiB */
	{"hist_us", BENCH_P_UINT, "100", "histogram range in us", 1, 200, NULL},
	{0},
};

static const struct bench_param iops_params[] = {
	DISK_COMMON_PARAMS("4K", "32"),
	{"ios", BENCH_P_UINT, "50000", "requests", 1, 100000000, NULL},
	{"seed", BENCH_P_UINT, "1", "seed of the offsets", 0, ~0ull, NULL},
	{0},
};

enum disk_kind { DISK_SEQ_READ, DISK_SEQ_WRITE, DISK_RAND_READ, DISK_RAND_IOPS };

/* One run: the disk, the buffers of the requests in flight, the counts. */
struct disk_job {
	const struct bench_args *a;
	enum disk_kind kind;
	struct plat_disk_info info;
	uint32_t bs, qd;
	uint64_t gen, nreq, span; /* span: the bs-aligned part of the disk */
	uint8_t *buf;             /* qd * bs bytes: slot i at buf + i * bs */
	uint64_t off[PLAT_DISK_MAX_QD];
	uint64_t t_sub[PLAT_DISK_MAX_QD];
	uint64_t *lat_ns;         /* disk-rand-read: per request */
	uint64_t bad, errors, done, started;
	struct rng rng;
	int full;
};

static uint64_t disk_next_off(struct disk_job *j)
{
	if (j->kind == DISK_SEQ_READ || j->kind == DISK_SEQ_WRITE)
		return j->started * j->bs % j->span;
	return rng_below(&j->rng, j->span / j->bs) * j->bs;
}

static int disk_start(struct disk_job *j, uint32_t slot, int more)
{
	uint8_t *b = j->buf + (uint64_t)slot * j->bs;
	uint64_t off = disk_next_off(j);
	unsigned op = j->kind == DISK_SEQ_WRITE ? PLAT_DISK_WRITE : PLAT_DISK_READ;
	if (op == PLAT_DISK_WRITE)
		diskpat_stamp(b, off, j->bs, j->gen);
	j->off[slot] = off;
	j->t_sub[slot] = plat_now_ns();
	j->started++;
	return plat_disk_submit(op | (more ? PLAT_DISK_F_MORE : 0), off, b, j->bs, slot);
}

/* Takes one completion and checks it; returns its slot, or -1. */
static int64_t disk_finish(struct disk_job *j)
{
	uint64_t tag;
	int rc = plat_disk_wait(&tag);
	uint64_t now = plat_now_ns();
	if (tag >= j->qd)
		return -1;
	if (rc)
		j->errors++;
	else if (j->kind != DISK_SEQ_WRITE)
		j->bad += diskpat_check(j->buf + tag * j->bs, j->off[tag], j->bs, j->gen, j->full);
	if (j->lat_ns)
		j->lat_ns[j->done] = now - j->t_sub[tag];
	j->done++;
	return (int64_t)tag;
}

/* Starts requests in the free slots free[0..n), as one batch. */
static int disk_refill(struct disk_job *j, const uint32_t *free_slots, uint32_t n)
{
	if (n > j->nreq - j->started)
		n = (uint32_t)(j->nreq - j->started);
	for (uint32_t i = 0; i < n; i++)
		if (disk_start(j, free_slots[i], i + 1 < n))
			return -1;
	return 0;
}

/* Runs nreq requests up to qd deep. Returns 0, or -1 if the provider
 * misbehaved (a refused submission, an unknown tag). */
static int disk_loop(struct disk_job *j)
{
	uint32_t free_slots[PLAT_DISK_MAX_QD], nfree = 0;
	for (uint32_t s = 0; s < j->qd; s++)
		free_slots[nfree++] = s;
	if (disk_refill(j, free_slots, nfree))
		return -1;
	while (j->done < j->nreq) {
		nfree = 0;
		do {
			int64_t s = disk_finish(j);
			if (s < 0)
				return -1;
			free_slots[nfree++] = (uint32_t)s;
		} while (j->done < j->nreq && nfree < j->qd && plat_disk_ready());
		if (disk_refill(j, free_slots, nfree))
			return -1;
	}
	return 0;
}

static int disk_flush(struct disk_job *j)
{
	uint64_t tag;
	if (plat_disk_submit(PLAT_DISK_FLUSH, 0, 0, 0, 0))
		return -1;
	if (plat_disk_wait(&tag))
		j->errors++;
	return 0;
}

static void disk_fields(struct bench_result *r, const struct disk_job *j, uint64_t ns)
{
	struct plat_stat st[16];
	size_t n = plat_disk_stats(st, sizeof(st) / sizeof(st[0]));
	result_u64(r, "requests", j->done);
	if (j->kind != DISK_RAND_READ) /* latency_begin wrote it */
		result_f64(r, "time_ms", bench_ns_to_ms(ns), 3);
	result_u64(r, "disk_mib", j->info.size >> 20);
	result_f64(r, "setup_us", (double)j->info.setup_ns / 1e3, 1);
	for (size_t i = 0; i < n; i++)
		result_f64(r, st[i].key, st[i].value, st[i].decimals);
}

static int disk_run(const struct bench_args *a, enum disk_kind kind)
{
	struct disk_job j = {.a = a, .kind = kind};
	const char *why = "";
	j.bs = (uint32_t)bench_arg(a, "bs");
	j.qd = (uint32_t)bench_arg(a, "qd");
	j.gen = bench_arg(a, "gen");
	if (j.bs % PLAT_DISK_SECTOR)
		return bench_fail(a, "bs must be a multiple of 512");
	if (kind == DISK_SEQ_READ || kind == DISK_SEQ_WRITE) {
		j.nreq = (bench_arg(a, "total") + j.bs - 1) / j.bs;
		j.full = kind == DISK_SEQ_READ && bench_arg_is(a, "verify", "full");
	} else {
		j.nreq = bench_arg(a, "ios");
		rng_seed(&j.rng, bench_arg(a, "seed"));
	}
	unsigned wait = bench_arg_is(a, "wait", "poll") ? PLAT_DISK_WAIT_POLL : PLAT_DISK_WAIT_IRQ;
	if (plat_disk_open(&j.info, wait, &why))
		return bench_fail(a, why);
	int rc = 1;
	size_t bytes = (size_t)j.qd * j.bs, lbytes = 0;
	j.span = j.info.size / j.bs * j.bs;
	if (!j.span) {
		rc = bench_fail(a, "the disk is smaller than one request");
		goto out;
	}
	if (kind == DISK_SEQ_WRITE && j.info.readonly) {
		rc = bench_fail(a, "the disk is read-only");
		goto out;
	}
	j.buf = plat_alloc(bytes);
	if (kind == DISK_RAND_READ) {
		lbytes = j.nreq * sizeof(uint64_t);
		j.lat_ns = plat_alloc(lbytes);
	}
	if (!j.buf || (kind == DISK_RAND_READ && !j.lat_ns)) {
		rc = bench_fail(a, "out of memory");
		goto out;
	}
	if (kind == DISK_SEQ_WRITE)
		for (uint32_t s = 0; s < j.qd; s++)
			diskpat_fill(j.buf + (uint64_t)s * j.bs, 0, j.bs, j.gen);

	uint64_t t0 = plat_now_ns();
	int lrc = disk_loop(&j);
	if (!lrc && kind == DISK_SEQ_WRITE)
		lrc = disk_flush(&j);
	uint64_t ns = plat_now_ns() - t0;
	if (lrc) {
		rc = bench_fail(a, "the disk refused or lost a request");
		goto out;
	}
	if (j.errors) {
		rc = bench_fail(a, "the disk reported I/O errors");
		goto out;
	}
	if (j.bad) {
		rc = bench_fail(a, "data read back do not match the image's pattern");
		goto out;
	}
	if (!ns)
		ns = 1;
	struct bench_result r;
	if (kind == DISK_RAND_READ) {
		latency_begin(&r, a, "latency_avg", j.lat_ns, j.nreq, bench_arg(a, "hist_us"), ns);
	} else if (kind == DISK_RAND_IOPS) {
		result_begin(&r, a, "iops", "IO/s", "higher", (double)j.done * 1e9 / (double)ns, 0);
		result_u64(&r, "check", j.done);
	} else {
		double mib = (double)j.done * j.bs / 1048576.0;
		result_begin(&r, a, "throughput", "MiB/s", "higher", mib * 1e9 / (double)ns, 1);
		/* the sectors verified (read) or written */
		result_u64(&r, "check", j.done * (j.bs / PLAT_DISK_SECTOR));
	}
	disk_fields(&r, &j, ns);
	rc = result_end(&r);
out:
	plat_free(j.buf, bytes);
	plat_free(j.lat_ns, lbytes);
	plat_disk_close();
	return rc;
}

static int seq_read_run(const struct bench_args *a)
{
	return disk_run(a, DISK_SEQ_READ);
}
static int seq_write_run(const struct bench_args *a)
{
	return disk_run(a, DISK_SEQ_WRITE);
}
static int rand_read_run(const struct bench_args *a)
{
	return disk_run(a, DISK_RAND_READ);
}
static int rand_iops_run(const struct bench_args *a)
{
	return disk_run(a, DISK_RAND_IOPS);
}

const struct bench_workload wl_disk_seq_read = {
	"disk-seq-read", "disk", "sequential reads of the disk (128 KiB); MiB/s", seq_params,
	seq_read_run,
};
const struct bench_workload wl_disk_seq_write = {
	"disk-seq-write", "disk", "sequential writes of the disk (128 KiB) and a flush; MiB/s",
	seq_params, seq_write_run,
};
const struct bench_workload wl_disk_rand_read = {
	"disk-rand-read", "disk", "random 4 KiB reads at queue depth 1: latency; us", rand_params,
	rand_read_run,
};
const struct bench_workload wl_disk_rand_iops = {
	"disk-rand-iops", "disk", "random 4 KiB reads at queue depth 32; IO/s", iops_params,
	rand_iops_run,
};
