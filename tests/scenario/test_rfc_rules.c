/*
 * The rules of RFC 9293 section 3.10.7 (segment arrival) and RFC 5961
 * (blind attacks), the timers of 3.8 (retransmission, zero-window probes,
 * keep-alive, TIME_WAIT) and urgent data (3.8.5), each played against A
 * segment by segment by the raw peer P.
 *
 * Unless a test says otherwise: A listens on port 80 with ISS 1000 and
 * 4 KiB buffers; P connects from port 4000 with ISN 5000, window 8192,
 * MSS 1460. Once established (t = 30 ms) A's SND.NXT is 1001 and its
 * RCV.NXT 5001; the handshake's RTT of 20 ms makes A's RTO the 200 ms
 * minimum.
 */
#include "fixture.h"

/* P sends a segment to A's port 80. */
static void p_send(struct fixture *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		   const char *data)
{
	uint32_t len = data ? (uint32_t)strlen(data) : 0;
	fx_raw_send(f, FX_PP, 80, flags, seq, ack, wnd, data, len, NULL);
}

/* ---- RFC 9293 3.10.7.1: CLOSED (no connection, no listener) ---- */

TEST(rfc_closed_port_no_ack_rst_ack)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1460};
	/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN count. */
	fx_raw_send(f, FX_PP, 99, UTCP_TH_SYN, 5000, 0, 8192, NULL, 0, &mss);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 0(0) ack 5001 win 0");
	fx_raw_send(f, FX_PP, 99, 0, 7000, 0, 8192, "0123456789", 10, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 0(0) ack 7010 win 0");
	fx_raw_send(f, FX_PP, 99, UTCP_TH_FIN, 7000, 0, 8192, "abc", 3, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 0(0) ack 7004 win 0");
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_no_conn, 3);
	FX_RAW_END(f, -1, -1);
}

TEST(rfc_closed_port_ack_rst_seq_seg_ack)
{
	struct fixture *f = fx_new_raw(NULL);
	/* <SEQ=SEG.ACK><CTL=RST>, no ACK flag. */
	fx_raw_send(f, FX_PP, 99, UTCP_TH_ACK, 5000, 1234, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 1234(0) win 0");
	fx_raw_send(f, FX_PP, 99, UTCP_TH_ACK | UTCP_TH_FIN, 5000, 777, 8192, "data", 4, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 777(0) win 0");
	FX_RAW_EXPECT_NONE(f);
	FX_RAW_END(f, -1, -1);
}

TEST(rfc_closed_port_rst_not_answered)
{
	struct fixture *f = fx_new_raw(NULL);
	fx_raw_send(f, FX_PP, 99, UTCP_TH_RST, 5000, 0, 0, NULL, 0, NULL);
	fx_raw_send(f, FX_PP, 99, UTCP_TH_RST | UTCP_TH_ACK, 5000, 1234, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(50));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_no_conn_rst, 2);
	CHECK_EQ(fx_stats(f, FX_A).tcp_rst_out, 0);
	FX_RAW_END(f, -1, -1);
}

/* ---- 3.10.7.2: LISTEN ---- */

TEST(rfc_listen_ack_rst_rst_ignored)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	p_send(f, UTCP_TH_ACK, 5000, 4321, 8192, NULL); /* an ACK: <SEQ=SEG.ACK><CTL=RST> */
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 4321(0) win 0");
	p_send(f, UTCP_TH_RST, 5000, 0, 0, NULL); /* a RST: ignored */
	p_send(f, UTCP_TH_RST | UTCP_TH_ACK, 5000, 4321, 0, NULL);
	p_send(f, UTCP_TH_FIN, 5000, 0, 8192, "x"); /* neither SYN nor ACK: dropped */
	fx_run(f, UTCP_MS(50));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_sockets_alive(f, FX_A), 1); /* no child was made */
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_listen_bad, 4);
	CHECK_EQ(fx_state(f, FX_A, lfd), UTCP_LISTEN);
	/* ... and it still takes a SYN. */
	uint32_t iss;
	int fd = fx_raw_accept(f, lfd, FX_PP, 80, 5000, 8192, &iss);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	FX_RAW_END(f, fd, lfd);
}

