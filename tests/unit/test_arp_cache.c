/*
 * ARP and Ethernet in the stack (RFC 826, RFC 1122 2.3.2, RFC 5227): one
 * stack with an Ethernet interface whose link records every frame, and a
 * peer played by hand. Time is explicit: "nothing at T-1, the request at T".
 */
#include "../harness.h"

#include "utcp/socket.h"
#include "utcp/stack.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#include <errno.h>
#include <stdlib.h>

#define US utcp_ipv4(10, 0, 0, 2)
#define PEER utcp_ipv4(10, 0, 0, 1)
#define MAX_FRAMES 64

static const uint8_t us_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t peer_mac2[6] = {0x02, 0, 0, 0, 0, 0x11};

struct eth_world {
	struct utcp_stack *s;
	uint8_t frame[MAX_FRAMES][1600];
	size_t len[MAX_FRAMES];
	int n, next; /* frames captured, next one a test looks at */
};

static int capture(void *ctx, const uint8_t *p, size_t len)
{
	struct eth_world *w = ctx;
	if (w->n < MAX_FRAMES && len <= sizeof(w->frame[0])) {
		memcpy(w->frame[w->n], p, len);
		w->len[w->n++] = len;
	}
	return 0;
}

static const struct utcp_link_ops capture_ops = {.output = capture};

static struct eth_world *world_new(void)
{
	struct eth_world *w = calloc(1, sizeof(*w));
	REQUIRE(w);
	struct utcp_stack_config cfg;
	utcp_stack_config_default(&cfg);
	REQUIRE_EQ(utcp_stack_new(&cfg, &w->s), 0);
	struct utcp_iface_config ic = {.name = "tap0", .addr = US, .prefix_len = 24, .mtu = 1500,
				       .ops = &capture_ops, .link_ctx = w,
				       .kind = UTCP_IFACE_ETHERNET};
	memcpy(ic.mac, us_mac, 6);
	REQUIRE_EQ(utcp_iface_add(w->s, &ic), 0);
	return w;
}

static void world_free(struct eth_world *w)
{
	utcp_stack_free(w->s);
	free(w);
}

static struct utcp_stats stats(struct eth_world *w)
{
	struct utcp_stats st;
	utcp_stack_stats(w->s, &st);
	return st;
}

/* The next frame the stack sent, or NULL. */
static const uint8_t *next_frame(struct eth_world *w, size_t *len)
{
	if (w->next >= w->n)
		return NULL;
	*len = w->len[w->next];
	return w->frame[w->next++];
}

/* Expect the next frame to be an ARP packet; returns it parsed. */
static struct arp_pkt expect_arp(struct eth_world *w, const uint8_t *eth_dst, uint16_t op)
{
	size_t len;
	const uint8_t *f = next_frame(w, &len);
	struct arp_pkt a = {0};
	if (!f) {
		test_fail_at(__FILE__, __LINE__, "expected an ARP frame, got nothing");
		test_abort_current();
	}
	struct eth_hdr h;
	REQUIRE_EQ(eth_parse(f, len, &h), ETH_OK);
	CHECK_EQ(len, ETH_MIN_FRAME);
	CHECK_EQ(h.type, ETH_TYPE_ARP);
	CHECK(memcmp(h.dst, eth_dst, 6) == 0);
	CHECK(memcmp(h.src, us_mac, 6) == 0);
	REQUIRE_EQ(arp_parse(f + ETH_HDR_LEN, len - ETH_HDR_LEN, &a), ARP_OK);
	CHECK_EQ(a.op, op);
	CHECK(memcmp(a.sha, us_mac, 6) == 0);
	CHECK_EQ(a.spa, US);
	return a;
}

/* Expect an IPv4 frame to eth_dst; returns the ICMP echo sequence number
 * it carries (our echo replies are what the tests make us send). */
