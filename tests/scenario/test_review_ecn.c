/*
 * Review of ECN (RFC 3168 section 6.1) and of the follow-ups of commit
 * 9942732: its interplay with loss recovery and the retransmission timer,
 * the handshake, and the sequence-space markers (recover, ecn_high).
 *
 * Host A against the raw peer P (A listens on port 80 with ISS 1000, P
 * connects from port 4000 with ISN 5000, one-way delay 10 ms), and for the
 * long runs two stacks on a jumbo-frame link.
 */
#include "ecn_peer.h"
#include "review_peer.h"

#include "stack/stack_internal.h"

#include <stdlib.h>

/* RFC 3168 6.1.1: a host that has received a non-ECN-setup SYN SHOULD NOT
 * set ECT on its data (FreeBSD r364054 fixed the same in its SYN cache).
 * The client's SYN,ACK was lost and it resent its SYN without ECE and CWR,
 * as RFC 3168 6.1.1.1 allows and as utcp's own client does (ecn.c
 * tcp_ecn_syn_out): that client will never echo CE, so ECT(0) data from
 * A is marked by routers instead of dropped and A never slows down. */
TEST(review_ecn_syn_resent_without_ecn_setup_turns_ecn_off)
{
	struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	struct utcp_tcp_opts o = {.has_mss = true, .mss = 1460};
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN | ECE_CWR, 5000, 0, 4096, NULL, 0, &o);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN,ECE 1000(0) ack 5001 win 4096 <mss 1460>");
	/* That SYN,ACK is lost; P's SYN comes again, no longer asking. */
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN, 5000, 0, 4096, NULL, 0, &o);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 1000(0) ack 5001 win 4096 <mss 1460>");
	ecn_send(f, UTCP_TH_ACK, 5001, 1001, 4096, NULL, 0, IPV4_ECN_NOT_ECT);
	fx_run(f, UTCP_MS(10));
	int fd = utcp_accept(fx_stack(f, FX_A), lfd, NULL);
	REQUIRE(fd >= 0);
	CHECK(!fx_info(f, FX_A, fd).ecn);
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, "hello", 5, 0), 5);
	fx_run(f, UTCP_MS(10));
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "1001(5) ack 5001 win 4096");
	CHECK_EQ(ecn_of(s), IPV4_ECN_NOT_ECT);
	FX_RAW_END(f, fd, lfd);
}

/* RFC 3168 6.1.2: when the congestion window is one segment, ECE cannot
 * halve it any more; the sender MUST reset the retransmit timer and may
 * send new data only when that timer expires. After an RTO (cwnd = 1 MSS)
 * every retransmission is acknowledged with ECE (P saw CE before, has had
 * no CWR yet: no growth), then the CWR segment itself comes back with ECE
 * (marked again): A sends its next segment at once instead of waiting. */
TEST(review_ecn_ece_with_a_one_segment_window_waits_for_the_timer)
{
	struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
	int lfd, fd = ecn_accept(f, &lfd, 60000, 1000, 60000, ECE_CWR, NULL);
	static const char data[30000];
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, sizeof(data), 0), 30000);
	fx_run(f, UTCP_MS(10));
	for (int k = 0; k < 10; k++)
		REQUIRE(fx_raw_next(f) != NULL);
	/* Nothing comes back: the RTO (200 ms) resends 1001, cwnd 1 SMSS. */
	fx_run(f, UTCP_MS(200));
	FX_RAW_EXPECT(f, "1001(1000) ack 5001 win 60000");
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_info(f, FX_A, fd).cwnd, 1000);
	/* The originals had all arrived: everything is acknowledged, with
	 * ECE (about the window the timeout already reduced). */
	ecn_send(f, UTCP_TH_ACK | UTCP_TH_ECE, 5001, 11001, 60000, NULL, 0, IPV4_ECN_NOT_ECT);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "CWR 11001(1000) ack 5001 win 60000");
	FX_RAW_EXPECT_NONE(f);
	REQUIRE_EQ(fx_info(f, FX_A, fd).cwnd, 1000);
	/* The CWR segment was marked CE on the way: ECE about new data, with
	 * a one-segment window. */
	utcp_time_us t = fx_now(f);
	ecn_send(f, UTCP_TH_ACK | UTCP_TH_ECE, 5001, 12001, 60000, NULL, 0, IPV4_ECN_NOT_ECT);
	fx_run(f, UTCP_MS(150));
	FX_RAW_EXPECT_NONE(f); /* not 12001(1000) at once */
	fx_run(f, UTCP_MS(400));
	const struct fx_raw_seg *s = fx_raw_next(f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.seq, 12001);
	CHECK(s->at >= t + UTCP_MS(200)); /* not before an RTO (200 ms minimum) */
	FX_RAW_END(f, fd, lfd);
}

