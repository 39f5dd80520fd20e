/*
 * Tests of the simulated network, driven by raw nodes: hand-built IPv4/TCP
 * datagrams go in at known times and must come out at exact times (or not
 * at all, with the right counter). No TCP stack is involved.
 */
#include "../harness.h"
#include "sim/rng.h"
#include "sim/sim_internal.h"
#include "utcp/sim.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define INBOX_KEEP 64

/* What reached a raw node: the first INBOX_KEEP arrivals in detail, and
 * a hash of every (time, length, bytes) so runs can be compared whole. */
struct inbox {
	size_t n;
	utcp_time_us at[INBOX_KEEP];
	size_t len[INBOX_KEEP];
	uint16_t tag[INBOX_KEEP]; /* the IPv4 identification field */
	uint64_t hash;
};

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void inbox_rx(void *ctx, utcp_time_us at, const uint8_t *pkt, size_t len)
{
	struct inbox *in = ctx;
	if (in->n < INBOX_KEEP) {
		in->at[in->n] = at;
		in->len[in->n] = len;
		in->tag[in->n] = len >= 6 ? (uint16_t)(pkt[4] << 8 | pkt[5]) : 0;
	}
	in->n++;
	in->hash = fnv(in->hash ? in->hash : 0xcbf29ce484222325ull, &at, sizeof(at));
	in->hash = fnv(in->hash, &len, sizeof(len));
	in->hash = fnv(in->hash, pkt, len);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

#define A_ADDR utcp_ipv4(10, 0, 0, 1)
#define B_ADDR utcp_ipv4(10, 0, 0, 2)

/* Build an IPv4 datagram of `len` bytes (>= 40) from src to dst holding a
 * TCP segment with `flags` and len - 40 payload bytes. `tag` goes in the
 * IPv4 identification field, so a test can tell packets apart.
 * Checksums are left zero: the simulator does not read them. */
static size_t tcp_pkt(uint8_t *buf, size_t len, uint32_t src, uint32_t dst, uint8_t flags,
		      uint16_t tag)
{
	memset(buf, 0, len);
	buf[0] = 0x45;
	put16(buf + 2, (uint32_t)len);
	put16(buf + 4, tag);
	buf[8] = 64;
	buf[9] = 6;
	put32(buf + 12, src);
	put32(buf + 16, dst);
	put16(buf + 20, 1000);
	put16(buf + 22, 80);
	buf[32] = 5 << 4;
	buf[33] = flags;
	for (size_t i = 40; i < len; i++)
		buf[i] = (uint8_t)(i + tag);
	return len;
}

/* Send a tagged TCP packet of len bytes from raw node `node` now. */
static int send_tcp(struct utcp_sim *w, int node, size_t len, uint8_t flags, uint16_t tag)
{
	uint8_t buf[2048];
	return utcp_sim_send(w, node, buf, tcp_pkt(buf, len, A_ADDR, B_ADDR, flags, tag));
}

/* A world with raw nodes a -> b over one channel configured by cfg (the
 * way back is ideal). */
struct pair {
	struct utcp_sim *w;
	int a, b, ab, ba;
	struct inbox in_a, in_b;
};

static void pair_init(struct pair *p, uint64_t seed, const struct utcp_sim_channel_config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->w = utcp_sim_new(seed);
	REQUIRE(p->w);
	p->a = utcp_sim_raw_add(p->w, "a", A_ADDR, inbox_rx, &p->in_a);
	p->b = utcp_sim_raw_add(p->w, "b", B_ADDR, inbox_rx, &p->in_b);
	REQUIRE(p->a >= 0 && p->b >= 0);
	REQUIRE_EQ(utcp_sim_connect(p->w, p->a, p->b, cfg, NULL, &p->ab, &p->ba), 0);
}

static struct utcp_sim_channel_stats stats_of(struct utcp_sim *w, int ch)
{
	struct utcp_sim_channel_stats st;
	REQUIRE_EQ(utcp_sim_channel_stats(w, ch, &st), 0);
	return st;
}

TEST(sim_rng_reference_values)
{
	uint64_t st = 0;
	CHECK(splitmix64_next(&st) == 0xe220a8397b1dcdafull);
	CHECK(splitmix64_next(&st) == 0x6e789e6aa1b965f4ull);
	struct sim_rng r = {{1, 2, 3, 4}};
	CHECK(sim_rng_next(&r) == 11520);
	CHECK(sim_rng_next(&r) == 0);
	CHECK(sim_rng_next(&r) == 1509978240);
	CHECK(sim_rng_next(&r) == 1215971899390074240ull);
}

TEST(sim_rand_depends_on_seed_only)
{
	struct utcp_sim *w1 = utcp_sim_new(7), *w2 = utcp_sim_new(7);
	struct utcp_sim *w3 = utcp_sim_new(8);
	REQUIRE(w1 && w2 && w3);
	/* Traffic on a lossy channel of w1 must not move w1's own stream. */
	struct utcp_sim_channel_config lossy = {.loss = 0.5};
	int a = utcp_sim_raw_add(w1, "a", A_ADDR, NULL, NULL);
	int b = utcp_sim_raw_add(w1, "b", B_ADDR, NULL, NULL);
	REQUIRE_EQ(utcp_sim_connect(w1, a, b, &lossy, &lossy, NULL, NULL), 0);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(send_tcp(w1, a, 40, UTCP_TH_ACK, (uint16_t)i), 0);
	int same = 0, differ = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = utcp_sim_rand(w1), y = utcp_sim_rand(w2);
		same += x == y;
		differ += x != utcp_sim_rand(w3);
	}
	CHECK_EQ(same, 100);
	CHECK_EQ(differ, 100);
	utcp_sim_free(w1);
	utcp_sim_free(w2);
	utcp_sim_free(w3);
}

