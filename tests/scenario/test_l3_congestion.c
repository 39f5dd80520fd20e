/*
 * LESSONS L3: congestion control. Fast retransmit (M1..M6), the lesson's
 * cwnd-per-round curve with the textbook model, what Reno (utcp's
 * default) does on the same path, NewReno partial ACKs (RFC 6582), the
 * retransmission timer (RFC 6298: estimator, Karn, back-off), Nagle and
 * delayed ACKs (RFC 9293 3.7.4, 3.8.6.3).
 */
#include "fixture.h"

/* --- a bulk transfer on a path with a fixed delay ---------------------- */

#define L3_MSS 1000
#define L3_BULK (1024u * 1024u)

/* One round of the sender: the data segments host A sent at one virtual
 * instant. With an infinite link rate and a fixed delay, every ACK of a
 * round arrives at the same instant, and each lets new segments go at
 * once, so a round of the lesson's figure is exactly that: the segments
 * that leave at one instant. Its cwnd is the one in force when the last
 * of them left (the window the ACKs of that instant opened). */
struct l3_round {
	utcp_time_us at;
	uint32_t cwnd_segs; /* cwnd / MSS when the last segment left */
	uint32_t segs;      /* data segments sent at that instant */
};

/* Collect A's rounds from the trace (CC events give cwnd, SEG_OUT the
 * segments). Returns how many, at most max. */
static size_t l3_rounds(struct fixture *f, struct l3_round *r, size_t max)
{
	size_t n = 0;
	uint32_t cwnd = 0;
	for (size_t i = 0; i < f->n_ev; i++) {
		const struct fx_event *e = &f->ev[i];
		if (e->host != FX_A)
			continue;
		if (e->ev.type == UTCP_TR_CC)
			cwnd = e->ev.u.cc.cwnd;
		if (e->ev.type != UTCP_TR_SEG_OUT || e->ev.u.seg.len == 0)
			continue;
		if (n == 0 || r[n - 1].at != e->ev.at) {
			if (n == max)
				break;
			r[n++] = (struct l3_round){.at = e->ev.at};
		}
		r[n - 1].cwnd_segs = cwnd / L3_MSS;
		r[n - 1].segs++;
	}
	return n;
}

/* A bulk connection A -> B: MSS 1000 both ways, B acknowledges every
 * segment at once (delayed ACKs off) and has a 4 MiB window, A queues
 * 1 MiB at t = 100 ms (far more than the measured rounds carry, so A is
 * never short of data and B's window never limits it; B reads only at
 * the end, so no window update ever mixes with the ACK clock). cc is A's
 * algorithm; iw and ssthresh_segs (0: default) its
 * initial window and initial ssthresh. Returns B's listener; A's and B's
 * connections in *afd, *bfd. */
static int l3_bulk_setup(struct fixture *f, const char *cc, uint32_t iw,
			 uint32_t ssthresh_segs, int *afd, int *bfd)
{
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int lfd = fx_listen(f, FX_B, 80, 800);
	fx_setint(f, FX_B, lfd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, L3_MSS);
	fx_setint(f, FX_B, lfd, UTCP_SOL_TCP, UTCP_TCP_QUICKACK, 1);
	*afd = utcp_socket(a);
	REQUIRE(*afd >= 0);
	fx_setint(f, FX_A, *afd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, L3_MSS);
	REQUIRE_EQ(utcp_setsockopt(a, *afd, UTCP_SOL_TCP, UTCP_TCP_CONGESTION, cc,
				   strlen(cc) + 1), 0);
	if (iw)
		REQUIRE_EQ(utcp_setsockopt(a, *afd, UTCP_SOL_UTCP, UTCP_UTCP_INITIAL_WINDOW,
					   &iw, sizeof(iw)), 0);
	uint32_t ss = ssthresh_segs * L3_MSS;
	if (ss)
		REQUIRE_EQ(utcp_setsockopt(a, *afd, UTCP_SOL_UTCP, UTCP_UTCP_SSTHRESH, &ss,
					   sizeof(ss)), 0);
	uint32_t isn = 100;
	REQUIRE_EQ(utcp_setsockopt(a, *afd, UTCP_SOL_UTCP, UTCP_UTCP_ISN, &isn, sizeof(isn)),
		   0);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, *afd, &to), -EINPROGRESS);
	fx_run(f, UTCP_MS(100));
	*bfd = utcp_accept(b, lfd, NULL);
	REQUIRE(*bfd >= 0);
	static uint8_t data[L3_BULK];
	REQUIRE_EQ(utcp_send(a, *afd, data, sizeof(data), 0), sizeof(data));
	return lfd;
}

/* Finish a bulk transfer: A shuts down writing, B reads everything (the
 * count checked), both close; TIME_WAIT runs out; nothing is left. */