/* --- 2^31 bytes later: recover and ecn_high must be moved along --- */

/* Two stacks on a jumbo-frame link (MTU 9040: 2^31 bytes are ~240000
 * segments), A (ECN as `ecn`) sends to B, which reads everything. */
struct long_run {
	struct utcp_sim *w;
	struct utcp_stack *a, *b;
	int ch_ab, ch_ba, cfd, sfd, lfd;
	uint64_t sent, got;
};

static void long_run_open(struct long_run *r, uint8_t ecn)
{
	memset(r, 0, sizeof(*r));
	r->w = utcp_sim_new(7);
	REQUIRE(r->w != NULL);
	struct utcp_stack_config ca, cb;
	utcp_stack_config_default(&ca);
	utcp_stack_config_default(&cb);
	ca.ecn = ecn;
	int na = utcp_sim_host_add(r->w, "a", FX_ADDR_A, 24, 9040, &ca);
	int nb = utcp_sim_host_add(r->w, "b", FX_ADDR_B, 24, 9040, &cb);
	REQUIRE(na >= 0 && nb >= 0);
	struct utcp_sim_channel_config ch = {.delay = 50};
	REQUIRE_EQ(utcp_sim_connect(r->w, na, nb, &ch, &ch, &r->ch_ab, &r->ch_ba), 0);
	r->a = utcp_sim_stack(r->w, na);
	r->b = utcp_sim_stack(r->w, nb);
	r->lfd = utcp_socket(r->b);
	struct utcp_sockaddr any = {0, 80};
	REQUIRE_EQ(utcp_bind(r->b, r->lfd, &any), 0);
	REQUIRE_EQ(utcp_listen(r->b, r->lfd, 4), 0);
	r->cfd = utcp_socket(r->a);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(r->a, r->cfd, &to), -EINPROGRESS);
	utcp_sim_run_for(r->w, UTCP_MS(5));
	r->sfd = utcp_accept(r->b, r->lfd, NULL);
	REQUIRE(r->sfd >= 0);
}

/* Move data for `d` of virtual time, 1 ms at a time, or until B has
 * `until` bytes (0: no limit). */
static void long_run_pump(struct long_run *r, utcp_time_us d, uint64_t until)
{
	static uint8_t buf[1 << 20];
	utcp_time_us end = utcp_sim_now(r->w) + d;
	while (utcp_sim_now(r->w) < end && (until == 0 || r->got < until)) {
		long n;
		while ((n = utcp_send(r->a, r->cfd, buf, sizeof(buf), 0)) > 0)
			r->sent += (uint64_t)n;
		while ((n = utcp_recv(r->b, r->sfd, buf, sizeof(buf), 0)) > 0)
			r->got += (uint64_t)n;
		utcp_sim_run_for(r->w, UTCP_MS(1));
	}
}

static struct utcp_stats long_run_stats(struct utcp_stack *s)
{
	struct utcp_stats st;
	utcp_stack_stats(s, &st);
	return st;
}

static void long_run_close(struct long_run *r)
{
	utcp_close(r->a, r->cfd);
	utcp_close(r->b, r->sfd);
	utcp_close(r->b, r->lfd);
	utcp_sim_run_for(r->w, UTCP_SEC(70));
	utcp_sim_free(r->w);
}

#define TWO_GIB (UINT64_C(1) << 31)

/* RFC 6582 3.2 step 2 / RFC 6675 (4): fast retransmit needs SEG.ACK past
 * `recover`, which is set to ISS at the open and moved only by a recovery
 * or a timeout. After 2^31 bytes without either, every ACK compares as
 * BEFORE recover (modular arithmetic), and neither NewReno nor SACK
 * recovery can start for the next 2^31 bytes: a single loss costs an RTO
 * (cwnd 1 SMSS, go-back-N) instead of a fast retransmit. A loss early in
 * the run is repaired by fast retransmit, as a control. */
