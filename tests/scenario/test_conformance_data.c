/*
 * RFC 9293 conformance, data transfer (sections 3.1, 3.8.5, 3.8.6,
 * 3.9.1.2; docs/CONFORMANCE.md): PSH on the last queued segment and data
 * never held for ever (MUST-61, MUST-60), small writes packed into full
 * segments (SHLD-27, SHLD-28), the window as an unsigned 32-bit quantity
 * (MUST-1, REC-1), a peer that shrinks its window, even to zero with data
 * in flight (MUST-34, MUST-35, SHLD-14..17), an urgent run longer than a
 * segment (MUST-31), a zero receive window that still takes ACK, URG and
 * RST (MUST-66), and ACKs too old to be genuine (MAY-12, RFC 5961).
 *
 * A listens on port 80 with ISS 1000 and 4 KiB buffers unless a test says
 * otherwise; the raw peer P connects from port 4000 with ISN 5000 and MSS
 * 1460. The handshake's RTT (20 ms) makes A's RTO the 200 ms minimum.
 */
#include "fixture.h"

static void p_send(struct fixture *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		   const void *data, uint32_t len)
{
	fx_raw_send(f, FX_PP, 80, flags, seq, ack, wnd, data, len, NULL);
}

/* Expect the next segment from A to print as `want` and to carry PSH or
 * not. */
static void expect_psh(struct fixture *f, const char *want, bool psh, int line)
{
	const struct fx_raw_seg *s = fx_raw_expect(f, want, __FILE__, line);
	if (s && ((s->h.flags & UTCP_TH_PSH) != 0) != psh)
		test_fail_at(__FILE__, line, "%s: PSH %s", want, psh ? "missing" : "unexpected");
}

/* MUST-61: utcp's SEND has no PUSH flag, so the last segment of what is
 * queued carries PSH and the others do not; MUST-60: the runt Nagle holds
 * back leaves as soon as the ACK comes, nothing waits for ever. */
TEST(rfc9293_must61_psh_on_the_last_queued_segment)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	static char data[4000];
	REQUIRE_EQ(utcp_send(a, fd, data, sizeof(data), 0), 4000);
	fx_run(f, UTCP_MS(10));
	expect_psh(f, "1001(1460) ack 5001 win 4096", false, __LINE__);
	expect_psh(f, "2461(1460) ack 5001 win 4096", false, __LINE__);
	FX_RAW_EXPECT_NONE(f); /* Nagle: the 1080-byte runt waits for an ACK */
	p_send(f, UTCP_TH_ACK, 5001, 3921, 8192, NULL, 0);
	fx_run(f, UTCP_MS(20));
	expect_psh(f, "3921(1080) ack 5001 win 4096", true, __LINE__);
	/* A lone write, nothing in flight: one segment, pushed. */
	p_send(f, UTCP_TH_ACK, 5001, 5001, 8192, NULL, 0);
	fx_run(f, UTCP_MS(20));
	REQUIRE_EQ(utcp_send(a, fd, "ping", 4, 0), 4);
	fx_run(f, UTCP_MS(10));
	expect_psh(f, "5001(4) ack 5001 win 4096", true, __LINE__);
	FX_RAW_EXPECT_NONE(f);
	FX_RAW_END(f, fd, lfd);
}

/* SHLD-27, SHLD-28: thirty small writes of 146 bytes, made while the
 * first segment is unacknowledged, are packed into full-sized segments:
 * each leaves as soon as ten writes fill it (Nagle lets a full segment
 * go), one PSH for every ten writes' pushes, and nothing smaller. */