static void l3_bulk_finish(struct fixture *f, int lfd, int afd, int bfd)
{
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	static uint8_t buf[65536];
	uint64_t got = 0;
	REQUIRE_EQ(utcp_shutdown(a, afd, UTCP_SHUT_WR), 0);
	for (int i = 0; i < 10000; i++) {
		ssize_t r = utcp_recv(b, bfd, buf, sizeof(buf), 0);
		if (r == 0)
			break;
		if (r > 0)
			got += (uint64_t)r;
		else
			fx_run(f, UTCP_MS(10));
	}
	CHECK_EQ(got, L3_BULK);
	REQUIRE_EQ(utcp_close(b, bfd), 0);
	REQUIRE_EQ(utcp_close(a, afd), 0);
	REQUIRE_EQ(utcp_close(b, lfd), 0);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* On a path whose RTT never varies, every RTT sample A takes must be that
 * RTT: Karn's rule (RFC 6298 section 3) keeps retransmissions, and the
 * waits they cause, out of the measurement. The samples must also be
 * taken exactly at the n times want_ms (milliseconds). */
static void l3_check_rtt_samples(struct fixture *f, uint32_t rtt_us, const uint32_t *want_ms,
				 size_t n, int line)
{
	size_t k = 0;
	for (size_t i = 0; i < f->n_ev; i++) {
		const struct fx_event *e = &f->ev[i];
		if (e->host != FX_A || e->ev.type != UTCP_TR_RTT)
			continue;
		if (e->ev.u.rtt.sample_us != rtt_us)
			test_fail_at(__FILE__, line, "RTT sample %u us at %.3f ms, want %u",
				     e->ev.u.rtt.sample_us, e->ev.at / 1000.0, rtt_us);
		if (k >= n || e->ev.at != UTCP_MS(want_ms[k]))
			test_fail_at(__FILE__, line, "RTT sample %zu at %.3f ms, want %s%u ms", k,
				     e->ev.at / 1000.0, k < n ? "" : "none, the last at ",
				     want_ms[k < n ? k : n - 1]);
		k++;
	}
	if (k != n)
		test_fail_at(__FILE__, line, "%zu RTT samples, want %zu", k, n);
}
#define L3_CHECK_RTT(f, rtt_us, ...)                                                  \
	do {                                                                          \
		static const uint32_t want_[] = {__VA_ARGS__};                        \
		l3_check_rtt_samples((f), (rtt_us), want_, sizeof(want_) / sizeof(want_[0]), \
				     __LINE__);                                       \
	} while (0)

/* --- small transfers with exact segments -------------------------------- */

/* A connection A -> B for n whole segments of L3_MSS: ISNs 100 and 800,
 * 16 KiB buffers (no window scaling: windows print as bytes), A's
 * algorithm `cc`, B's delayed ACKs as its stack is configured. A queues
 * n * L3_MSS bytes at t = L3_START. Returns B's listener. */
#define L3_START UTCP_MS(100)
static int l3_small_setup(struct fixture *f, const char *cc, uint32_t n, int *afd, int *bfd)
{
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int lfd = fx_listen(f, FX_B, 80, 800);
	fx_setint(f, FX_B, lfd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, L3_MSS);
	fx_setint(f, FX_B, lfd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 16384);
	fx_setint(f, FX_B, lfd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 16384);
	*afd = utcp_socket(a);
	REQUIRE(*afd >= 0);
	fx_setint(f, FX_A, *afd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, L3_MSS);
	fx_setint(f, FX_A, *afd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 16384);
	fx_setint(f, FX_A, *afd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 16384);
	REQUIRE_EQ(utcp_setsockopt(a, *afd, UTCP_SOL_TCP, UTCP_TCP_CONGESTION, cc,
				   strlen(cc) + 1), 0);
	uint32_t isn = 100;
	REQUIRE_EQ(utcp_setsockopt(a, *afd, UTCP_SOL_UTCP, UTCP_UTCP_ISN, &isn, sizeof(isn)),
		   0);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, *afd, &to), -EINPROGRESS);
	fx_run_until(f, L3_START);
	*bfd = utcp_accept(b, lfd, NULL);
	REQUIRE(*bfd >= 0);
	if (n) {
		static uint8_t data[16 * L3_MSS];
		REQUIRE(n <= 16);
		REQUIRE_EQ(utcp_send(a, *afd, data, n * L3_MSS, 0), n * L3_MSS);
	}
	return lfd;
}

/* Close both ends and the listener; B reads first so that it closes with
 * FIN, not RST. Checks that B got `want` bytes in all. */
static void l3_small_finish(struct fixture *f, int lfd, int afd, int bfd, uint32_t want)
{
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	static uint8_t buf[65536];
	uint32_t got = 0;
	ssize_t r;
	while ((r = utcp_recv(b, bfd, buf, sizeof(buf), 0)) > 0)
		got += (uint32_t)r;
	CHECK_EQ(got, want);
	REQUIRE_EQ(utcp_close(a, afd), 0);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(utcp_recv(b, bfd, buf, sizeof(buf), 0), 0);
	REQUIRE_EQ(utcp_close(b, bfd), 0);
	REQUIRE_EQ(utcp_close(b, lfd), 0);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* The time of host h's n-th sent segment (0-based). */
static utcp_time_us l3_sent_at(struct fixture *f, int h, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < f->n_ev; i++)
		if (f->ev[i].host == h && f->ev[i].ev.type == UTCP_TR_SEG_OUT && k++ == n)
			return f->ev[i].ev.at;
	test_fail_at(__FILE__, __LINE__, "host %c sent fewer than %zu segments", "AB"[h],
		     n + 1);
	return UTCP_TIME_NEVER;
}

/* Host h's CC events of kind `why`, in order; returns how many. */
static size_t l3_cc_events(struct fixture *f, int h, enum utcp_cc_event why,
			   const struct utcp_trace_event **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_ev; i++) {
		const struct fx_event *e = &f->ev[i];
		if (e->host != h || e->ev.type != UTCP_TR_CC || e->ev.u.cc.why != why)
			continue;
		if (n < max)
			out[n] = &e->ev;
		n++;
	}
	return n;
}

/* A's trace events of one type, in order; returns how many. */
static size_t l3_events(struct fixture *f, enum utcp_trace_type type,
			const struct utcp_trace_event **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_ev; i++)
		if (f->ev[i].host == FX_A && f->ev[i].ev.type == type) {
			if (n < max)
				out[n] = &f->ev[i].ev;
			n++;
		}
	return n;
}

/* When A's retransmission timer was last armed at `at`, its deadline;
 * UTCP_TIME_NEVER when it was not armed then. */
static utcp_time_us l3_rtx_armed(struct fixture *f, utcp_time_us at)
{
	utcp_time_us exp = UTCP_TIME_NEVER;
	for (size_t i = 0; i < f->n_ev; i++) {
		const struct fx_event *e = &f->ev[i];
		if (e->host == FX_A && e->ev.type == UTCP_TR_TIMER && e->ev.at == at &&
		    e->ev.u.timer.kind == UTCP_TIMER_RTX &&
		    e->ev.u.timer.action == UTCP_TIMER_ARM)
			exp = e->ev.u.timer.expires_at;
	}
	return exp;
}

/* Expect exactly one CC event of kind `why` on A, at `at`, with these
 * values (bytes). */