static int expect_echo_reply(struct eth_world *w, const uint8_t *eth_dst)
{
	size_t len;
	const uint8_t *f = next_frame(w, &len);
	if (!f) {
		test_fail_at(__FILE__, __LINE__, "expected an IPv4 frame, got nothing");
		test_abort_current();
	}
	struct eth_hdr h;
	REQUIRE_EQ(eth_parse(f, len, &h), ETH_OK);
	REQUIRE_EQ(h.type, ETH_TYPE_IPV4);
	CHECK(memcmp(h.dst, eth_dst, 6) == 0);
	struct ipv4_hdr ip;
	REQUIRE_EQ(ipv4_parse(f + ETH_HDR_LEN, len - ETH_HDR_LEN, &ip), IPV4_OK);
	CHECK_EQ(ip.dst, PEER);
	REQUIRE_EQ(ip.proto, IPV4_PROTO_ICMP);
	const uint8_t *icmp = f + ETH_HDR_LEN + ip.hdr_len;
	CHECK_EQ(icmp[0], ICMP_ECHO_REPLY);
	return load_be16(icmp + 6);
}

static void expect_nothing(struct eth_world *w)
{
	size_t len;
	if (next_frame(w, &len))
		test_fail_at(__FILE__, __LINE__, "expected no frame, got %zu bytes", len);
}

static void input(struct eth_world *w, const uint8_t *f, size_t len, utcp_time_us at)
{
	utcp_stack_input(w->s, 0, f, len, at);
}

/* The peer sends an ARP packet from sha/spa to us. */
static void peer_arp(struct eth_world *w, uint16_t op, const uint8_t *sha, uint32_t spa,
		     uint32_t tpa, const uint8_t *eth_dst, utcp_time_us at)
{
	uint8_t f[ETH_MIN_FRAME] = {0};
	struct eth_hdr h = {.type = ETH_TYPE_ARP};
	memcpy(h.dst, eth_dst, 6);
	memcpy(h.src, sha, 6);
	eth_emit(f, &h);
	struct arp_pkt a = {.op = op, .spa = spa, .tpa = tpa};
	memcpy(a.sha, sha, 6);
	if (op == ARP_OP_REPLY)
		memcpy(a.tha, us_mac, 6);
	arp_emit(f + ETH_HDR_LEN, &a);
	input(w, f, sizeof(f), at);
}

/* The peer pings us (an IPv4 frame to our MAC): our reply needs ARP. */
static void peer_ping(struct eth_world *w, uint16_t seq, utcp_time_us at)
{
	uint8_t f[ETH_HDR_LEN + IPV4_HDR_LEN + 8 + 4] = {0};
	struct eth_hdr h = {.type = ETH_TYPE_IPV4};
	memcpy(h.dst, us_mac, 6);
	memcpy(h.src, peer_mac, 6);
	eth_emit(f, &h);
	uint8_t *icmp = f + ETH_HDR_LEN + IPV4_HDR_LEN;
	icmp[0] = ICMP_ECHO_REQUEST;
	store_be16(icmp + 4, 77);
	store_be16(icmp + 6, seq);
	memcpy(icmp + 8, "ping", 4);
	store_be16(icmp + 2, csum_buf(icmp, 12));
	struct ipv4_hdr ip = {.total_len = IPV4_HDR_LEN + 12, .ttl = 64,
			      .proto = IPV4_PROTO_ICMP, .src = PEER, .dst = US};
	ipv4_emit(f + ETH_HDR_LEN, &ip);
	input(w, f, sizeof(f), at);
}

TEST(arp_gratuitous_announcement_when_the_interface_comes_up)
{
	struct eth_world *w = world_new();
	struct arp_pkt a = expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	CHECK_EQ(a.tpa, US); /* RFC 5227 3: sender and target both ours */
	CHECK(eth_addr_is_zero(a.tha));
	expect_nothing(w);
	CHECK_EQ(utcp_stack_next_deadline(w->s), UTCP_TIME_NEVER);
	world_free(w);
}

TEST(arp_request_for_us_is_answered_and_its_sender_learned)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	peer_arp(w, ARP_OP_REQUEST, peer_mac, PEER, US, eth_broadcast, UTCP_SEC(1));
	struct arp_pkt r = expect_arp(w, peer_mac, ARP_OP_REPLY);
	CHECK(memcmp(r.tha, peer_mac, 6) == 0);
	CHECK_EQ(r.tpa, PEER);
	/* RFC 826: the requester was added, so our echo reply needs no ARP. */
	peer_ping(w, 1, UTCP_SEC(2));
	CHECK_EQ(expect_echo_reply(w, peer_mac), 1);
	expect_nothing(w);
	CHECK_EQ(stats(w).arp_reply_out, 1);
	CHECK_EQ(stats(w).arp_request_out, 1);
	world_free(w);
}