/* 1500 bytes at 12 Mbit/s serialise in exactly 1000 us. */
TEST(sim_rate_and_delay_give_exact_arrival_times)
{
	struct utcp_sim_channel_config cfg = {.delay = 5000, .rate_bps = 12000000};
	struct pair p;
	pair_init(&p, 1, &cfg);
	for (uint16_t i = 1; i <= 3; i++)
		CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, i), 0);
	utcp_sim_run_until(p.w, 5999);
	CHECK_EQ(p.in_b.n, 0);
	CHECK_EQ(utcp_sim_now(p.w), 5999);
	utcp_sim_run_until(p.w, 6000);
	REQUIRE_EQ(p.in_b.n, 1);
	CHECK_EQ(p.in_b.at[0], 6000);
	utcp_sim_run_until(p.w, 10000);
	REQUIRE_EQ(p.in_b.n, 3);
	CHECK_EQ(p.in_b.at[1], 7000);
	CHECK_EQ(p.in_b.at[2], 8000);
	CHECK_EQ(p.in_b.tag[2], 3);
	CHECK_EQ(p.in_b.len[2], 1500);

	/* The transmitter has long been idle: the next one starts at once. */
	CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, 4), 0);
	utcp_sim_run_for(p.w, 6000);
	REQUIRE_EQ(p.in_b.n, 4);
	CHECK_EQ(p.in_b.at[3], 16000);
	CHECK_EQ(utcp_sim_now(p.w), 16000);
	utcp_sim_free(p.w);
}

TEST(sim_busy_transmitter_delays_next_packet)
{
	struct utcp_sim_channel_config cfg = {.delay = 100, .rate_bps = 12000000};
	struct pair p;
	pair_init(&p, 1, &cfg);
	CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, 1), 0);
	utcp_sim_run_until(p.w, 400);
	CHECK_EQ(send_tcp(p.w, p.a, 750, UTCP_TH_ACK, 2), 0);
	utcp_sim_run_until(p.w, 100000);
	REQUIRE_EQ(p.in_b.n, 2);
	CHECK_EQ(p.in_b.at[0], 1100);
	CHECK_EQ(p.in_b.at[1], 1000 + 500 + 100); /* waits for the first */
	utcp_sim_free(p.w);
}

TEST(sim_serialisation_rounds_up_to_a_microsecond)
{
	struct utcp_sim_channel_config cfg = {.rate_bps = 3};
	struct pair p;
	pair_init(&p, 1, &cfg);
	uint8_t one = 0x45;
	CHECK_EQ(utcp_sim_send(p.w, p.a, &one, 1), 0);
	utcp_sim_run_until(p.w, 2666666);
	CHECK_EQ(p.in_b.n, 0);
	utcp_sim_run_until(p.w, 2666667); /* 8e6 / 3 = 2666666.67 */
	CHECK_EQ(p.in_b.n, 1);
	utcp_sim_free(p.w);
}

/* The queue holds the packet being serialised: with room for 3, the 4th
 * and 5th sent together are dropped, and a packet offered at the instant
 * the first finishes is accepted. */
TEST(sim_drop_tail_drops_the_exact_packet)
{
	struct utcp_sim_channel_config cfg = {.rate_bps = 12000000, .queue_pkts = 3};
	struct pair p;
	pair_init(&p, 1, &cfg);
	for (uint16_t i = 1; i <= 5; i++)
		CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, i), 0);
	CHECK_EQ(stats_of(p.w, p.ab).drop_queue, 2);
	utcp_sim_run_until(p.w, 999);
	CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, 6), 0);
	CHECK_EQ(stats_of(p.w, p.ab).drop_queue, 3);
	utcp_sim_run_until(p.w, 1000);
	CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, 7), 0);
	utcp_sim_run_until(p.w, 10000);

	REQUIRE_EQ(p.in_b.n, 4);
	const uint16_t tags[] = {1, 2, 3, 7};
	for (size_t i = 0; i < 4; i++) {
		CHECK_EQ(p.in_b.tag[i], tags[i]);
		CHECK_EQ(p.in_b.at[i], 1000 * (i + 1));
	}
	struct utcp_sim_channel_stats st = stats_of(p.w, p.ab);
	CHECK_EQ(st.drop_queue, 3);
	CHECK_EQ(st.queue_max_pkts, 3);
	CHECK_EQ(st.sent_pkts, 7);
	CHECK_EQ(st.delivered_pkts, 4);
	utcp_sim_free(p.w);
}