static void l3_expect_cc(struct fixture *f, enum utcp_cc_event why, utcp_time_us at,
			 uint32_t cwnd, uint32_t ssthresh, uint32_t flight, int line)
{
	const struct utcp_trace_event *ev[4];
	size_t n = l3_cc_events(f, FX_A, why, ev, 4);
	if (n != 1) {
		test_fail_at(__FILE__, line, "%zu %s events, expected 1", n,
			     utcp_cc_event_name(why));
		return;
	}
	if (ev[0]->at != at || ev[0]->u.cc.cwnd != cwnd || ev[0]->u.cc.ssthresh != ssthresh ||
	    ev[0]->u.cc.flight != flight)
		test_fail_at(__FILE__, line,
			     "%s at %.3f ms cwnd %u ssthresh %u flight %u, expected at %.3f "
			     "ms cwnd %u ssthresh %u flight %u",
			     utcp_cc_event_name(why), ev[0]->at / 1000.0, ev[0]->u.cc.cwnd,
			     ev[0]->u.cc.ssthresh, ev[0]->u.cc.flight, at / 1000.0, cwnd,
			     ssthresh, flight);
}
#define L3_EXPECT_CC(f, why, at, cwnd, ssthresh, flight) \
	l3_expect_cc((f), (why), (at), (cwnd), (ssthresh), (flight), __LINE__)

/*
 * LESSONS L3, fast retransmit: M1 and M2 arrive, M3 is lost, M4, M5, M6
 * arrive. B acknowledges M2 (delayed ACK: every second segment) and then
 * sends a duplicate ACK at once for each out-of-order segment (RFC 5681
 * 4.2): M2's end four times in all. A resends M3 on the third duplicate,
 * one round trip after sending it, not one RTO (200 ms) later.
 */
TEST(lesson_l3_fast_retransmit_m1_to_m6)
{
	struct fx_opts o = {0}; /* 10 ms each way: RTT 20 ms */
	struct fixture *f = fx_new(&o);
	int afd, bfd;
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 3, 1), 0);
	int lfd = l3_small_setup(f, "reno", 6, &afd, &bfd);
	fx_run(f, UTCP_MS(200));

	FX_EXPECT_SENT(f, FX_A, 2,
		       "101(1000) ack 801 win 16384",  /* M1 */
		       "1101(1000) ack 801 win 16384", /* M2 */
		       "2101(1000) ack 801 win 16384", /* M3, lost */
		       "3101(1000) ack 801 win 16384", /* M4 */
		       "4101(1000) ack 801 win 16384", /* M5 */
		       "5101(1000) ack 801 win 16384", /* M6 */
		       "2101(1000) ack 801 win 16384"); /* M3 again */
	FX_EXPECT_SENT(f, FX_B, 1,
		       "801(0) ack 2101 win 14384", /* M1, M2 */
		       "801(0) ack 2101 win 14384", /* M4: duplicate 1 */
		       "801(0) ack 2101 win 14384", /* M5: duplicate 2 */
		       "801(0) ack 2101 win 14384", /* M6: duplicate 3 */
		       "801(0) ack 6101 win 10384"); /* M3 fills the hole */
	CHECK_EQ(l3_sent_at(f, FX_A, 4), UTCP_MS(100)); /* M3 */
	CHECK_EQ(l3_sent_at(f, FX_B, 4), UTCP_MS(110)); /* third duplicate */
	CHECK_EQ(l3_sent_at(f, FX_A, 8), UTCP_MS(120)); /* one RTT after M3 */
	CHECK_EQ(l3_rtx_armed(f, UTCP_MS(100)), UTCP_MS(300)); /* the timer's time */
	struct utcp_stats st;
	utcp_stack_stats(fx_stack(f, FX_A), &st);
	CHECK_EQ(st.tcp_fast_retransmit, 1);
	CHECK_EQ(st.tcp_timeout, 0);
	CHECK_EQ(st.tcp_retransmit, 1);
	CHECK_EQ(st.tcp_dup_ack, 3);
	/* RFC 5681 3.2: ssthresh = max(FlightSize / 2, 2 SMSS) with 4000
	 * bytes in flight; cwnd = ssthresh + 3 SMSS; the full ACK ends
	 * recovery with cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)
	 * (RFC 6582 3.2 step 6, FlightSize 0 after it). */
	L3_EXPECT_CC(f, UTCP_CC_FAST_RETRANSMIT, UTCP_MS(120), 5000, 2000, 4000);
	L3_EXPECT_CC(f, UTCP_CC_RECOVERY_EXIT, UTCP_MS(140), 2000, 2000, 0);
	l3_small_finish(f, lfd, afd, bfd, 6 * L3_MSS);
}

/*
 * LESSONS L3, the cwnd-per-round figure, with the textbook model: cwnd in
 * whole segments from 1, ssthresh 16, every segment acknowledged at once.
 * Scripted losses place the lesson's two events exactly:
 *  - the round sent with cwnd 24 (data segments 172..195: the rounds
 *    before it carry 1+2+4+8+16 + 17+...+23 = 171) is lost entirely, so
 *    the retransmission timer fires (ssthresh 12, cwnd 1);
 *  - after it, the rounds 1, 2, 4, 8, 12, 13, 14, 15 carry 69 segments
 *    (196..264); the first segment of the round sent with cwnd 16 (265)
 *    is lost, the other 15 bring duplicate ACKs: ssthresh 8, cwnd 8.
 */