TEST(review_ecn_wrap_recover_goes_stale_after_2gib_without_loss)
{
	struct long_run r;
	long_run_open(&r, UTCP_ECN_ACCEPT);
	/* Control: one segment lost after 10 MB. */
	long_run_pump(&r, UTCP_SEC(60), 10000000);
	REQUIRE_EQ(utcp_sim_drop_nth(r.w, r.ch_ab, UTCP_SIM_TCP_DATA, 1, 1), 0);
	long_run_pump(&r, UTCP_MS(500), 0);
	struct utcp_stats st = long_run_stats(r.a);
	CHECK_EQ(st.tcp_fast_retransmit, 1);
	CHECK_EQ(st.tcp_timeout, 0);
	/* 2^31 + 16 MiB further on, without a loss: one segment lost again. */
	uint64_t at = r.sent + TWO_GIB + (16u << 20);
	long_run_pump(&r, UTCP_SEC(600), at);
	REQUIRE(r.got >= at);
	REQUIRE_EQ(long_run_stats(r.a).tcp_timeout, 0);
	REQUIRE_EQ(utcp_sim_drop_nth(r.w, r.ch_ab, UTCP_SIM_TCP_DATA, 1, 1), 0);
	long_run_pump(&r, UTCP_MS(500), 0);
	st = long_run_stats(r.a);
	CHECK_EQ(st.tcp_fast_retransmit, 2);
	CHECK_EQ(st.tcp_timeout, 0);
	long_run_close(&r);
}

/* RFC 3168 6.1.2: ECE reduces cwnd when it acknowledges data past
 * ecn_high, which tcp_ecn_established sets to ISS and only a reduction
 * moves. After 2^31 bytes with no congestion at all, ECE compares as
 * "within the window already reduced" for the next 2^31 bytes: the queue
 * marks CE, B echoes it, A never slows down (the marks then turn into
 * drops). The same stale value makes tcp_ecn_loss_ssthresh() call any
 * loss "covered" and keep ssthresh. */
TEST(review_ecn_wrap_ecn_high_goes_stale_after_2gib_without_congestion)
{
	struct long_run r;
	long_run_open(&r, UTCP_ECN_ON);
	REQUIRE_EQ(long_run_stats(r.a).tcp_ecn_negotiated, 1);
	/* A bottleneck: 1 Gbit/s, marking from 4 packets queued; and none. */
	struct utcp_sim_channel_config narrow = {.delay = 50, .rate_bps = 1000000000,
						 .ecn_mark_pkts = 4};
	struct utcp_sim_channel_config wide = {.delay = 50};
	/* Control: marks after 10 MB are answered. */
	long_run_pump(&r, UTCP_SEC(60), 10000000);
	REQUIRE_EQ(utcp_sim_channel_set(r.w, r.ch_ab, &narrow), 0);
	long_run_pump(&r, UTCP_MS(200), 0);
	CHECK(long_run_stats(r.a).tcp_ecn_cwnd_reductions > 0);
	/* The queue drains; then 2^31 + 16 MiB beyond all that was sent,
	 * without congestion. */
	REQUIRE_EQ(utcp_sim_channel_set(r.w, r.ch_ab, &wide), 0);
	long_run_pump(&r, UTCP_MS(50), 0);
	uint64_t before = long_run_stats(r.a).tcp_ecn_cwnd_reductions;
	uint64_t at = r.sent + TWO_GIB + (16u << 20);
	long_run_pump(&r, UTCP_SEC(600), at);
	REQUIRE(r.got >= at);
	REQUIRE_EQ(long_run_stats(r.a).tcp_ecn_cwnd_reductions, before);
	/* The bottleneck again. */
	struct utcp_sim_channel_stats cs0, cs;
	REQUIRE_EQ(utcp_sim_channel_stats(r.w, r.ch_ab, &cs0), 0);
	uint64_t ce0 = long_run_stats(r.b).tcp_ecn_ce_received;
	REQUIRE_EQ(utcp_sim_channel_set(r.w, r.ch_ab, &narrow), 0);
	long_run_pump(&r, UTCP_MS(200), 0);
	REQUIRE_EQ(utcp_sim_channel_stats(r.w, r.ch_ab, &cs), 0);
	CHECK(cs.ce_marked > cs0.ce_marked);
	CHECK(long_run_stats(r.b).tcp_ecn_ce_received > ce0);
	CHECK(long_run_stats(r.a).tcp_ecn_cwnd_reductions > before);
	long_run_close(&r);
}