TEST(sim_drop_tail_byte_limit)
{
	struct utcp_sim_channel_config cfg = {.rate_bps = 12000000, .queue_bytes = 4000};
	struct pair p;
	pair_init(&p, 1, &cfg);
	CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, 1), 0);
	CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, 2), 0);
	CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, 3), 0); /* 4500 > 4000 */
	CHECK_EQ(send_tcp(p.w, p.a, 1000, UTCP_TH_ACK, 4), 0); /* exactly 4000 */
	CHECK_EQ(send_tcp(p.w, p.a, 40, UTCP_TH_ACK, 5), 0);
	utcp_sim_run_until(p.w, 10000);
	REQUIRE_EQ(p.in_b.n, 3);
	CHECK_EQ(p.in_b.tag[0], 1);
	CHECK_EQ(p.in_b.tag[1], 2);
	CHECK_EQ(p.in_b.tag[2], 4);
	CHECK_EQ(stats_of(p.w, p.ab).drop_queue, 2);
	utcp_sim_free(p.w);
}

/* The segments of a transfer, in order; 6 is the third data segment. */
static const struct {
	size_t len;
	uint8_t flags;
} transfer[] = {
    {40, UTCP_TH_SYN},
    {40, UTCP_TH_ACK},
    {140, UTCP_TH_ACK | UTCP_TH_PSH},
    {540, UTCP_TH_ACK},
    {40, UTCP_TH_ACK},
    {540, UTCP_TH_ACK},
    {540, UTCP_TH_ACK},
    {40, UTCP_TH_ACK | UTCP_TH_FIN},
    {40, UTCP_TH_RST},
};
#define TRANSFER_LEN (sizeof(transfer) / sizeof(transfer[0]))

/* Send the transfer and return a bitmask of the tags (1-based) that
 * arrived. */
static unsigned run_transfer(struct pair *p)
{
	for (size_t i = 0; i < TRANSFER_LEN; i++)
		CHECK_EQ(
		    send_tcp(p->w, p->a, transfer[i].len, transfer[i].flags, (uint16_t)(i + 1)), 0);
	utcp_sim_run_for(p->w, 1000);
	unsigned got = 0;
	for (size_t i = 0; i < p->in_b.n && i < INBOX_KEEP; i++)
		got |= 1u << p->in_b.tag[i];
	return got;
}

#define ALL_TAGS (((1u << (TRANSFER_LEN + 1)) - 1) & ~1u)

TEST(sim_drop_nth_drops_third_data_segment)
{
	struct pair p;
	pair_init(&p, 1, NULL);
	REQUIRE_EQ(utcp_sim_drop_nth(p.w, p.ab, UTCP_SIM_TCP_DATA, 3, 1), 0);
	CHECK_EQ(run_transfer(&p), ALL_TAGS & ~(1u << 6));
	CHECK_EQ(stats_of(p.w, p.ab).drop_scripted, 1);
	/* The rule is spent: the same transfer again loses nothing. */
	p.in_b.n = 0;
	CHECK_EQ(run_transfer(&p), ALL_TAGS);
	CHECK_EQ(stats_of(p.w, p.ab).drop_scripted, 1);
	utcp_sim_free(p.w);
}

TEST(sim_drop_nth_match_kinds)
{
	static const struct {
		enum utcp_sim_match m;
		uint32_t nth, count;
		unsigned dropped; /* tags */
	} cases[] = {
	    {UTCP_SIM_ANY, 2, 3, (1u << 2) | (1u << 3) | (1u << 4)},
	    {UTCP_SIM_TCP_SYN, 1, 1, 1u << 1},
	    {UTCP_SIM_TCP_FIN, 1, 5, 1u << 8},
	    {UTCP_SIM_TCP_RST, 1, 1, 1u << 9},
	    {UTCP_SIM_TCP_PURE_ACK, 2, 1, 1u << 5},
	    {UTCP_SIM_TCP_DATA, 2, 2, (1u << 4) | (1u << 6)},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pair p;
		pair_init(&p, 1, NULL);
		REQUIRE_EQ(utcp_sim_drop_nth(p.w, p.ab, cases[i].m, cases[i].nth, cases[i].count),
			   0);
		CHECK_EQ(run_transfer(&p), ALL_TAGS & ~cases[i].dropped);
		utcp_sim_free(p.w);
	}
}

/* Matches are counted from the rule's creation; non-TCP packets match
 * only UTCP_SIM_ANY. */
