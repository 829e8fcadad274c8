/* test_net_hdr: the virtio-net header checks (virtio 1.2, 5.1.6) and the
 * map between TAP offloads and offered features (5.1.3). */
#include "testlib.h"

#include <linux/if_tun.h>
#include <string.h>

#include "net_hdr.h"
#include "tap.h"

#define B(f) NET_BIT(NET_F_##f)

static void test_offered_follows_tap(void **state)
{
	(void)state;
	/* A TAP with no offloads: transmit offloads only. */
	uint64_t f = net_hdr_offered(0);
	assert_true(f & B(CSUM));
	assert_true(f & B(HOST_TSO4));
	assert_false(f & (B(GUEST_CSUM) | B(GUEST_TSO4) | B(GUEST_TSO6) | B(GUEST_UFO) |
			  B(HOST_UFO) | B(GUEST_ECN)));
	/* TSO flags without CSUM are meaningless and offer nothing. */
	assert_false(net_hdr_offered(TUN_F_TSO4 | TUN_F_TSO6) & B(GUEST_TSO4));
	f = net_hdr_offered(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_UFO);
	assert_true(f & B(GUEST_CSUM));
	assert_true(f & B(GUEST_TSO4));
	assert_true(f & B(GUEST_TSO6));
	assert_true(f & B(GUEST_ECN));
	assert_true(f & B(GUEST_UFO));
	assert_true(f & B(HOST_UFO));
	/* GUEST_ECN needs a TSO (5.1.3.1). */
	assert_false(net_hdr_offered(TUN_F_CSUM | TUN_F_TSO_ECN) & B(GUEST_ECN));
	/* And back: what the guest took is what the TAP may produce. */
	assert_int_equal(net_hdr_tun_offloads(B(GUEST_CSUM) | B(GUEST_TSO4)),
			 TUN_F_CSUM | TUN_F_TSO4);
	assert_int_equal(net_hdr_tun_offloads(B(GUEST_TSO4)), 0);
	assert_int_equal(net_hdr_tun_offloads(B(CSUM) | B(HOST_TSO4)), 0);
}

static struct net_hdr hdr(uint8_t flags, uint8_t gso, uint16_t hlen, uint16_t gsz,
			  uint16_t cs, uint16_t co)
{
	struct net_hdr h = {flags, gso, hlen, gsz, cs, co, 0x7777};
	return h;
}