/* RFC 6675 SetPipe (b): an octet retransmitted at or below HighRxt that is
 * not lost counts twice in the pipe (the original may still be in flight).
 * A hole resent by NextSeg rule 3 is exactly that. sack.c tcp_sack_pipe()
 * subtracts only the lost, not yet resent octets and counts nothing twice:
 * after a rule-3 resend the pipe is one segment short and new data
 * (rule 2) overshoots cwnd by that much. */
TEST(review_sack_rule3_resend_counts_twice_in_the_pipe)
{
	struct peer p;
	peer_open(&p, true, false, 1000, 5000);
	ten_segments(&p, 14600); /* all A has: 1001..15601 */
	/* Segments 1 (1001) and 9 (12681) are lost. */
	static const uint32_t b1[] = {2461, 3921}, b2[] = {2461, 5381}, b3[] = {2461, 6841};
	static const uint32_t b4[] = {14141, 15601, 2461, 12681};
	peer_ack(&p, 1001, 1, b1);
	peer_ack(&p, 1001, 1, b2);
	peer_ack(&p, 1001, 1, b3);
	peer_ack(&p, 1001, 2, b4);
	fx_run(p.f, UTCP_MS(25));
	const struct fx_raw_seg *s[16];
	size_t n = peer_drain(&p, s, 16);
	/* cwnd = ssthresh = 7300. 1001 goes by (4.3); 12681 is no loss
	 * (one SACKed segment above it) but rule 3 resends it. */
	REQUIRE_EQ(n, 2);
	CHECK_EQ(s[0]->h.seq, 1001);
	CHECK_EQ(s[1]->h.seq, 12681);
	struct utcp_tcp_info i = peer_info(&p);
	REQUIRE_EQ(i.cwnd, 7300);
	/* Pipe: 1001 (lost, resent: 1460) + 12681 (not lost: 1460, resent:
	 * another 1460) = 4380. Room for 2920 = two new segments. */
	static uint8_t more[14600];
	REQUIRE_EQ(utcp_send(p.a, p.fd, more, sizeof(more), 0), (long)sizeof(more));
	fx_run(p.f, UTCP_MS(15));
	n = peer_drain(&p, s, 16);
	CHECK_EQ(n, 2); /* not 3: one over cwnd */
	peer_close(&p);
}

/* RFC 6191 section 2: timestamps were on in the old incarnation but
 * would not be in the new one (the SYN has none): honour the SYN, whatever
 * its sequence number (test_sack_ts.c has the case of a listener that no
 * longer offers them). */
TEST(review_time_wait_reopen_rfc6191_old_ts_new_without)
{
	struct fx_opts fo = {.has_cfg = true, .raw_peer = true};
	utcp_stack_config_default(&fo.cfg_a);
	utcp_stack_config_default(&fo.cfg_b);
	struct fixture *f = fx_new(&fo);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen(f, FX_A, 80, 5000);
	struct utcp_tcp_opts o = {.has_mss = true, .mss = 1460, .has_ts = true, .ts_val = 1000};
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN, 1000, 0, 65535, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	const struct fx_raw_seg *sa = fx_raw_next(f);
	REQUIRE(sa != NULL);
	uint32_t ts_a = sa->h.opts.ts_val;
	o = (struct utcp_tcp_opts){.has_ts = true, .ts_val = 1010, .ts_ecr = ts_a};
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 1001, 5001, 65535, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	int fd = utcp_accept(a, lfd, NULL);
	REQUIRE(fd >= 0);
	utcp_close(a, fd);
	fx_run(f, UTCP_MS(30));
	o = (struct utcp_tcp_opts){.has_ts = true, .ts_val = 1030, .ts_ecr = ts_a};
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK | UTCP_TH_FIN, 1001, 5002, 65535, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	REQUIRE_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	while (fx_raw_next(f))
		;
	/* A new SYN without timestamps, below RCV.NXT (1002). */
	o = (struct utcp_tcp_opts){.has_mss = true, .mss = 1460};
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN, 500, 0, 65535, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	const struct fx_raw_seg *s = fx_raw_next(f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.flags, UTCP_TH_SYN | UTCP_TH_ACK); /* not a challenge ACK */
	CHECK_EQ(s->h.ack, 501);
	CHECK_EQ(fx_stats(f, FX_A).tcp_time_wait_reopen, 1);
	utcp_close(a, lfd);
	FX_END(f, UTCP_SEC(1000));
}

