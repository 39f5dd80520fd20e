/*
 * LESSONS L2: flow control with the sliding window.
 *
 * Sender A: MSS 1460, ISN 0, receive buffer 4096. Receiver B: MSS 1024,
 * ISN 8000, receive buffer 6144. Both send buffers are 8 KiB so that
 * neither offers window scaling and the windows print as the lesson
 * draws them.
 *
 * The lesson's step 5 says "4096 more bytes", but its step 6 (ACK 8194 =
 * 8192 data bytes + 1 for the FIN, window 2048 after the FIN) only holds
 * if A sends 8192 bytes in all: 6144, then 2048 more in two 1 KiB
 * segments with the FIN on the second. That consistent version is tested.
 */
#include "fixture.h"

#define L2_TOTAL 8192

/* The byte at stream offset i: a pattern that shows misplaced data. */
static uint8_t l2_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

/* Read exactly n bytes from B's fd, checking their content against the
 * pattern from stream offset *off on. */
static void l2_read(struct fixture *f, int fd, uint32_t n, uint32_t *off)
{
	uint8_t buf[L2_TOTAL];
	REQUIRE(n <= sizeof(buf));
	REQUIRE_EQ(utcp_recv(fx_stack(f, FX_B), fd, buf, n, 0), n);
	for (uint32_t i = 0; i < n; i++)
		if (buf[i] != l2_byte(*off + i)) {
			CHECK_EQ(buf[i], l2_byte(*off + i));
			break;
		}
	*off += n;
}

/* Bytes B's application could read now. */
static size_t l2_recv_queue(struct fixture *f, int bfd)
{
	return fx_info(f, FX_B, bfd).recv_queue;
}

/* Handshake as the lesson sets it up; returns B's accepted fd, A's in *afd. */
static int l2_setup(struct fixture *f, int *lfd, int *afd)
{
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	*lfd = fx_listen(f, FX_B, 80, 8000);
	fx_setint(f, FX_B, *lfd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, 1024);
	fx_setint(f, FX_B, *lfd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 6144);
	fx_setint(f, FX_B, *lfd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 8192);
	*afd = utcp_socket(a);
	REQUIRE(*afd >= 0);
	fx_setint(f, FX_A, *afd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, 1460);
	fx_setint(f, FX_A, *afd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 4096);
	fx_setint(f, FX_A, *afd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 8192);
	uint32_t isn = 0; /* fx_connect pins only non-zero ISNs */
	REQUIRE_EQ(utcp_setsockopt(a, *afd, UTCP_SOL_UTCP, UTCP_UTCP_ISN, &isn, sizeof(isn)),
		   0);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, *afd, &to), -EINPROGRESS);
	fx_run(f, UTCP_MS(100));
	int bfd = utcp_accept(b, *lfd, NULL);
	REQUIRE(bfd >= 0);
	int mss = 0;
	size_t len = sizeof(mss);
	REQUIRE_EQ(utcp_getsockopt(a, *afd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, &mss, &len), 0);
	CHECK_EQ(mss, 1024); /* step 1: the effective MSS from A to B */
	return bfd;
}

/* A's application writes the first n bytes of the stream at once. */
static void l2_write(struct fixture *f, int afd, uint32_t n)
{
	uint8_t data[L2_TOTAL];
	REQUIRE(n <= sizeof(data));
	for (uint32_t i = 0; i < n; i++)
		data[i] = l2_byte(i);
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), afd, data, n, 0), n);
}

/* A's application writes all 8192 bytes at once and shuts down writing. */
static void l2_write_all(struct fixture *f, int afd)
{
	l2_write(f, afd, L2_TOTAL);
	REQUIRE_EQ(utcp_shutdown(fx_stack(f, FX_A), afd, UTCP_SHUT_WR), 0);
}

/* The time of host h's n-th sent segment (0-based). */
static utcp_time_us l2_sent_at(struct fixture *f, int h, size_t n)
{
	const struct fx_event *sent[64];
	size_t k = fx_sent(f, h, sent, 64);
	REQUIRE(n < k);
	return sent[n]->ev.at;
}

/* B's application: read the rest of `total` bytes in pieces of up to
 * 2048 (waiting 100 ms whenever nothing is there), check it, see the end
 * of the stream, and close 100 ms later. */
