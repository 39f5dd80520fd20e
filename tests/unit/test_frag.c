/*
 * IPv4 reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.3.2) and the
 * fragmentation of large ICMP replies, on one stack with an IP interface
 * whose link records every datagram. A ping of 3000 bytes is the
 * datagram: split by hand, delivered in any order, answered when whole.
 */
#include "../harness.h"

#include "utcp/stack.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#include <stdlib.h>

#define US utcp_ipv4(10, 0, 0, 2)
#define PEER utcp_ipv4(10, 0, 0, 1)
#define PING_DATA 3000
#define PING_LEN (ICMP_HDR_LEN + PING_DATA)

struct ip_world {
	struct utcp_stack *s;
	uint8_t pkt[16][1600];
	size_t len[16];
	int n;
	uint8_t ping[PING_LEN]; /* the ICMP message the fragments carry */
};

static int capture(void *ctx, const uint8_t *p, size_t len)
{
	struct ip_world *w = ctx;
	if (w->n < 16 && len <= sizeof(w->pkt[0])) {
		memcpy(w->pkt[w->n], p, len);
		w->len[w->n++] = len;
	}
	return 0;
}

static const struct utcp_link_ops capture_ops = {.output = capture};

static struct ip_world *world_new(void)
{
	struct ip_world *w = calloc(1, sizeof(*w));
	REQUIRE(w);
	struct utcp_stack_config cfg;
	utcp_stack_config_default(&cfg);
	REQUIRE_EQ(utcp_stack_new(&cfg, &w->s), 0);
	struct utcp_iface_config ic = {.name = "tun0", .addr = US, .prefix_len = 24, .mtu = 1500,
				       .ops = &capture_ops, .link_ctx = w};
	REQUIRE_EQ(utcp_iface_add(w->s, &ic), 0);
	uint8_t *m = w->ping;
	m[0] = ICMP_ECHO_REQUEST;
	store_be16(m + 4, 0x4242);
	store_be16(m + 6, 1);
	for (int i = 0; i < PING_DATA; i++)
		m[ICMP_HDR_LEN + i] = (uint8_t)(i * 7 + 3);
	store_be16(m + 2, csum_buf(m, PING_LEN));
	return w;
}

static void world_free(struct ip_world *w)
{
	utcp_stack_free(w->s);
	free(w);
}

static struct utcp_stats stats(struct ip_world *w)
{
	struct utcp_stats st;
	utcp_stack_stats(w->s, &st);
	return st;
}

/* Send bytes [off, off + len) of the ping as a fragment of datagram id. */
static void frag(struct ip_world *w, uint16_t id, uint32_t off, uint32_t len, bool more,
		 utcp_time_us at)
{
	uint8_t p[IPV4_HDR_LEN + 1600];
	REQUIRE(len <= 1600 && off + len <= PING_LEN);
	struct ipv4_hdr h = {.total_len = (uint16_t)(IPV4_HDR_LEN + len), .id = id,
			     .frag = (uint16_t)(off / 8 | (more ? IPV4_FLAG_MF : 0)), .ttl = 64,
			     .proto = IPV4_PROTO_ICMP, .src = PEER, .dst = US};
	ipv4_emit(p, &h);
	memcpy(p + IPV4_HDR_LEN, w->ping + off, len);
	utcp_stack_input(w->s, 0, p, IPV4_HDR_LEN + len, at);
}