TEST(sim_drop_nth_counts_from_creation)
{
	struct pair p;
	pair_init(&p, 1, NULL);
	CHECK_EQ(send_tcp(p.w, p.a, 100, UTCP_TH_ACK, 1), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(p.w, p.ab, UTCP_SIM_TCP_DATA, 1, 1), 0);
	uint8_t udp[100];
	tcp_pkt(udp, sizeof(udp), A_ADDR, B_ADDR, 0, 2);
	udp[9] = 17; /* now UDP: not a data segment */
	CHECK_EQ(utcp_sim_send(p.w, p.a, udp, sizeof(udp)), 0);
	CHECK_EQ(send_tcp(p.w, p.a, 100, UTCP_TH_ACK, 3), 0);
	CHECK_EQ(send_tcp(p.w, p.a, 100, UTCP_TH_ACK, 4), 0);
	utcp_sim_run_for(p.w, 10);
	REQUIRE_EQ(p.in_b.n, 3);
	CHECK_EQ(p.in_b.tag[0], 1);
	CHECK_EQ(p.in_b.tag[1], 2);
	CHECK_EQ(p.in_b.tag[2], 4);
	CHECK_EQ(utcp_sim_drop_nth(p.w, p.ab, UTCP_SIM_ANY, 0, 1), -EINVAL);
	CHECK_EQ(utcp_sim_drop_nth(p.w, p.ab, UTCP_SIM_ANY, 1, 0), -EINVAL);
	CHECK_EQ(utcp_sim_drop_nth(p.w, 99, UTCP_SIM_ANY, 1, 1), -EINVAL);
	utcp_sim_free(p.w);
}

TEST(sim_mtu_drops_larger_packets)
{
	struct utcp_sim_channel_config cfg = {.mtu = 1000};
	struct pair p;
	pair_init(&p, 1, &cfg);
	CHECK_EQ(send_tcp(p.w, p.a, 1000, UTCP_TH_ACK, 1), 0);
	CHECK_EQ(send_tcp(p.w, p.a, 1001, UTCP_TH_ACK, 2), 0);
	utcp_sim_run_for(p.w, 10);
	REQUIRE_EQ(p.in_b.n, 1);
	CHECK_EQ(p.in_b.tag[0], 1);
	struct utcp_sim_channel_stats st = stats_of(p.w, p.ab);
	CHECK_EQ(st.drop_mtu, 1);
	CHECK_EQ(st.sent_pkts, 2);
	CHECK_EQ(st.sent_bytes, 2001);
	CHECK_EQ(st.delivered_pkts, 1);
	CHECK_EQ(st.delivered_bytes, 1000);
	utcp_sim_free(p.w);
}

/* Three raw nodes around a router; the longest matching prefix wins,
 * whatever order the routes were added in. */
TEST(sim_router_forwards_by_longest_prefix)
{
	struct utcp_sim *w = utcp_sim_new(1);
	REQUIRE(w);
	struct inbox in[3] = {0};
	int n[3];
	const uint32_t addr[3] = {utcp_ipv4(10, 0, 0, 1), utcp_ipv4(10, 1, 0, 1),
				  utcp_ipv4(10, 1, 2, 1)};
	int r = utcp_sim_router_add(w, "r");
	REQUIRE(r >= 0);
	int to_r[3], from_r[3];
	for (int i = 0; i < 3; i++) {
		n[i] = utcp_sim_raw_add(w, NULL, addr[i], inbox_rx, &in[i]);
		REQUIRE(n[i] >= 0);
		REQUIRE_EQ(utcp_sim_connect(w, n[i], r, NULL, NULL, &to_r[i], &from_r[i]), 0);
	}
	CHECK_STR(utcp_sim_node_name(w, n[2]), "node3");
	REQUIRE_EQ(utcp_sim_route_add(w, r, utcp_ipv4(10, 1, 2, 0), 24, from_r[2]), 0);
	REQUIRE_EQ(utcp_sim_route_add(w, r, utcp_ipv4(10, 0, 0, 0), 16, from_r[0]), 0);
	REQUIRE_EQ(utcp_sim_route_add(w, r, utcp_ipv4(10, 1, 9, 9), 16, from_r[1]), 0);
	CHECK_EQ(utcp_sim_route_add(w, r, utcp_ipv4(10, 1, 0, 0), 16, from_r[1]), -EEXIST);
	CHECK_EQ(utcp_sim_route_add(w, r, 0, 0, to_r[1]), -EINVAL);
	CHECK_EQ(utcp_sim_route_add(w, n[0], 0, 0, from_r[1]), -EINVAL);
	CHECK_EQ(utcp_sim_route_add(w, r, 0, 33, from_r[1]), -EINVAL);

	const struct {
		int from;
		uint32_t dst;
	} sends[] = {
	    {0, utcp_ipv4(10, 1, 2, 7)},    {0, utcp_ipv4(10, 1, 3, 7)},
	    {0, utcp_ipv4(10, 0, 9, 9)},    {2, utcp_ipv4(10, 0, 0, 1)},
	    {1, utcp_ipv4(192, 168, 1, 1)},
	};
	for (size_t i = 0; i < sizeof(sends) / sizeof(sends[0]); i++) {
		uint8_t buf[60];
		tcp_pkt(buf, sizeof(buf), addr[sends[i].from], sends[i].dst, UTCP_TH_ACK,
			(uint16_t)(i + 1));
		CHECK_EQ(utcp_sim_send(w, n[sends[i].from], buf, sizeof(buf)), 0);
	}
	utcp_sim_run_for(w, 10);
	REQUIRE_EQ(in[0].n, 2);
	CHECK_EQ(in[0].tag[0], 3);
	CHECK_EQ(in[0].tag[1], 4);
	REQUIRE_EQ(in[1].n, 1);
	CHECK_EQ(in[1].tag[0], 2);
	REQUIRE_EQ(in[2].n, 1);
	CHECK_EQ(in[2].tag[0], 1);
	CHECK_EQ(sim_router_drops_no_route(w, r), 1);
	utcp_sim_free(w);
}

