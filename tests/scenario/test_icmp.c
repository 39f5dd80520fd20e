/*
 * ICMP (RFC 792, RFC 9293 3.9.2.2): echo is answered; errors quoting our
 * segments reach the connection (MUST-54): port and protocol unreachable
 * abort (SHLD-26), net/host unreachable, source-route failure, time
 * exceeded and parameter problem are soft (MUST-56) and reported
 * (MUST-47, SHLD-25) unless the application turned reports off (SHLD-20),
 * source quench is ignored (MUST-55), "fragmentation needed" shrinks the
 * MSS (RFC 1191), and errors about nothing in flight are ignored (RFC 5927).
 */
#include "fixture.h"

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

static int soft_error(struct fixture *f, int fd)
{
	int e = -1;
	size_t len = sizeof(e);
	REQUIRE_EQ(utcp_getsockopt(fx_stack(f, FX_A), fd, UTCP_SOL_UTCP, UTCP_UTCP_SOFT_ERROR, &e,
				   &len),
		   0);
	return e;
}

TEST(icmp_echo_request_answered)
{
	struct fixture *f = fx_new_raw(NULL);
	uint8_t pkt[IPV4_HDR_LEN + 8 + 5];
	uint8_t *icmp = pkt + IPV4_HDR_LEN;
	memset(icmp, 0, 13);
	icmp[0] = ICMP_ECHO_REQUEST;
	store_be16(icmp + 4, 0x1234);
	store_be16(icmp + 6, 7);
	memcpy(icmp + 8, "hello", 5);
	store_be16(icmp + 2, csum_buf(icmp, 13));
	struct ipv4_hdr ip = {.total_len = sizeof(pkt), .ttl = 64, .proto = IPV4_PROTO_ICMP,
			      .src = FX_ADDR_B, .dst = FX_ADDR_A};
	ipv4_emit(pkt, &ip);
	/* The raw peer's receive hook parses TCP only: watch the channel. */
	struct utcp_sim_channel_stats before, after;
	utcp_sim_channel_stats(f->w, f->ch_ab, &before);
	REQUIRE_EQ(utcp_sim_send(f->w, f->node[FX_B], pkt, sizeof(pkt)), 0);
	fx_run(f, UTCP_MS(5)); /* reaches A at 10 ms: nothing yet */
	utcp_sim_channel_stats(f->w, f->ch_ab, &after);
	CHECK_EQ(after.sent_pkts, before.sent_pkts);
	fx_run(f, UTCP_MS(10));
	utcp_sim_channel_stats(f->w, f->ch_ab, &after);
	CHECK_EQ(after.sent_pkts, before.sent_pkts + 1);
	CHECK_EQ(after.sent_bytes, before.sent_bytes + sizeof(pkt));
	CHECK_EQ(fx_stats(f, FX_A).icmp_echo_reply, 1);
	fx_run(f, UTCP_MS(10));
	CHECK_EQ(f->n_raw_other, 1);
	/* A damaged request is dropped and counted, not answered. */
	pkt[IPV4_HDR_LEN + 9] ^= 1;
	REQUIRE_EQ(utcp_sim_send(f->w, f->node[FX_B], pkt, sizeof(pkt)), 0);
	fx_run(f, UTCP_MS(30));
	CHECK_EQ(fx_stats(f, FX_A).icmp_drop_checksum, 1);
	CHECK_EQ(fx_stats(f, FX_A).icmp_echo_reply, 1);
	fx_free(f);
}

/* A connects to P:80; P answers nothing; returns A's descriptor. */
static int connect_to_silent_peer(struct fixture *f, uint32_t isn)
{
	int fd = fx_connect(f, FX_A, 80, isn);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 1000(0) win 65535 <mss 1460,wscale 7>");
	return fd;
}

static uint16_t a_port(struct fixture *f, int fd)
{
	struct utcp_sockaddr a;
	REQUIRE_EQ(utcp_getsockname(fx_stack(f, FX_A), fd, &a), 0);
	return a.port;
}

TEST(icmp_port_unreachable_aborts_connect)
{
	struct fixture *f = fx_new_raw(NULL);
	int fd = connect_to_silent_peer(f, 1000);
	fx_raw_send_icmp(f, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, 0, a_port(f, fd), 80, 1000);
	fx_run(f, UTCP_MS(20));
	CHECK(utcp_poll_events(fx_stack(f, FX_A), fd) & UTCP_POLLERR);
	CHECK_EQ(fx_so_error(f, FX_A, fd), ECONNREFUSED);
	CHECK_EQ(fx_stats(f, FX_A).icmp_error_in, 1);
	char st[128];
	CHECK_STR(fx_states(f, FX_A, fx_conn_id(f, FX_A, fd), st, sizeof(st)),
		  "CLOSED SYN_SENT CLOSED");
	FX_RAW_EXPECT_NONE(f); /* no SYN retransmission after the abort */
	utcp_close(fx_stack(f, FX_A), fd);
	FX_END(f, UTCP_MS(1));
}