/* --- guards: behaviour found sound --- */

/* A listens (60000-byte buffers, ISS 1000); P asks for ECN and SACK with
 * MSS 1000; A accepts. */
static struct fixture *rv_world_sack(void)
{
	struct utcp_stack_config cfg;
	fx_default_cfg(&cfg);
	cfg.ecn = UTCP_ECN_ACCEPT;
	cfg.sack = true;
	return fx_new_raw(&cfg);
}

static int rv_accept_sack(struct fixture *f, int *lfd)
{
	*lfd = fx_listen_4k(f, FX_A, 80, 1000);
	fx_setint(f, FX_A, *lfd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 60000);
	fx_setint(f, FX_A, *lfd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 60000);
	struct utcp_tcp_opts o = {.has_mss = true, .mss = 1000, .sack_permitted = true};
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN | ECE_CWR, 5000, 0, 60000, NULL, 0, &o);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *sa = fx_raw_next(f);
	REQUIRE(sa != NULL);
	REQUIRE_EQ(sa->h.flags, UTCP_TH_SYN | UTCP_TH_ACK | UTCP_TH_ECE);
	REQUIRE(sa->h.opts.sack_permitted);
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, 1001, 60000, NULL, 0, NULL);
	fx_run(f, UTCP_MS(10));
	int fd = utcp_accept(fx_stack(f, FX_A), *lfd, NULL);
	REQUIRE(fd >= 0);
	return fd;
}

static void rv_sack_ack(struct fixture *f, uint8_t flags, uint32_t ack, uint32_t l, uint32_t r)
{
	struct utcp_tcp_opts o = {.sack_count = 1};
	o.sack[0].left = l;
	o.sack[0].right = r;
	fx_raw_send(f, FX_PP, 80, (uint8_t)(UTCP_TH_ACK | flags), 5001, ack, 60000, NULL, 0, &o);
}

/* ECE on the duplicate ACKs that start SACK recovery: one reduction
 * (ECE on the first duplicate ACK: ssthresh = cwnd = flight / 2; the loss
 * found on the third is the same congestion and keeps it), never a
 * halving of the halved window; the retransmission is Not-ECT and without
 * CWR; the first new data carries CWR, once. */
TEST(review_ecn_ece_on_sack_dupacks_reduces_once)
{
	struct fixture *f = rv_world_sack();
	int lfd, fd = rv_accept_sack(f, &lfd);
	static const char data[30000];
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, sizeof(data), 0), 30000);
	fx_run(f, UTCP_MS(10));
	for (int k = 0; k < 10; k++)
		REQUIRE(fx_raw_next(f) != NULL);
	rv_sack_ack(f, UTCP_TH_ECE, 1001, 2001, 3001);
	rv_sack_ack(f, UTCP_TH_ECE, 1001, 2001, 4001);
	rv_sack_ack(f, UTCP_TH_ECE, 1001, 2001, 5001);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *r = FX_RAW_EXPECT(f, "1001(1000) ack 5001 win 60000");
	CHECK_EQ(ecn_of(r), IPV4_ECN_NOT_ECT);
	struct utcp_tcp_info i = fx_info(f, FX_A, fd);
	CHECK_EQ(i.ssthresh, 5000);
	CHECK_EQ(i.cwnd, 5000);
	CHECK_EQ(fx_stats(f, FX_A).tcp_fast_retransmit, 1);
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_cwnd_reductions, 1);
	/* More SACKs with ECE: the pipe drains, new data goes, CWR on the
	 * first new segment only. */
	for (uint32_t e = 6001; e <= 11001; e += 1000)
		rv_sack_ack(f, UTCP_TH_ECE, 1001, 2001, e);
	fx_run(f, UTCP_MS(20));
	unsigned cwr = 0, fresh = 0;
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(f)) != NULL) {
		if (s->h.seq >= 11001 && s->len > 0) {
			fresh++;
			cwr += (s->h.flags & UTCP_TH_CWR) != 0;
			CHECK_EQ(ecn_of(s), IPV4_ECN_ECT0);
			CHECK_EQ((s->h.flags & UTCP_TH_CWR) != 0, s->h.seq == 11001);
		}
	}
	CHECK(fresh > 0);
	CHECK_EQ(cwr, 1);
	CHECK_EQ(fx_info(f, FX_A, fd).ssthresh, 5000);
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_cwnd_reductions, 1);
	FX_RAW_END(f, fd, lfd);
}