TEST(arp_request_for_another_host_is_neither_answered_nor_learned)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	peer_arp(w, ARP_OP_REQUEST, peer_mac, PEER, utcp_ipv4(10, 0, 0, 3), eth_broadcast, 10);
	expect_nothing(w);
	/* Our reply to a ping must ask first, and waits for the answer. */
	peer_ping(w, 1, 20);
	struct arp_pkt q = expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	CHECK_EQ(q.tpa, PEER);
	expect_nothing(w);
	CHECK_EQ(stats(w).arp_queued, 1);
	peer_arp(w, ARP_OP_REPLY, peer_mac, PEER, US, us_mac, 30);
	CHECK_EQ(expect_echo_reply(w, peer_mac), 1);
	expect_nothing(w);
	world_free(w);
}

TEST(arp_resolution_asks_once_a_second_three_times_then_gives_up)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	utcp_time_us t0 = UTCP_SEC(5);
	peer_ping(w, 1, t0);
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	CHECK_EQ(utcp_stack_next_deadline(w->s), t0 + UTCP_SEC(1));
	/* RFC 1122 2.3.2.1: no more than one request a second. */
	peer_ping(w, 2, t0 + UTCP_MS(500));
	expect_nothing(w);
	utcp_stack_poll(w->s, t0 + UTCP_SEC(1) - 1);
	expect_nothing(w);
	utcp_stack_poll(w->s, t0 + UTCP_SEC(1));
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	utcp_stack_poll(w->s, t0 + UTCP_SEC(2));
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	utcp_stack_poll(w->s, t0 + UTCP_SEC(3) - 1);
	expect_nothing(w);
	CHECK_EQ(stats(w).arp_drop_unresolved, 0);
	utcp_stack_poll(w->s, t0 + UTCP_SEC(3));
	expect_nothing(w);
	CHECK_EQ(stats(w).arp_drop_unresolved, 2); /* both held replies */
	CHECK_EQ(utcp_stack_next_deadline(w->s), UTCP_TIME_NEVER);
	/* Forgotten: the next reply starts a new resolution. */
	peer_ping(w, 3, t0 + UTCP_SEC(4));
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	world_free(w);
}

TEST(arp_hold_queue_is_bounded_and_keeps_the_latest_in_order)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	for (int i = 0; i < 20; i++)
		peer_ping(w, (uint16_t)i, 100 + (utcp_time_us)i);
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	expect_nothing(w);
	CHECK_EQ(stats(w).arp_queued, 20);
	CHECK_EQ(stats(w).arp_drop_queue_full, 4); /* the four oldest */
	peer_arp(w, ARP_OP_REPLY, peer_mac, PEER, US, us_mac, 200);
	for (int i = 4; i < 20; i++)
		CHECK_EQ(expect_echo_reply(w, peer_mac), i);
	expect_nothing(w);
	world_free(w);
}

TEST(arp_entry_is_rechecked_by_unicast_after_its_time_and_dropped_when_silent)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	peer_arp(w, ARP_OP_REQUEST, peer_mac, PEER, US, eth_broadcast, UTCP_SEC(1));
	expect_arp(w, peer_mac, ARP_OP_REPLY);
	/* Fresh for 60 s: used without a question. */
	peer_ping(w, 1, UTCP_SEC(61) - 1);
	CHECK_EQ(expect_echo_reply(w, peer_mac), 1);
	expect_nothing(w);
	/* Then a unicast poll, while the reply still goes out. */
	utcp_time_us t = UTCP_SEC(61);
	peer_ping(w, 2, t);
	expect_arp(w, peer_mac, ARP_OP_REQUEST);
	CHECK_EQ(expect_echo_reply(w, peer_mac), 2);
	utcp_stack_poll(w->s, t + UTCP_SEC(1));
	expect_arp(w, peer_mac, ARP_OP_REQUEST);
	utcp_stack_poll(w->s, t + UTCP_SEC(2));
	expect_arp(w, peer_mac, ARP_OP_REQUEST);
	utcp_stack_poll(w->s, t + UTCP_SEC(3));
	expect_nothing(w);
	/* Forgotten: the next reply asks the whole link again. */
	peer_ping(w, 3, t + UTCP_SEC(4));
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	world_free(w);
}

