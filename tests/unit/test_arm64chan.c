/*
 * test_arm64chan: the arm64 channel window (src/common/arm64map.h, chosen
 * by channel.h on arm64) on this host: channel.c compiled again with
 * CHANNEL_ARM64, its functions renamed so they sit beside the PC's. The
 * window must lie inside the ECAM bridge's 32-bit window (a guest's host
 * bridge driver only sees BARs inside its ranges), above the virtio BARs,
 * below the ECAM and inside the guest's identity-mapped device GiB; and
 * the placement rules take arm64 addresses and refuse the PC's.
 */
#define CHANNEL_ARM64
#define channel_check_one a64_channel_check_one
#define channel_span_end a64_channel_span_end
#define channel_collide a64_channel_collide
#define channel_check_layout a64_channel_check_layout
#define channel_parse a64_channel_parse
#define channel_setup a64_channel_setup
#include "../../src/vmm/dev/channel.c"

#undef channel_check_one
unsigned channel_check_one(uint64_t gpa, uint64_t size);

#include "testlib.h"

static void window_in_the_map(void **state)
{
	(void)state;
	assert_int_equal(CHANNEL_WINDOW_START, ARM64_CHANNEL_WINDOW_START);
	assert_true(ARM64_CHANNEL_WINDOW_START >= ARM64_PCI_MMIO_BASE + (256ull << 20));
	assert_true(ARM64_CHANNEL_WINDOW_END <= ARM64_PCI_MMIO_BASE + ARM64_PCI_MMIO_SIZE);
	assert_true(ARM64_CHANNEL_WINDOW_END <= ARM64_PCI_ECAM_BASE);
	assert_true(ARM64_CHANNEL_WINDOW_END <= ARM64_RAM_BASE);
	assert_true(ARM64_CHANNEL_WINDOW_START > ARM64_DEBUGEXIT_BASE + ARM64_DEBUGEXIT_SIZE);
}

static void placement(void **state)
{
	(void)state;
	struct channel_cfg c;
	char err[256];
	/* lab/arm64/arm64chan-pingpong.cfg's channel */
	assert_int_equal(a64_channel_check_one(0x30000000ull, 0x10000), 0);
	assert_int_equal(a64_channel_check_one(ARM64_CHANNEL_WINDOW_START, 1ull << 20), 0);
	/* the PC's addresses are outside it */
	assert_int_equal(a64_channel_check_one(0xe0000000ull, 0x10000), CHANNEL_BAD_WINDOW);
	/* below the window: the virtio BARs' place */
	assert_int_equal(a64_channel_check_one(0x10000000ull, 0x10000), CHANNEL_BAD_WINDOW);
	/* the last page of the window would be the doorbell's, past the end */
	assert_int_equal(a64_channel_check_one(ARM64_CHANNEL_WINDOW_END - 0x10000, 0x10000),
			 CHANNEL_BAD_WINDOW);
	assert_int_equal(a64_channel_parse("gpa=0x30000000,size=64K,mem=10,out=11,in=12", &c, err,
					   sizeof(err)), 0);
	assert_int_equal(a64_channel_parse("gpa=0xe0000000,size=64K,mem=10,out=11,in=12", &c, err,
					   sizeof(err)), -1);
	/* and the PC's build keeps its own window */
	assert_int_equal(channel_check_one(0xe0000000ull, 0x10000), 0);
	assert_int_equal(channel_check_one(0x30000000ull, 0x10000), CHANNEL_BAD_WINDOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(window_in_the_map),
		cmocka_unit_test(placement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