/* ---- 3.10.7.3: SYN_SENT ---- */

/* A connects to P:80; returns A's descriptor and its port. */
static int syn_sent(struct fixture *f, uint16_t *aport)
{
	int fd = fx_socket_4k(f, FX_A, 100);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(fx_stack(f, FX_A), fd, &to), -EINPROGRESS);
	fx_run(f, UTCP_MS(10));
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "SYN 100(0) win 4096 <mss 1460>");
	REQUIRE(s != NULL);
	*aport = s->h.sport;
	return fd;
}

TEST(rfc_syn_sent_unacceptable_ack_rst)
{
	struct fixture *f = fx_new_raw(NULL);
	uint16_t ap;
	int fd = syn_sent(f, &ap);
	/* SEG.ACK =< ISS or SEG.ACK > SND.NXT: <SEQ=SEG.ACK><CTL=RST>. */
	fx_raw_send(f, 80, ap, UTCP_TH_SYN | UTCP_TH_ACK, 5000, 500, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 500(0) win 0");
	fx_raw_send(f, 80, ap, UTCP_TH_ACK, 5000, 100, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 100(0) win 0");
	/* A RST with an unacceptable ACK is dropped, not answered. */
	fx_raw_send(f, 80, ap, UTCP_TH_RST | UTCP_TH_ACK, 0, 500, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_SYN_SENT);
	/* The right SYN,ACK still completes the handshake. */
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1460};
	fx_raw_send(f, 80, ap, UTCP_TH_SYN | UTCP_TH_ACK, 5000, 101, 8192, NULL, 0, &mss);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "101(0) ack 5001 win 4096");
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	CHECK_EQ(fx_stats(f, FX_A).tcp_rst_out, 2);
	FX_RAW_END(f, fd, -1);
}

TEST(rfc_syn_sent_rst_acceptable_ack_refused)
{
	struct fixture *f = fx_new_raw(NULL);
	uint16_t ap;
	int fd = syn_sent(f, &ap);
	fx_raw_send(f, 80, ap, UTCP_TH_RST | UTCP_TH_ACK, 0, 101, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	CHECK(utcp_poll_events(fx_stack(f, FX_A), fd) & UTCP_POLLERR);
	char buf[4];
	CHECK_EQ(utcp_recv(fx_stack(f, FX_A), fd, buf, sizeof(buf), 0), -ECONNREFUSED);
	FX_RAW_END(f, fd, -1);
}

TEST(rfc_syn_sent_rst_without_ack_ignored)
{
	struct fixture *f = fx_new_raw(NULL);
	uint16_t ap;
	int fd = syn_sent(f, &ap);
	fx_raw_send(f, 80, ap, UTCP_TH_RST, 0, 0, 0, NULL, 0, NULL);
	fx_raw_send(f, 80, ap, UTCP_TH_RST, 5000, 0, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_SYN_SENT);
	CHECK_EQ(fx_so_error(f, FX_A, fd), 0);
	/* Still trying: the SYN goes again when the 1 s RTO expires. */
	fx_run_until(f, UTCP_SEC(1) + UTCP_MS(10));
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "SYN 100(0) win 4096 <mss 1460>");
	if (s)
		CHECK_EQ(s->at, UTCP_SEC(1) + UTCP_MS(10));
	FX_RAW_END(f, fd, -1);
}

/* ---- RFC 5961 and the acceptability test (3.10.7.4 first to fifth) ---- */

/* RFC 5961 3.2: a RST inside the window but not at RCV.NXT earns a
 * challenge ACK and changes nothing; one exactly at RCV.NXT resets. */