static void l2_finish(struct fixture *f, int bfd, uint32_t *off, uint32_t total)
{
	struct utcp_stack *b = fx_stack(f, FX_B);
	for (int waits = 0; *off < total && waits < 100;) {
		uint32_t n = total - *off < 2048 ? total - *off : 2048;
		uint32_t queued = (uint32_t)l2_recv_queue(f, bfd);
		if (queued == 0) {
			fx_run(f, UTCP_MS(100));
			waits++;
			continue;
		}
		l2_read(f, bfd, n < queued ? n : queued, off);
	}
	char buf[16];
	CHECK_EQ(utcp_recv(b, bfd, buf, sizeof(buf), 0), 0); /* end of stream */
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(utcp_close(b, bfd), 0);
	fx_run(f, UTCP_MS(100));
}

/* The end every L2 variant shares: both sockets closed, TIME_WAIT
 * (2 * MSL, 60 s) over, nothing left. */
static void l2_teardown(struct fixture *f, int afd, int lfd)
{
	REQUIRE_EQ(utcp_close(fx_stack(f, FX_A), afd), 0);
	REQUIRE_EQ(utcp_close(fx_stack(f, FX_B), lfd), 0);
	FX_END(f, FX_TIME_WAIT_OVER);
}

TEST(lesson_l2_sliding_window)
{
	struct fx_opts o = {0}; /* one-way delay 10 ms, infinite rate */
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int lfd, afd;
	uint32_t off = 0;
	int bfd = l2_setup(f, &lfd, &afd);

	/* t = 100 ms: A writes; six segments fill B's 6144-byte window (step 2). */
	l2_write_all(f, afd);
	fx_run(f, UTCP_MS(50));
	struct utcp_tcp_info ia = fx_info(f, FX_A, afd);
	CHECK_EQ(ia.snd_wnd, 0);
	CHECK_EQ(ia.send_queue, 2048); /* waits for the window */
	CHECK_EQ(ia.unacked, 0);

	/* t = 150 ms: B's application reads 2048, then 2048 more (steps 3, 4),
	 * long before A's persist timer would probe. */
	l2_read(f, bfd, 2048, &off);
	l2_read(f, bfd, 2048, &off);
	fx_run(f, UTCP_MS(50));
	/* Steps 5 and 6: the last 2048 bytes and the FIN arrived and were
	 * acknowledged; A is in FIN_WAIT_2, B in CLOSE_WAIT. */
	ia = fx_info(f, FX_A, afd);
	CHECK_EQ(ia.state, UTCP_FIN_WAIT_2);
	struct utcp_tcp_info ib = fx_info(f, FX_B, bfd);
	CHECK_EQ(ib.state, UTCP_CLOSE_WAIT);
	CHECK_EQ(ib.recv_queue, 4096);

	/* t = 200 ms, step 7: B reads 2048 (window 4096), then the last 2048
	 * (window 6144); after A's FIN nothing else could carry the window,
	 * so each update goes at once. */
	l2_read(f, bfd, 2048, &off);
	l2_read(f, bfd, 2048, &off);
	char buf[16];
	CHECK_EQ(utcp_recv(b, bfd, buf, sizeof(buf), 0), 0); /* end of stream */
	CHECK_EQ(off, L2_TOTAL);
	fx_run(f, UTCP_MS(100));
	/* t = 300 ms, step 8: B closes. */
	REQUIRE_EQ(utcp_close(b, bfd), 0);
	fx_run(f, UTCP_MS(100));

	FX_EXPECT_SENT(f, FX_A, 0,
		       "SYN 0(0) win 4096 <mss 1460>",
		       "1(0) ack 8001 win 4096",
		       "1(1024) ack 8001 win 4096",    /* step 2: six segments */
		       "1025(1024) ack 8001 win 4096",
		       "2049(1024) ack 8001 win 4096",
		       "3073(1024) ack 8001 win 4096",
		       "4097(1024) ack 8001 win 4096",
		       "5121(1024) ack 8001 win 4096",
		       "6145(1024) ack 8001 win 4096", /* step 5: 2048 more ... */
		       "FIN 7169(1024) ack 8001 win 4096", /* ... the FIN on the last */
		       "8194(0) ack 8002 win 4096");   /* step 8: B's FIN acknowledged */
	FX_EXPECT_SENT(f, FX_B, 0,
		       "SYN 8000(0) ack 1 win 6144 <mss 1024>",
		       "8001(0) ack 2049 win 4096", /* delayed ACK: every 2nd segment */
		       "8001(0) ack 4097 win 2048",
		       "8001(0) ack 6145 win 0",    /* step 2: the window is full */
		       "8001(0) ack 6145 win 2048", /* step 3 */
		       "8001(0) ack 6145 win 4096", /* step 4 */
		       "8001(0) ack 8194 win 2048", /* step 6: data and FIN */
		       "8001(0) ack 8194 win 4096", /* step 7 */
		       "8001(0) ack 8194 win 6144",
		       "FIN 8001(0) ack 8194 win 6144"); /* step 8 */
	/* Timing: data at 100 ms, B's window updates at 150 ms; nothing waited
	 * for a timer (the delayed ACKs were all "every second segment"). */
	CHECK_EQ(l2_sent_at(f, FX_A, 2), UTCP_MS(100));
	CHECK_EQ(l2_sent_at(f, FX_B, 3), UTCP_MS(110));
	CHECK_EQ(l2_sent_at(f, FX_B, 4), UTCP_MS(150));
	CHECK_EQ(l2_sent_at(f, FX_A, 8), UTCP_MS(160));
	CHECK_EQ(l2_sent_at(f, FX_B, 6), UTCP_MS(170));
	CHECK_EQ(l2_sent_at(f, FX_B, 7), UTCP_MS(200));
	CHECK_EQ(l2_sent_at(f, FX_B, 8), UTCP_MS(200));
	CHECK_EQ(l2_sent_at(f, FX_B, 9), UTCP_MS(300));
	CHECK_EQ(l2_sent_at(f, FX_A, 10), UTCP_MS(310));

	char st[256];
	CHECK_STR(fx_states(f, FX_A, fx_conn_id(f, FX_A, afd), st, sizeof(st)),
		  "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT");
	uint32_t bid = 0;
	for (size_t i = 0; i < f->n_ev && !bid; i++)
		if (f->ev[i].host == FX_B && f->ev[i].ev.type == UTCP_TR_STATE &&
		    f->ev[i].ev.u.state.to == UTCP_SYN_RCVD)
			bid = f->ev[i].ev.conn_id;
	CHECK_STR(fx_states(f, FX_B, bid, st, sizeof(st)),
		  "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
	struct utcp_stats sa;
	utcp_stack_stats(a, &sa);
	CHECK_EQ(sa.tcp_retransmit, 0);
	CHECK_EQ(sa.tcp_zero_window_probe, 0);
	/* B sent no data: the ACK of its FIN is no reason to grow cwnd
	 * (RFC 5681 counts bytes of data), so its only CC event is INIT. */
	size_t n_cc = 0;
	for (size_t i = 0; i < f->n_ev; i++)
		if (f->ev[i].host == FX_B && f->ev[i].ev.type == UTCP_TR_CC)
			n_cc++;
	CHECK_EQ(n_cc, 1);

	l2_teardown(f, afd, lfd);
}

/*
 * LESSONS L2, last paragraph: B's window updates (steps 3 and 4) are lost
 * while A believes the window is zero. Without the persist timer both
 * ends would wait for ever; A's probe (one byte of new data, RFC 9293
 * 3.8.6.1) after one RTO finds the window open, B's ACK of it carries the
 * window, and the transfer completes.
 */
TEST(flow_zero_window_lost_update_recovered_by_probe)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int lfd, afd;
	uint32_t off = 0;
	/* B's pure ACKs: 1 ack 2049, 2 ack 4097, 3 ack 6145 win 0, then the
	 * two window updates: lose both. */
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ba, UTCP_SIM_TCP_PURE_ACK, 4, 2), 0);
	int bfd = l2_setup(f, &lfd, &afd);
	l2_write_all(f, afd);
	fx_run(f, UTCP_MS(50));
	l2_read(f, bfd, 2048, &off); /* t = 150 ms, as in the lesson */
	l2_read(f, bfd, 2048, &off);
	fx_run(f, UTCP_MS(350));     /* t = 500 ms */
	l2_finish(f, bfd, &off, L2_TOTAL);
	CHECK_EQ(off, L2_TOTAL);

	FX_EXPECT_SENT(f, FX_A, 0,
		       "SYN 0(0) win 4096 <mss 1460>",
		       "1(0) ack 8001 win 4096",
		       "1(1024) ack 8001 win 4096",
		       "1025(1024) ack 8001 win 4096",
		       "2049(1024) ack 8001 win 4096",
		       "3073(1024) ack 8001 win 4096",
		       "4097(1024) ack 8001 win 4096",
		       "5121(1024) ack 8001 win 4096",
		       "6145(1) ack 8001 win 4096",       /* the probe */
		       "6146(1024) ack 8001 win 4096",
		       "FIN 7170(1023) ack 8001 win 4096",
		       "8194(0) ack 8002 win 4096");
	FX_EXPECT_SENT(f, FX_B, 0,
		       "SYN 8000(0) ack 1 win 6144 <mss 1024>",
		       "8001(0) ack 2049 win 4096",
		       "8001(0) ack 4097 win 2048",
		       "8001(0) ack 6145 win 0",
		       "8001(0) ack 6145 win 2048", /* lost */
		       "8001(0) ack 6145 win 4096", /* lost */
		       "8001(0) ack 6146 win 4095", /* the probe's (delayed) ACK */
		       "8001(0) ack 8194 win 2048",
		       "8001(0) ack 8194 win 4096",
		       "8001(0) ack 8194 win 6144",
		       "FIN 8001(0) ack 8194 win 6144");
	/* The window closed at 120 ms; the probe leaves one RTO later (the
	 * 200 ms minimum: SRTT 20 ms + 4 RTTVAR is less). */
	CHECK_EQ(l2_sent_at(f, FX_A, 8), UTCP_MS(320));
	CHECK_EQ(l2_sent_at(f, FX_B, 6), UTCP_MS(370)); /* delayed ACK, 40 ms */
	CHECK_EQ(l2_sent_at(f, FX_A, 9), UTCP_MS(380));
	struct utcp_stats sa;
	utcp_stack_stats(fx_stack(f, FX_A), &sa);
	CHECK_EQ(sa.tcp_zero_window_probe, 1);
	CHECK_EQ(sa.tcp_retransmit, 0);
	CHECK_EQ(sa.tcp_timeout, 0);
	struct utcp_sim_channel_stats cs;
	REQUIRE_EQ(utcp_sim_channel_stats(f->w, f->ch_ba, &cs), 0);
	CHECK_EQ(cs.drop_scripted, 2);
	l2_teardown(f, afd, lfd);
}

