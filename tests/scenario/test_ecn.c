/*
 * ECN (RFC 3168 section 6.1; RFC 9293 SHLD-8) at the packet level, host A
 * against the raw peer P: the negotiation both ways (6.1.1), which
 * segments are ECT(0) (6.1.2, 6.1.4-6.1.6), the receiver's echo of CE
 * until CWR (6.1.3), and the sender's one reduction per window for ECE,
 * with CWR on its next new data and nothing retransmitted (6.1.2).
 *
 * A listens on port 80 with ISS 1000 (4 KiB buffers unless a test says
 * otherwise); P connects from port 4000 with ISN 5000. A connecting uses
 * ISS 100 and P answers with ISN 5000. One-way delay 10 ms.
 */
#include "ecn_peer.h"

static void p_send(struct fixture *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		   const void *data, uint32_t len)
{
	ecn_send(f, flags, seq, ack, wnd, data, len, IPV4_ECN_NOT_ECT);
}

/* A connects (ISS 100, 4 KiB buffers); its SYN must print as want_syn. */
static int ecn_connect(struct fixture *f, const char *want_syn, uint16_t *aport)
{
	int fd = fx_socket_4k(f, FX_A, 100);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(fx_stack(f, FX_A), fd, &to), -EINPROGRESS);
	fx_run(f, UTCP_MS(10));
	const struct fx_raw_seg *syn = FX_RAW_EXPECT(f, want_syn);
	REQUIRE(syn != NULL);
	CHECK_EQ(ecn_of(syn), IPV4_ECN_NOT_ECT);
	*aport = syn->h.sport;
	return fd;
}

/* P answers A's SYN with SYN,ACK and `flags`; A's ACK must be plain. */
static void p_synack(struct fixture *f, uint16_t aport, uint8_t flags)
{
	struct utcp_tcp_opts o = {.has_mss = true, .mss = 1460};
	fx_raw_send(f, 80, aport, UTCP_TH_SYN | UTCP_TH_ACK | flags, 5000, 101, 4096, NULL, 0, &o);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *ack = FX_RAW_EXPECT(f, "101(0) ack 5001 win 4096");
	CHECK_EQ(ecn_of(ack), IPV4_ECN_NOT_ECT);
}

/* A sends `n` bytes on fd; the segment must print as `want` with ECN
 * field `ecn`. */
static void a_sends(struct fixture *f, int fd, uint32_t n, const char *want, int ecn)
{
	static const char data[64];
	REQUIRE(n <= sizeof(data));
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, n, 0), (long)n);
	fx_run(f, UTCP_MS(10));
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, want);
	CHECK_EQ(ecn_of(s), ecn);
}

/* How many cc events of reason `why` host A traced. */
static unsigned cc_events(struct fixture *f, enum utcp_cc_event why)
{
	unsigned n = 0;
	for (size_t i = 0; i < f->n_ev; i++)
		n += f->ev[i].host == FX_A && f->ev[i].ev.type == UTCP_TR_CC &&
		     f->ev[i].ev.u.cc.why == why;
	return n;
}

/* 6.1.1: an ECN-setup SYN (ECE and CWR) reaching a listener that accepts
 * ECN (net.ipv4.tcp_ecn 1 or 2) is answered with ECE alone; from then on
 * A's data is ECT(0) and its pure ACKs are not. */
TEST(ecn_listener_answers_ecn_setup_syn)
{
	for (uint8_t ecn = UTCP_ECN_ON; ecn <= UTCP_ECN_ACCEPT; ecn++) {
		struct fixture *f = ecn_world(ecn);
		int lfd, fd = ecn_accept(f, &lfd, 4096, 1460, 4096, ECE_CWR,
					 "SYN,ECE 1000(0) ack 5001 win 4096 <mss 1460>");
		CHECK(fx_info(f, FX_A, fd).ecn);
		CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_negotiated, 1);
		a_sends(f, fd, 5, "1001(5) ack 5001 win 4096", IPV4_ECN_ECT0);
		/* P's data: A's delayed pure ACK is Not-ECT, without ECE. */
		p_send(f, UTCP_TH_ACK, 5001, 1006, 4096, "hello", 5);
		fx_run(f, UTCP_MS(60));
		const struct fx_raw_seg *ack = FX_RAW_EXPECT(f, "1006(0) ack 5006 win 4091");
		CHECK_EQ(ecn_of(ack), IPV4_ECN_NOT_ECT);
		FX_RAW_EXPECT_NONE(f);
		FX_RAW_END(f, fd, lfd);
	}
}