TEST(rfc9293_shld27_small_writes_packed_into_full_segments)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	fx_setint(f, FX_A, fd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 16384);
	REQUIRE_EQ(utcp_send(a, fd, "first", 5, 0), 5);
	static char piece[146];
	for (int i = 0; i < 30; i++) {
		fx_run(f, UTCP_MS(1));
		REQUIRE_EQ(utcp_send(a, fd, piece, sizeof(piece), 0), 146);
	}
	fx_run(f, UTCP_MS(10));
	expect_psh(f, "1001(5) ack 5001 win 4096", true, __LINE__);
	expect_psh(f, "1006(1460) ack 5001 win 4096", true, __LINE__);
	expect_psh(f, "2466(1460) ack 5001 win 4096", true, __LINE__);
	expect_psh(f, "3926(1460) ack 5001 win 4096", true, __LINE__);
	FX_RAW_EXPECT_NONE(f);
	FX_RAW_END(f, fd, lfd);
}

/* MUST-1: the window field is unsigned: 0xffff is 65535 bytes, not -1.
 * With no scaling and an initial window large enough, A fills all of it. */
TEST(rfc9293_must1_window_field_is_unsigned)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	uint32_t iw = 50;
	REQUIRE_EQ(utcp_setsockopt(a, lfd, UTCP_SOL_UTCP, UTCP_UTCP_INITIAL_WINDOW, &iw,
				   sizeof(iw)),
		   0);
	uint32_t iss;
	int fd = fx_raw_accept(f, lfd, FX_PP, 80, 5000, 0xffff, &iss);
	CHECK_EQ(fx_info(f, FX_A, fd).snd_wnd, 65535);
	fx_setint(f, FX_A, fd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 1 << 17);
	fx_setint(f, FX_A, fd, UTCP_SOL_TCP, UTCP_TCP_NODELAY, 1);
	static char data[65535];
	REQUIRE_EQ(utcp_send(a, fd, data, sizeof(data), 0), 65535);
	fx_run(f, UTCP_MS(10));
	uint32_t total = 0;
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(f)) != NULL)
		total += s->len;
	CHECK_EQ(total, 65535);
	CHECK_EQ(fx_info(f, FX_A, fd).unacked, 65535);
	FX_RAW_END(f, fd, lfd);
}

/* REC-1: windows and their arithmetic are 32-bit: the peer's 0xffff
 * scaled by 2^14 is a window of about 1 GiB, and more than 65535 bytes
 * go in flight; sequence numbers and window edges wrap past 2^32 (both
 * ISNs just below it) with nothing lost or refused. */
TEST(rfc9293_rec1_window_arithmetic_in_32_bits)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen(f, FX_A, 80, 0xfffff000u); /* 4 MiB buffers: wscale 7 */
	uint32_t iw = 100;
	REQUIRE_EQ(utcp_setsockopt(a, lfd, UTCP_SOL_UTCP, UTCP_UTCP_INITIAL_WINDOW, &iw,
				   sizeof(iw)),
		   0);
	const uint32_t pisn = 0xffffff00u;
	struct utcp_tcp_opts o = {.has_mss = true, .mss = 1460, .has_wscale = true, .wscale = 14};
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN, pisn, 0, 0xffff, NULL, 0, &o);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 4294963200(0) ack 4294967041 win 65535 <mss 1460,wscale 7>");
	p_send(f, UTCP_TH_ACK, pisn + 1, 0xfffff001u, 0xffff, NULL, 0);
	fx_run(f, UTCP_MS(20));
	int fd = utcp_accept(a, lfd, NULL);
	REQUIRE(fd >= 0);
	CHECK_EQ(fx_info(f, FX_A, fd).snd_wnd, 65535u << 14);
	static char data[200000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	REQUIRE_EQ(utcp_send(a, fd, data, sizeof(data), 0), (long)sizeof(data));
	fx_run(f, UTCP_MS(10));
	uint32_t in_flight = 0, high = 0xfffff001u;
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(f)) != NULL) {
		CHECK_EQ(s->h.seq, high); /* in order, across the wrap */
		high = s->h.seq + s->len;
		in_flight += s->len;
	}
	CHECK_EQ(in_flight, 100u * 1460);
	CHECK(in_flight > 65535);
	CHECK_EQ(high, (uint32_t)(0xfffff001u + 100u * 1460)); /* wrapped past 2^32 */
	/* P acknowledges across the wrap, and sends data across its own. */
	static char pdata[1000];
	memset(pdata, 'p', sizeof(pdata));
	p_send(f, UTCP_TH_ACK, pisn + 1, high, 0xffff, pdata, sizeof(pdata));
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(fx_info(f, FX_A, fd).rcv_nxt, 1001); /* relative: 0xffffff01 + 1000 wrapped */
	char buf[1000];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 1000);
	CHECK(memcmp(buf, pdata, sizeof(buf)) == 0);
	CHECK_EQ(fx_info(f, FX_A, fd).send_queue, sizeof(data) - in_flight);
	FX_RAW_END(f, fd, lfd);
}