TEST(sim_connect_and_send_errors)
{
	struct utcp_sim *w = utcp_sim_new(1);
	REQUIRE(w);
	int a = utcp_sim_raw_add(w, "a", A_ADDR, NULL, NULL);
	int b = utcp_sim_raw_add(w, "b", B_ADDR, NULL, NULL);
	int c = utcp_sim_raw_add(w, "c", B_ADDR, NULL, NULL);
	int r = utcp_sim_router_add(w, "r");
	uint8_t pkt[40];
	tcp_pkt(pkt, sizeof(pkt), A_ADDR, B_ADDR, UTCP_TH_ACK, 1);
	CHECK_EQ(utcp_sim_send(w, a, pkt, sizeof(pkt)), -EINVAL); /* unconnected */
	struct utcp_sim_channel_config bad = {.loss = 1.5};
	CHECK_EQ(utcp_sim_connect(w, a, b, &bad, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(utcp_sim_connect(w, a, a, NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(utcp_sim_connect(w, a, 42, NULL, NULL, NULL, NULL), -EINVAL);
	int ch;
	CHECK_EQ(utcp_sim_connect(w, a, b, NULL, NULL, &ch, NULL), 0);
	CHECK_EQ(ch, 0); /* the failed attempts created no channel */
	CHECK_EQ(utcp_sim_connect(w, a, c, NULL, NULL, NULL, NULL), -EBUSY);
	CHECK_EQ(utcp_sim_connect(w, c, b, NULL, NULL, NULL, NULL), -EBUSY);
	CHECK_EQ(utcp_sim_connect(w, c, r, NULL, NULL, NULL, NULL), 0);
	CHECK_EQ(utcp_sim_connect(w, r, a, NULL, NULL, NULL, NULL), -EBUSY);
	int r2 = utcp_sim_router_add(w, NULL);
	CHECK_EQ(utcp_sim_connect(w, r, r2, NULL, NULL, NULL, NULL), 0);
	CHECK_EQ(utcp_sim_connect(w, r2, r, NULL, NULL, NULL, NULL), 0);

	CHECK_EQ(utcp_sim_send(w, a, pkt, sizeof(pkt)), 0);
	CHECK_EQ(utcp_sim_send(w, r, pkt, sizeof(pkt)), -EINVAL);
	CHECK_EQ(utcp_sim_send(w, -1, pkt, sizeof(pkt)), -EINVAL);
	CHECK_EQ(utcp_sim_send(w, a, pkt, 65536), -EMSGSIZE);
	CHECK_EQ(utcp_sim_channel_set(w, ch, &bad), -EINVAL);
	CHECK_EQ(utcp_sim_channel_set(w, 99, NULL), -EINVAL);
	CHECK_EQ(utcp_sim_channel_set(w, ch, NULL), 0);
	struct utcp_sim_channel_stats st;
	CHECK_EQ(utcp_sim_channel_stats(w, 99, &st), -EINVAL);
	CHECK(utcp_sim_stack(w, a) == NULL);
	CHECK(utcp_sim_stack(w, r) == NULL);
	CHECK(utcp_sim_node_name(w, 99) == NULL);
	CHECK_STR(utcp_sim_node_name(w, r), "r");
	CHECK_EQ(utcp_sim_host_add(w, "h", A_ADDR, 33, 0, NULL), -EINVAL);
	utcp_sim_free(w);
}

/* Send n (<= INBOX_KEEP) 40-byte packets from a, 10 us apart. Returns a
 * hash of the tags that reached b, in order. */
static uint64_t lossy_pattern(struct pair *p, int n)
{
	p->in_b.n = 0;
	for (int i = 0; i < n; i++) {
		CHECK_EQ(send_tcp(p->w, p->a, 40, UTCP_TH_ACK, (uint16_t)i), 0);
		utcp_sim_run_for(p->w, 10);
	}
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < p->in_b.n; i++)
		h = fnv(h, &p->in_b.tag[i], sizeof(p->in_b.tag[i]));
	return fnv(h, &p->in_b.n, sizeof(p->in_b.n));
}

TEST(sim_loss_rate_within_tolerance)
{
	struct utcp_sim_channel_config cfg = {.loss = 0.1};
	struct pair p;
	pair_init(&p, 42, &cfg);
	for (int i = 0; i < 10000; i++)
		CHECK_EQ(send_tcp(p.w, p.a, 40, UTCP_TH_ACK, (uint16_t)i), 0);
	utcp_sim_run_for(p.w, 1);
	struct utcp_sim_channel_stats st = stats_of(p.w, p.ab);
	/* Binomial(10000, 0.1): sd 30; allow five of them. */
	CHECK(st.drop_random >= 850 && st.drop_random <= 1150);
	CHECK_EQ(st.delivered_pkts + st.drop_random, 10000);
	CHECK_EQ(p.in_b.n, st.delivered_pkts);
	utcp_sim_free(p.w);
}

/* A lossless channel draws nothing: after traffic on it, turning loss on
 * gives the pattern a fresh channel of the same seed gives. Traffic on
 * another channel does not change it either. */
TEST(sim_channel_streams_are_independent)
{
	struct utcp_sim_channel_config lossy = {.loss = 0.3};
	struct pair p1, p2;
	pair_init(&p1, 9, NULL);
	lossy_pattern(&p1, 50);
	REQUIRE_EQ(utcp_sim_channel_set(p1.w, p1.ab, &lossy), 0);
	uint64_t h1 = lossy_pattern(&p1, 60);

	pair_init(&p2, 9, &lossy);
	int c = utcp_sim_raw_add(p2.w, "c", A_ADDR, NULL, NULL);
	int d = utcp_sim_raw_add(p2.w, "d", B_ADDR, NULL, NULL);
	REQUIRE_EQ(utcp_sim_connect(p2.w, c, d, &lossy, &lossy, NULL, NULL), 0);
	for (int i = 0; i < 30; i++)
		CHECK_EQ(send_tcp(p2.w, c, 40, UTCP_TH_ACK, (uint16_t)i), 0);
	uint64_t h2 = lossy_pattern(&p2, 60);
	CHECK(h1 == h2);
	CHECK(p2.in_b.n < 60); /* the pattern did lose something */
	utcp_sim_free(p1.w);
	utcp_sim_free(p2.w);
}

/* A busy, faulty channel: sizes and gaps from the world's stream. */
static uint64_t faulty_run(uint64_t seed, size_t *delivered)
{
	struct utcp_sim_channel_config cfg = {
	    .delay = 1000,
	    .rate_bps = 10000000,
	    .queue_pkts = 20,
	    .loss = 0.05,
	    .duplicate = 0.05,
	    .reorder = 0.1,
	    .reorder_delay = 3000,
	};
	struct pair p;
	pair_init(&p, seed, &cfg);
	for (int i = 0; i < 2000; i++) {
		size_t len = 40 + utcp_sim_rand(p.w) % 1400;
		CHECK_EQ(send_tcp(p.w, p.a, len, UTCP_TH_ACK, (uint16_t)i), 0);
		utcp_sim_run_for(p.w, utcp_sim_rand(p.w) % 2000);
	}
	utcp_sim_run_for(p.w, 1000000);
	*delivered = p.in_b.n;
	uint64_t h = p.in_b.hash;
	utcp_sim_free(p.w);
	return h;
}

TEST(sim_same_seed_same_run)
{
	size_t n1, n2, n3;
	uint64_t h1 = faulty_run(5, &n1), h2 = faulty_run(5, &n2);
	uint64_t h3 = faulty_run(6, &n3);
	CHECK(h1 == h2);
	CHECK_EQ(n1, n2);
	CHECK(h1 != h3);
	CHECK(n1 > 1500 && n3 > 1500);
}

TEST(sim_duplicate_copies_arrive_together)
{
	struct utcp_sim_channel_config cfg = {.delay = 100, .rate_bps = 12000000, .duplicate = 1.0};
	struct pair p;
	pair_init(&p, 3, &cfg);
	for (uint16_t i = 1; i <= 5; i++)
		CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, i), 0);
	utcp_sim_run_for(p.w, 100000);
	REQUIRE_EQ(p.in_b.n, 10);
	for (size_t i = 0; i < 10; i++) {
		CHECK_EQ(p.in_b.tag[i], i / 2 + 1);
		CHECK_EQ(p.in_b.at[i], 1000 * (i / 2 + 1) + 100);
	}
	struct utcp_sim_channel_stats st = stats_of(p.w, p.ab);
	CHECK_EQ(st.duplicated, 5);
	CHECK_EQ(st.delivered_pkts, 10);
	CHECK_EQ(st.queue_max_pkts, 5); /* copies take no queue space */

	cfg.duplicate = 0.5;
	REQUIRE_EQ(utcp_sim_channel_set(p.w, p.ab, &cfg), 0);
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(send_tcp(p.w, p.a, 40, UTCP_TH_ACK, (uint16_t)i), 0);
	utcp_sim_run_for(p.w, 100000);
	st = stats_of(p.w, p.ab);
	CHECK(st.duplicated >= 5 + 420 && st.duplicated <= 5 + 580);
	CHECK_EQ(st.delivered_pkts, 1005 + st.duplicated);
	utcp_sim_free(p.w);
}

/* Counts arrivals that took 150 us: tagged packets sent every gap_us. */
struct lateness {
	utcp_time_us gap_us;
	size_t late;
};

static void count_late(void *ctx, utcp_time_us at, const uint8_t *pkt, size_t len)
{
	struct lateness *l = ctx;
	(void)len;
	utcp_time_us sent = (utcp_time_us)(pkt[4] << 8 | pkt[5]) * l->gap_us;
	l->late += at - sent == 150;
}

TEST(sim_reorder_holds_packets_back)
{
	struct utcp_sim_channel_config cfg = {.delay = 100, .reorder = 1.0, .reorder_delay = 500};
	struct pair p;
	pair_init(&p, 4, &cfg);
	CHECK_EQ(send_tcp(p.w, p.a, 40, UTCP_TH_ACK, 1), 0);
	utcp_sim_run_for(p.w, 10);
	CHECK_EQ(send_tcp(p.w, p.a, 40, UTCP_TH_ACK, 2), 0);
	utcp_sim_run_for(p.w, 1000);
	REQUIRE_EQ(p.in_b.n, 2);
	CHECK_EQ(p.in_b.at[0], 600);
	CHECK_EQ(p.in_b.at[1], 610);
	CHECK_EQ(stats_of(p.w, p.ab).reordered, 2);
	utcp_sim_free(p.w);

	/* 30% held back by 50 us, packets 10 us apart: count who was late. */
	struct utcp_sim *w = utcp_sim_new(4);
	REQUIRE(w);
	struct lateness l = {.gap_us = 10};
	int a = utcp_sim_raw_add(w, "a", A_ADDR, NULL, NULL);
	int b = utcp_sim_raw_add(w, "b", B_ADDR, count_late, &l);
	struct utcp_sim_channel_config some = {.delay = 100, .reorder = 0.3, .reorder_delay = 50};
	int ab;
	REQUIRE_EQ(utcp_sim_connect(w, a, b, &some, NULL, &ab, NULL), 0);
	for (int i = 0; i < 1000; i++) {
		CHECK_EQ(utcp_sim_now(w), (utcp_time_us)i * 10);
		CHECK_EQ(send_tcp(w, a, 40, UTCP_TH_ACK, (uint16_t)i), 0);
		utcp_sim_run_for(w, 10);
	}
	utcp_sim_run_for(w, 1000);
	uint64_t reordered = stats_of(w, ab).reordered;
	CHECK_EQ(l.late, reordered);
	CHECK(reordered >= 230 && reordered <= 370);
	utcp_sim_free(w);
}

static bool two_arrived(void *ctx)
{
	return ((struct inbox *)ctx)->n >= 2;
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

TEST(sim_run_while_stops_when_done)
{
	struct utcp_sim_channel_config cfg = {.delay = 1000, .rate_bps = 12000000};
	struct pair p;
	pair_init(&p, 1, &cfg);
	for (uint16_t i = 1; i <= 5; i++)
		CHECK_EQ(send_tcp(p.w, p.a, 1500, UTCP_TH_ACK, i), 0);
	CHECK(utcp_sim_run_while(p.w, two_arrived, &p.in_b, UTCP_SEC(1)));
	CHECK_EQ(utcp_sim_now(p.w), 3000);
	CHECK_EQ(p.in_b.n, 2);
	/* Already done: nothing runs. */
	CHECK(utcp_sim_run_while(p.w, two_arrived, &p.in_b, UTCP_SEC(1)));
	CHECK_EQ(utcp_sim_now(p.w), 3000);
	/* Never done: the world ends at the limit. */
	CHECK(!utcp_sim_run_while(p.w, never, NULL, 4500));
	CHECK_EQ(utcp_sim_now(p.w), 4500);
	CHECK_EQ(p.in_b.n, 3);
	CHECK(!utcp_sim_run_while(p.w, never, NULL, 100000));
	CHECK_EQ(utcp_sim_now(p.w), 100000);
	CHECK_EQ(p.in_b.n, 5);
	utcp_sim_free(p.w);
}

TEST(sim_step_runs_one_event)
{
	struct utcp_sim_channel_config cfg = {.delay = 250};
	struct pair p;
	pair_init(&p, 1, &cfg);
	CHECK(!utcp_sim_step(p.w));
	CHECK_EQ(send_tcp(p.w, p.a, 40, UTCP_TH_ACK, 1), 0);
	CHECK_EQ(send_tcp(p.w, p.a, 40, UTCP_TH_ACK, 2), 0);
	CHECK(utcp_sim_step(p.w));
	CHECK_EQ(p.in_b.n, 1);
	CHECK_EQ(p.in_b.tag[0], 1);
	CHECK_EQ(utcp_sim_now(p.w), 250);
	CHECK(utcp_sim_step(p.w));
	CHECK_EQ(p.in_b.tag[1], 2); /* same time: in the order sent */
	CHECK(!utcp_sim_step(p.w));
	CHECK_EQ(utcp_sim_now(p.w), 250);
	utcp_sim_free(p.w);
}

/* A raw node that answers every packet at once: the exchange happens at
 * one instant, and run_until must keep going until it settles. */
struct echo {
	struct utcp_sim *w;
	int node;
	int left;
	struct inbox in;
};

static void echo_rx(void *ctx, utcp_time_us at, const uint8_t *pkt, size_t len)
{
	struct echo *e = ctx;
	inbox_rx(&e->in, at, pkt, len);
	if (e->left-- > 0)
		CHECK_EQ(utcp_sim_send(e->w, e->node, pkt, len), 0);
}

TEST(sim_run_until_runs_zero_delay_exchanges)
{
	struct utcp_sim *w = utcp_sim_new(1);
	REQUIRE(w);
	struct echo x = {.w = w, .left = 3}, y = {.w = w, .left = 3};
	x.node = utcp_sim_raw_add(w, "x", A_ADDR, echo_rx, &x);
	y.node = utcp_sim_raw_add(w, "y", B_ADDR, echo_rx, &y);
	REQUIRE_EQ(utcp_sim_connect(w, x.node, y.node, NULL, NULL, NULL, NULL), 0);
	utcp_sim_run_until(w, 100);
	CHECK_EQ(send_tcp(w, x.node, 40, UTCP_TH_ACK, 1), 0);
	utcp_sim_run_until(w, 100);
	CHECK_EQ(x.in.n + y.in.n, 7);
	CHECK_EQ(y.in.at[3], 100);
	utcp_sim_run_until(w, 50); /* the past: nothing happens */
	CHECK_EQ(utcp_sim_now(w), 100);
	utcp_sim_free(w);
}

/* Read a pcap file's records: their stamps (us) and lengths. Returns the
 * number of records, or -1 when the file is not what the writer makes. */
static int read_pcap(const char *path, utcp_time_us *at, uint32_t *len, int max)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint32_t hdr[6], rec[4];
	int n = -1;
	if (fread(hdr, 4, 6, f) == 6 && hdr[0] == 0xa1b2c3d4u && hdr[5] == 101) {
		for (n = 0; n < max && fread(rec, 4, 4, f) == 4; n++) {
			at[n] = (utcp_time_us)rec[0] * 1000000 + rec[1];
			len[n] = rec[3];
			if (rec[2] != rec[3] || fseek(f, rec[2], SEEK_CUR) != 0) {
				n = -1;
				break;
			}
		}
	}
	fclose(f);
	return n;
}

/* The tx capture shows every packet offered, the MTU-dropped one too,
 * stamped when sent; the rx capture shows what arrived, when it did. */
TEST(sim_capture_tx_and_rx)
{
	char dir[] = "/tmp/utcp_sim_cap_XXXXXX";
	REQUIRE(mkdtemp(dir));
	char tx[64], rx[64];
	snprintf(tx, sizeof(tx), "%s/tx.pcap", dir);
	snprintf(rx, sizeof(rx), "%s/rx.pcap", dir);
	struct utcp_sim_channel_config cfg = {.delay = 1000, .mtu = 100};
	struct pair p;
	pair_init(&p, 1, &cfg);
	CHECK_EQ(utcp_sim_capture(p.w, p.ab, tx, false), 0);
	CHECK_EQ(utcp_sim_capture(p.w, p.ab, rx, true), 0);
	CHECK_EQ(utcp_sim_capture(p.w, p.ab, "/nonexistent/x.pcap", true), -ENOENT);
	utcp_sim_run_until(p.w, 2000000);
	CHECK_EQ(send_tcp(p.w, p.a, 60, UTCP_TH_ACK, 1), 0);
	CHECK_EQ(send_tcp(p.w, p.a, 200, UTCP_TH_ACK, 2), 0);
	CHECK_EQ(send_tcp(p.w, p.a, 80, UTCP_TH_ACK, 3), 0);
	utcp_sim_run_for(p.w, 5000);
	utcp_sim_free(p.w); /* closes the captures */

	utcp_time_us at[8];
	uint32_t len[8];
	CHECK_EQ(read_pcap(tx, at, len, 8), 3);
	CHECK_EQ(at[0], 2000000);
	CHECK_EQ(at[2], 2000000);
	CHECK_EQ(len[1], 200);
	CHECK_EQ(read_pcap(rx, at, len, 8), 2);
	CHECK_EQ(at[0], 2001000);
	CHECK_EQ(len[0], 60);
	CHECK_EQ(len[1], 80);
	unlink(tx);
	unlink(rx);
	rmdir(dir);
}
