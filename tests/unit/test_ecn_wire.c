/*
 * ECN on the wire (RFC 3168 sections 5 and 6.1): the IPv4 ECN field, CE
 * marking with its incremental checksum update (RFC 1624), the TCP flags
 * ECE and CWR, and the simulator's queue that marks instead of dropping.
 */
#include "../harness.h"

#include "utcp/sim.h"
#include "utcp/types.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

/* A 40-byte datagram 10.0.0.1 -> 10.0.0.2 with TOS tos and a TCP header. */
static void datagram(uint8_t *p, uint8_t tos, uint16_t id, uint8_t ttl)
{
	memset(p, 0, 40);
	struct ipv4_hdr h = {.tos = tos,
			     .total_len = 40,
			     .id = id,
			     .frag = IPV4_FLAG_DF,
			     .ttl = ttl,
			     .proto = IPV4_PROTO_TCP,
			     .src = utcp_ipv4(10, 0, 0, 1),
			     .dst = utcp_ipv4(10, 0, 0, 2)};
	ipv4_emit(p, &h);
	store_be16(p + 20, 4000);
	store_be16(p + 22, 80);
	p[32] = 5 << 4;
	p[33] = UTCP_TH_ACK;
}

TEST(wire_ipv4_ecn_field_in_the_tos_byte)
{
	CHECK_EQ(ipv4_ecn_of(0x00), IPV4_ECN_NOT_ECT);
	CHECK_EQ(ipv4_ecn_of(0xb9), IPV4_ECN_ECT1);
	CHECK_EQ(ipv4_ecn_of(0x2a), IPV4_ECN_ECT0);
	CHECK_EQ(ipv4_ecn_of(0xff), IPV4_ECN_CE);
	CHECK_EQ(ipv4_tos_with_ecn(0xb9, IPV4_ECN_ECT0), 0xba); /* the DSCP (EF) kept */
	CHECK_EQ(ipv4_tos_with_ecn(0xbb, IPV4_ECN_NOT_ECT), 0xb8);
	/* The field survives emit and parse with the DSCP beside it. */
	uint8_t p[40];
	datagram(p, 0x28 | IPV4_ECN_CE, 1, 64);
	struct ipv4_hdr h;
	REQUIRE_EQ(ipv4_parse(p, sizeof(p), &h), IPV4_OK);
	CHECK_EQ(h.tos, 0x2b);
	CHECK_EQ(ipv4_ecn_of(h.tos), IPV4_ECN_CE);
}

/* Marking CE changes the TOS byte and the checksum only, and the checksum
 * equals one computed from scratch, for every TOS byte and many headers
 * (with and without options). Not-ECT and CE are left alone. */
TEST(wire_ipv4_mark_ce_keeps_the_checksum_valid)
{
	uint32_t marked = 0;
	for (unsigned tos = 0; tos < 256; tos++) {
		for (uint16_t k = 0; k < 64; k++) {
			uint8_t p[44], before[44];
			datagram(p, (uint8_t)tos, (uint16_t)(k * 2053u + tos), (uint8_t)(k * 37));
			size_t hl = 20;
			if (k & 1) { /* IHL 6: a NOP option word */
				memmove(p + 24, p + 20, 20);
				memset(p + 20, IPV4_OPT_NOP, 4);
				p[0] = 0x46;
				store_be16(p + 2, 44);
				store_be16(p + 10, 0);
				store_be16(p + 10, csum_buf(p, 24));
				hl = 24;
			}
			memcpy(before, p, sizeof(p));
			enum ipv4_ecn e = ipv4_ecn_of((uint8_t)tos);
			bool ect = e == IPV4_ECN_ECT0 || e == IPV4_ECN_ECT1;
			CHECK_EQ(ipv4_mark_ce(p, hl + 20), ect);
			struct ipv4_hdr h;
			REQUIRE_EQ(ipv4_parse(p, hl + 20, &h), IPV4_OK);
			if (!ect) {
				CHECK_EQ(memcmp(p, before, sizeof(p)), 0);
				continue;
			}
			marked++;
			CHECK_EQ(h.tos, tos | IPV4_ECN_CE);
			uint16_t got = load_be16(p + 10);
			store_be16(p + 10, 0);
			CHECK_EQ(got, csum_buf(p, hl));
			store_be16(p + 10, got);
			before[1] = (uint8_t)(tos | IPV4_ECN_CE);
			before[10] = p[10];
			before[11] = p[11];
			CHECK_EQ(memcmp(p, before, sizeof(p)), 0);
		}
	}
	CHECK_EQ(marked, 128 * 64);
	/* Not an IPv4 header: nothing is touched. */
	uint8_t p[40];
	datagram(p, IPV4_ECN_ECT0, 1, 64);
	CHECK(!ipv4_mark_ce(p, 19));
	p[0] = 0x65;
	CHECK(!ipv4_mark_ce(p, sizeof(p)));
	CHECK_EQ(p[1], IPV4_ECN_ECT0);
}

/* ECE (0x40) and CWR (0x80) are the top bits of the flags byte: emitted,
 * parsed, and printed in the lesson notation. */