/*
 * RFC 9293 3.8.6.1: while B's window stays zero, A probes after one RTO
 * and then backs off exponentially (SHLD-29/30); every probe is answered
 * at once with the zero window (MUST-66), and no probe counts as a
 * retransmission that could time the connection out (MUST-37).
 */
TEST(flow_zero_window_probes_back_off)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int lfd, afd;
	uint32_t off = 0;
	int bfd = l2_setup(f, &lfd, &afd);
	l2_write_all(f, afd);
	fx_run_until(f, UTCP_MS(3200)); /* B's application sleeps */
	l2_read(f, bfd, 2048, &off);
	fx_run(f, UTCP_MS(500));
	l2_finish(f, bfd, &off, L2_TOTAL);
	CHECK_EQ(off, L2_TOTAL);

	FX_EXPECT_SENT(f, FX_A, 8,
		       "6145(1) ack 8001 win 4096", /* 320 ms: one RTO (200 ms) */
		       "6145(1) ack 8001 win 4096", /* 720 ms: 400 ms later */
		       "6145(1) ack 8001 win 4096", /* 1520 ms: 800 ms later */
		       "6145(1) ack 8001 win 4096", /* 3120 ms: 1600 ms later */
		       "6145(1024) ack 8001 win 4096",
		       "FIN 7169(1024) ack 8001 win 4096",
		       "8194(0) ack 8002 win 4096");
	FX_EXPECT_SENT(f, FX_B, 3,
		       "8001(0) ack 6145 win 0",
		       "8001(0) ack 6145 win 0", /* each probe: the byte is dropped */
		       "8001(0) ack 6145 win 0",
		       "8001(0) ack 6145 win 0",
		       "8001(0) ack 6145 win 0",
		       "8001(0) ack 6145 win 2048", /* 3200 ms: B reads */
		       "8001(0) ack 8194 win 0",    /* full again, FIN taken */
		       "8001(0) ack 8194 win 2048",
		       "8001(0) ack 8194 win 4096",
		       "8001(0) ack 8194 win 6144",
		       "FIN 8001(0) ack 8194 win 6144");
	static const utcp_time_us probe_at[] = {UTCP_MS(320), UTCP_MS(720), UTCP_MS(1520),
						UTCP_MS(3120)};
	for (size_t i = 0; i < 4; i++) {
		CHECK_EQ(l2_sent_at(f, FX_A, 8 + i), probe_at[i]);
		CHECK_EQ(l2_sent_at(f, FX_B, 4 + i), probe_at[i] + UTCP_MS(10));
	}
	struct utcp_stats sa;
	utcp_stack_stats(fx_stack(f, FX_A), &sa);
	CHECK_EQ(sa.tcp_zero_window_probe, 4);
	CHECK_EQ(sa.tcp_timeout, 0);
	/* Karn (RFC 6298 section 3): the probe byte was sent four times, so
	 * it is never timed. A's samples: the SYN (20 ms), the first data
	 * ACK (120 ms) and the FIN segment, sent once at 3210 ms and
	 * acknowledged at 3230 ms: all 20 ms, none from the probe. */
	size_t n_rtt = 0;
	for (size_t i = 0; i < f->n_ev; i++) {
		const struct fx_event *e = &f->ev[i];
		if (e->host != FX_A || e->ev.type != UTCP_TR_RTT)
			continue;
		n_rtt++;
		CHECK_EQ(e->ev.u.rtt.sample_us, UTCP_MS(20));
	}
	CHECK_EQ(n_rtt, 3);
	l2_teardown(f, afd, lfd);
}