TEST(rfc5961_rst_in_window_challenge_ack_exact_resets)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	p_send(f, UTCP_TH_RST, 5101, 0, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5001 win 4096");
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	CHECK_EQ(fx_stats(f, FX_A).tcp_challenge_ack, 1);
	/* Outside the window (either side): dropped without a word. */
	p_send(f, UTCP_TH_RST, 5000, 0, 0, NULL);
	p_send(f, UTCP_TH_RST, 5001 + 4096, 0, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	/* The connection works on. */
	p_send(f, UTCP_TH_ACK, 5001, 1001, 8192, "hello");
	fx_run(f, UTCP_MS(20));
	char buf[16];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 5);
	/* Exactly at RCV.NXT: reset. */
	p_send(f, UTCP_TH_RST, 5006, 0, 0, NULL);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), -ECONNRESET);
	fx_run(f, UTCP_MS(50)); /* the delayed ACK of "hello" was cancelled */
	FX_RAW_EXPECT_NONE(f);
	utcp_close(a, fd);
	FX_RAW_END(f, -1, lfd);
}

/* RFC 5961 4.2 (RFC 9293 3.10.7.4 fourth): any SYN in a synchronized
 * state, whatever its sequence number, gets a challenge ACK. */
TEST(rfc5961_syn_in_established_challenge_ack)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	static const uint32_t seqs[] = {5001, 9000, 100};
	for (size_t i = 0; i < 3; i++) {
		p_send(f, UTCP_TH_SYN, seqs[i], 0, 8192, NULL);
		fx_run(f, UTCP_MS(20));
		FX_RAW_EXPECT(f, "1001(0) ack 5001 win 4096");
		CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	}
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_stats(f, FX_A).tcp_rst_in, 0);
	FX_RAW_END(f, fd, lfd);
}

/* The same for a SYN at RCV.NXT - 1 carrying data: trimming cuts the SYN's
 * sequence number off, but it is still a SYN; its data is not taken
 * (Linux tcp_validate_incoming answers it the same way). */
TEST(rfc5961_syn_with_data_at_rcv_nxt_minus_1_challenge_ack)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	p_send(f, UTCP_TH_SYN | UTCP_TH_ACK, 5000, 1001, 8192, "smuggled");
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5001 win 4096");
	char buf[16];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), -EAGAIN);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	FX_RAW_EXPECT_NONE(f);
	FX_RAW_END(f, fd, lfd);
}

/* 3.10.7.4 first: an unacceptable segment is answered with an ACK
 * <SEQ=SND.NXT><ACK=RCV.NXT> and dropped (unless it is a RST). */
TEST(rfc_out_of_window_segment_dup_ack)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	p_send(f, UTCP_TH_ACK, 5001 + 4096, 1001, 8192, "beyond"); /* right of the window */
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5001 win 4096");
	p_send(f, UTCP_TH_ACK, 4990, 1001, 8192, "old dup"); /* wholly before RCV.NXT */
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5001 win 4096");
	char buf[16];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), -EAGAIN);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_out_of_window, 1);
	CHECK_EQ(fx_stats(f, FX_A).tcp_dup_segment, 1);
	FX_RAW_EXPECT_NONE(f);
	FX_RAW_END(f, fd, lfd);
}

/* 3.10.7.4 fifth: an ACK of something not yet sent: ACK, drop (the data
 * in it is not taken). */
TEST(rfc_ack_of_unsent_data_ack_and_drop)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	p_send(f, UTCP_TH_ACK, 5001, 2001, 8192, "hello");
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5001 win 4096");
	char buf[16];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), -EAGAIN);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_bad_ack, 1);
	/* The same data with a good ACK is taken; the delayed ACK (40 ms)
	 * leaves before the application reads, so the window is 4096 - 5. */
	p_send(f, UTCP_TH_ACK, 5001, 1001, 8192, "hello");
	fx_run(f, UTCP_MS(60));
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 5);
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "1001(0) ack 5006 win 4091");
	if (s)
		CHECK_EQ(s->at, UTCP_MS(110));
	FX_RAW_END(f, fd, lfd);
}