/* 6.1.1: no ECN when the listener has it off, nor for a SYN that is not
 * an ECN-setup SYN (ECE alone, CWR alone): no ECE on the SYN,ACK, and
 * the data is Not-ECT. */
TEST(ecn_listener_off_or_no_setup_syn_answers_without_ece)
{
	static const struct {
		uint8_t ecn, syn_flags;
	} cases[] = {
	    {UTCP_ECN_OFF, ECE_CWR},
	    {UTCP_ECN_ACCEPT, UTCP_TH_ECE},
	    {UTCP_ECN_ON, UTCP_TH_CWR},
	    {UTCP_ECN_ACCEPT, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *f = ecn_world(cases[i].ecn);
		int lfd, fd = ecn_accept(f, &lfd, 4096, 1460, 4096, cases[i].syn_flags,
					 "SYN 1000(0) ack 5001 win 4096 <mss 1460>");
		CHECK(!fx_info(f, FX_A, fd).ecn);
		CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_negotiated, 0);
		a_sends(f, fd, 5, "1001(5) ack 5001 win 4096", IPV4_ECN_NOT_ECT);
		FX_RAW_END(f, fd, lfd);
	}
}

/* 6.1.1: with ECN on, an active open asks (SYN with ECE and CWR); a
 * SYN,ACK with ECE alone agrees. One with ECE and CWR (a reflected SYN)
 * or without ECE does not: the data is then Not-ECT. */
TEST(ecn_client_with_ecn_on_requests)
{
	static const struct {
		uint8_t synack_flags;
		bool ecn;
	} cases[] = {
	    {UTCP_TH_ECE, true},
	    {ECE_CWR, false},
	    {0, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *f = ecn_world(UTCP_ECN_ON);
		uint16_t aport;
		int fd = ecn_connect(f, "SYN,ECE,CWR 100(0) win 4096 <mss 1460>", &aport);
		p_synack(f, aport, cases[i].synack_flags);
		CHECK_EQ(fx_info(f, FX_A, fd).ecn, cases[i].ecn);
		CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_negotiated, cases[i].ecn);
		static const char data[4];
		REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, 4, 0), 4);
		fx_run(f, UTCP_MS(10));
		const struct fx_raw_seg *s = fx_raw_next(f);
		REQUIRE(s != NULL);
		CHECK_EQ(s->h.seq, 101);
		CHECK_EQ(s->len, 4);
		CHECK_EQ(s->h.flags & ECE_CWR, 0);
		CHECK_EQ(ecn_of(s), cases[i].ecn ? IPV4_ECN_ECT0 : IPV4_ECN_NOT_ECT);
		fx_abort(f, FX_A, fd);
		FX_END(f, UTCP_MS(50));
	}
}

/* The default (2, as Linux) does not ask; ECE on the SYN,ACK then means
 * nothing. The socket option overrides the stack's setting either way. */
TEST(ecn_client_default_does_not_request_socket_option_does)
{
	struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
	uint16_t aport;
	int fd = ecn_connect(f, "SYN 100(0) win 4096 <mss 1460>", &aport);
	p_synack(f, aport, UTCP_TH_ECE);
	CHECK(!fx_info(f, FX_A, fd).ecn);
	static const char data[4];
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, 4, 0), 4);
	fx_run(f, UTCP_MS(10));
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "101(4) ack 5001 win 4096");
	CHECK_EQ(ecn_of(s), IPV4_ECN_NOT_ECT);
	fx_abort(f, FX_A, fd);
	FX_END(f, UTCP_MS(50));

	/* Stack default 2, socket 1: asks. Stack 1, socket 0: does not. */
	for (int on = 1; on >= 0; on--) {
		f = ecn_world(on ? UTCP_ECN_ACCEPT : UTCP_ECN_ON);
		fd = fx_socket_4k(f, FX_A, 100);
		fx_setint(f, FX_A, fd, UTCP_SOL_UTCP, UTCP_UTCP_ECN, on);
		int got = -1;
		size_t len = sizeof(got);
		REQUIRE_EQ(utcp_getsockopt(fx_stack(f, FX_A), fd, UTCP_SOL_UTCP, UTCP_UTCP_ECN,
					   &got, &len),
			   0);
		CHECK_EQ(got, on);
		int bad = 3;
		CHECK_EQ(utcp_setsockopt(fx_stack(f, FX_A), fd, UTCP_SOL_UTCP, UTCP_UTCP_ECN, &bad,
					 sizeof(bad)),
			 -EINVAL);
		struct utcp_sockaddr to = {FX_ADDR_B, 80};
		REQUIRE_EQ(utcp_connect(fx_stack(f, FX_A), fd, &to), -EINPROGRESS);
		fx_run(f, UTCP_MS(10));
		FX_RAW_EXPECT(f, on ? "SYN,ECE,CWR 100(0) win 4096 <mss 1460>"
				    : "SYN 100(0) win 4096 <mss 1460>");
		utcp_close(fx_stack(f, FX_A), fd);
		FX_END(f, UTCP_MS(50));
	}
	/* A stack configured with a value that is none of the three. */
	struct utcp_stack_config cfg;
	utcp_stack_config_default(&cfg);
	CHECK_EQ(cfg.ecn, UTCP_ECN_ACCEPT);
	cfg.ecn = 3;
	struct utcp_stack *none = NULL;
	CHECK_EQ(utcp_stack_new(&cfg, &none), -EINVAL);
}