/*
 * Silly window syndrome avoidance (RFC 9293 3.8.6.2) on the lesson's
 * path. Receiver (3.8.6.2.2): with B's window at zero, its application
 * reads 500 bytes, less than min(buffer / 2, MSS) = 1024: the window
 * stays 0, also in the answer to A's probe. Reading 600 more frees 1100:
 * now it opens. Sender (3.8.6.2.1): A sends one full segment into it and
 * holds the 76 bytes the window leaves (less than an MSS and than half
 * the largest window, 3072), until the persist timer lets it go.
 */
TEST(flow_silly_window_avoidance)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int lfd, afd;
	uint32_t off = 0;
	int bfd = l2_setup(f, &lfd, &afd);
	l2_write_all(f, afd);
	fx_run_until(f, UTCP_MS(150));
	l2_read(f, bfd, 500, &off);
	fx_run_until(f, UTCP_MS(400));
	l2_read(f, bfd, 600, &off);
	fx_run_until(f, UTCP_MS(1000));
	l2_finish(f, bfd, &off, L2_TOTAL);
	CHECK_EQ(off, L2_TOTAL);

	FX_EXPECT_SENT(f, FX_A, 8,
		       "6145(1) ack 8001 win 4096",        /* 320 ms: probe */
		       "6145(1024) ack 8001 win 4096",     /* 410 ms: one MSS of 1100 */
		       "7169(76) ack 8001 win 4096",       /* 670 ms: persist */
		       "FIN 7245(948) ack 8001 win 4096",
		       "8194(0) ack 8002 win 4096");
	FX_EXPECT_SENT(f, FX_B, 3,
		       "8001(0) ack 6145 win 0",    /* 110 ms: full */
		       "8001(0) ack 6145 win 0",    /* 330 ms: 500 free, still 0 */
		       "8001(0) ack 6145 win 1100", /* 400 ms: 1100 free */
		       "8001(0) ack 7169 win 76",   /* the rest of the 1100 */
		       "8001(0) ack 7245 win 0",
		       "8001(0) ack 7245 win 2048",
		       "8001(0) ack 7245 win 4096",
		       "8001(0) ack 8194 win 5196",
		       "8001(0) ack 8194 win 6144",
		       "FIN 8001(0) ack 8194 win 6144");
	CHECK_EQ(l2_sent_at(f, FX_B, 4), UTCP_MS(330));
	CHECK_EQ(l2_sent_at(f, FX_B, 5), UTCP_MS(400));
	CHECK_EQ(l2_sent_at(f, FX_A, 9), UTCP_MS(410));
	CHECK_EQ(l2_sent_at(f, FX_B, 6), UTCP_MS(460)); /* delayed ACK */
	/* The 76 bytes wait for the persist timer: one RTO after the window
	 * of 76 arrived at 470 ms. */
	CHECK_EQ(l2_sent_at(f, FX_A, 10), UTCP_MS(670));
	l2_teardown(f, afd, lfd);
}

