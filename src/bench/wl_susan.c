/*
 * wl_susan: MiBench automotive "susan" in its three modes, smoothing (-s),
 * edges (-e) and corners (-c), implemented from the published method (S. M.
 * Smith and J. M. Brady, "SUSAN - a new approach to low level image
 * processing", IJCV 23(1), 1997):
 *
 *  - Around each pixel (the nucleus) a circular mask of 37 pixels (radius
 *    3.4). Each mask pixel counts as similar to the nucleus by
 *    c = 100 exp(-((I - I0) / t)^6), from a table indexed by I - I0.
 *  - The USAN area n is the sum of c over the mask (at most 3700).
 *  - Edges: response R = g - n where n < g = 3/4 of the maximum; the edge
 *    normal comes from the USAN's centre of gravity when that is off the
 *    nucleus (an edge between pixels), else from its second moments (an
 *    edge through the nucleus); non-maximum suppression along the normal.
 *  - Corners: g = 1/2 of the maximum; a response only if the centre of
 *    gravity is at least a pixel from the nucleus and the mask pixels from
 *    the nucleus towards it are all in the USAN; then the local maximum in
 *    a 5x5 window.
 *  - Smoothing: each pixel becomes the average of its 7x7 neighbourhood,
 *    the nucleus excluded, weighted by a spatial Gaussian times
 *    exp(-((I - I0) / t)^2); when no neighbour is similar at all, the
 *    median of the 8 nearest neighbours.
 * Weights are integer tables so results are exact and the same everywhere.
 * The picture is generated (gradients, shapes, noise) rather than read.
 */
#include "bmath.h"
#include "platform.h"
#include "rng.h"
#include "workloads.h"

#define SUSAN_NMAX 3700 /* 37 mask pixels, each at most 100 */
#define SUSAN_BORDER 3

/* the 37-pixel mask, as (dx, dy) */
static const int8_t susan_mask[37][2] = {
	{ -1, -3 }, { 0, -3 }, { 1, -3 },
	{ -2, -2 }, { -1, -2 }, { 0, -2 }, { 1, -2 }, { 2, -2 },
	{ -3, -1 }, { -2, -1 }, { -1, -1 }, { 0, -1 }, { 1, -1 }, { 2, -1 }, { 3, -1 },
	{ -3, 0 }, { -2, 0 }, { -1, 0 }, { 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 0 },
	{ -3, 1 }, { -2, 1 }, { -1, 1 }, { 0, 1 }, { 1, 1 }, { 2, 1 }, { 3, 1 },
	{ -2, 2 }, { -1, 2 }, { 0, 2 }, { 1, 2 }, { 2, 2 },
	{ -1, 3 }, { 0, 3 }, { 1, 3 },
};

/* c(d) for d = -255..255 at index d + 255; `power` 6 for edges and
 * corners, 2 for smoothing. */
static void susan_lut(uint8_t lut[511], unsigned t, int power)
{
	for (int d = -255; d <= 255; d++) {
		double u = (double)d / (double)t, v = u * u;
		if (power == 6)
			v = v * v * v;
		lut[d + 255] = (uint8_t)(100.0 * bm_exp(-v) + 0.5);
	}
}