/* SHLD-14: the right edge of the window we advertise (ACK + window) never
 * moves left: not while the application reads nothing, and not when it
 * shrinks its receive buffer below what was offered; data inside the
 * offered window is still taken. */
TEST(rfc9293_shld14_advertised_right_edge_never_moves_left)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	static char data[1000];
	uint32_t seq = 5001, edge = 5001 + 4096, acks = 0;
	for (int i = 0; i < 4; i++) {
		if (i == 1)
			fx_setint(f, FX_A, fd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 256);
		p_send(f, UTCP_TH_ACK, seq, 1001, 8192, data, sizeof(data));
		seq += sizeof(data);
		fx_run(f, UTCP_MS(100));
		const struct fx_raw_seg *s;
		while ((s = fx_raw_next(f)) != NULL) {
			uint32_t right = s->h.ack + s->h.wnd;
			if ((int32_t)(right - edge) < 0)
				test_fail_at(__FILE__, __LINE__, "right edge moved left: %u < %u",
					     right, edge);
			edge = right;
			acks++;
		}
	}
	CHECK(acks >= 2);
	CHECK_EQ(fx_info(f, FX_A, fd).recv_queue, 4000); /* all taken, inside the offer */
	CHECK_EQ(edge, 5001 + 4096);
	FX_RAW_END(f, fd, lfd);
}

/*
 * MUST-34, SHLD-15, SHLD-16, SHLD-17: P offered 2920 bytes, A sent them;
 * P then moves its right edge left (the same ACK, window 1000) while 2920
 * bytes are in flight: the usable window is negative. A survives it, sends
 * no new data, on its timeout retransmits only what lies inside the window,
 * does not give up on the data beyond the edge, and completes the transfer
 * when the window opens again.
 */
TEST(rfc9293_must34_sender_survives_a_shrinking_window)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 2920);
	static char data[4380];
	REQUIRE_EQ(utcp_send(a, fd, data, sizeof(data), 0), 4096); /* the buffer's size */
	fx_run(f, UTCP_MS(10));
	utcp_time_us t0 = fx_now(f) - UTCP_MS(10);
	FX_RAW_EXPECT(f, "1001(1460) ack 5001 win 4096");
	FX_RAW_EXPECT(f, "2461(1460) ack 5001 win 4096");
	FX_RAW_EXPECT_NONE(f); /* the window is full */
	p_send(f, UTCP_TH_ACK, 5001, 1001, 1000, NULL, 0); /* shrink: right edge 2001 */
	fx_run(f, UTCP_MS(100));
	FX_RAW_EXPECT_NONE(f); /* SHLD-15: no new data */
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	/* The RTO (200 ms) expires: only the 1000 bytes inside the window go. */
	fx_run_until(f, t0 + UTCP_MS(210));
	FX_RAW_EXPECT(f, "1001(1000) ack 5001 win 4096");
	FX_RAW_EXPECT_NONE(f);
	p_send(f, UTCP_TH_ACK, 5001, 2001, 1000, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "2001(1000) ack 5001 win 4096");
	FX_RAW_EXPECT_NONE(f);
	/* The window opens: the rest follows; nothing was given up on. */
	p_send(f, UTCP_TH_ACK, 5001, 3001, 8192, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "3001(1460) ack 5001 win 4096");
	p_send(f, UTCP_TH_ACK, 5001, 4461, 8192, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "4461(636) ack 5001 win 4096");
	p_send(f, UTCP_TH_ACK, 5001, 5097, 8192, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT_NONE(f);
	struct utcp_tcp_info info = fx_info(f, FX_A, fd);
	CHECK_EQ(info.send_queue, 0);
	CHECK_EQ(info.state, UTCP_ESTABLISHED);
	CHECK_EQ(fx_so_error(f, FX_A, fd), 0);
	FX_RAW_END(f, fd, lfd);
}