TEST(lesson_l3_textbook_cwnd_per_round)
{
	struct fx_opts o = {0}; /* one-way delay 10 ms, infinite rate */
	struct fixture *f = fx_new(&o);
	int afd, bfd;
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 172, 24), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 265, 1), 0);
	int lfd = l3_bulk_setup(f, "textbook", 1, 16, &afd, &bfd);
	fx_run_until(f, UTCP_MS(820));

	/* The lesson's curve, one number per round (segments). */
	static const uint32_t want[] = {
		1, 2, 4, 8, 16,                     /* slow start */
		17, 18, 19, 20, 21, 22, 23, 24,     /* avoidance; this round is lost */
		1, 2, 4, 8, 12,                     /* timeout: slow start to 12 */
		13, 14, 15, 16,                     /* avoidance; one segment lost */
		8,                                  /* three duplicate ACKs */
		9, 10, 11, 12,                      /* avoidance */
	};
	enum { N = sizeof(want) / sizeof(want[0]) };
	struct l3_round r[N + 8];
	size_t n = l3_rounds(f, r, N + 8);
	REQUIRE(n >= N);
	for (size_t i = 0; i < N; i++) {
		if (r[i].cwnd_segs != want[i])
			test_fail_at(__FILE__, __LINE__, "round %zu at %.3f ms: cwnd %u, want %u",
				     i, r[i].at / 1000.0, r[i].cwnd_segs, want[i]);
		/* Each round sends its whole window, except the two that
		 * only resend the lost segment: the timeout's (cwnd 1) and
		 * the fast retransmit's (cwnd 8, 16 segments still out). */
		CHECK_EQ(r[i].segs, i == 22 ? 1 : want[i]);
	}
	/* Rounds are round trips (20 ms) apart, but for the timer's wait:
	 * the lost round left at 340 ms, the RTO (200 ms) fired at 540 ms. */
	CHECK_EQ(r[12].at, UTCP_MS(340));
	CHECK_EQ(r[13].at, UTCP_MS(540));
	CHECK_EQ(r[22].at, UTCP_MS(720));
	CHECK_EQ(r[23].at, UTCP_MS(740));
	L3_EXPECT_CC(f, UTCP_CC_INIT, UTCP_MS(20), 1000, 16000, 0);
	L3_EXPECT_CC(f, UTCP_CC_TIMEOUT, UTCP_MS(540), 1000, 12000, 24000);
	L3_EXPECT_CC(f, UTCP_CC_FAST_RETRANSMIT, UTCP_MS(720), 8000, 8000, 16000);
	L3_EXPECT_CC(f, UTCP_CC_RECOVERY_EXIT, UTCP_MS(740), 9000, 8000, 0);
	struct utcp_stats st;
	utcp_stack_stats(fx_stack(f, FX_A), &st);
	CHECK_EQ(st.tcp_timeout, 1);
	CHECK_EQ(st.tcp_fast_retransmit, 1);
	CHECK_EQ(st.tcp_retransmit, 25);
	/* One RTT sample per round trip (one segment timed at a time), all
	 * 20 ms; none where the timed segment was lost (its round at 340 ms,
	 * the first of the round at 700 ms), none from the retransmissions
	 * (560 to 620 ms, 720 ms). */
	L3_CHECK_RTT(f, UTCP_MS(20), 20, 120, 140, 160, 180, 200, 220, 240, 260, 280, 300,
		     320, 340, 640, 660, 680, 700, 760, 780, 800, 820);
	l3_bulk_finish(f, lfd, afd, bfd);
}

/*
 * The same path with utcp's default, Reno with byte counting (RFC 5681,
 * RFC 3465) and an initial window of 10 segments (RFC 6928): slow start
 * from 10 doubles each round; the first segment of the round sent with
 * cwnd 40 (data segment 31, after 10 + 20) is lost, and later a whole
 * round of 24 (segments 177..200) so that the timer fires.
 */
TEST(cc_reno_same_path)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int afd, bfd;
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 31, 1), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 177, 24), 0);
	int lfd = l3_bulk_setup(f, "reno", 0, 0, &afd, &bfd);
	fx_run_until(f, UTCP_MS(600));

	struct l3_round r[32];
	size_t n = l3_rounds(f, r, 32);
	REQUIRE(n >= 16);
	static const struct {
		utcp_time_us at;
		uint32_t segs;
	} want[] = {
		{UTCP_MS(100), 10}, {UTCP_MS(120), 20}, {UTCP_MS(140), 40}, /* slow start */
		{UTCP_MS(160), 20}, /* M1 again + 19 new (the inflated window) */
		{UTCP_MS(180), 20}, {UTCP_MS(200), 21}, {UTCP_MS(220), 22},
		{UTCP_MS(240), 23}, {UTCP_MS(260), 24}, /* avoidance; lost */
		{UTCP_MS(460), 1}, {UTCP_MS(480), 2}, {UTCP_MS(500), 4},
		{UTCP_MS(520), 8}, {UTCP_MS(540), 12}, /* slow start to ssthresh */
		{UTCP_MS(560), 13}, {UTCP_MS(580), 14}, /* avoidance */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_EQ(r[i].at, want[i].at);
		CHECK_EQ(r[i].segs, want[i].segs);
	}
	L3_EXPECT_CC(f, UTCP_CC_INIT, UTCP_MS(20), 10000, 0x7fffffff, 0);
	/* Three duplicate ACKs with 40 segments out: ssthresh = 40000 / 2,
	 * cwnd = ssthresh + 3 SMSS (RFC 5681 3.2 steps 2, 3). */
	L3_EXPECT_CC(f, UTCP_CC_FAST_RETRANSMIT, UTCP_MS(160), 23000, 20000, 40000);
	/* The other 36 duplicates inflate cwnd by one SMSS each (step 4). */
	const struct utcp_trace_event *dup[40];
	REQUIRE_EQ(l3_cc_events(f, FX_A, UTCP_CC_RECOVERY_DUPACK, dup, 40), 36);
	for (size_t i = 0; i < 36; i++)
		CHECK_EQ(dup[i]->u.cc.cwnd, 24000 + 1000 * i);
	/* The full ACK: 19 new segments are out; cwnd = min(ssthresh,
	 * FlightSize + SMSS) = 20000 (RFC 6582 3.2 step 6). */
	L3_EXPECT_CC(f, UTCP_CC_RECOVERY_EXIT, UTCP_MS(180), 20000, 20000, 19000);
	/* The timeout with 24 segments out: ssthresh 12000, cwnd 1 SMSS. */
	L3_EXPECT_CC(f, UTCP_CC_TIMEOUT, UTCP_MS(460), 1000, 12000, 24000);
	struct utcp_stats st;
	utcp_stack_stats(fx_stack(f, FX_A), &st);
	CHECK_EQ(st.tcp_timeout, 1);
	CHECK_EQ(st.tcp_fast_retransmit, 1);
	CHECK_EQ(st.tcp_retransmit, 25);
	/* RTT samples: none at 160 ms (the timed segment, 31, was lost), none
	 * from 280 to 540 ms (the lost round, then its go-back-N resends). */
	L3_CHECK_RTT(f, UTCP_MS(20), 20, 120, 140, 180, 200, 220, 240, 260, 560, 580, 600);
	l3_bulk_finish(f, lfd, afd, bfd);
}

