/* test_pl061: the looped-back PL061 GPIO model (pl061.h). */
#include "testlib.h"

#include <string.h>

#include "pl061.h"

struct rec {
	int level, calls, redundant;
};

static void rec_irq(void *ctx, unsigned gsi, int level)
{
	struct rec *r = ctx;
	assert_int_equal(gsi, 39);
	if (level == r->level)
		r->redundant++;
	r->level = level;
	r->calls++;
}

struct fix {
	struct rec r;
	struct pl061 g;
};
static struct fix fx;

static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	pl061_init(&fx.g, (struct irq_line){rec_irq, &fx.r, 39});
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	assert_int_equal(f->r.redundant, 0);
	pl061_destroy(&f->g);
	return 0;
}

static uint32_t rd(struct fix *f, uint64_t off)
{
	uint8_t b[4];
	pl061_io(&f->g, off, b, 4, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr(struct fix *f, uint64_t off, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	pl061_io(&f->g, off, b, 4, true);
}

/* GPIODATA at 0x3fc sees all eight pins (address bits 9:2 all set). */
#define DATA_ALL 0x3fc
#define DATA_BIT(n) (4u << (n))

static void test_ids(void **state)
{
	struct fix *f = *state;
	static const uint32_t id[8] = {0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd(f, 0xfe0 + 4 * i), id[i]);
	assert_int_equal(rd(f, PL061_DIR), 0);
	assert_int_equal(rd(f, DATA_ALL), 0);
}

/* Output bit n drives input bit n; the address masks both ways; input
 * pins (GPIODIR clear) ignore writes (TRM 3.3.1). */
static void test_loopback_and_mask(void **state)
{
	struct fix *f = *state;
	wr(f, DATA_ALL, 0xff);
	assert_int_equal(rd(f, DATA_ALL), 0); /* all inputs: nothing driven */
	wr(f, PL061_DIR, 0x0f);
	wr(f, DATA_ALL, 0xff);
	assert_int_equal(rd(f, DATA_ALL), 0x0f);
	wr(f, DATA_BIT(1), 0x00); /* only pin 1 */
	assert_int_equal(rd(f, DATA_ALL), 0x0d);
	assert_int_equal(rd(f, DATA_BIT(0)), 0x01);
	assert_int_equal(rd(f, DATA_BIT(1)), 0x00);
	assert_int_equal(rd(f, DATA_BIT(0) | DATA_BIT(2) | DATA_BIT(3)), 0x0d);
}

static void test_rising_edge(void **state)
{
	struct fix *f = *state;
	wr(f, PL061_DIR, 0x01);
	wr(f, PL061_IEV, 0x01); /* rising */
	wr(f, PL061_IE, 0x01);
	wr(f, DATA_BIT(0), 0);
	assert_int_equal(f->r.level, 0);
	wr(f, DATA_BIT(0), 1);
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, PL061_RIS), 1);
	assert_int_equal(rd(f, PL061_MIS), 1);
	wr(f, DATA_BIT(0), 0); /* falling: not seen, the edge stays latched */
	assert_int_equal(f->r.level, 1);
	wr(f, PL061_IC, 1);
	assert_int_equal(f->r.level, 0);
	assert_int_equal(rd(f, PL061_RIS), 0);
	wr(f, DATA_BIT(0), 0); /* no change, no edge */
	assert_int_equal(rd(f, PL061_RIS), 0);
}

static void test_falling_and_both_edges(void **state)
{
	struct fix *f = *state;
	wr(f, PL061_DIR, 0x03);
	wr(f, DATA_ALL, 0x03);
	wr(f, PL061_IBE, 0x02);  /* pin 1: both edges; pin 0: falling */
	wr(f, PL061_IE, 0x03);
	wr(f, DATA_ALL, 0x00);
	assert_int_equal(rd(f, PL061_RIS), 0x03);
	wr(f, PL061_IC, 0x03);
	wr(f, DATA_ALL, 0x03);   /* rising: pin 1 only */
	assert_int_equal(rd(f, PL061_RIS), 0x02);
	assert_int_equal(f->r.level, 1);
	wr(f, PL061_IE, 0x01);   /* masked: the line drops, RIS stays */
	assert_int_equal(f->r.level, 0);
	assert_int_equal(rd(f, PL061_MIS), 0);
	assert_int_equal(rd(f, PL061_RIS), 0x02);
}

static void test_level(void **state)
{
	struct fix *f = *state;
	wr(f, PL061_DIR, 0x80);
	wr(f, PL061_IS, 0x80);  /* level */
	wr(f, PL061_IEV, 0x80); /* high */
	wr(f, PL061_IE, 0x80);
	assert_int_equal(f->r.level, 0);
	wr(f, DATA_BIT(7), 0x80);
	assert_int_equal(f->r.level, 1);
	wr(f, PL061_IC, 0x80); /* a level cannot be cleared */
	assert_int_equal(f->r.level, 1);
	wr(f, DATA_BIT(7), 0);
	assert_int_equal(f->r.level, 0);
	wr(f, PL061_IEV, 0); /* low level: now true */
	assert_int_equal(f->r.level, 1);
	assert_int_equal(rd(f, PL061_MIS), 0x80);
}

static void test_hostile_accesses(void **state)
{
	struct fix *f = *state;
	uint8_t b[8];
	memset(b, 0xaa, sizeof(b));
	pl061_io(&f->g, PL061_DIR + 1, b, 1, false); /* misaligned: zero */
	assert_int_equal(b[0], 0);
	memset(b, 0xff, sizeof(b));
	pl061_io(&f->g, PL061_DIR, b, 8, true); /* too wide: ignored */
	assert_int_equal(rd(f, PL061_DIR), 0);
	wr(f, PL061_RIS, 0xff); /* read-only */
	wr(f, PL061_MIS, 0xff);
	assert_int_equal(rd(f, PL061_RIS), 0);
	pl061_io(&f->g, 0xffc, b, 4, true);
	assert_int_equal(rd(f, 0xffc), 0xb1);
	assert_int_equal(f->r.level, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback_and_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rising_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_falling_and_both_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_accesses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