/* MUST-31: an urgent run may be any length: 3000 urgent bytes leave in
 * three segments, each with URG and a pointer to the octet after the run;
 * received in three segments, the run is one run of 2500 bytes to the
 * application, and a read stops at its last byte. */
TEST(rfc9293_must31_urgent_run_longer_than_a_segment)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	fx_setint(f, FX_A, fd, UTCP_SOL_TCP, UTCP_TCP_NODELAY, 1);
	static char run[3000];
	REQUIRE_EQ(utcp_send(a, fd, run, sizeof(run), UTCP_MSG_OOB), 3000);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "URG 1001(1460) ack 5001 win 4096 urp 3000");
	FX_RAW_EXPECT(f, "URG 2461(1460) ack 5001 win 4096 urp 1540");
	FX_RAW_EXPECT(f, "URG 3921(80) ack 5001 win 4096 urp 80");
	p_send(f, UTCP_TH_ACK, 5001, 4001, 8192, NULL, 0);

	static char in[2500];
	memset(in, 'u', sizeof(in));
	static const uint32_t off[] = {0, 1000, 2000}, len[] = {1000, 1000, 500};
	for (int i = 0; i < 3; i++) {
		struct tcp_hdr h = {.sport = FX_PP, .dport = 80, .seq = 5001 + off[i], .ack = 4001,
				    .flags = UTCP_TH_ACK | UTCP_TH_URG, .wnd = 8192,
				    .urp = (uint16_t)(2500 - off[i])};
		fx_raw_send_hdr(f, &h, in + off[i], len[i]);
		fx_run(f, UTCP_MS(20));
		CHECK(utcp_poll_events(a, fd) & UTCP_POLLPRI);
		CHECK_EQ(fx_info(f, FX_A, fd).urgent_bytes, 2500);
	}
	char buf[4096];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 2499); /* up to the mark */
	CHECK_EQ(utcp_sockatmark(a, fd), 1);
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 1);
	CHECK(!(utcp_poll_events(a, fd) & UTCP_POLLPRI));
	FX_RAW_END(f, fd, lfd);
}

/* MUST-66: with its receive window at zero, A still processes the ACK,
 * the urgent pointer and a RST of a segment at RCV.NXT (its data is
 * dropped, and the ACK that answers it says the window is still zero). */
TEST(rfc9293_must66_ack_urg_rst_processed_with_a_zero_receive_window)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	REQUIRE_EQ(utcp_send(a, fd, "abc", 3, 0), 3);
	static char fill[4096];
	p_send(f, UTCP_TH_ACK, 5001, 1001, 8192, fill, 1460);
	p_send(f, UTCP_TH_ACK, 6461, 1001, 8192, fill, 1460);
	p_send(f, UTCP_TH_ACK, 7921, 1001, 8192, fill, 1176);
	fx_run(f, UTCP_MS(100));
	struct utcp_tcp_info info = fx_info(f, FX_A, fd);
	REQUIRE_EQ(info.rcv_wnd, 0);
	REQUIRE_EQ(info.recv_queue, 4096);
	REQUIRE_EQ(info.unacked, 3);
	while (fx_raw_next(f))
		;
	/* At RCV.NXT (9097): one byte (no room for it), URG, and the ACK of "abc". */
	struct tcp_hdr h = {.sport = FX_PP, .dport = 80, .seq = 9097, .ack = 1004,
			    .flags = UTCP_TH_ACK | UTCP_TH_URG, .wnd = 8192, .urp = 1};
	fx_raw_send_hdr(f, &h, "!", 1);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1004(0) ack 9097 win 0");
	info = fx_info(f, FX_A, fd);
	CHECK_EQ(info.unacked, 0);           /* the ACK was taken */
	CHECK(utcp_poll_events(a, fd) & UTCP_POLLPRI); /* the urgent pointer too */
	CHECK_EQ(info.recv_queue, 4096);     /* the byte was not */
	p_send(f, UTCP_TH_RST, 9097, 0, 0, NULL, 0);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	CHECK_EQ(fx_so_error(f, FX_A, fd), ECONNRESET);
	FX_RAW_EXPECT_NONE(f);
	utcp_close(a, fd);
	FX_RAW_END(f, -1, lfd);
}