/*
 * RFC 6582 (NewReno): two segments of one window lost (3 and 6 of 10).
 * The third duplicate ACK resends segment 3; B's ACK of it stops at
 * segment 6, a partial ACK: A resends segment 6 at once, still in the
 * same recovery (step 5), deflating cwnd by what was acknowledged and
 * adding one SMSS back; the next ACK covers everything sent before the
 * loss (recover) and ends recovery (step 6). No timeout.
 */
TEST(cc_newreno_partial_ack_two_losses_one_recovery)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int afd, bfd;
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 3, 1), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 6, 1), 0);
	int lfd = l3_small_setup(f, "reno", 10, &afd, &bfd);
	fx_run(f, UTCP_MS(200));

	FX_EXPECT_SENT(f, FX_A, 12,
		       "2101(1000) ack 801 win 16384",  /* 120 ms: fast retransmit */
		       "5101(1000) ack 801 win 16384"); /* 140 ms: the partial ACK */
	FX_EXPECT_SENT(f, FX_B, 1,
		       "801(0) ack 2101 win 14384", /* 1, 2 */
		       "801(0) ack 2101 win 14384", /* 4: duplicate */
		       "801(0) ack 2101 win 14384", /* 5 */
		       "801(0) ack 2101 win 14384", /* 7 */
		       "801(0) ack 2101 win 14384", /* 8 */
		       "801(0) ack 2101 win 14384", /* 9 */
		       "801(0) ack 2101 win 14384", /* 10 */
		       "801(0) ack 5101 win 11384", /* 3 fills up to 6: partial */
		       "801(0) ack 10101 win 6384"); /* 6: everything */
	CHECK_EQ(l3_sent_at(f, FX_A, 12), UTCP_MS(120));
	CHECK_EQ(l3_sent_at(f, FX_A, 13), UTCP_MS(140));
	CHECK_EQ(l3_sent_at(f, FX_B, 9), UTCP_MS(150));
	/* The first ACK (segments 1 and 2) grows cwnd by 2 SMSS: byte
	 * counting with L = 2 SMSS (RFC 3465 2.2). */
	const struct utcp_trace_event *ack[4];
	REQUIRE_EQ(l3_cc_events(f, FX_A, UTCP_CC_ACK, ack, 4), 1);
	CHECK_EQ(ack[0]->u.cc.cwnd, 12000);
	/* Eight segments out at the third duplicate: ssthresh 4000, cwnd
	 * 7000; three more duplicates inflate it to 10000. */
	L3_EXPECT_CC(f, UTCP_CC_FAST_RETRANSMIT, UTCP_MS(120), 7000, 4000, 8000);
	const struct utcp_trace_event *dup[8];
	REQUIRE_EQ(l3_cc_events(f, FX_A, UTCP_CC_RECOVERY_DUPACK, dup, 8), 3);
	CHECK_EQ(dup[2]->u.cc.cwnd, 10000);
	/* The partial ACK takes 3000 bytes: 10000 - 3000 + 1000. */
	L3_EXPECT_CC(f, UTCP_CC_PARTIAL_ACK, UTCP_MS(140), 8000, 4000, 5000);
	L3_EXPECT_CC(f, UTCP_CC_RECOVERY_EXIT, UTCP_MS(160), 2000, 4000, 0);
	struct utcp_stats st;
	utcp_stack_stats(fx_stack(f, FX_A), &st);
	CHECK_EQ(st.tcp_fast_retransmit, 1);
	CHECK_EQ(st.tcp_retransmit, 2);
	CHECK_EQ(st.tcp_timeout, 0);
	l3_small_finish(f, lfd, afd, bfd, 10 * L3_MSS);
}

/* --- the retransmission timer (RFC 6298) -------------------------------- */

/* RFC 6298's estimator as utcp computes it: (2.2) on the first sample,
 * (2.3) after, each update one integer division (truncating), RTO =
 * SRTT + max(G, 4 RTTVAR) with G = 1 us, then (2.4) at least rto_min. */
struct l3_rto {
	uint32_t srtt, rttvar, rto;
	bool first;
};

static void l3_rto_sample(struct l3_rto *e, uint32_t r, uint32_t rto_min)
{
	if (e->first) {
		e->srtt = r;
		e->rttvar = r / 2;
		e->first = false;
	} else {
		uint32_t delta = e->srtt > r ? e->srtt - r : r - e->srtt;
		e->rttvar = (3 * e->rttvar + delta) / 4;
		e->srtt = (7 * e->srtt + r) / 8;
	}
	uint32_t k = 4 * e->rttvar > 1 ? 4 * e->rttvar : 1;
	e->rto = e->srtt + k > rto_min ? e->srtt + k : rto_min;
}

/* A path with a constant RTT of 40 ms (20 ms each way, infinite rate,
 * B acknowledging at once) and A's minimum RTO `rto_min`. */
static struct fixture *l3_rtt_path(utcp_time_us rto_min, int *lfd, int *afd, int *bfd)
{
	struct fx_opts o = {.delay = UTCP_MS(20), .has_cfg = true};
	fx_default_cfg(&o.cfg_a);
	fx_default_cfg(&o.cfg_b);
	o.cfg_a.rto_min = rto_min;
	o.cfg_b.delack = 0;
	struct fixture *f = fx_new(&o);
	*lfd = l3_small_setup(f, "reno", 0, afd, bfd);
	return f;
}