/* ---- 3.8.6.1: zero-window probes ---- */

/* SHLD-29/30: the first probe one RTO after the window closed, then
 * doubling (capped at rto_max 120 s); MUST-37: probes that are answered
 * keep the connection, however many; data flows when the window opens. */
TEST(rfc_zero_window_persist_probes_backoff)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 2920); /* two segments of 1460 */
	static char data[4000];
	memset(data, 'z', sizeof(data));
	REQUIRE_EQ(utcp_send(a, fd, data, sizeof(data), 0), 4000);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "1001(1460) ack 5001 win 4096");
	FX_RAW_EXPECT(f, "2461(1460) ack 5001 win 4096");
	FX_RAW_EXPECT_NONE(f); /* 1080 bytes wait for the window */
	p_send(f, UTCP_TH_ACK, 5001, 3921, 0, NULL); /* all taken; window 0 */
	fx_run(f, UTCP_MS(10));
	utcp_time_us closed_at = fx_now(f);
	struct utcp_tcp_info info = fx_info(f, FX_A, fd);
	REQUIRE_EQ(info.rto_us, 200000);
	CHECK_EQ(info.snd_wnd, 0);

	utcp_time_us gap = UTCP_MS(200), at = closed_at;
	for (int k = 0; k < 20; k++) {
		at += gap;
		fx_run_until(f, at + UTCP_MS(10) - 1);
		FX_RAW_EXPECT_NONE(f); /* nothing before its time */
		fx_run_until(f, at + UTCP_MS(10));
		FX_RAW_EXPECT(f, "3921(1) ack 5001 win 4096");
		p_send(f, UTCP_TH_ACK, 5001, 3921, 0, NULL); /* still closed */
		gap = gap * 2 < UTCP_SEC(120) ? gap * 2 : UTCP_SEC(120);
	}
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	CHECK_EQ(fx_stats(f, FX_A).tcp_zero_window_probe, 20);
	CHECK_EQ(fx_stats(f, FX_A).tcp_conn_timeout, 0);
	/* The window opens: the 1080 bytes go at once. */
	fx_run(f, UTCP_SEC(1));
	p_send(f, UTCP_TH_ACK, 5001, 3921, 2920, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "3921(1080) ack 5001 win 4096");
	p_send(f, UTCP_TH_ACK, 5001, 5001, 2920, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT_NONE(f);
	info = fx_info(f, FX_A, fd);
	CHECK_EQ(info.send_queue, 0);
	FX_RAW_END(f, fd, lfd);
}

/* A peer that answers no probe at all is given up on after R2 probes
 * (Linux's tcp_probe_timer); answered probes never end the connection. */
TEST(rfc_zero_window_unanswered_probes_give_up)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 2920);
	static char data[4000];
	REQUIRE_EQ(utcp_send(a, fd, data, sizeof(data), 0), 4000);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "1001(1460) ack 5001 win 4096");
	FX_RAW_EXPECT(f, "2461(1460) ack 5001 win 4096");
	p_send(f, UTCP_TH_ACK, 5001, 3921, 0, NULL); /* window 0, then silence */
	fx_run(f, UTCP_MS(10));
	/* Probes at +0.2, 0.6, 1.4, ... s (doubling up to 120 s): 15 of them
	 * (retries_r2), then at the 16th expiry the connection is dropped. */
	fx_run(f, UTCP_SEC(2000));
	unsigned probes = 0;
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(f)) != NULL) {
		char buf[96];
		if (s->h.flags & UTCP_TH_RST)
			break;
		CHECK_STR(fx_raw_str(s, buf, sizeof(buf)), "3921(1) ack 5001 win 4096");
		probes++;
	}
	CHECK_EQ(probes, 15);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	CHECK_EQ(fx_so_error(f, FX_A, fd), ETIMEDOUT);
	CHECK_EQ(fx_stats(f, FX_A).tcp_conn_timeout, 1);
	utcp_close(a, fd);
	FX_RAW_END(f, -1, lfd);
}