/* 6.1.1.1: the SYN resent after a timeout asks no more (as Linux), and
 * having sent it, A may not use ECN (6.1.1), even if the SYN,ACK that
 * comes answers the first SYN with ECE. */
TEST(ecn_retransmitted_syn_drops_the_request)
{
	struct fixture *f = ecn_world(UTCP_ECN_ON);
	uint16_t aport;
	int fd = ecn_connect(f, "SYN,ECE,CWR 100(0) win 4096 <mss 1460>", &aport);
	fx_run_until(f, UTCP_MS(1009));
	FX_RAW_EXPECT_NONE(f);
	fx_run_until(f, UTCP_MS(1010));
	const struct fx_raw_seg *syn = FX_RAW_EXPECT(f, "SYN 100(0) win 4096 <mss 1460>");
	CHECK_EQ(ecn_of(syn), IPV4_ECN_NOT_ECT);
	p_synack(f, aport, UTCP_TH_ECE);
	CHECK(!fx_info(f, FX_A, fd).ecn);
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_negotiated, 0);
	static const char data[4];
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, 4, 0), 4);
	fx_run(f, UTCP_MS(10));
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "101(4) ack 5001 win 4096");
	CHECK_EQ(ecn_of(s), IPV4_ECN_NOT_ECT);
	fx_abort(f, FX_A, fd);
	FX_END(f, UTCP_MS(50));
}

/* 6.1.5, 6.1.6: on an ECN connection a retransmission (after the RTO) and
 * a zero-window probe are Not-ECT; the new data after them is ECT(0). The
 * application's TOS keeps its DSCP, but the ECN bits are TCP's. */
TEST(ecn_retransmission_and_window_probe_not_ect)
{
	struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
	int lfd, fd = ecn_accept(f, &lfd, 4096, 1460, 4096, ECE_CWR,
				 "SYN,ECE 1000(0) ack 5001 win 4096 <mss 1460>");
	fx_setint(f, FX_A, fd, UTCP_SOL_UTCP, UTCP_UTCP_TOS, 0xb9); /* EF, and ECT(1) */
	a_sends(f, fd, 3, "1001(3) ack 5001 win 4096", IPV4_ECN_ECT0);
	CHECK_EQ(f->raw[f->n_raw - 1].tos, 0xba); /* EF + ECT(0) */
	/* No ACK: the RTO (200 ms) resends it, Not-ECT, DSCP kept. */
	fx_run(f, UTCP_MS(200));
	const struct fx_raw_seg *r = FX_RAW_EXPECT(f, "1001(3) ack 5001 win 4096");
	CHECK_EQ(ecn_of(r), IPV4_ECN_NOT_ECT);
	CHECK_EQ(r ? r->tos : 0, 0xb8);
	/* Acknowledged with a zero window: the next byte goes as a probe. */
	p_send(f, UTCP_TH_ACK, 5001, 1004, 0, NULL, 0);
	fx_run(f, UTCP_MS(10));
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, "def", 3, 0), 3);
	fx_run(f, UTCP_MS(1000));
	const struct fx_raw_seg *p = FX_RAW_EXPECT(f, "1004(1) ack 5001 win 4096");
	CHECK_EQ(ecn_of(p), IPV4_ECN_NOT_ECT);
	/* The window opens: the rest is new data, ECT(0), with CWR: the
	 * timeout reduced the window (as Linux's tcp_enter_loss says so). */
	p_send(f, UTCP_TH_ACK, 5001, 1005, 4096, NULL, 0);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *d = FX_RAW_EXPECT(f, "CWR 1005(2) ack 5001 win 4096");
	CHECK_EQ(ecn_of(d), IPV4_ECN_ECT0);
	CHECK_EQ(fx_stats(f, FX_A).tcp_retransmit, 1);
	FX_RAW_END(f, fd, lfd);
}