void susan_make_image(struct susan_image *img, uint64_t seed)
{
	unsigned w = img->w, h = img->h;
	struct rng rg;

	rng_seed(&rg, seed);
	/* background: two gentle gradients */
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++)
			img->pix[y * w + x] = (uint8_t)(40 + 60 * x / w + 40 * y / h);
	/* shapes: rectangles, discs and right triangles of random grey */
	unsigned nshapes = 4 + (w * h) / 6000;
	for (unsigned s = 0; s < nshapes; s++) {
		unsigned kind = (unsigned)rng_below(&rg, 3);
		unsigned sw = 6 + (unsigned)rng_below(&rg, w / 4 + 1);
		unsigned sh = 6 + (unsigned)rng_below(&rg, h / 4 + 1);
		unsigned x0 = (unsigned)rng_below(&rg, w), y0 = (unsigned)rng_below(&rg, h);
		uint8_t grey = (uint8_t)(20 + rng_below(&rg, 216));
		for (unsigned y = y0; y < y0 + sh && y < h; y++) {
			for (unsigned x = x0; x < x0 + sw && x < w; x++) {
				long dx = (long)(x - x0) * 2 - (long)sw, dy = (long)(y - y0) * 2 - (long)sh;
				bool in = kind == 0 ||
					  (kind == 1 && dx * dx * sh * sh + dy * dy * sw * sw <=
					   (long)(sw * sw) * (long)(sh * sh)) ||
					  (kind == 2 && (x - x0) * sh <= (y - y0) * sw);
				if (in)
					img->pix[y * w + x] = grey;
			}
		}
	}
	/* noise: +-3 grey levels */
	for (unsigned i = 0; i < w * h; i++) {
		int v = img->pix[i] + (int)rng_below(&rg, 7) - 3;
		img->pix[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
}

struct susan_moments {
	int n;            /* USAN area */
	int sx, sy;       /* sum of c*dx, c*dy */
	int sxx, syy, sxy;
};

static void susan_usan_at(const uint8_t *pix, unsigned w, const uint8_t *lut, unsigned x,
			  unsigned y, struct susan_moments *m, bool moments)
{
	const uint8_t *p = pix + y * w + x;
	const uint8_t *cl = lut + 255 - *p; /* cl[I] = c(I - I0) */

	*m = (struct susan_moments){ 0, 0, 0, 0, 0, 0 };
	if (!moments) {
		for (int k = 0; k < 37; k++)
			m->n += cl[p[susan_mask[k][1] * (int)w + susan_mask[k][0]]];
		return;
	}
	for (int k = 0; k < 37; k++) {
		int dx = susan_mask[k][0], dy = susan_mask[k][1];
		int c = cl[p[dy * (int)w + dx]];
		m->n += c;
		m->sx += c * dx;
		m->sy += c * dy;
		m->sxx += c * dx * dx;
		m->syy += c * dy * dy;
		m->sxy += c * dx * dy;
	}
}

unsigned susan_usan(const struct susan_image *img, unsigned x, unsigned y, unsigned t)
{
	uint8_t lut[511];
	struct susan_moments m;

	susan_lut(lut, t, 6);
	susan_usan_at(img->pix, img->w, lut, x, y, &m, false);
	return (unsigned)m.n;
}

/* The four directions a normal is quantised to: (1,0), (0,1), (1,1),
 * (1,-1). Returns the index whose line (vx, vy) lies closest to. */
static int susan_quantise(int vx, int vy)
{
	/* |v . u|^2 / |u|^2 for each unit direction u, compared times 2 */
	long a = (long)vx * vx * 2, b = (long)vy * vy * 2;
	long c = (long)(vx + vy) * (vx + vy), d = (long)(vx - vy) * (vx - vy);
	int best = 0;
	long bv = a;

	if (b > bv) {
		best = 1;
		bv = b;
	}
	if (c > bv) {
		best = 2;
		bv = c;
	}
	if (d > bv)
		best = 3;
	return best;
}

static const int susan_dir[4][2] = { { 1, 0 }, { 0, 1 }, { 1, 1 }, { 1, -1 } };

long susan_edges(const struct susan_image *img, uint8_t *mark, unsigned t)
{
	unsigned w = img->w, h = img->h;
	int *resp = plat_alloc((size_t)w * h * sizeof(int));
	uint8_t *dir = plat_alloc((size_t)w * h);
	uint8_t lut[511];
	long count = 0;
	const int g = 3 * SUSAN_NMAX / 4;

	if (!resp || !dir) {
		plat_free(resp, (size_t)w * h * sizeof(int));
		plat_free(dir, (size_t)w * h);
		return -1;
	}
	susan_lut(lut, t, 6);
	for (unsigned y = SUSAN_BORDER; y + SUSAN_BORDER < h; y++) {
		for (unsigned x = SUSAN_BORDER; x + SUSAN_BORDER < w; x++) {
			struct susan_moments m;
			susan_usan_at(img->pix, w, lut, x, y, &m, true);
			if (m.n >= g)
				continue;
			resp[y * w + x] = g - m.n;
			int q;
			/* centre of gravity more than a pixel away (|s| > n):
			 * the normal points along it */
			if ((long)m.sx * m.sx + (long)m.sy * m.sy > (long)m.n * m.n) {
				q = susan_quantise(m.sx, m.sy);
			} else {
				/* the USAN stretches along the edge: the direction
				 * of largest second moment is the edge, the normal
				 * is perpendicular to it */
				long s[4] = { 2L * m.sxx, 2L * m.syy, (long)m.sxx + m.syy + 2L * m.sxy,
					      (long)m.sxx + m.syy - 2L * m.sxy };
				int e = 0;
				for (int k = 1; k < 4; k++)
					if (s[k] > s[e])
						e = k;
				static const int perp[4] = { 1, 0, 3, 2 };
				q = perp[e];
			}
			dir[y * w + x] = (uint8_t)q;
		}
	}
	/* non-maximum suppression along the normal; ties go to the pixel
	 * further along it, so a plateau of two yields one edge pixel */
	for (unsigned y = SUSAN_BORDER + 1; y + SUSAN_BORDER + 1 < h; y++) {
		for (unsigned x = SUSAN_BORDER + 1; x + SUSAN_BORDER + 1 < w; x++) {
			size_t i = (size_t)y * w + x;
			int r = resp[i];
			if (r <= 0)
				continue;
			const int *d = susan_dir[dir[i]];
			long off = (long)d[1] * (long)w + d[0];
			if (r >= resp[(long)i + off] && r > resp[(long)i - off]) {
				mark[i] = 255;
				count++;
			}
		}
	}
	plat_free(resp, (size_t)w * h * sizeof(int));
	plat_free(dir, (size_t)w * h);
	return count;
}

long susan_corners(const struct susan_image *img, uint8_t *mark, unsigned t)
{
	unsigned w = img->w, h = img->h;
	int *resp = plat_alloc((size_t)w * h * sizeof(int));
	uint8_t lut[511];
	long count = 0;
	const int g = SUSAN_NMAX / 2;

	if (!resp)
		return -1;
	susan_lut(lut, t, 6);
	for (unsigned y = SUSAN_BORDER; y + SUSAN_BORDER < h; y++) {
		for (unsigned x = SUSAN_BORDER; x + SUSAN_BORDER < w; x++) {
			struct susan_moments m;
			const uint8_t *p = img->pix + (size_t)y * w + x;
			susan_usan_at(img->pix, w, lut, x, y, &m, false);
			if (m.n >= g)
				continue;
			susan_usan_at(img->pix, w, lut, x, y, &m, true);
			/* centre of gravity at least one pixel away */
			if ((long)m.sx * m.sx + (long)m.sy * m.sy < (long)m.n * m.n)
				continue;
			/* contiguity: the pixels at 1, 2 and 3 steps from the
			 * nucleus towards the centre of gravity are in the USAN */
			const uint8_t *cl = lut + 255 - *p;
			bool ok = true;
			for (int k = 1; k <= 3 && ok; k++) {
				double fx = (double)m.sx / m.n, fy = (double)m.sy / m.n;
				double len = bm_sqrt(fx * fx + fy * fy);
				int dx = (int)(fx / len * k + (fx < 0 ? -0.5 : 0.5));
				int dy = (int)(fy / len * k + (fy < 0 ? -0.5 : 0.5));
				ok = cl[p[dy * (int)w + dx]] >= 50;
			}
			if (ok)
				resp[(size_t)y * w + x] = g - m.n;
		}
	}
	/* keep local maxima of a 5x5 window: strictly greater than the
	 * neighbours before it in raster order, at least equal to those after */
	for (unsigned y = SUSAN_BORDER + 2; y + SUSAN_BORDER + 2 < h; y++) {
		for (unsigned x = SUSAN_BORDER + 2; x + SUSAN_BORDER + 2 < w; x++) {
			size_t i = (size_t)y * w + x;
			int r = resp[i];
			bool max = r > 0;
			for (int dy = -2; dy <= 2 && max; dy++) {
				for (int dx = -2; dx <= 2 && max; dx++) {
					int o = resp[(long)i + dy * (long)w + dx];
					bool before = dy < 0 || (dy == 0 && dx < 0);
					if (dx || dy)
						max = before ? r > o : r >= o;
				}
			}
			if (max) {
				mark[i] = 255;
				count++;
			}
		}
	}
	plat_free(resp, (size_t)w * h * sizeof(int));
	return count;
}

/* Median of n <= 8 values by insertion sort. */
static uint8_t susan_median8(uint8_t v[8])
{
	for (int i = 1; i < 8; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint8_t tmp = v[j];
			v[j] = v[j - 1];
			v[j - 1] = tmp;
		}
	return (uint8_t)((v[3] + v[4] + 1) / 2);
}

int susan_smooth(const struct susan_image *in, struct susan_image *out, unsigned t)
{
	unsigned w = in->w, h = in->h;
	uint8_t blut[511];
	int spatial[7][7];

	susan_lut(blut, t, 2);
	/* spatial weights: 100 exp(-r^2 / (2 sigma^2)), sigma = 2 pixels */
	for (int dy = -3; dy <= 3; dy++)
		for (int dx = -3; dx <= 3; dx++)
			spatial[dy + 3][dx + 3] =
				(int)(100.0 * bm_exp(-(double)(dx * dx + dy * dy) / 8.0) + 0.5);
	__builtin_memcpy(out->pix, in->pix, (size_t)w * h);
	for (unsigned y = SUSAN_BORDER; y + SUSAN_BORDER < h; y++) {
		for (unsigned x = SUSAN_BORDER; x + SUSAN_BORDER < w; x++) {
			const uint8_t *p = in->pix + (size_t)y * w + x;
			const uint8_t *cl = blut + 255 - *p;
			long sum = 0, wsum = 0;
			for (int dy = -3; dy <= 3; dy++) {
				const uint8_t *row = p + dy * (int)w;
				for (int dx = -3; dx <= 3; dx++) {
					long wt = (long)spatial[dy + 3][dx + 3] * cl[row[dx]];
					sum += wt * row[dx];
					wsum += wt;
				}
			}
			long self = (long)spatial[3][3] * cl[*p];
			sum -= self * *p;
			wsum -= self;
			if (wsum > 0) {
				out->pix[(size_t)y * w + x] = (uint8_t)((sum + wsum / 2) / wsum);
			} else {
				uint8_t v[8] = { p[-(int)w - 1], p[-(int)w], p[-(int)w + 1], p[-1],
						 p[1], p[w - 1], p[w], p[w + 1] };
				out->pix[(size_t)y * w + x] = susan_median8(v);
			}
		}
	}
	return 0;
}

static const char *const susan_sizes[] = { "tiny", "small", "large", NULL };

enum susan_mode { SUSAN_SMOOTH, SUSAN_EDGES, SUSAN_CORNERS };

static int susan_run(const struct bench_args *a, enum susan_mode mode)
{
	/* MiBench's inputs are 76x95 (small) and 384x288 (large) pictures;
	 * ours are repeated to last long enough to time */
	static const unsigned sz[3][3] = { { 64, 48, 1 }, { 384, 288, 0 }, { 768, 576, 0 } };
	static const unsigned reps[3][3] = { { 1, 1, 1 }, { 12, 12, 40 }, { 12, 12, 40 } };
	unsigned s = (unsigned)bench_arg(a, "size"), t = (unsigned)bench_arg(a, "t");
	struct susan_image in = { sz[s][0], sz[s][1], NULL }, out = in;
	size_t npix = (size_t)in.w * in.h;
	unsigned nrep = reps[s][mode];
	uint64_t check = 0, bad = 0, points = 0;

	in.pix = plat_alloc(npix);
	out.pix = plat_alloc(npix);
	if (!in.pix || !out.pix) {
		plat_free(in.pix, npix);
		plat_free(out.pix, npix);
		return bench_fail(a, "out of memory");
	}
	susan_make_image(&in, 2024);

	uint64_t t0 = plat_now_ns();
	for (unsigned rep = 0; rep < nrep; rep++) {
		long n = 0;
		if (mode == SUSAN_SMOOTH) {
			n = susan_smooth(&in, &out, t);
		} else {
			__builtin_memset(out.pix, 0, npix);
			n = mode == SUSAN_EDGES ? susan_edges(&in, out.pix, t) :
				susan_corners(&in, out.pix, t);
		}
		if (n < 0) {
			bad = ~0ULL;
			break;
		}
		uint64_t sum = 0;
		for (size_t i = 0; i < npix; i++)
			sum += (i + 1) * out.pix[i];
		bad += rep && (sum != check || (uint64_t)n != points);
		check = sum;
		points = (uint64_t)n;
	}
	uint64_t t1 = plat_now_ns();

	/* a weighted average stays within its neighbourhood's range */
	if (mode == SUSAN_SMOOTH && bad != ~0ULL) {
		for (unsigned y = SUSAN_BORDER; y + SUSAN_BORDER < in.h; y++) {
			for (unsigned x = SUSAN_BORDER; x + SUSAN_BORDER < in.w; x++) {
				uint8_t lo = 255, hi = 0;
				for (int dy = -3; dy <= 3; dy++)
					for (int dx = -3; dx <= 3; dx++) {
						uint8_t v = in.pix[(y + dy) * in.w + x + dx];
						lo = v < lo ? v : lo;
						hi = v > hi ? v : hi;
					}
				uint8_t o = out.pix[y * in.w + x];
				bad += o < lo || o > hi;
			}
		}
	}
	plat_free(in.pix, npix);
	plat_free(out.pix, npix);
	if (bad == ~0ULL)
		return bench_fail(a, "out of memory");
	if (bad)
		return bench_fail(a, mode == SUSAN_SMOOTH ?
				  "smoothed pixel outside its neighbourhood, or runs differ" :
				  "repeated runs found different points");
	if (mode != SUSAN_SMOOTH && points == 0)
		return bench_fail(a, "no points found in the test picture");

	struct bench_result r;
	result_begin(&r, a, "time", "ms", "lower", bench_ns_to_ms(t1 - t0), 3);
	if (mode == SUSAN_SMOOTH) {
		result_u64(&r, "check", check);
	} else {
		result_u64(&r, "check", points);
		result_u64(&r, "image_sum", check);
	}
	result_u64(&r, "width", in.w);
	result_u64(&r, "height", in.h);
	result_u64(&r, "reps", nrep);
	return result_end(&r);
}

static int susan_smoothing_run(const struct bench_args *a)
{
	return susan_run(a, SUSAN_SMOOTH);
}

static int susan_edges_run(const struct bench_args *a)
{
	return susan_run(a, SUSAN_EDGES);
}

static int susan_corners_run(const struct bench_args *a)
{
	return susan_run(a, SUSAN_CORNERS);
}

static const struct bench_param susan_params[] = {
	{ "size", BENCH_P_CHOICE, "small", "picture size", 0, 0, susan_sizes },
	{ "t", BENCH_P_UINT, "20", "brightness threshold (susan -t)", 1, 255, NULL },
	{ 0 },
};

const struct bench_workload wl_susan_smoothing = {
	"susan-smoothing", "mibench", "MiBench susan -s: structure-preserving smoothing; ms",
	susan_params, susan_smoothing_run,
};

const struct bench_workload wl_susan_edges = {
	"susan-edges", "mibench", "MiBench susan -e: SUSAN edge detector; ms",
	susan_params, susan_edges_run,
};

const struct bench_workload wl_susan_corners = {
	"susan-corners", "mibench", "MiBench susan -c: SUSAN corner detector; ms",
	susan_params, susan_corners_run,
};