/* ---- 3.8.4: keep-alive ---- */

/* MUST-25, MUST-28: off by default, and the default idle time is 2 h. */
TEST(rfc_keepalive_off_by_default)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	int v = -1;
	size_t len = sizeof(v);
	REQUIRE_EQ(utcp_getsockopt(a, fd, UTCP_SOL_SOCKET, UTCP_SO_KEEPALIVE, &v, &len), 0);
	CHECK_EQ(v, 0);
	REQUIRE_EQ(utcp_getsockopt(a, fd, UTCP_SOL_TCP, UTCP_TCP_KEEPIDLE, &v, &len), 0);
	CHECK_EQ(v, 7200);
	fx_run(f, UTCP_SEC(3 * 3600));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	FX_RAW_END(f, fd, lfd);
}

/* Keep-alive on, idle 1 s, interval 1 s, 3 probes, set in that order on
 * an established connection (the idle time applies at once, as Linux).
 * A probe is <SEQ=SND.NXT-1> with no data (SHLD-12); an answered probe
 * keeps the connection (MUST-29: one lost probe is no proof of death);
 * three unanswered ones end it with ETIMEDOUT one interval after the
 * last. */
TEST(rfc_keepalive_probes_answered_then_timeout)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192); /* last segment from P at 30 ms */
	fx_setint(f, FX_A, fd, UTCP_SOL_SOCKET, UTCP_SO_KEEPALIVE, 1);
	fx_setint(f, FX_A, fd, UTCP_SOL_TCP, UTCP_TCP_KEEPIDLE, 1);
	fx_setint(f, FX_A, fd, UTCP_SOL_TCP, UTCP_TCP_KEEPINTVL, 1);
	fx_setint(f, FX_A, fd, UTCP_SOL_TCP, UTCP_TCP_KEEPCNT, 3);
	/* First probe: 1 s after the last segment received. */
	fx_run_until(f, UTCP_MS(1040) - 1);
	FX_RAW_EXPECT_NONE(f);
	fx_run_until(f, UTCP_MS(1040));
	FX_RAW_EXPECT(f, "1000(0) ack 5001 win 4096");
	p_send(f, UTCP_TH_ACK, 5001, 1001, 8192, NULL); /* answered: arrives at 1.050 s */
	/* Idle again from 1.050 s: probes at 2.050, 3.050, 4.050 s, none answered. */
	static const unsigned ms[] = {2050, 3050, 4050};
	for (int i = 0; i < 3; i++) {
		fx_run_until(f, UTCP_MS(ms[i]) + UTCP_MS(10) - 1);
		FX_RAW_EXPECT_NONE(f);
		fx_run_until(f, UTCP_MS(ms[i]) + UTCP_MS(10));
		FX_RAW_EXPECT(f, "1000(0) ack 5001 win 4096");
	}
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	fx_run_until(f, UTCP_MS(5050) - 1);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	fx_run_until(f, UTCP_MS(5050));
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	CHECK_EQ(fx_so_error(f, FX_A, fd), ETIMEDOUT);
	CHECK_EQ(fx_stats(f, FX_A).tcp_keepalive_probe, 4);
	/* Giving up, A tells the peer with a RST (as Linux does). */
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "RST 1001(0) ack 5001 win 0");
	utcp_close(a, fd);
	FX_RAW_END(f, -1, lfd);
}

/* ---- 3.6.1 / 3.10.7.4: TIME_WAIT ---- */