/* Put our fragmented reply together again and check it answers the ping. */
static void check_reply(struct ip_world *w)
{
	uint8_t whole[PING_LEN];
	uint32_t got = 0, total = 0;
	REQUIRE(w->n >= 3);
	for (int i = 0; i < w->n; i++) {
		struct ipv4_hdr h;
		REQUIRE_EQ(ipv4_parse(w->pkt[i], w->len[i], &h), IPV4_OK);
		CHECK(h.total_len <= 1500);
		CHECK_EQ(h.src, US);
		CHECK_EQ(h.dst, PEER);
		uint32_t off = (uint32_t)(h.frag & IPV4_FRAG_OFFSET_MASK) * 8;
		uint32_t n = h.total_len - h.hdr_len;
		REQUIRE(off + n <= PING_LEN);
		memcpy(whole + off, w->pkt[i] + h.hdr_len, n);
		got += n;
		if (!(h.frag & IPV4_FLAG_MF))
			total = off + n;
		else
			CHECK_EQ(n % 8, 0);
	}
	CHECK_EQ(got, PING_LEN);
	CHECK_EQ(total, PING_LEN);
	CHECK_EQ(whole[0], ICMP_ECHO_REPLY);
	CHECK_EQ(csum_buf(whole, PING_LEN), 0);
	CHECK(memcmp(whole + 4, w->ping + 4, PING_LEN - 4) == 0);
}

TEST(frag_reassembled_in_any_order_and_the_reply_fragmented)
{
	struct ip_world *w = world_new();
	frag(w, 7, 2960, PING_LEN - 2960, false, 10);
	frag(w, 7, 0, 1480, true, 20);
	CHECK_EQ(w->n, 0);
	frag(w, 7, 1480, 1480, true, 30);
	struct utcp_stats st = stats(w);
	CHECK_EQ(st.frag_in, 3);
	CHECK_EQ(st.frag_reassembled, 1);
	CHECK_EQ(st.icmp_echo_reply, 1);
	CHECK_EQ(st.frag_out, 3);
	check_reply(w);
	CHECK_EQ(utcp_stack_next_deadline(w->s), UTCP_TIME_NEVER);
	world_free(w);
}

TEST(frag_duplicates_are_ignored_and_overlaps_that_differ_poison_the_datagram)
{
	struct ip_world *w = world_new();
	frag(w, 1, 0, 1480, true, 1);
	frag(w, 1, 0, 1480, true, 2); /* the same again */
	frag(w, 1, 8, 800, true, 3);  /* inside, same bytes */
	CHECK_EQ(stats(w).frag_dup, 2);
	frag(w, 1, 1480, 1480, true, 4);
	frag(w, 1, 2960, PING_LEN - 2960, false, 5);
	CHECK_EQ(stats(w).frag_reassembled, 1);
	check_reply(w);

	/* Different bytes over bytes we hold: the whole datagram goes. */
	w->n = 0;
	frag(w, 2, 0, 1480, true, 10);
	w->ping[100] ^= 0xff;
	frag(w, 2, 96, 16, true, 11);
	w->ping[100] ^= 0xff;
	CHECK_EQ(stats(w).frag_drop_overlap, 1);
	frag(w, 2, 1480, 1480, true, 12);
	frag(w, 2, 2960, PING_LEN - 2960, false, 13);
	CHECK_EQ(stats(w).frag_reassembled, 1); /* fragment zero went with it */
	CHECK_EQ(w->n, 0);
	world_free(w);
}

TEST(frag_bad_lengths_and_offsets_are_dropped)
{
	struct ip_world *w = world_new();
	frag(w, 3, 0, 1001, true, 1); /* not the last, not a multiple of 8 */
	CHECK_EQ(stats(w).frag_drop_bad_len, 1);
	/* Past 65535 bytes: the ping of death. */
	uint8_t p[IPV4_HDR_LEN + 100] = {0};
	struct ipv4_hdr h = {.total_len = sizeof(p), .id = 4, .frag = 8180, .ttl = 64,
			     .proto = IPV4_PROTO_ICMP, .src = PEER, .dst = US};
	ipv4_emit(p, &h);
	utcp_stack_input(w->s, 0, p, sizeof(p), 2);
	CHECK_EQ(stats(w).frag_drop_bad_len, 2);
	/* Two last fragments that disagree on the length. */
	frag(w, 5, 1480, 1480, false, 3);
	frag(w, 5, 1480, 1000, false, 4);
	CHECK_EQ(stats(w).frag_drop_bad_len, 3);
	CHECK_EQ(w->n, 0);
	world_free(w);
}