/* A sends n messages of 100 bytes, one every 300 ms from L3_START. */
static void l3_send_messages(struct fixture *f, int afd, int n)
{
	static const uint8_t msg[100];
	for (int i = 0; i < n; i++) {
		fx_run_until(f, L3_START + (utcp_time_us)i * UTCP_MS(300));
		REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), afd, msg, sizeof(msg), 0), 100);
	}
	fx_run(f, UTCP_MS(300));
}

/*
 * RFC 6298 (2.2)-(2.4): with a constant RTT of 40 ms, every sample is
 * 40 ms; SRTT stays at 40 ms while RTTVAR decays from 20 ms by 3/4 per
 * sample, and RTO = max(rto_min, SRTT + 4 RTTVAR) follows it down to the
 * minimum (60 ms here, so that the formula shows). The timer of each
 * segment is armed at exactly that RTO (5.1), and a lost segment is
 * resent exactly one RTO after it left.
 */
TEST(cc_rto_rfc6298_estimator)
{
	int lfd, afd, bfd;
	const uint32_t rto_min = 60000;
	struct fixture *f = l3_rtt_path(rto_min, &lfd, &afd, &bfd);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 9, 1), 0);
	l3_send_messages(f, afd, 9);

	const struct utcp_trace_event *ev[16];
	size_t n = l3_events(f, UTCP_TR_RTT, ev, 16);
	REQUIRE_EQ(n, 9); /* the SYN's, then messages 1..8 (9 was resent) */
	struct l3_rto e = {.first = true};
	static const uint32_t want_rto[9] = {120000, 100000, 85000, 73748, 65308,
					     60000,  60000,  60000, 60000};
	for (size_t i = 0; i < n; i++) {
		l3_rto_sample(&e, 40000, rto_min);
		CHECK_EQ(ev[i]->u.rtt.sample_us, 40000);
		CHECK_EQ(ev[i]->u.rtt.srtt_us, e.srtt);
		CHECK_EQ(ev[i]->u.rtt.rttvar_us, e.rttvar);
		CHECK_EQ(ev[i]->u.rtt.rto_us, e.rto);
		CHECK_EQ(e.rto, want_rto[i]); /* the model itself, by hand */
		if (i == 0)
			continue;
		/* Message i left at L3_START + 300 (i - 1) ms with the RTO
		 * of the samples before it. */
		utcp_time_us sent = L3_START + (i - 1) * UTCP_MS(300);
		CHECK_EQ(l3_rtx_armed(f, sent), sent + ev[i - 1]->u.rtt.rto_us);
	}
	CHECK_EQ(e.srtt, 40000);
	CHECK_EQ(e.rttvar, 2001); /* 20000 * (3/4)^8, truncated at each step */
	/* Message 9 left at 2500 ms and was lost: resent at 2560 ms. */
	const struct fx_event *sent[32];
	size_t k = fx_sent(f, FX_A, sent, 32);
	REQUIRE(k >= 2);
	CHECK_EQ(sent[k - 2]->ev.at, UTCP_MS(2500));
	CHECK_EQ(sent[k - 1]->ev.at, UTCP_MS(2560));
	CHECK(sent[k - 1]->ev.u.seg.retransmit);
	CHECK_EQ(sent[k - 1]->ev.u.seg.seq, sent[k - 2]->ev.u.seg.seq);
	l3_small_finish(f, lfd, afd, bfd, 900);
}

/*
 * RFC 6298 (5.5)-(5.6): each consecutive timeout doubles the RTO (200 ms,
 * the minimum, on this 40 ms path): the first message's four lost copies
 * are resent 200, 400, 800 and 1600 ms apart. Karn (section 3): the ACK
 * of the fifth copy is no RTT sample, so the backed-off RTO (3.2 s) stays
 * for the next message (section 5, last paragraph) until its ACK, a
 * valid sample, brings the RTO back to 200 ms.
 */
TEST(cc_rto_backoff_and_karn)
{
	int lfd, afd, bfd;
	struct fixture *f = l3_rtt_path(UTCP_MS(200), &lfd, &afd, &bfd);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 1, 4), 0);
	static const uint8_t msg[100];
	struct utcp_stack *a = fx_stack(f, FX_A);
	REQUIRE_EQ(utcp_send(a, afd, msg, sizeof(msg), 0), 100); /* at 100 ms */
	fx_run_until(f, UTCP_MS(3200));
	struct utcp_tcp_info info = fx_info(f, FX_A, afd);
	CHECK_EQ(info.backoff, 4);
	CHECK_EQ(info.rto_us, 3200000);
	CHECK_EQ(info.unacked, 0);
	REQUIRE_EQ(utcp_send(a, afd, msg, sizeof(msg), 0), 100); /* at 3200 ms */
	fx_run_until(f, UTCP_MS(3500));
	info = fx_info(f, FX_A, afd);
	CHECK_EQ(info.backoff, 0);
	CHECK_EQ(info.rto_us, 200000);
	REQUIRE_EQ(utcp_send(a, afd, msg, sizeof(msg), 0), 100); /* at 3500 ms */
	fx_run_until(f, UTCP_MS(3800));

	FX_EXPECT_SENT(f, FX_A, 2,
		       "101(100) ack 801 win 16384", "101(100) ack 801 win 16384",
		       "101(100) ack 801 win 16384", "101(100) ack 801 win 16384",
		       "101(100) ack 801 win 16384", "201(100) ack 801 win 16384",
		       "301(100) ack 801 win 16384");
	static const utcp_time_us at[] = {UTCP_MS(100),  UTCP_MS(300),  UTCP_MS(700),
					  UTCP_MS(1500), UTCP_MS(3100), UTCP_MS(3200),
					  UTCP_MS(3500)};
	for (size_t i = 0; i < 7; i++)
		CHECK_EQ(l3_sent_at(f, FX_A, 2 + i), at[i]);
	/* The timer each transmission armed: RTO 200 ms doubled per timeout. */
	CHECK_EQ(l3_rtx_armed(f, UTCP_MS(100)), UTCP_MS(300));
	CHECK_EQ(l3_rtx_armed(f, UTCP_MS(300)), UTCP_MS(700));
	CHECK_EQ(l3_rtx_armed(f, UTCP_MS(700)), UTCP_MS(1500));
	CHECK_EQ(l3_rtx_armed(f, UTCP_MS(1500)), UTCP_MS(3100));
	CHECK_EQ(l3_rtx_armed(f, UTCP_MS(3100)), UTCP_MS(6300));
	CHECK_EQ(l3_rtx_armed(f, UTCP_MS(3200)), UTCP_MS(6400)); /* still backed off */
	CHECK_EQ(l3_rtx_armed(f, UTCP_MS(3500)), UTCP_MS(3700)); /* collapsed */
	/* RTT samples: the SYN's, then messages 2 and 3; none at 3140 ms. */
	const struct utcp_trace_event *ev[8];
	REQUIRE_EQ(l3_events(f, UTCP_TR_RTT, ev, 8), 3);
	CHECK_EQ(ev[0]->at, UTCP_MS(40));
	CHECK_EQ(ev[1]->at, UTCP_MS(3240));
	CHECK_EQ(ev[2]->at, UTCP_MS(3540));
	for (size_t i = 0; i < 3; i++)
		CHECK_EQ(ev[i]->u.rtt.sample_us, 40000);
	struct utcp_stats st;
	utcp_stack_stats(a, &st);
	CHECK_EQ(st.tcp_timeout, 4);
	CHECK_EQ(st.tcp_retransmit, 4);
	/* RFC 5681 (4): ssthresh fell only at the first timeout (two segments'
	 * worth, with 100 bytes out); cwnd is one SMSS after each. */
	const struct utcp_trace_event *to[8];
	REQUIRE_EQ(l3_cc_events(f, FX_A, UTCP_CC_TIMEOUT, to, 8), 4);
	for (size_t i = 0; i < 4; i++) {
		CHECK_EQ(to[i]->u.cc.cwnd, L3_MSS);
		CHECK_EQ(to[i]->u.cc.ssthresh, 2 * L3_MSS);
	}
	l3_small_finish(f, lfd, afd, bfd, 300);
}