/* A retransmitted FIN in TIME_WAIT is ACKed again and 2*MSL starts over. */
TEST(rfc_time_wait_fin_retransmit_reacked_2msl_restarts)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	REQUIRE_EQ(utcp_close(a, fd), 0); /* t = 30 ms */
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "FIN 1001(0) ack 5001 win 4096");
	p_send(f, UTCP_TH_FIN | UTCP_TH_ACK, 5001, 1002, 8192, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1002(0) ack 5002 win 4096");
	utcp_time_us tw_at = fx_state_at(f, FX_A, 2, UTCP_TIME_WAIT);
	CHECK_EQ(tw_at, UTCP_MS(50));
	fx_run_until(f, UTCP_SEC(10) + UTCP_MS(50));
	p_send(f, UTCP_TH_FIN | UTCP_TH_ACK, 5001, 1002, 8192, NULL); /* "our ACK was lost" */
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1002(0) ack 5002 win 4096");
	/* Not closed at the first deadline; closed 2*MSL after the new FIN. */
	fx_run_until(f, tw_at + UTCP_SEC(60));
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	fx_run_until(f, UTCP_SEC(10) + UTCP_MS(60) + UTCP_SEC(60));
	CHECK_EQ(fx_state_at(f, FX_A, 2, UTCP_CLOSED), UTCP_SEC(10) + UTCP_MS(60) + UTCP_SEC(60));
	FX_RAW_EXPECT_NONE(f);
	FX_RAW_END(f, -1, lfd);
}

/* ---- 3.8.1 / 3.8.3: retransmission ---- */

/* RFC 6298 (5.5): each timeout doubles the RTO (200 ms here); after R2
 * retransmissions (retries_r2 = 5) the connection ends with ETIMEDOUT. */
TEST(rfc_data_retransmit_backoff_then_etimedout)
{
	struct fx_opts o = {.raw_peer = true, .has_cfg = true};
	fx_default_cfg(&o.cfg_a);
	fx_default_cfg(&o.cfg_b);
	o.cfg_a.retries_r2 = 5;
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	utcp_time_us t0 = fx_now(f);
	REQUIRE_EQ(utcp_send(a, fd, "0123456789", 10, 0), 10);
	fx_run(f, UTCP_SEC(30));
	static const unsigned ms[] = {0, 200, 600, 1400, 3000, 6200};
	for (int i = 0; i < 6; i++) {
		const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "1001(10) ack 5001 win 4096");
		if (s)
			CHECK_EQ(s->at, t0 + UTCP_MS(ms[i]) + UTCP_MS(10));
	}
	FX_RAW_EXPECT_NONE(f); /* gave up: no RST either (as Linux) */
	CHECK_EQ(fx_state_at(f, FX_A, 2, UTCP_CLOSED), t0 + UTCP_MS(12600));
	CHECK_EQ(fx_so_error(f, FX_A, fd), ETIMEDOUT);
	CHECK_EQ(fx_stats(f, FX_A).tcp_retransmit, 5);
	CHECK_EQ(fx_stats(f, FX_A).tcp_timeout, 6);
	utcp_close(a, fd);
	FX_RAW_END(f, -1, lfd);
}

/* ---- 3.8.5: urgent data ---- */

/* MUST-62: the urgent pointer names the octet after the urgent data. */
TEST(rfc_urgent_send_sets_urg_and_pointer)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	fx_setint(f, FX_A, fd, UTCP_SOL_TCP, UTCP_TCP_NODELAY, 1);
	REQUIRE_EQ(utcp_send(a, fd, "abc", 3, 0), 3);
	REQUIRE_EQ(utcp_send(a, fd, "XY", 2, UTCP_MSG_OOB), 2);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "1001(3) ack 5001 win 4096");
	FX_RAW_EXPECT(f, "URG 1004(2) ack 5001 win 4096 urp 2"); /* 1004 + 2 = after 'Y' */
	p_send(f, UTCP_TH_ACK, 5001, 1006, 8192, NULL);
	fx_run(f, UTCP_MS(10));
	REQUIRE_EQ(utcp_send(a, fd, "plain", 5, 0), 5); /* past the mark: no URG */
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "1006(5) ack 5001 win 4096");
	FX_RAW_END(f, fd, lfd);
}