TEST(frag_timeout_sends_time_exceeded_when_fragment_zero_came)
{
	struct ip_world *w = world_new();
	utcp_time_us t0 = UTCP_SEC(3);
	frag(w, 9, 0, 1480, true, t0);
	frag(w, 9, 2960, PING_LEN - 2960, false, t0 + UTCP_SEC(1));
	/* RFC 1122 3.3.2: a fixed time from the first fragment. */
	CHECK_EQ(utcp_stack_next_deadline(w->s), t0 + UTCP_SEC(60));
	utcp_stack_poll(w->s, t0 + UTCP_SEC(60) - 1);
	CHECK_EQ(w->n, 0);
	utcp_stack_poll(w->s, t0 + UTCP_SEC(60));
	CHECK_EQ(stats(w).frag_drop_timeout, 1);
	REQUIRE_EQ(w->n, 1);
	struct ipv4_hdr h;
	REQUIRE_EQ(ipv4_parse(w->pkt[0], w->len[0], &h), IPV4_OK);
	CHECK_EQ(h.proto, IPV4_PROTO_ICMP);
	CHECK_EQ(h.dst, PEER);
	const uint8_t *icmp = w->pkt[0] + h.hdr_len;
	CHECK_EQ(icmp[0], ICMP_TIME_EXCEEDED);
	CHECK_EQ(icmp[1], ICMP_TIMX_REASSEMBLY);
	CHECK_EQ(h.total_len, IPV4_HDR_LEN + ICMP_HDR_LEN + IPV4_HDR_LEN + 8);
	CHECK_EQ(load_be16(icmp + ICMP_HDR_LEN + 4), 9); /* quotes our datagram */
	CHECK_EQ(utcp_stack_next_deadline(w->s), UTCP_TIME_NEVER);

	/* Without fragment zero the source hears nothing. */
	w->n = 0;
	frag(w, 10, 1480, 1480, true, UTCP_SEC(100));
	utcp_stack_poll(w->s, UTCP_SEC(160));
	CHECK_EQ(stats(w).frag_drop_timeout, 2);
	CHECK_EQ(w->n, 0);
	world_free(w);
}

TEST(frag_memory_is_bounded_the_oldest_partial_datagram_gives_way)
{
	struct ip_world *w = world_new();
	size_t before = utcp_stack_mem_in_use(w->s);
	for (uint16_t id = 1; id <= 5; id++)
		frag(w, id, 1480, 1480, true, id);
	size_t held = utcp_stack_mem_in_use(w->s);
	CHECK(held > before);
	CHECK_EQ(stats(w).frag_drop_no_room, 1);
	for (uint16_t id = 6; id <= 50; id++)
		frag(w, id, 1480, 1480, true, id);
	CHECK_EQ(utcp_stack_mem_in_use(w->s), held); /* no more memory */
	CHECK_EQ(stats(w).frag_drop_no_room, 46);
	/* The newest partial datagram is still held: its other pieces complete it. */
	frag(w, 50, 0, 1480, true, 60);
	frag(w, 50, 2960, PING_LEN - 2960, false, 61);
	CHECK_EQ(stats(w).frag_reassembled, 1);
	check_reply(w);
	world_free(w);
}

TEST(frag_fragments_for_another_host_take_no_memory)
{
	struct ip_world *w = world_new();
	size_t before = utcp_stack_mem_in_use(w->s);
	uint8_t p[IPV4_HDR_LEN + 16] = {0};
	struct ipv4_hdr h = {.total_len = sizeof(p), .id = 4, .frag = IPV4_FLAG_MF, .ttl = 64,
			     .proto = IPV4_PROTO_ICMP, .src = PEER,
			     .dst = utcp_ipv4(10, 0, 0, 3)};
	ipv4_emit(p, &h);
	utcp_stack_input(w->s, 0, p, sizeof(p), 1);
	CHECK_EQ(stats(w).ip_drop_not_ours, 1);
	CHECK_EQ(stats(w).frag_in, 0);
	CHECK_EQ(utcp_stack_mem_in_use(w->s), before);
	world_free(w);
}