/* --- Nagle and delayed ACKs (RFC 9293 3.7.4, 3.8.6.3) ------------------- */

/* A writes 100 bytes at 100 ms, then 100 more at 101, 102 and 103 ms. */
static void l3_small_writes(struct fixture *f, int afd)
{
	static const uint8_t msg[100];
	for (int i = 0; i < 4; i++) {
		fx_run_until(f, L3_START + (utcp_time_us)i * UTCP_MS(1));
		REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), afd, msg, sizeof(msg), 0), 100);
	}
	fx_run(f, UTCP_MS(200));
}

/*
 * Nagle (RFC 9293 3.7.4, MUST-70 / SHLD-7): the first small write goes at
 * once (nothing is unacknowledged); the next three wait while it is, and
 * leave as one segment when its (delayed: 40 ms) ACK arrives.
 */
TEST(flow_nagle_coalesces_small_writes)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int afd, bfd;
	int lfd = l3_small_setup(f, "reno", 0, &afd, &bfd);
	l3_small_writes(f, afd);
	FX_EXPECT_SENT(f, FX_A, 2,
		       "101(100) ack 801 win 16384",
		       "201(300) ack 801 win 16384");
	FX_EXPECT_SENT(f, FX_B, 1,
		       "801(0) ack 201 win 16284",
		       "801(0) ack 501 win 15984");
	CHECK_EQ(l3_sent_at(f, FX_A, 2), UTCP_MS(100));
	CHECK_EQ(l3_sent_at(f, FX_B, 1), UTCP_MS(150)); /* 110 + 40 ms delack */
	CHECK_EQ(l3_sent_at(f, FX_A, 3), UTCP_MS(160));
	CHECK_EQ(l3_sent_at(f, FX_B, 2), UTCP_MS(210));
	l3_small_finish(f, lfd, afd, bfd, 400);
}

/* With TCP_NODELAY every write leaves at once, in its own segment. */
TEST(flow_nodelay_sends_small_writes_at_once)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int afd, bfd;
	int lfd = l3_small_setup(f, "reno", 0, &afd, &bfd);
	fx_setint(f, FX_A, afd, UTCP_SOL_TCP, UTCP_TCP_NODELAY, 1);
	l3_small_writes(f, afd);
	FX_EXPECT_SENT(f, FX_A, 2,
		       "101(100) ack 801 win 16384",
		       "201(100) ack 801 win 16384",
		       "301(100) ack 801 win 16384",
		       "401(100) ack 801 win 16384");
	for (size_t i = 0; i < 4; i++)
		CHECK_EQ(l3_sent_at(f, FX_A, 2 + i), L3_START + i * UTCP_MS(1));
	/* 400 bytes are less than two full segments: one delayed ACK, 40 ms
	 * after the first of them arrived. */
	FX_EXPECT_SENT(f, FX_B, 1, "801(0) ack 501 win 15984");
	CHECK_EQ(l3_sent_at(f, FX_B, 1), UTCP_MS(150));
	l3_small_finish(f, lfd, afd, bfd, 400);
}

/*
 * Delayed ACKs (RFC 9293 3.8.6.3, RFC 5681 4.2) with B's delay set to
 * 100 ms: a lone segment is acknowledged exactly 100 ms after it arrived
 * (never later: MUST-40), and at least every second full-sized segment
 * is acknowledged at once (SHLD-19), an odd one left for the timer.
 */