TEST(arp_any_packet_from_a_known_sender_updates_its_address)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	peer_arp(w, ARP_OP_REQUEST, peer_mac, PEER, US, eth_broadcast, 10);
	expect_arp(w, peer_mac, ARP_OP_REPLY);
	/* A gratuitous ARP (RFC 5227) with a new address: merged. */
	peer_arp(w, ARP_OP_REQUEST, peer_mac2, PEER, PEER, eth_broadcast, 20);
	expect_nothing(w);
	peer_ping(w, 9, 30);
	CHECK_EQ(expect_echo_reply(w, peer_mac2), 9);
	world_free(w);
}

TEST(arp_garbage_is_dropped_and_counted_by_reason)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	uint8_t f[ETH_MIN_FRAME] = {0};
	struct eth_hdr h = {.type = ETH_TYPE_ARP};
	memcpy(h.dst, eth_broadcast, 6);
	memcpy(h.src, peer_mac, 6);
	eth_emit(f, &h);
	struct arp_pkt a = {.op = ARP_OP_REQUEST, .spa = PEER, .tpa = US};
	memcpy(a.sha, peer_mac, 6);
	arp_emit(f + ETH_HDR_LEN, &a);

	input(w, f, ETH_HDR_LEN + ARP_LEN - 1, 1); /* short */
	uint8_t g[sizeof(f)];
	memcpy(g, f, sizeof(f));
	g[ETH_HDR_LEN + 1] = 6; /* hardware type 6 */
	input(w, g, sizeof(g), 2);
	memcpy(g, f, sizeof(f));
	g[ETH_HDR_LEN + 7] = 9; /* operation 9 */
	input(w, g, sizeof(g), 3);
	memcpy(g, f, sizeof(f));
	memcpy(g + ETH_HDR_LEN + 8, eth_broadcast, 6); /* group sender */
	input(w, g, sizeof(g), 4);
	memcpy(g, f, sizeof(f));
	store_be32(g + ETH_HDR_LEN + 14, US); /* someone claims our address */
	input(w, g, sizeof(g), 5);
	input(w, f, 10, 6); /* not even an Ethernet header */
	struct utcp_stats st = stats(w);
	CHECK_EQ(st.arp_drop_short, 1);
	CHECK_EQ(st.arp_drop_format, 1);
	CHECK_EQ(st.arp_drop_op, 1);
	CHECK_EQ(st.arp_drop_bad_sender, 1);
	CHECK_EQ(st.arp_conflict, 1);
	CHECK_EQ(st.eth_drop_short, 1);
	CHECK_EQ(st.arp_in, 5);
	expect_nothing(w);
	/* Still itself: a good request is answered. */
	input(w, f, sizeof(f), 7);
	expect_arp(w, peer_mac, ARP_OP_REPLY);
	world_free(w);
}

TEST(eth_frames_for_other_stations_and_protocols_are_counted)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	uint8_t f[ETH_MIN_FRAME] = {0};
	struct eth_hdr h = {.type = 0x86dd}; /* IPv6 */
	memcpy(h.dst, us_mac, 6);
	memcpy(h.src, peer_mac, 6);
	eth_emit(f, &h);
	input(w, f, sizeof(f), 1);
	h.type = ETH_TYPE_IPV4;
	memcpy(h.dst, peer_mac2, 6); /* another station */
	eth_emit(f, &h);
	input(w, f, sizeof(f), 2);
	const uint8_t mcast[6] = {0x33, 0x33, 0, 0, 0, 1};
	memcpy(h.dst, mcast, 6); /* a group we did not join */
	eth_emit(f, &h);
	input(w, f, sizeof(f), 3);
	struct utcp_stats st = stats(w);
	CHECK_EQ(st.eth_in, 3);
	CHECK_EQ(st.eth_drop_ethertype, 1);
	CHECK_EQ(st.eth_drop_not_ours, 2);
	CHECK_EQ(st.ip_in, 0);
	expect_nothing(w);
	world_free(w);
}