/*
 * RFC 9293 3.8.6.1 (MUST-36, MUST-37) for a FIN: A's 6144 bytes fill B's
 * window exactly, and A shuts down writing while the window is zero. The
 * FIN waits for the window as data would, and goes as the persist
 * timer's probe; B answers every probe with its zero window, for longer
 * than the retransmission timer's R2 retries would last (15, about 925 s
 * here), and the connection stays open. When B reads, the window opens
 * and the FIN is taken at once.
 */
TEST(flow_fin_waits_for_zero_window)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, afd;
	uint32_t off = 0;
	int bfd = l2_setup(f, &lfd, &afd);
	l2_write(f, afd, 6144); /* at 100 ms; "ack 6145 win 0" at 120 ms */
	fx_run_until(f, UTCP_MS(200));
	REQUIRE_EQ(utcp_shutdown(a, afd, UTCP_SHUT_WR), 0);
	fx_run_until(f, UTCP_SEC(1000)); /* B's application sleeps */
	CHECK_EQ(fx_state(f, FX_A, afd), UTCP_FIN_WAIT_1);
	l2_read(f, bfd, 2048, &off);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(fx_state(f, FX_A, afd), UTCP_FIN_WAIT_2);
	l2_finish(f, bfd, &off, 6144);

	/* The probes: one RTO (200 ms) after the FIN was queued, then
	 * doubling up to the maximum RTO (120 s). */
	static const uint32_t probe_ms[] = {400,    800,    1600,   3200,   6400,   12800,
					    25600,  51200,  102400, 204800, 324800, 444800,
					    564800, 684800, 804800, 924800};
	enum { NP = sizeof(probe_ms) / sizeof(probe_ms[0]) };
	const struct fx_event *sa[64], *sb[64];
	size_t na = fx_sent(f, FX_A, sa, 64), nb = fx_sent(f, FX_B, sb, 64);
	REQUIRE_EQ(na, 8 + NP + 2);
	REQUIRE_EQ(nb, 4 + NP + 5);
	char got[160];
	for (size_t i = 0; i < NP; i++) {
		CHECK_STR(fx_seg_str(&sa[8 + i]->ev.u.seg, got, sizeof(got)),
			  "FIN 6145(0) ack 8001 win 4096");
		CHECK_EQ(sa[8 + i]->ev.at, UTCP_MS(probe_ms[i]));
		CHECK_STR(fx_seg_str(&sb[4 + i]->ev.u.seg, got, sizeof(got)),
			  "8001(0) ack 6145 win 0");
	}
	FX_EXPECT_SENT(f, FX_A, 8 + NP,
		       "FIN 6145(0) ack 8001 win 4096", /* the window opened */
		       "6146(0) ack 8002 win 4096");
	FX_EXPECT_SENT(f, FX_B, 4 + NP,
		       "8001(0) ack 6145 win 2048", /* B reads at 1000 s */
		       "8001(0) ack 6146 win 2048", /* the FIN taken */
		       "8001(0) ack 6146 win 4096",
		       "8001(0) ack 6146 win 6144",
		       "FIN 8001(0) ack 6146 win 6144");
	CHECK_EQ(sa[8 + NP]->ev.at, UTCP_SEC(1000) + UTCP_MS(10));
	struct utcp_stats st;
	utcp_stack_stats(a, &st);
	CHECK_EQ(st.tcp_conn_timeout, 0);
	CHECK_EQ(st.tcp_timeout, 0);
	CHECK_EQ(st.tcp_zero_window_probe, NP);
	CHECK_EQ(off, 6144);
	l2_teardown(f, afd, lfd);
}