/* MAY-12 (RFC 5961 section 5.2): an ACK older than SND.UNA minus the
 * largest window the peer offered cannot come from the peer: the segment
 * is dropped (its data not taken) and answered with an ACK. */
TEST(rfc9293_may12_too_old_ack_dropped)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	p_send(f, UTCP_TH_ACK, 5001, 1001 - 8192 - 1, 8192, "forged", 6);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5001 win 4096");
	char buf[8];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), -EAGAIN);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_old_ack, 1);
	/* Old, but within the window offered: taken. */
	p_send(f, UTCP_TH_ACK, 5001, 1001 - 8192, 8192, "honest", 6);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 6);
	FX_RAW_END(f, fd, lfd);
}

/*
 * MUST-35, SHLD-17: P shrinks its window to zero while 2920 bytes are in
 * flight. A probes the zero window in the standard way (one octet, the
 * first probe one RTO after the window closed, then backing off), does
 * not time the connection out while P answers (here for 2000 s, far past
 * R2), and sends everything once the window opens.
 */
TEST(rfc9293_must35_window_shrunk_to_zero_with_data_in_flight_is_probed)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	static char data[2920];
	REQUIRE_EQ(utcp_send(a, fd, data, sizeof(data), 0), 2920);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "1001(1460) ack 5001 win 4096");
	FX_RAW_EXPECT(f, "2461(1460) ack 5001 win 4096");
	/* P acknowledges nothing and shrinks its window to zero; the ACK
	 * reaches A 10 ms later. */
	utcp_time_us closed_at = fx_now(f) + UTCP_MS(10);
	p_send(f, UTCP_TH_ACK, 5001, 1001, 0, NULL, 0);
	utcp_time_us gap = UTCP_MS(200), at = closed_at;
	for (int k = 0; k < 5; k++) {
		at += gap;
		fx_run_until(f, at + UTCP_MS(10) - 1);
		FX_RAW_EXPECT_NONE(f);
		fx_run_until(f, at + UTCP_MS(10));
		FX_RAW_EXPECT(f, "1001(1) ack 5001 win 4096");
		p_send(f, UTCP_TH_ACK, 5001, 1001, 0, NULL, 0); /* still shut */
		gap *= 2;
	}
	/* Answered probes keep it open for as long as P answers. */
	unsigned probes = 5;
	for (int i = 0; i < 2000; i++) {
		fx_run(f, UTCP_SEC(1));
		const struct fx_raw_seg *s;
		while ((s = fx_raw_next(f)) != NULL) {
			CHECK(!(s->h.flags & UTCP_TH_RST));
			CHECK(s->len <= 1);
			probes++;
			p_send(f, UTCP_TH_ACK, 5001, 1001, 0, NULL, 0);
		}
	}
	CHECK(probes >= 20);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	CHECK_EQ(fx_so_error(f, FX_A, fd), 0);
	/* The window opens: everything is sent again, and acknowledged. */
	p_send(f, UTCP_TH_ACK, 5001, 1001, 8192, NULL, 0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(1460) ack 5001 win 4096");
	FX_RAW_EXPECT(f, "2461(1460) ack 5001 win 4096");
	p_send(f, UTCP_TH_ACK, 5001, 3921, 8192, NULL, 0);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(fx_info(f, FX_A, fd).send_queue, 0);
	FX_RAW_END(f, fd, lfd);
}