TEST(eth_tcp_connect_waits_for_arp_then_sends_the_syn)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	int fd = utcp_socket(w->s);
	REQUIRE(fd >= 0);
	struct utcp_sockaddr to = {PEER, 80};
	CHECK_EQ(utcp_connect(w->s, fd, &to), -EINPROGRESS);
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	expect_nothing(w);
	peer_arp(w, ARP_OP_REPLY, peer_mac, PEER, US, us_mac, 100);
	size_t len;
	const uint8_t *f = next_frame(w, &len);
	REQUIRE(f);
	CHECK(memcmp(f, peer_mac, 6) == 0);
	CHECK(memcmp(f + 6, us_mac, 6) == 0);
	CHECK_EQ(load_be16(f + 12), ETH_TYPE_IPV4);
	CHECK_EQ(f[ETH_HDR_LEN + IPV4_HDR_LEN + 13], UTCP_TH_SYN);
	CHECK_EQ(len, ETH_HDR_LEN + IPV4_HDR_LEN + load_be16(f + ETH_HDR_LEN + 2) - IPV4_HDR_LEN);
	utcp_close(w->s, fd);
	world_free(w);
}

TEST(eth_interface_refuses_a_group_or_zero_station_address)
{
	struct utcp_stack *s;
	struct utcp_stack_config cfg;
	utcp_stack_config_default(&cfg);
	REQUIRE_EQ(utcp_stack_new(&cfg, &s), 0);
	struct utcp_iface_config ic = {.addr = US, .prefix_len = 24, .mtu = 1500,
				       .ops = &capture_ops, .kind = UTCP_IFACE_ETHERNET};
	CHECK_EQ(utcp_iface_add(s, &ic), -EINVAL);
	memcpy(ic.mac, eth_broadcast, 6);
	CHECK_EQ(utcp_iface_add(s, &ic), -EINVAL);
	utcp_stack_free(s);
}

/* RFC 9293 3.8.3: at R1 retransmissions TCP gives IP "negative advice"
 * (MUST-20): the next hop's ARP entry, fresh for 60 s otherwise, is
 * re-checked with a unicast request before the retransmission goes; and
 * the application hears of the trouble as a soft error (SHLD-9). */
TEST(eth_negative_advice_at_r1_rechecks_the_next_hop)
{
	struct eth_world *w = world_new();
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	int fd = utcp_socket(w->s);
	struct utcp_sockaddr to = {PEER, 80};
	CHECK_EQ(utcp_connect(w->s, fd, &to), -EINPROGRESS);
	expect_arp(w, eth_broadcast, ARP_OP_REQUEST);
	peer_arp(w, ARP_OP_REPLY, peer_mac, PEER, US, us_mac, 100);
	size_t len;
	REQUIRE(next_frame(w, &len)); /* the SYN */
	/* SYN retransmissions at 1 and 3 s: the entry is trusted. */
	for (unsigned t = 1; t <= 3; t += 2) {
		utcp_stack_poll(w->s, UTCP_SEC(t) + 100);
		const uint8_t *f = next_frame(w, &len);
		REQUIRE(f);
		CHECK_EQ(load_be16(f + 12), ETH_TYPE_IPV4);
		expect_nothing(w);
	}
	CHECK_EQ(utcp_poll_events(w->s, fd) & UTCP_POLLSOFTERR, 0);
	/* The third (R1 = 3) at 7 s: first a unicast ARP poll, then the SYN. */
	utcp_stack_poll(w->s, UTCP_SEC(7) + 100);
	expect_arp(w, peer_mac, ARP_OP_REQUEST);
	const uint8_t *f = next_frame(w, &len);
	REQUIRE(f);
	CHECK_EQ(load_be16(f + 12), ETH_TYPE_IPV4);
	CHECK_EQ(stats(w).tcp_negative_advice, 1);
	CHECK(utcp_poll_events(w->s, fd) & UTCP_POLLSOFTERR);
	int e = 0;
	size_t elen = sizeof(e);
	REQUIRE_EQ(utcp_getsockopt(w->s, fd, UTCP_SOL_UTCP, UTCP_UTCP_SOFT_ERROR, &e, &elen), 0);
	CHECK_EQ(e, ETIMEDOUT);
	CHECK(!(utcp_poll_events(w->s, fd) & UTCP_POLLERR)); /* not fatal */
	utcp_close(w->s, fd);
	world_free(w);
}