/* A raw peer P (ISN 700, window 100) connects to A (ISS 5000); A sends
 * 100 bytes and its FIN in one segment; P takes the data, not the FIN (a
 * receiver may treat a FIN at the very edge of its window as outside it),
 * and answers with a zero window. Returns A's descriptor, the listener's
 * in *lfd; the ACK leaves P at the time returned in *t0. */
static int l2_raw_fin_refused(struct fixture *f, int *lfd, utcp_time_us *t0)
{
	struct utcp_stack *a = fx_stack(f, FX_A);
	*lfd = fx_listen(f, FX_A, 80, 5000);
	fx_setint(f, FX_A, *lfd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 4096);
	fx_setint(f, FX_A, *lfd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 4096);
	uint32_t iss;
	int afd = fx_raw_accept(f, *lfd, 4000, 80, 700, 100, &iss);
	REQUIRE_EQ(iss, 5000);
	static const uint8_t msg[100];
	/* In one batch, so that the data and the FIN leave together. */
	utcp_stack_batch_begin(a, fx_now(f));
	REQUIRE_EQ(utcp_send(a, afd, msg, sizeof(msg), 0), 100);
	REQUIRE_EQ(utcp_shutdown(a, afd, UTCP_SHUT_WR), 0);
	utcp_stack_batch_end(a);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "FIN 5001(100) ack 701 win 4096");
	*t0 = fx_now(f);
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 701, 5101, 0, NULL, 0, NULL);
	return afd;
}