TEST(flow_delayed_ack_timer_and_every_second_segment)
{
	struct fx_opts o = {.has_cfg = true};
	fx_default_cfg(&o.cfg_a);
	fx_default_cfg(&o.cfg_b);
	o.cfg_b.delack = UTCP_MS(100);
	struct fixture *f = fx_new(&o);
	int afd, bfd;
	int lfd = l3_small_setup(f, "reno", 0, &afd, &bfd);
	static const uint8_t data[4 * L3_MSS];
	static const uint32_t burst[] = {1, 2, 3, 4}; /* segments at 100, 300, 500, 700 ms */
	for (size_t i = 0; i < 4; i++) {
		fx_run_until(f, L3_START + i * UTCP_MS(200));
		REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), afd, data, burst[i] * L3_MSS, 0),
			   burst[i] * L3_MSS);
	}
	fx_run(f, UTCP_MS(200));
	FX_EXPECT_SENT(f, FX_B, 1,
		       "801(0) ack 1101 win 15384",  /* 1 segment: the timer */
		       "801(0) ack 3101 win 13384",  /* 2: at once */
		       "801(0) ack 5101 win 11384",  /* 3: at once after the 2nd ... */
		       "801(0) ack 6101 win 10384",  /* ... the 3rd by the timer */
		       "801(0) ack 8101 win 8384",   /* 4: two at once */
		       "801(0) ack 10101 win 6384");
	static const utcp_time_us at[] = {UTCP_MS(210), UTCP_MS(310), UTCP_MS(510),
					  UTCP_MS(610), UTCP_MS(710), UTCP_MS(710)};
	for (size_t i = 0; i < 6; i++)
		CHECK_EQ(l3_sent_at(f, FX_B, 1 + i), at[i]);
	l3_small_finish(f, lfd, afd, bfd, 10 * L3_MSS);
}

/*
 * NewReno in a bulk transfer: segments 31 and 35 of the round sent with
 * cwnd 40 are lost. The inflated window sends new data during recovery;
 * the fast retransmission of 31 brings a partial ACK (up to 35), 35 is
 * resent at once, and the next ACK ends the one recovery episode. The RTT
 * samples stay 20 ms: the new segment timed during recovery is answered
 * only after the resent 35 fills the hole, and Karn's rule drops that
 * inflated measurement.
 */
TEST(cc_newreno_bulk_two_losses)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int afd, bfd;
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 31, 1), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 35, 1), 0);
	int lfd = l3_bulk_setup(f, "reno", 0, 0, &afd, &bfd);
	fx_run_until(f, UTCP_MS(300));

	/* 160 ms: the third duplicate (from 34) with 40 segments out. The
	 * other 35 duplicates (36..70) inflate cwnd to 58000: 18 new
	 * segments leave during recovery. */
	L3_EXPECT_CC(f, UTCP_CC_FAST_RETRANSMIT, UTCP_MS(160), 23000, 20000, 40000);
	/* 180 ms: the ACK of the resent 31 stops at 35 (partial): 58000 -
	 * 4000 acknowledged + 1 SMSS (RFC 6582 3.2 step 5); 35 is resent at
	 * once. 36 old and 18 new segments are out. */
	L3_EXPECT_CC(f, UTCP_CC_PARTIAL_ACK, UTCP_MS(180), 55000, 20000, 54000);
	/* 200 ms: the ACK of the resent 35 covers `recover` (70): full. */
	L3_EXPECT_CC(f, UTCP_CC_RECOVERY_EXIT, UTCP_MS(200), 20000, 20000, 19000);
	const struct fx_event *sent[512];
	size_t n = fx_sent(f, FX_A, sent, 512), k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct utcp_trace_seg *g = &sent[i]->ev.u.seg;
		if (!g->retransmit)
			continue;
		static const struct {
			utcp_time_us at;
			uint32_t seq;
		} want[] = {{UTCP_MS(160), 30101}, {UTCP_MS(180), 34101}};
		REQUIRE(k < 2);
		CHECK_EQ(sent[i]->ev.at, want[k].at);
		CHECK_EQ(g->seq, want[k].seq);
		k++;
	}
	CHECK_EQ(k, 2);
	struct utcp_stats st;
	utcp_stack_stats(fx_stack(f, FX_A), &st);
	CHECK_EQ(st.tcp_fast_retransmit, 1);
	CHECK_EQ(st.tcp_timeout, 0);
	/* The sample at 200 ms is from a segment sent at 180 ms after 35's
	 * resend; the one timed at 160 ms (ACKed only at 200 ms, behind the
	 * hole at 35) gives none. */
	L3_CHECK_RTT(f, UTCP_MS(20), 20, 120, 140, 200, 220, 240, 260, 280, 300);
	l3_bulk_finish(f, lfd, afd, bfd);
}

/*
 * RFC 5681 4.1: after an idle period longer than the RTO (200 ms here),
 * a sender restarts from at most the initial window (10 segments). A
 * sends 16 segments, cwnd grows past 20; after 900 ms of silence the
 * next 16 leave as 10, then 6 when the first ACKs return.
 */
TEST(cc_reno_restart_after_idle)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int afd, bfd;
	int lfd = l3_small_setup(f, "reno", 16, &afd, &bfd);
	fx_run_until(f, UTCP_MS(500));
	static uint8_t buf[16 * L3_MSS];
	REQUIRE_EQ(utcp_recv(fx_stack(f, FX_B), bfd, buf, sizeof(buf), 0), 16 * L3_MSS);
	fx_run_until(f, UTCP_MS(1000));
	const struct utcp_trace_event *ev[4];
	REQUIRE_EQ(l3_cc_events(f, FX_A, UTCP_CC_IDLE_RESTART, ev, 4), 0);
	CHECK(fx_info(f, FX_A, afd).cwnd > 20 * L3_MSS);
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), afd, buf, sizeof(buf), 0), 16 * L3_MSS);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(l3_cc_events(f, FX_A, UTCP_CC_IDLE_RESTART, ev, 4), 1);
	CHECK_EQ(ev[0]->at, UTCP_MS(1000));
	CHECK_EQ(ev[0]->u.cc.cwnd, 10 * L3_MSS);
	struct l3_round r[8];
	size_t n = l3_rounds(f, r, 8);
	REQUIRE(n >= 4);
	CHECK_EQ(r[n - 2].at, UTCP_MS(1000));
	CHECK_EQ(r[n - 2].segs, 10);
	CHECK_EQ(r[n - 1].at, UTCP_MS(1020));
	CHECK_EQ(r[n - 1].segs, 6);
	l3_small_finish(f, lfd, afd, bfd, 16 * L3_MSS);
}