/* 6.1.3: data marked CE is acknowledged at once with ECE, and every ACK
 * carries ECE (data segments too) until a segment with CWR arrives; CE
 * on the CWR segment itself starts the echo again. */
TEST(ecn_ce_echoed_until_cwr)
{
	struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
	int lfd, fd = ecn_accept(f, &lfd, 4096, 1460, 4096, ECE_CWR,
				 "SYN,ECE 1000(0) ack 5001 win 4096 <mss 1460>");
	static const char d[100];
	utcp_time_us t = fx_now(f);
	ecn_send(f, UTCP_TH_ACK, 5001, 1001, 4096, d, 100, IPV4_ECN_CE);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *a = FX_RAW_EXPECT(f, "ECE 1001(0) ack 5101 win 3996");
	CHECK_EQ(a ? a->at : 0, t + UTCP_MS(20)); /* no delayed ACK */
	CHECK_EQ(ecn_of(a), IPV4_ECN_NOT_ECT);
	/* Not marked, no CWR: still ECE, on the delayed ACK (40 ms). */
	ecn_send(f, UTCP_TH_ACK, 5101, 1001, 4096, d, 100, IPV4_ECN_ECT0);
	fx_run(f, UTCP_MS(59));
	FX_RAW_EXPECT_NONE(f);
	fx_run(f, UTCP_MS(1));
	FX_RAW_EXPECT(f, "ECE 1001(0) ack 5201 win 3896");
	/* A's own data echoes too, and is ECT(0). */
	a_sends(f, fd, 1, "ECE 1001(1) ack 5201 win 3896", IPV4_ECN_ECT0);
	/* CWR: the sender reduced; the echo ends. */
	ecn_send(f, UTCP_TH_ACK | UTCP_TH_CWR, 5201, 1002, 4096, d, 100, IPV4_ECN_ECT0);
	fx_run(f, UTCP_MS(60));
	FX_RAW_EXPECT(f, "1002(0) ack 5301 win 3796");
	/* CWR and CE together: a new congestion, echoed at once. */
	ecn_send(f, UTCP_TH_ACK | UTCP_TH_CWR, 5301, 1002, 4096, d, 100, IPV4_ECN_CE);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "ECE 1002(0) ack 5401 win 3696");
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_ce_received, 2);
	FX_RAW_END(f, fd, lfd);
}

/* The sender's side, 6.1.2. MSS 1000, 60000-byte buffers: ten segments of
 * the initial window (10000 bytes) are in flight when P acknowledges two
 * with ECE: ssthresh = cwnd = flight / 2 = 5000, nothing resent. Further
 * ECE about the same window changes nothing (and never grows cwnd); the
 * next new data carries CWR. ECE about data sent after the reduction
 * reduces again. */