TEST(wire_tcp_ece_cwr_emit_parse_format)
{
	struct tcp_hdr h = {.sport = 4000,
			    .dport = 80,
			    .seq = 100,
			    .flags = UTCP_TH_SYN | UTCP_TH_ECE | UTCP_TH_CWR,
			    .wnd = 4096};
	h.opts.has_mss = true;
	h.opts.mss = 1460;
	uint8_t p[TCP_MAX_HDR_LEN];
	size_t n = tcp_emit(p, &h);
	CHECK_EQ(p[13], 0xc2);
	struct tcp_hdr g;
	REQUIRE_EQ(tcp_parse(p, n, &g), TCP_OK);
	CHECK_EQ(g.flags, UTCP_TH_SYN | UTCP_TH_ECE | UTCP_TH_CWR);
	char buf[96];
	CHECK_STR(tcp_format(buf, sizeof(buf), &g, 0), "SYN,ECE,CWR 100(0) win 4096 <mss 1460>");
	h.flags = UTCP_TH_SYN | UTCP_TH_ACK | UTCP_TH_ECE;
	h.ack = 5001;
	CHECK_STR(tcp_format(buf, sizeof(buf), &h, 0),
		  "SYN,ECE 100(0) ack 5001 win 4096 <mss 1460>");
	h.flags = UTCP_TH_ACK | UTCP_TH_CWR;
	memset(&h.opts, 0, sizeof(h.opts));
	CHECK_STR(tcp_format(buf, sizeof(buf), &h, 10), "CWR 100(10) ack 5001 win 4096");
}

/* What reached the far raw node. */
struct ecn_inbox {
	size_t n;
	uint8_t tos[16];
	bool valid[16];
	uint16_t id[16];
};

static void ecn_rx(void *ctx, utcp_time_us at, const uint8_t *pkt, size_t len)
{
	(void)at;
	struct ecn_inbox *in = ctx;
	struct ipv4_hdr h;
	if (in->n < 16) {
		in->valid[in->n] = ipv4_parse(pkt, len, &h) == IPV4_OK;
		in->tos[in->n] = pkt[1];
		in->id[in->n] = load_be16(pkt + 4);
	}
	in->n++;
}

/* A raw node a sends datagrams (TOS tos[i], id i + 1) to b at time 0 over a
 * 12 Mbit/s channel (1500 bytes: 1 ms) with the queue limit and marking
 * threshold given; returns the channel's counters. */
static struct utcp_sim_channel_stats ecn_burst(const uint8_t *tos, size_t n, uint32_t queue,
					       uint32_t mark, struct ecn_inbox *in)
{
	struct utcp_sim *w = utcp_sim_new(1);
	REQUIRE(w != NULL);
	int a = utcp_sim_raw_add(w, "a", utcp_ipv4(10, 0, 0, 1), NULL, NULL);
	int b = utcp_sim_raw_add(w, "b", utcp_ipv4(10, 0, 0, 2), ecn_rx, in);
	struct utcp_sim_channel_config cfg = {
	    .rate_bps = 12000000, .queue_pkts = queue, .ecn_mark_pkts = mark};
	int ch;
	REQUIRE_EQ(utcp_sim_connect(w, a, b, &cfg, NULL, &ch, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t p[1500];
		memset(p, 0x5a, sizeof(p));
		struct ipv4_hdr h = {.tos = tos[i],
				     .total_len = sizeof(p),
				     .id = (uint16_t)(i + 1),
				     .ttl = 64,
				     .proto = IPV4_PROTO_TCP,
				     .src = utcp_ipv4(10, 0, 0, 1),
				     .dst = utcp_ipv4(10, 0, 0, 2)};
		ipv4_emit(p, &h);
		REQUIRE_EQ(utcp_sim_send(w, a, p, sizeof(p)), 0);
	}
	utcp_sim_run_until(w, UTCP_MS(100));
	struct utcp_sim_channel_stats st;
	REQUIRE_EQ(utcp_sim_channel_stats(w, ch, &st), 0);
	utcp_sim_free(w);
	return st;
}

/* Threshold 3: the 4th packet of a burst finds 3 queued (the one on the
 * wire counts). From there ECT(0) and ECT(1) arrive CE, with a valid
 * header checksum and the DSCP kept; Not-ECT and CE pass unchanged. */
TEST(sim_ecn_marks_ect_packets_at_the_threshold)
{
	const uint8_t tos[] = {0x2a, 0x2a, 0x2a, 0x2a, 0x28, 0x29, 0x2b, 0x2a};
	const uint8_t want[] = {0x2a, 0x2a, 0x2a, 0x2b, 0x28, 0x2b, 0x2b, 0x2b};
	struct ecn_inbox in = {0};
	struct utcp_sim_channel_stats st = ecn_burst(tos, sizeof(tos), 10, 3, &in);
	REQUIRE_EQ(in.n, sizeof(tos));
	for (size_t i = 0; i < sizeof(tos); i++) {
		CHECK_EQ(in.tos[i], want[i]);
		CHECK(in.valid[i]);
	}
	CHECK_EQ(st.ce_marked, 3);
	CHECK_EQ(st.drop_queue, 0);
	/* Without a threshold nothing is marked. */
	memset(&in, 0, sizeof(in));
	st = ecn_burst(tos, sizeof(tos), 10, 0, &in);
	REQUIRE_EQ(in.n, sizeof(tos));
	for (size_t i = 0; i < sizeof(tos); i++)
		CHECK_EQ(in.tos[i], tos[i]);
	CHECK_EQ(st.ce_marked, 0);
}

/* Marking does not make the queue longer: at its limit ECT packets are
 * dropped like any other (drop-tail). */
TEST(sim_ecn_full_queue_still_drops)
{
	const uint8_t tos[] = {2, 2, 2, 2, 0, 2};
	struct ecn_inbox in = {0};
	struct utcp_sim_channel_stats st = ecn_burst(tos, sizeof(tos), 4, 2, &in);
	REQUIRE_EQ(in.n, 4);
	const uint8_t want[] = {2, 2, 3, 3};
	for (size_t i = 0; i < 4; i++) {
		CHECK_EQ(in.tos[i], want[i]);
		CHECK_EQ(in.id[i], i + 1);
	}
	CHECK_EQ(st.ce_marked, 2);
	CHECK_EQ(st.drop_queue, 2);
}
