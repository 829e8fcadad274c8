/*
 * diskpat: the data pattern of the disk workloads' image, shared by the
 * workloads (src/bench/wl_disk.c), the harness that fills the image
 * (src/hvbench/disk.c) and the tests that check what a guest wrote.
 *
 * An image of generation `gen` holds, in every 512-byte sector s, 64
 * little-endian 8-byte words: word 0 is diskpat_head(s, gen), word 63 is
 * diskpat_tail(s, gen), and the 62 between them depend on gen and their
 * position only. So a reader checks a sector by two words (it reads the
 * right sector, the whole sector arrived), and a writer keeps one filled
 * buffer and stamps two words per sector before each request: the
 * pattern costs both sides of a comparison the same few instructions per
 * sector, not a pass over every byte. Freestanding.
 */
#ifndef BENCH_DISKPAT_H
#define BENCH_DISKPAT_H

#include <stddef.h>
#include <stdint.h>

#define DISKPAT_SECTOR 512u
#define DISKPAT_WORDS (DISKPAT_SECTOR / 8u)

/* splitmix64's finaliser (rng.h): a bijection that spreads every bit. */
static inline uint64_t diskpat_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t diskpat_head(uint64_t sector, uint64_t gen)
{
	return diskpat_mix(sector ^ (gen << 48) ^ 0x6469736b00000000ULL);
}

static inline uint64_t diskpat_tail(uint64_t sector, uint64_t gen)
{
	return ~diskpat_mix(diskpat_head(sector, gen));
}

/* Word w (0..63) of sector `sector`. */
static inline uint64_t diskpat_word(uint64_t sector, unsigned w, uint64_t gen)
{
	if (w == 0)
		return diskpat_head(sector, gen);
	if (w == DISKPAT_WORDS - 1)
		return diskpat_tail(sector, gen);
	return diskpat_mix(((uint64_t)w << 32) ^ (gen << 48) ^ 0x66696c6cULL);
}

/* Fills `len` bytes (a multiple of 512) for byte offset `off` (a multiple
 * of 512) with the whole pattern. */
static inline void diskpat_fill(void *buf, uint64_t off, size_t len, uint64_t gen)
{
	uint64_t *p = buf;
	for (size_t s = 0; s < len / DISKPAT_SECTOR; s++)
		for (unsigned w = 0; w < DISKPAT_WORDS; w++)
			*p++ = diskpat_word(off / DISKPAT_SECTOR + s, w, gen);
}

/* Rewrites words 0 and 63 of each sector of a buffer that diskpat_fill
 * filled for the same gen, so that it holds the pattern for offset `off`. */
static inline void diskpat_stamp(void *buf, uint64_t off, size_t len, uint64_t gen)
{
	uint64_t *p = buf;
	for (size_t s = 0; s < len / DISKPAT_SECTOR; s++, p += DISKPAT_WORDS) {
		p[0] = diskpat_head(off / DISKPAT_SECTOR + s, gen);
		p[DISKPAT_WORDS - 1] = diskpat_tail(off / DISKPAT_SECTOR + s, gen);
	}
}

/* How many sectors of the buffer read from offset `off` do not carry
 * their words 0 and 63 of generation gen; with `full`, every word is
 * checked. */
static inline uint64_t diskpat_check(const void *buf, uint64_t off, size_t len, uint64_t gen,
				     int full)
{
	const uint64_t *p = buf;
	uint64_t bad = 0;
	for (size_t s = 0; s < len / DISKPAT_SECTOR; s++, p += DISKPAT_WORDS) {
		uint64_t sec = off / DISKPAT_SECTOR + s;
		int ok = p[0] == diskpat_head(sec, gen) &&
			 p[DISKPAT_WORDS - 1] == diskpat_tail(sec, gen);
		for (unsigned w = 1; ok && full && w < DISKPAT_WORDS - 1; w++)
			ok = p[w] == diskpat_word(sec, w, gen);
		bad += !ok;
	}
	return bad;
}

#endif