TEST(ecn_ece_halves_cwnd_once_per_window_cwr_on_new_data)
{
	struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
	int lfd, fd = ecn_accept(f, &lfd, 60000, 1000, 60000, ECE_CWR,
				 "SYN,ECE 1000(0) ack 5001 win 60000 <mss 1460>");
	static const char data[30000];
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, sizeof(data), 0), 30000);
	fx_run(f, UTCP_MS(10));
	for (uint32_t seq = 1001; seq < 11001; seq += 1000) {
		char want[64];
		snprintf(want, sizeof(want), "%u(1000) ack 5001 win 60000", seq);
		const struct fx_raw_seg *s = FX_RAW_EXPECT(f, want);
		CHECK_EQ(ecn_of(s), IPV4_ECN_ECT0);
	}
	FX_RAW_EXPECT_NONE(f);

	p_send(f, UTCP_TH_ACK | UTCP_TH_ECE, 5001, 3001, 60000, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT_NONE(f); /* flight 8000 > cwnd 5000 */
	struct utcp_tcp_info i = fx_info(f, FX_A, fd);
	CHECK_EQ(i.cwnd, 5000);
	CHECK_EQ(i.ssthresh, 5000);
	CHECK_EQ(cc_events(f, UTCP_CC_ECN_ECE), 1);

	/* The same window: no second reduction, no growth. */
	p_send(f, UTCP_TH_ACK | UTCP_TH_ECE, 5001, 6001, 60000, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT_NONE(f); /* flight 5000 = cwnd */
	p_send(f, UTCP_TH_ACK | UTCP_TH_ECE, 5001, 8001, 60000, NULL, 0);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "CWR 11001(1000) ack 5001 win 60000");
	CHECK_EQ(ecn_of(s), IPV4_ECN_ECT0);
	s = FX_RAW_EXPECT(f, "12001(1000) ack 5001 win 60000");
	CHECK_EQ(ecn_of(s), IPV4_ECN_ECT0);
	FX_RAW_EXPECT_NONE(f);
	i = fx_info(f, FX_A, fd);
	CHECK_EQ(i.cwnd, 5000);
	CHECK_EQ(i.ssthresh, 5000);
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_cwnd_reductions, 1);

	/* No ECE: congestion avoidance (3000 of 5000 counted, no growth yet). */
	p_send(f, UTCP_TH_ACK, 5001, 11001, 60000, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "13001(1000) ack 5001 win 60000");
	FX_RAW_EXPECT(f, "14001(1000) ack 5001 win 60000");
	FX_RAW_EXPECT(f, "15001(1000) ack 5001 win 60000");
	FX_RAW_EXPECT_NONE(f);
	/* ECE for data sent after the reduction: a new one, from a flight of
	 * 5000 (16001 - 11001): ssthresh = cwnd = 2500. */
	p_send(f, UTCP_TH_ACK | UTCP_TH_ECE, 5001, 13001, 60000, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT_NONE(f);
	i = fx_info(f, FX_A, fd);
	CHECK_EQ(i.cwnd, 2500);
	CHECK_EQ(i.ssthresh, 2500);
	CHECK_EQ(cc_events(f, UTCP_CC_ECN_ECE), 2);
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_cwnd_reductions, 2);
	/* Nothing was ever sent twice. */
	CHECK_EQ(fx_stats(f, FX_A).tcp_retransmit, 0);
	CHECK_EQ(i.retransmits, 0);
	FX_RAW_END(f, fd, lfd);
}

/* 6.1.2: a loss of data sent before an ECE reduction is the same
 * congestion: fast retransmit keeps ssthresh (5000, not half the flight
 * of 8000) and inflates from it; the resent segment is Not-ECT (6.1.5). */
TEST(ecn_loss_in_the_reduced_window_keeps_ssthresh)
{
	struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
	int lfd, fd = ecn_accept(f, &lfd, 60000, 1000, 60000, ECE_CWR,
				 "SYN,ECE 1000(0) ack 5001 win 60000 <mss 1460>");
	static const char data[30000];
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, sizeof(data), 0), 30000);
	fx_run(f, UTCP_MS(10));
	while (fx_raw_next(f))
		;
	p_send(f, UTCP_TH_ACK | UTCP_TH_ECE, 5001, 3001, 60000, NULL, 0);
	fx_run(f, UTCP_MS(20));
	for (int k = 0; k < 3; k++)
		p_send(f, UTCP_TH_ACK, 5001, 3001, 60000, NULL, 0);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *r = FX_RAW_EXPECT(f, "3001(1000) ack 5001 win 60000");
	CHECK_EQ(ecn_of(r), IPV4_ECN_NOT_ECT);
	FX_RAW_EXPECT_NONE(f);
	struct utcp_tcp_info i = fx_info(f, FX_A, fd);
	CHECK(i.in_recovery);
	CHECK_EQ(i.ssthresh, 5000);
	CHECK_EQ(i.cwnd, 8000); /* RFC 5681 3.2 step 4: ssthresh + 3 SMSS */
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_cwnd_reductions, 1);
	FX_RAW_END(f, fd, lfd);
}

/* 6.1.2: a loss reduction counts as the window's reduction too: after
 * fast retransmit, ECE about the same window (on a partial ACK, or on the
 * ACK that ends recovery) changes nothing more, and the first new data
 * after recovery carries CWR, so that the receiver stops echoing. */