/* P opens its window and closes too; A's FIN goes at once and A ends in
 * TIME_WAIT, which then runs out. */
static void l2_raw_fin_finish(struct fixture *f, int afd, int lfd)
{
	struct utcp_stack *a = fx_stack(f, FX_A);
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 701, 5101, 1000, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "FIN 5101(0) ack 701 win 4096");
	REQUIRE(s != NULL);
	CHECK_EQ(s->at, fx_now(f)); /* sent as the window update arrived */
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK | UTCP_TH_FIN, 701, 5102, 1000, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "5102(0) ack 702 win 4096");
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_state(f, FX_A, afd), UTCP_TIME_WAIT);
	struct utcp_stats st;
	utcp_stack_stats(a, &st);
	CHECK_EQ(st.tcp_conn_timeout, 0);
	CHECK_EQ(st.tcp_timeout, 0);
	REQUIRE_EQ(utcp_close(a, afd), 0);
	REQUIRE_EQ(utcp_close(a, lfd), 0);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/*
 * The FIN rule when the FIN was already out and the window closed before
 * it: the FIN, alone in flight, is now A's zero-window probe, resent by
 * the persist timer, never counted against R2, for as long as P answers
 * (1000 s here); sent again at once when the window opens.
 */
TEST(flow_fin_refused_by_zero_window_is_probed)
{
	struct fixture *f = fx_new_raw(NULL); /* 10 ms each way */
	int lfd;
	utcp_time_us t0;
	int afd = l2_raw_fin_refused(f, &lfd, &t0);
	/* The first probe leaves one RTO (200 ms) after the ACK reached A
	 * (10 ms) and reaches P 10 ms later; then the interval doubles, up
	 * to the maximum RTO (120 s). P answers each with its zero window. */
	utcp_time_us want = t0 + UTCP_MS(10) + UTCP_MS(200) + UTCP_MS(10);
	utcp_time_us gap = UTCP_MS(200);
	int probes = 0;
	while (fx_now(f) < t0 + UTCP_SEC(1000)) {
		fx_run(f, UTCP_MS(500));
		const struct fx_raw_seg *s;
		while ((s = fx_raw_next(f)) != NULL) {
			char got[160];
			CHECK_STR(fx_raw_str(s, got, sizeof(got)), "FIN 5101(0) ack 701 win 4096");
			CHECK_EQ(s->at, want);
			gap = 2 * gap < UTCP_SEC(120) ? 2 * gap : UTCP_SEC(120);
			want = s->at + gap;
			probes++;
			fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 701, 5101, 0, NULL, 0, NULL);
		}
	}
	CHECK_EQ(probes, 16);
	CHECK_EQ(fx_state(f, FX_A, afd), UTCP_FIN_WAIT_1);
	l2_raw_fin_finish(f, afd, lfd);
}

/* The window opens before the first probe: the refused FIN lay past the
 * closed window, so it is sent again at once, not one RTO later. */
TEST(flow_fin_refused_sent_again_when_window_opens)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd;
	utcp_time_us t0;
	int afd = l2_raw_fin_refused(f, &lfd, &t0);
	fx_run(f, UTCP_MS(100));
	FX_RAW_EXPECT_NONE(f);
	l2_raw_fin_finish(f, afd, lfd);
}
