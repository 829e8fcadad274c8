/*
 * wl_bitcount: MiBench automotive "bitcount": count the set bits of many
 * numbers with seven different methods, timing each method over the whole
 * input set. Methods: one bit per step; clearing the lowest set bit
 * (sparse); the same on the complement (dense); a 16-entry nibble table; a
 * 256-entry byte table; the nibble table applied recursively; and the
 * parallel shift-and-mask sum. Every method must give the same count for
 * every input.
 */
#include "platform.h"
#include "rng.h"
#include "workloads.h"

const char *const bitcount_names[BITCOUNT_NMETHODS] = {
	"iterated", "sparse", "dense", "nibble_table", "byte_table", "recursive", "parallel",
};

static const uint8_t bc_nibble[16] = { 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4 };

/* bits of 0..255: each group of four is n, n+1, n+1, n+2 of the group
 * before, recursively */
#define BC2(n) (n), (n) + 1, (n) + 1, (n) + 2
#define BC4(n) BC2(n), BC2((n) + 1), BC2((n) + 1), BC2((n) + 2)
#define BC6(n) BC4(n), BC4((n) + 1), BC4((n) + 1), BC4((n) + 2)
static const uint8_t bc_byte[256] = { BC6(0), BC6(1), BC6(1), BC6(2) };

static unsigned bc_iterated(uint32_t x)
{
	unsigned n = 0;

	while (x) {
		n += x & 1;
		x >>= 1;
	}
	return n;
}

static unsigned bc_sparse(uint32_t x)
{
	unsigned n = 0;

	while (x) {
		n++;
		x &= x - 1;
	}
	return n;
}

static unsigned bc_dense(uint32_t x)
{
	unsigned n = 32;

	x = ~x;
	while (x) {
		n--;
		x &= x - 1;
	}
	return n;
}

static unsigned bc_nibble_table(uint32_t x)
{
	unsigned n = 0;

	for (int i = 0; i < 8; i++) {
		n += bc_nibble[x & 15];
		x >>= 4;
	}
	return n;
}

static unsigned bc_byte_table(uint32_t x)
{
	return bc_byte[x & 255] + bc_byte[(x >> 8) & 255] + bc_byte[(x >> 16) & 255] +
	       bc_byte[x >> 24];
}

static unsigned bc_recursive(uint32_t x)
{
	if (x == 0)
		return 0;
	return bc_nibble[x & 15] + bc_recursive(x >> 4);
}

static unsigned bc_parallel(uint32_t x)
{
	x = (x & 0x55555555u) + ((x >> 1) & 0x55555555u);
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x & 0x0f0f0f0fu) + ((x >> 4) & 0x0f0f0f0fu);
	x = (x & 0x00ff00ffu) + ((x >> 8) & 0x00ff00ffu);
	return (x & 0x0000ffffu) + (x >> 16);
}

typedef unsigned (*bc_fn)(uint32_t);
static const bc_fn bc_methods[BITCOUNT_NMETHODS] = {
	bc_iterated, bc_sparse, bc_dense, bc_nibble_table, bc_byte_table, bc_recursive,
	bc_parallel,
};

unsigned bitcount_method(int m, uint32_t x)
{
	return bc_methods[m](x);
}

static const char *const bc_sizes[] = { "tiny", "small", "large", NULL };

static int bitcount_run(const struct bench_args *a)
{
	/* MiBench runs 75000 (small) and 1125000 (large) numbers per method */
	static const uint64_t sz[3] = { 10000, 1125000, 9000000 };
	uint64_t n = sz[bench_arg(a, "size")];
	uint32_t *in = plat_alloc(n * 4);
	uint8_t *ref = plat_alloc(n);
	uint64_t ns[BITCOUNT_NMETHODS], total = 0, bad = 0;
	struct rng rg;

	if (!in || !ref) {
		plat_free(in, n * 4);
		plat_free(ref, n);
		return bench_fail(a, "out of memory");
	}
	/* Inputs: random words with random sparsity (some mostly zeros, some
	 * mostly ones), so every method's loop length varies as in real data. */
	rng_seed(&rg, 7);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = rng_next(&rg);
		switch (v & 3) {
		case 0:
			in[i] = (uint32_t)(v >> 32) & (uint32_t)(v >> 2) & (uint32_t)(v >> 12);
			break;
		case 1:
			in[i] = (uint32_t)(v >> 32) | (uint32_t)(v >> 2) | (uint32_t)(v >> 12);
			break;
		default:
			in[i] = (uint32_t)(v >> 32);
		}
	}

	uint64_t t0 = plat_now_ns();
	for (int m = 0; m < BITCOUNT_NMETHODS; m++) {
		uint64_t s = 0, tm = plat_now_ns();
		bc_fn f = bc_methods[m];
		if (m == 0) {
			for (uint64_t i = 0; i < n; i++) {
				ref[i] = (uint8_t)f(in[i]);
				s += ref[i];
			}
			total = s;
		} else {
			for (uint64_t i = 0; i < n; i++) {
				unsigned c = f(in[i]);
				bad += c != ref[i];
				s += c;
			}
			bad += s != total;
		}
		ns[m] = plat_now_ns() - tm;
	}
	uint64_t t1 = plat_now_ns();
	plat_free(in, n * 4);
	plat_free(ref, n);
	if (bad)
		return bench_fail(a, "the counting methods disagree");

	struct bench_result r;
	result_begin(&r, a, "time", "ms", "lower", bench_ns_to_ms(t1 - t0), 3);
	result_u64(&r, "check", total);
	result_u64(&r, "numbers", n);
	result_key(&r, "methods_ms");
	fmt_char(&r.f, '{');
	for (int m = 0; m < BITCOUNT_NMETHODS; m++) {
		if (m)
			fmt_char(&r.f, ',');
		fmt_json_str(&r.f, bitcount_names[m]);
		fmt_char(&r.f, ':');
		fmt_f64(&r.f, bench_ns_to_ms(ns[m]), 3);
	}
	fmt_char(&r.f, '}');
	return result_end(&r);
}

static const struct bench_param bitcount_params[] = {
	{ "size", BENCH_P_CHOICE, "small", "numbers counted per method", 0, 0, bc_sizes },
	{ 0 },
};

const struct bench_workload wl_bitcount = {
	"bitcount", "mibench", "MiBench bitcount: seven bit-counting methods; ms",
	bitcount_params, bitcount_run,
};