static void test_tx_checks(void **state)
{
	(void)state;
	const uint64_t all = B(CSUM) | B(HOST_TSO4) | B(HOST_TSO6) | B(HOST_ECN);
	struct net_hdr h = hdr(0, 0, 0, 0, 0, 0);
	assert_int_equal(net_hdr_tx(&h, 60, 0), NET_HDR_OK);
	assert_int_equal(h.num_buffers, 0);
	/* Unknown and receive-only flags are ignored (5.1.6.2.2). */
	h = hdr(0xfe, 0, 0, 0, 0, 0);
	assert_int_equal(net_hdr_tx(&h, 60, 0), NET_HDR_OK);
	assert_int_equal(h.flags, 0);
	/* Lengths. */
	h = hdr(0, 0, 0, 0, 0, 0);
	assert_int_equal(net_hdr_tx(&h, 13, all), NET_HDR_BAD_LEN);
	assert_int_equal(net_hdr_tx(&h, NET_MAX_FRAME + 1, all), NET_HDR_BAD_LEN);
	assert_int_equal(net_hdr_tx(&h, NET_MAX_FRAME, all), NET_HDR_OK);
	/* A partial checksum: negotiated, and stored inside the frame. */
	h = hdr(NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	assert_int_equal(net_hdr_tx(&h, 60, 0), NET_HDR_BAD_CSUM);
	assert_int_equal(net_hdr_tx(&h, 60, all), NET_HDR_OK);
	assert_int_equal(net_hdr_tx(&h, 51, all), NET_HDR_BAD_CSUM);
	assert_int_equal(net_hdr_tx(&h, 52, all), NET_HDR_OK);
	h = hdr(NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0xffff, 0xffff);
	assert_int_equal(net_hdr_tx(&h, 60, all), NET_HDR_BAD_CSUM);
	/* GSO: negotiated type, with NEEDS_CSUM, a segment size, headers in. */
	h = hdr(NET_HDR_F_NEEDS_CSUM, NET_HDR_GSO_TCPV4, 54, 1448, 34, 16);
	assert_int_equal(net_hdr_tx(&h, 3000, all), NET_HDR_OK);
	assert_int_equal(net_hdr_tx(&h, 3000, B(CSUM)), NET_HDR_BAD_GSO);
	h = hdr(0, NET_HDR_GSO_TCPV4, 54, 1448, 34, 16);
	assert_int_equal(net_hdr_tx(&h, 3000, all), NET_HDR_BAD_GSO);
	h = hdr(NET_HDR_F_NEEDS_CSUM, NET_HDR_GSO_TCPV4, 54, 0, 34, 16);
	assert_int_equal(net_hdr_tx(&h, 3000, all), NET_HDR_BAD_GSO);
	h = hdr(NET_HDR_F_NEEDS_CSUM, NET_HDR_GSO_TCPV4, 4000, 1448, 34, 16);
	assert_int_equal(net_hdr_tx(&h, 3000, all), NET_HDR_BAD_GSO);
	h = hdr(NET_HDR_F_NEEDS_CSUM, NET_HDR_GSO_UDP, 42, 1400, 34, 6);
	assert_int_equal(net_hdr_tx(&h, 3000, all), NET_HDR_BAD_GSO);
	assert_int_equal(net_hdr_tx(&h, 3000, all | B(HOST_UFO)), NET_HDR_OK);
	h = hdr(NET_HDR_F_NEEDS_CSUM, NET_HDR_GSO_TCPV6 | NET_HDR_GSO_ECN, 74, 1428, 54, 16);
	assert_int_equal(net_hdr_tx(&h, 3000, all), NET_HDR_OK);
	assert_int_equal(net_hdr_tx(&h, 3000, all & ~B(HOST_ECN)), NET_HDR_BAD_GSO);
	h = hdr(0, NET_HDR_GSO_ECN, 0, 0, 0, 0);
	assert_int_equal(net_hdr_tx(&h, 60, all), NET_HDR_BAD_GSO);
	for (unsigned type = 6; type < 0x80; type++) {
		h = hdr(NET_HDR_F_NEEDS_CSUM, (uint8_t)type, 54, 1448, 34, 16);
		assert_int_equal(net_hdr_tx(&h, 3000, ~0ull), NET_HDR_BAD_GSO);
	}
}

static void test_rx_fixups(void **state)
{
	(void)state;
	/* Without GUEST_CSUM the flags go to zero (5.1.6.4.1). */
	struct net_hdr h = hdr(NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	assert_int_equal(net_hdr_rx(&h, 60, 0, 3), NET_HDR_OK);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.num_buffers, 3);
	h = hdr(NET_HDR_F_DATA_VALID | 0x80, 0, 0, 0, 0, 0);
	assert_int_equal(net_hdr_rx(&h, 60, B(GUEST_CSUM), 1), NET_HDR_OK);
	assert_int_equal(h.flags, NET_HDR_F_DATA_VALID);
	/* A partial checksum the guest cannot take is refused, not passed. */
	h = hdr(NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	assert_int_equal(net_hdr_rx(&h, 60, 0, 1), NET_HDR_BAD_CSUM);
	h = hdr(NET_HDR_F_NEEDS_CSUM, NET_HDR_GSO_TCPV4, 54, 1448, 34, 16);
	assert_int_equal(net_hdr_rx(&h, 3000, B(GUEST_CSUM), 1), NET_HDR_BAD_GSO);
	assert_int_equal(net_hdr_rx(&h, 3000, B(GUEST_CSUM) | B(GUEST_TSO4), 1), NET_HDR_OK);
	h = hdr(NET_HDR_F_NEEDS_CSUM, NET_HDR_GSO_UDP_L4, 42, 1400, 34, 6);
	assert_int_equal(net_hdr_rx(&h, 3000, B(GUEST_CSUM), 1), NET_HDR_BAD_GSO);
	assert_int_equal(net_hdr_rx(&h, 3000, B(GUEST_CSUM) | B(GUEST_USO6), 1), NET_HDR_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offered_follows_tap),
		cmocka_unit_test(test_tx_checks),
		cmocka_unit_test(test_rx_fixups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