/* MUST-32/33: the receiver is told (POLLPRI), learns how much is urgent
 * (TCP_INFO) and where the mark is (sockatmark); as in Linux and BSD a
 * read stops at the mark, so the application can see it. */
TEST(rfc_urgent_receive_pollpri_sockatmark)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	CHECK(!(utcp_poll_events(a, fd) & UTCP_POLLPRI));
	CHECK_EQ(utcp_sockatmark(a, fd), 0);
	/* "hello" then one urgent byte 'X': the pointer (6) names the byte after it. */
	struct tcp_hdr h = {.sport = FX_PP, .dport = 80, .seq = 5001, .ack = 1001,
			    .flags = UTCP_TH_ACK | UTCP_TH_URG | UTCP_TH_PSH, .wnd = 8192,
			    .urp = 6};
	fx_raw_send_hdr(f, &h, "helloX", 6);
	fx_run(f, UTCP_MS(20));
	int ev = utcp_poll_events(a, fd);
	CHECK(ev & UTCP_POLLPRI);
	CHECK(ev & UTCP_POLLIN);
	struct utcp_tcp_info info = fx_info(f, FX_A, fd);
	CHECK(info.urgent_pending);
	CHECK_EQ(info.urgent_bytes, 6);
	CHECK_EQ(utcp_sockatmark(a, fd), 0);
	char buf[16];
	REQUIRE_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 5); /* stops at the mark */
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(utcp_sockatmark(a, fd), 1);
	CHECK(utcp_poll_events(a, fd) & UTCP_POLLPRI);
	REQUIRE_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 1);
	CHECK_EQ(buf[0], 'X');
	CHECK_EQ(utcp_sockatmark(a, fd), 0);
	CHECK(!(utcp_poll_events(a, fd) & UTCP_POLLPRI)); /* consumed */
	/* Ordinary data afterwards: no urgent state comes back. */
	p_send(f, UTCP_TH_ACK, 5007, 1001, 8192, "more");
	fx_run(f, UTCP_MS(20));
	REQUIRE_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 4);
	CHECK(!(utcp_poll_events(a, fd) & UTCP_POLLPRI));
	CHECK_EQ(utcp_sockatmark(a, fd), 0);
	FX_RAW_END(f, fd, lfd);
}

/* MAY-2 (RFC 1122 4.2.2.13): a new SYN for a four-tuple in TIME_WAIT
 * whose sequence number lies beyond the old connection's opens a new
 * connection; an older one only gets the TIME_WAIT's ACK. */
TEST(rfc_time_wait_new_syn_reopens)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	REQUIRE_EQ(utcp_close(a, fd), 0);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "FIN 1001(0) ack 5001 win 4096");
	p_send(f, UTCP_TH_FIN | UTCP_TH_ACK, 5001, 1002, 8192, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1002(0) ack 5002 win 4096");
	REQUIRE_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1460};
	/* Old: not beyond RCV.NXT 5002. */
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN, 4000, 0, 8192, NULL, 0, &mss);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1002(0) ack 5002 win 4096");
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	/* New: beyond it. */
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN, 9000, 0, 8192, NULL, 0, &mss);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 1000(0) ack 9001 win 4096 <mss 1460>");
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 0);
	CHECK_EQ(fx_count(f, FX_A, UTCP_SYN_RCVD), 1);
	CHECK_EQ(fx_stats(f, FX_A).tcp_time_wait_reopen, 1);
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 2, st, sizeof(st)),
		  "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 TIME_WAIT CLOSED");
	p_send(f, UTCP_TH_ACK, 9001, 1001, 8192, NULL);
	fx_run(f, UTCP_MS(20));
	int fd2 = utcp_accept(a, lfd, NULL);
	REQUIRE(fd2 >= 0);
	CHECK_EQ(fx_state(f, FX_A, fd2), UTCP_ESTABLISHED);
	FX_RAW_END(f, fd2, lfd);
}
