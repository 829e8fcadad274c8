/*
 * rng: the deterministic pseudo-random numbers every workload uses.
 *
 * Owns: a splitmix64 generator (Steele, Lea, Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014): a 64-bit state advanced by
 * a Weyl increment and passed through a mixing function. Same seed, same
 * sequence, on every platform, so native and guest runs do the same work.
 */
#ifndef BENCH_RNG_H
#define BENCH_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed;
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) for n >= 1, by the multiply-high method (Lemire): the
 * bias is below n / 2^64, irrelevant here, and there is no division. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double rng_double(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
