/* The address-space bus: registration checks (zero length, wrap-around,
 * every kind of overlap), boundaries of lookups, dispatch offsets, and
 * removal. */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "testlib.h"

struct rec {
	uint64_t off;
	uint32_t len;
	bool wr;
	int calls;
};

static void h(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct rec *r = opaque;
	r->off = off;
	r->len = len;
	r->wr = is_write;
	r->calls++;
	if (!is_write)
		memset(data, 0x5a, len);
}

static void registration_rules(void **state)
{
	(void)state;
	struct bus b = BUS_INIT("test");
	struct rec r = {0};
	assert_int_equal(bus_register(&b, 0x100, 0, h, &r, "zero"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(bus_register(&b, ~0ull - 3, 8, h, &r, "wrap"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(bus_register(&b, 0x100, 8, NULL, &r, "nofn"), -1);
	assert_int_equal(bus_register(&b, 0x100, 8, h, &r, "a"), 0);
	/* Overlaps: same range, inside, straddling either end, covering. */
	const uint64_t bad[][2] = {{0x100, 8}, {0x102, 2}, {0xfc, 8}, {0x107, 4}, {0xf0, 0x40},
				   {0x107, 1}, {0xff, 2}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bus_register(&b, bad[i][0], bad[i][1], h, &r, "x"), -1);
		assert_int_equal(errno, EEXIST);
	}
	/* Neighbours touching either end are fine. */
	assert_int_equal(bus_register(&b, 0xf8, 8, h, &r, "below"), 0);
	assert_int_equal(bus_register(&b, 0x108, 8, h, &r, "above"), 0);
	/* The very top of the address space is usable. */
	assert_int_equal(bus_register(&b, ~0ull - 7, 8, h, &r, "top"), 0);
	assert_int_equal(b.n, 4);
	for (size_t i = 1; i < b.n; i++)
		assert_true(b.r[i - 1].base + b.r[i - 1].len <= b.r[i].base);
	bus_free(&b);
}

static void lookup_boundaries(void **state)
{
	(void)state;
	struct bus b = BUS_INIT("test");
	struct rec r = {0};
	struct bus_range out;
	assert_int_equal(bus_register(&b, 0x3f8, 8, h, &r, "uart"), 0);
	assert_true(bus_find(&b, 0x3f8, 1, &out));
	assert_string_equal(out.name, "uart");
	assert_true(bus_find(&b, 0x3ff, 1, &out));
	assert_true(bus_find(&b, 0x3fc, 4, &out));
	assert_false(bus_find(&b, 0x3f7, 1, &out));
	assert_false(bus_find(&b, 0x400, 1, &out));
	assert_false(bus_find(&b, 0x3fe, 4, &out)); /* straddles the end */
	assert_false(bus_find(&b, 0x3f6, 4, &out)); /* straddles the start */
	assert_false(bus_find(&b, 0x3f8, 0, &out));
	assert_false(bus_find(&b, ~0ull, 2, &out));
	bus_free(&b);
}

static void dispatch_offsets(void **state)
{
	(void)state;
	struct bus b = BUS_INIT("test");
	struct rec a = {0}, c = {0};
	assert_int_equal(bus_register(&b, 0x1000, 0x100, h, &a, "a"), 0);
	assert_int_equal(bus_register(&b, 0x2000, 0x100, h, &c, "c"), 0);
	uint8_t d[8] = {0};
	assert_true(bus_access(&b, 0x1010, d, 4, false));
	assert_int_equal(a.off, 0x10);
	assert_int_equal(a.len, 4);
	assert_false(a.wr);
	assert_int_equal(d[0], 0x5a);
	assert_true(bus_access(&b, 0x20ff, d, 1, true));
	assert_int_equal(c.off, 0xff);
	assert_true(c.wr);
	assert_false(bus_access(&b, 0x1100, d, 1, false));
	assert_int_equal(a.calls + c.calls, 2);
	bus_free(&b);
}

static void unregister_and_reuse(void **state)
{
	(void)state;
	struct bus b = BUS_INIT("test");
	struct rec r = {0};
	struct bus_range out;
	for (uint64_t i = 0; i < 100; i++) /* grows past the initial capacity */
		assert_int_equal(bus_register(&b, 0x10000 + i * 0x1000, 0x1000, h, &r, "bar"), 0);
	assert_int_equal(bus_unregister(&b, 0x10800), -1); /* not a base */
	assert_int_equal(errno, ENOENT);
	assert_int_equal(bus_unregister(&b, 0x20000), 0);
	assert_false(bus_find(&b, 0x20000, 4, &out));
	assert_true(bus_find(&b, 0x21000, 4, &out));
	assert_int_equal(bus_register(&b, 0x20000, 0x800, h, &r, "moved"), 0);
	assert_true(bus_find(&b, 0x207fc, 4, &out));
	assert_string_equal(out.name, "moved");
	assert_false(bus_find(&b, 0x20800, 4, &out));
	bus_free(&b);
}

/* A fixed range's handler runs outside the bus lock: an ECAM config
 * write moves a BAR on the same bus (arm64). A plain handler doing this
 * would wait for ever on the write lock its own read lock holds. */
struct mover {
	struct bus *b;
	int moves;
	struct rec bar;
};

static void mover_h(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct mover *mv = opaque;
	(void)off;
	(void)len;
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	bus_unregister(mv->b, 0x1000 + (uint64_t)mv->moves * 0x100);
	mv->moves++;
	assert_int_equal(bus_register(mv->b, 0x1000 + (uint64_t)mv->moves * 0x100, 0x100, h,
				      &mv->bar, "bar"),
			 0);
	data[0] = 1;
}

static void fixed_range_moves_others(void **state)
{
	(void)state;
	struct bus b = BUS_INIT("test");
	struct mover mv = {&b, 0, {0}};
	assert_int_equal(bus_register_fixed(&b, 0x100000, 0x1000, mover_h, &mv, "ecam"), 0);
	assert_int_equal(bus_register(&b, 0x1000, 0x100, h, &mv.bar, "bar"), 0);
	uint8_t v = 1;
	for (int i = 0; i < 3; i++)
		assert_true(bus_access(&b, 0x100000, &v, 1, true));
	assert_int_equal(mv.moves, 3);
	assert_true(bus_access(&b, 0x1300, &v, 1, false));
	assert_int_equal(mv.bar.calls, 1);
	assert_false(bus_access(&b, 0x1000, &v, 1, false));
	/* A fixed range stays. */
	assert_int_equal(bus_unregister(&b, 0x100000), -1);
	assert_int_equal(errno, EBUSY);
	assert_true(bus_access(&b, 0x100fff, &v, 1, false));
	bus_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(registration_rules),
		cmocka_unit_test(lookup_boundaries),
		cmocka_unit_test(dispatch_offsets),
		cmocka_unit_test(unregister_and_reuse),
		cmocka_unit_test(fixed_range_moves_others),
	};
	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