/* 6.1.3 with RFC 2018: CE on an out-of-order segment is echoed at once,
 * the ACK carrying both ECE and the SACK block; a CE-marked old duplicate
 * (outside the window) starts no echo. */
TEST(review_ecn_ce_on_out_of_order_and_duplicate_data)
{
	struct fixture *f = rv_world_sack();
	int lfd, fd = rv_accept_sack(f, &lfd);
	static const char d[100];
	/* In order, not marked: delayed ACK, no ECE. */
	ecn_send(f, UTCP_TH_ACK, 5001, 1001, 60000, d, 100, IPV4_ECN_ECT0);
	fx_run(f, UTCP_MS(60));
	FX_RAW_EXPECT(f, "1001(0) ack 5101 win 59900");
	/* An old duplicate of it, marked CE: ACKed (duplicate), no ECE. */
	ecn_send(f, UTCP_TH_ACK, 5001, 1001, 60000, d, 100, IPV4_ECN_CE);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *s = fx_raw_next(f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.flags & UTCP_TH_ECE, 0);
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_ce_received, 0);
	/* Out of order and marked: at once, ECE and the block. */
	ecn_send(f, UTCP_TH_ACK, 5201, 1001, 60000, d, 100, IPV4_ECN_CE);
	fx_run(f, UTCP_MS(20));
	s = fx_raw_next(f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.ack, 5101);
	CHECK(s->h.flags & UTCP_TH_ECE);
	REQUIRE_EQ(s->h.opts.sack_count, 1);
	CHECK_EQ(s->h.opts.sack[0].left, 5201);
	CHECK_EQ(s->h.opts.sack[0].right, 5301);
	CHECK_EQ(ecn_of(s), IPV4_ECN_NOT_ECT);
	FX_RAW_EXPECT_NONE(f);
	FX_RAW_END(f, fd, lfd);
}

/* CE and CWR count only on a segment that passes every check: CE-marked
 * data acknowledging what A never sent is answered with a plain ACK and
 * dropped, so no echo starts; a CWR on such a segment does not end one. */
TEST(review_ecn_dropped_segment_changes_no_echo_state)
{
	struct fixture *f = ecn_world(UTCP_ECN_ACCEPT);
	int lfd, fd = ecn_accept(f, &lfd, 60000, 1000, 60000, ECE_CWR, NULL);
	ecn_send(f, UTCP_TH_ACK, 5001, 9999, 60000, "abc", 3, IPV4_ECN_CE);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5001 win 60000"); /* no ECE */
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_ce_received, 0);
	/* A real mark starts the echo; a CWR on a dropped segment keeps it. */
	ecn_send(f, UTCP_TH_ACK, 5001, 1001, 60000, "abc", 3, IPV4_ECN_CE);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "ECE 1001(0) ack 5004 win 59997");
	ecn_send(f, UTCP_TH_ACK | UTCP_TH_CWR, 5004, 9999, 60000, "def", 3, IPV4_ECN_ECT0);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "ECE 1001(0) ack 5004 win 59997");
	ecn_send(f, UTCP_TH_ACK | UTCP_TH_CWR, 5004, 1001, 60000, "def", 3, IPV4_ECN_ECT0);
	fx_run(f, UTCP_MS(300));
	FX_RAW_EXPECT(f, "1001(0) ack 5007 win 59994"); /* CWR taken: echo over */
	FX_RAW_END(f, fd, lfd);
}