TEST(ecn_loss_recovery_counts_as_the_reduction)
{
	for (int ece = 0; ece <= 1; ece++) {
		struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
		int lfd, fd = ecn_accept(f, &lfd, 60000, 1000, 60000, ECE_CWR,
					 "SYN,ECE 1000(0) ack 5001 win 60000 <mss 1460>");
		static const char data[30000];
		REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, sizeof(data), 0), 30000);
		fx_run(f, UTCP_MS(10));
		while (fx_raw_next(f))
			;
		for (int k = 0; k < 3; k++)
			p_send(f, UTCP_TH_ACK, 5001, 1001, 60000, NULL, 0);
		fx_run(f, UTCP_MS(20));
		const struct fx_raw_seg *r = FX_RAW_EXPECT(f, "1001(1000) ack 5001 win 60000");
		CHECK_EQ(ecn_of(r), IPV4_ECN_NOT_ECT);
		FX_RAW_EXPECT_NONE(f);
		/* NewReno partial ACK, with ECE: 8000 - 2000 + 1000, no more. */
		p_send(f, UTCP_TH_ACK | UTCP_TH_ECE, 5001, 3001, 60000, NULL, 0);
		fx_run(f, UTCP_MS(20));
		r = FX_RAW_EXPECT(f, "3001(1000) ack 5001 win 60000");
		CHECK_EQ(ecn_of(r), IPV4_ECN_NOT_ECT);
		FX_RAW_EXPECT_NONE(f);
		struct utcp_tcp_info i = fx_info(f, FX_A, fd);
		CHECK_EQ(i.cwnd, 7000);
		CHECK_EQ(i.ssthresh, 5000);
		/* The full ACK ends recovery: cwnd = flight (0) + SMSS + SMSS. */
		p_send(f, (uint8_t)(UTCP_TH_ACK | (ece ? UTCP_TH_ECE : 0)), 5001, 11001, 60000,
		       NULL, 0);
		fx_run(f, UTCP_MS(20));
		r = FX_RAW_EXPECT(f, "CWR 11001(1000) ack 5001 win 60000");
		CHECK_EQ(ecn_of(r), IPV4_ECN_ECT0);
		FX_RAW_EXPECT(f, "12001(1000) ack 5001 win 60000");
		FX_RAW_EXPECT_NONE(f);
		i = fx_info(f, FX_A, fd);
		CHECK_EQ(i.cwnd, 2000);
		CHECK_EQ(i.ssthresh, 5000);
		CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_cwnd_reductions, 0);
		CHECK_EQ(cc_events(f, UTCP_CC_ECN_ECE), 0);
		FX_RAW_END(f, fd, lfd);
	}
}

/* Without ECN negotiated, ECE from the peer means nothing (slow start
 * goes on: 10000 + 2000), and CE on arriving data is not echoed. */
TEST(ecn_ece_and_ce_ignored_without_ecn)
{
	struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
	int lfd, fd = ecn_accept(f, &lfd, 60000, 1000, 60000, 0,
				 "SYN 1000(0) ack 5001 win 60000 <mss 1460>");
	static const char data[30000];
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, sizeof(data), 0), 30000);
	fx_run(f, UTCP_MS(10));
	for (int k = 0; k < 10; k++)
		CHECK_EQ(ecn_of(fx_raw_next(f)), IPV4_ECN_NOT_ECT);
	p_send(f, UTCP_TH_ACK | UTCP_TH_ECE, 5001, 3001, 60000, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "11001(1000) ack 5001 win 60000");
	FX_RAW_EXPECT(f, "12001(1000) ack 5001 win 60000");
	FX_RAW_EXPECT(f, "13001(1000) ack 5001 win 60000");
	FX_RAW_EXPECT(f, "14001(1000) ack 5001 win 60000");
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_info(f, FX_A, fd).cwnd, 12000);
	/* CE on P's data: the ACK is delayed as usual and has no ECE. */
	static const char d[100];
	ecn_send(f, UTCP_TH_ACK, 5001, 3001, 60000, d, 100, IPV4_ECN_CE);
	fx_run(f, UTCP_MS(59));
	FX_RAW_EXPECT_NONE(f);
	fx_run(f, UTCP_MS(1));
	FX_RAW_EXPECT(f, "15001(0) ack 5101 win 59900");
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_ce_received, 0);
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_cwnd_reductions, 0);
	FX_RAW_END(f, fd, lfd);
}