TEST(icmp_soft_errors_reported_never_abort)
{
	static const struct {
		uint8_t type, code;
		int err;
	} soft[] = {
		{ICMP_DEST_UNREACH, ICMP_UNREACH_NET, ENETUNREACH},
		{ICMP_DEST_UNREACH, ICMP_UNREACH_HOST, EHOSTUNREACH},
		{ICMP_DEST_UNREACH, ICMP_UNREACH_SRCFAIL, EHOSTUNREACH},
		{ICMP_TIME_EXCEEDED, 0, EHOSTUNREACH},
		{ICMP_PARAM_PROBLEM, 0, EPROTO},
	};
	for (size_t i = 0; i < sizeof(soft) / sizeof(soft[0]); i++) {
		struct fixture *f = fx_new_raw(NULL);
		int fd = connect_to_silent_peer(f, 1000);
		fx_raw_send_icmp(f, soft[i].type, soft[i].code, 0, a_port(f, fd), 80, 1000);
		fx_run(f, UTCP_MS(20));
		int ev = utcp_poll_events(fx_stack(f, FX_A), fd);
		CHECK(ev & UTCP_POLLSOFTERR);
		CHECK(!(ev & UTCP_POLLERR));
		CHECK_EQ(soft_error(f, fd), soft[i].err);
		CHECK_EQ(fx_so_error(f, FX_A, fd), 0);
		/* Still trying: the SYN is retransmitted at 1 s, and a late
		 * SYN,ACK completes the connection. */
		fx_run(f, UTCP_MS(1000));
		FX_RAW_EXPECT(f, "SYN 1000(0) win 65535 <mss 1460,wscale 7>");
		fx_raw_send(f, 80, a_port(f, fd), UTCP_TH_SYN | UTCP_TH_ACK, 7000, 1001, 65535, NULL, 0,
			    NULL);
		fx_run(f, UTCP_MS(20));
		FX_RAW_EXPECT(f, "1001(0) ack 7001 win 65535");
		CHECK(utcp_poll_events(fx_stack(f, FX_A), fd) & UTCP_POLLOUT);
		utcp_close(fx_stack(f, FX_A), fd);
		fx_free(f);
	}
}

TEST(icmp_soft_error_reports_can_be_turned_off)
{
	struct fixture *f = fx_new_raw(NULL);
	int fd = utcp_socket(fx_stack(f, FX_A));
	fx_setint(f, FX_A, fd, UTCP_SOL_UTCP, UTCP_UTCP_SOFT_ERRORS, 0);
	uint32_t isn = 1000;
	REQUIRE_EQ(utcp_setsockopt(fx_stack(f, FX_A), fd, UTCP_SOL_UTCP, UTCP_UTCP_ISN, &isn,
				   sizeof(isn)),
		   0);
	struct utcp_sockaddr p = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(fx_stack(f, FX_A), fd, &p), -EINPROGRESS);
	fx_run(f, UTCP_MS(20));
	fx_raw_send_icmp(f, ICMP_DEST_UNREACH, ICMP_UNREACH_HOST, 0, a_port(f, fd), 80, 1000);
	fx_run(f, UTCP_MS(20));
	CHECK(!(utcp_poll_events(fx_stack(f, FX_A), fd) & UTCP_POLLSOFTERR));
	utcp_close(fx_stack(f, FX_A), fd);
	fx_free(f);
}

TEST(icmp_source_quench_and_stray_errors_ignored)
{
	struct fixture *f = fx_new_raw(NULL);
	int fd = connect_to_silent_peer(f, 1000);
	uint16_t port = a_port(f, fd);
	fx_raw_send_icmp(f, ICMP_SOURCE_QUENCH, 0, 0, port, 80, 1000);
	/* A sequence number we never sent (RFC 5927), another connection. */
	fx_raw_send_icmp(f, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, 0, port, 80, 999);
	fx_raw_send_icmp(f, ICMP_DEST_UNREACH, ICMP_UNREACH_PORT, 0, port + 1, 80, 1000);
	fx_run(f, UTCP_MS(20));
	struct utcp_stats st = fx_stats(f, FX_A);
	CHECK_EQ(st.icmp_error_in, 1); /* the quench, taken and ignored */
	CHECK_EQ(st.icmp_error_ignored, 2);
	CHECK_EQ(utcp_poll_events(fx_stack(f, FX_A), fd) & (UTCP_POLLERR | UTCP_POLLSOFTERR), 0);
	utcp_close(fx_stack(f, FX_A), fd);
	fx_free(f);
}

TEST(icmp_fragmentation_needed_shrinks_the_mss)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int fd = connect_to_silent_peer(f, 1000);
	uint16_t port = a_port(f, fd);
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1460};
	fx_raw_send(f, 80, port, UTCP_TH_SYN | UTCP_TH_ACK, 7000, 1001, 65535, NULL, 0, &mss);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 7001 win 65535");
	static uint8_t data[3000];
	REQUIRE_EQ(utcp_send(a, fd, data, sizeof(data), 0), 3000);
	fx_run(f, UTCP_MS(15));
	FX_RAW_EXPECT(f, "1001(1460) ack 7001 win 65535");
	FX_RAW_EXPECT(f, "2461(1460) ack 7001 win 65535");
	FX_RAW_EXPECT_NONE(f); /* Nagle holds the 80-byte runt back */
	/* A router on the path says 1000 bytes is all it takes. */
	fx_raw_send_icmp(f, ICMP_DEST_UNREACH, ICMP_UNREACH_NEEDFRAG, 1000, port, 80, 1001);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(960) ack 7001 win 65535");
	FX_RAW_EXPECT(f, "1961(960) ack 7001 win 65535");
	FX_RAW_EXPECT(f, "2921(960) ack 7001 win 65535");
	FX_RAW_EXPECT(f, "3881(120) ack 7001 win 65535");
	CHECK_EQ(fx_info(f, FX_A, fd).snd_mss, 960);
	utcp_close(a, fd);
	fx_free(f);
}
