/*
 * SACK (RFC 2018, loss recovery of RFC 6675) and timestamps (RFC 7323):
 * negotiation, the blocks a receiver reports, the holes a sender repairs,
 * PAWS, TS.Recent, and TIME_WAIT reopened by a newer timestamp (RFC 6191).
 */
#include "fixture.h"

#include "stack/stack_internal.h"

/* Two stacks with SACK and timestamps on (the fixture's default is off). */
static struct fixture *modern_pair(void)
{
	struct fx_opts o = {.has_cfg = true};
	utcp_stack_config_default(&o.cfg_a);
	utcp_stack_config_default(&o.cfg_b);
	return fx_new(&o);
}

static struct fixture *modern_raw(void)
{
	struct fx_opts o = {.has_cfg = true, .raw_peer = true};
	utcp_stack_config_default(&o.cfg_a);
	utcp_stack_config_default(&o.cfg_b);
	return fx_new(&o);
}

TEST(sack_ts_negotiated_and_mss_leaves_room_for_timestamps)
{
	struct fixture *f = modern_pair();
	int lfd = fx_listen(f, FX_B, 80, 800);
	int cfd = fx_connect(f, FX_A, 80, 100);
	fx_run(f, UTCP_MS(100));
	const struct fx_event *a[4], *b[4];
	REQUIRE_EQ(fx_sent(f, FX_A, a, 4), 2);
	REQUIRE_EQ(fx_sent(f, FX_B, b, 4), 1);
	/* SYN: MSS, SACK-permitted, timestamps (echo 0), window scale. */
	const struct utcp_tcp_opts *syn = &a[0]->ev.u.seg.opts;
	CHECK(syn->has_mss && syn->sack_permitted && syn->has_ts && syn->has_wscale);
	CHECK_EQ(syn->ts_ecr, 0);
	/* SYN,ACK: the same, echoing the SYN's timestamp. */
	const struct utcp_tcp_opts *sa = &b[0]->ev.u.seg.opts;
	CHECK(sa->sack_permitted && sa->has_ts);
	CHECK_EQ(sa->ts_ecr, syn->ts_val);
	/* The ACK carries timestamps (and no SACK-permitted any more). */
	const struct utcp_tcp_opts *ack = &a[1]->ev.u.seg.opts;
	CHECK(ack->has_ts && !ack->sack_permitted && !ack->has_mss);
	CHECK_EQ(ack->ts_ecr, sa->ts_val);
	int sfd = utcp_accept(fx_stack(f, FX_B), lfd, NULL);
	REQUIRE(sfd >= 0);
	/* RFC 6691: 1460 announced, 12 bytes go to the timestamps. */
	CHECK_EQ(fx_info(f, FX_A, cfd).snd_mss, 1448);
	CHECK_EQ(fx_info(f, FX_B, sfd).snd_mss, 1448);
	utcp_close(fx_stack(f, FX_A), cfd);
	utcp_close(fx_stack(f, FX_B), sfd);
	utcp_close(fx_stack(f, FX_B), lfd);
	FX_END(f, UTCP_SEC(70));
}

TEST(sack_ts_only_when_both_offer)
{
	struct fx_opts o = {.has_cfg = true};
	utcp_stack_config_default(&o.cfg_a);
	fx_default_cfg(&o.cfg_b); /* B: neither */
	struct fixture *f = fx_new(&o);
	int lfd = fx_listen(f, FX_B, 80, 800);
	int cfd = fx_connect(f, FX_A, 80, 100);
	fx_run(f, UTCP_MS(100));
	const struct fx_event *a[4], *b[4];
	REQUIRE_EQ(fx_sent(f, FX_A, a, 4), 2);
	REQUIRE_EQ(fx_sent(f, FX_B, b, 4), 1);
	CHECK(a[0]->ev.u.seg.opts.sack_permitted && a[0]->ev.u.seg.opts.has_ts);
	CHECK(!b[0]->ev.u.seg.opts.sack_permitted && !b[0]->ev.u.seg.opts.has_ts);
	CHECK(!a[1]->ev.u.seg.opts.has_ts); /* not negotiated: not sent */
	CHECK_EQ(fx_info(f, FX_A, cfd).snd_mss, 1460);
	utcp_close(fx_stack(f, FX_A), cfd);
	utcp_close(fx_stack(f, FX_B), lfd);
	FX_END(f, UTCP_SEC(70));
}

/* A bulk sender over a path losing three segments of one window. */
struct bulk {
	struct fixture *f;
	int cfd, sfd, lfd;
	uint32_t sent, got, total;
};

static void bulk_pump(struct bulk *b)
{
	static uint8_t buf[65536];
	while (b->sent < b->total) {
		uint32_t n = b->total - b->sent < sizeof(buf) ? b->total - b->sent : sizeof(buf);
		ssize_t r = utcp_send(fx_stack(b->f, FX_A), b->cfd, buf, n, 0);
		if (r <= 0)
			break;
		b->sent += (uint32_t)r;
	}
	ssize_t r;
	while ((r = utcp_recv(fx_stack(b->f, FX_B), b->sfd, buf, sizeof(buf), 0)) > 0)
		b->got += (uint32_t)r;
}

static void bulk_run(struct bulk *b, utcp_time_us until)
{
	while (fx_now(b->f) < until) {
		fx_run(b->f, UTCP_MS(1));
		bulk_pump(b);
	}
}

static void bulk_start(struct bulk *b, struct fixture *f, uint32_t total)
{
	b->f = f;
	b->total = total;
	b->sent = b->got = 0;
	b->lfd = fx_listen(f, FX_B, 80, 800);
	b->cfd = fx_connect(f, FX_A, 80, 100);
	fx_run(f, UTCP_MS(50));
	b->sfd = utcp_accept(fx_stack(f, FX_B), b->lfd, NULL);
	REQUIRE(b->sfd >= 0);
}

static void bulk_end(struct bulk *b)
{
	utcp_close(fx_stack(b->f, FX_A), b->cfd);
	fx_run(b->f, UTCP_MS(100));
	utcp_close(fx_stack(b->f, FX_B), b->sfd);
	utcp_close(fx_stack(b->f, FX_B), b->lfd);
	FX_END(b->f, UTCP_SEC(70));
}

/* When A sent its first and its last retransmission (both 0: none). */
static void retransmit_span(struct fixture *f, utcp_time_us *first, utcp_time_us *last)
{
	const struct fx_event *out[256];
	size_t n = fx_sent(f, FX_A, out, 256);
	*first = *last = 0;
	for (size_t i = 0; i < n; i++)
		if (out[i]->ev.u.seg.retransmit) {
			if (!*first)
				*first = out[i]->ev.at;
			*last = out[i]->ev.at;
		}
}

TEST(sack_three_holes_repaired_in_one_recovery)
{
	struct fixture *f = modern_pair();
	/* Data segments 5, 7 and 9 of the first flight are lost. */
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 5, 1), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 7, 1), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 9, 1), 0);
	struct bulk b;
	bulk_start(&b, f, 100000);
	bulk_run(&b, UTCP_MS(600));
	CHECK_EQ(b.got, 100000);
	struct utcp_stats st = fx_stats(f, FX_A);
	CHECK_EQ(st.tcp_fast_retransmit, 1); /* one recovery episode */
	CHECK_EQ(st.tcp_retransmit, 3);      /* exactly the three holes */
	CHECK_EQ(st.tcp_timeout, 0);
	/* B's duplicate ACKs reported what it held beyond the holes. */
	const struct fx_event *seg[256];
	size_t n = fx_sent(f, FX_B, seg, 256);
	unsigned with_sack = 0, max_blocks = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned k = seg[i]->ev.u.seg.opts.sack_count;
		with_sack += k > 0;
		max_blocks = k > max_blocks ? k : max_blocks;
	}
	CHECK(with_sack >= 3);
	CHECK_EQ(max_blocks, 3); /* three islands, reported at once */
	/* RFC 6675: the first hole goes on the third duplicate ACK (4.3);
	 * the other two as soon as the SACK blocks of the data sent after
	 * them show them lost, together, one round trip (20 ms) later: not
	 * one per round trip as NewReno would (40 ms, the test below). */
	utcp_time_us first, last;
	retransmit_span(f, &first, &last);
	CHECK(first > 0);
	CHECK_EQ(last - first, UTCP_MS(20));
	const struct fx_event *out[256];
	size_t m = fx_sent(f, FX_A, out, 256);
	unsigned at_last = 0;
	for (size_t i = 0; i < m; i++)
		at_last += out[i]->ev.u.seg.retransmit && out[i]->ev.at == last;
	CHECK_EQ(at_last, 2);
	bulk_end(&b);
}

TEST(sack_off_newreno_needs_a_round_trip_per_hole)
{
	struct fixture *f = fx_new(&(struct fx_opts){0});
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 5, 1), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 7, 1), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, 9, 1), 0);
	struct bulk b;
	bulk_start(&b, f, 100000);
	bulk_run(&b, UTCP_MS(600));
	CHECK_EQ(b.got, 100000);
	utcp_time_us first, last;
	retransmit_span(f, &first, &last);
	CHECK(last - first >= UTCP_MS(40)); /* two more round trips of 20 ms */
	bulk_end(&b);
}

/* P (raw, with SACK and timestamps) and A: an established connection. */
static int ts_established(struct fixture *f, int *lfd, uint32_t *ts_a)
{
	*lfd = fx_listen(f, FX_A, 80, 5000);
	struct utcp_tcp_opts o = {.has_mss = true, .mss = 1460, .has_ts = true, .ts_val = 1000,
				  .sack_permitted = true};
	fx_raw_send(f, 4000, 80, UTCP_TH_SYN, 1000, 0, 65535, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	const struct fx_raw_seg *s = fx_raw_next(f);
	REQUIRE(s != NULL);
	CHECK(s->h.opts.has_ts && s->h.opts.sack_permitted);
	CHECK_EQ(s->h.opts.ts_ecr, 1000);
	*ts_a = s->h.opts.ts_val;
	o = (struct utcp_tcp_opts){.has_ts = true, .ts_val = 1010, .ts_ecr = *ts_a};
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 1001, 5001, 65535, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	int fd = utcp_accept(fx_stack(f, FX_A), *lfd, NULL);
	REQUIRE(fd >= 0);
	return fd;
}

TEST(ts_paws_drops_old_timestamps_and_echoes_recent)
{
	struct fixture *f = modern_raw();
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd;
	uint32_t ts_a;
	int fd = ts_established(f, &lfd, &ts_a);
	/* In order, newer timestamp: taken; the ACK echoes 1020. */
	struct utcp_tcp_opts o = {.has_ts = true, .ts_val = 1020, .ts_ecr = ts_a};
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK | UTCP_TH_PSH, 1001, 5001, 65535, "abc", 3, &o);
	fx_run(f, UTCP_MS(100));
	const struct fx_raw_seg *s = fx_raw_next(f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.ack, 1004);
	CHECK_EQ(s->h.opts.ts_ecr, 1020);
	/* Next segment in sequence but with an older timestamp (a wrapped
	 * old duplicate): PAWS drops it and ACKs. */
	o.ts_val = 1015;
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK | UTCP_TH_PSH, 1004, 5001, 65535, "xyz", 3, &o);
	fx_run(f, UTCP_MS(30));
	s = fx_raw_next(f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.ack, 1004); /* not taken */
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_paws, 1);
	char buf[8];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 3); /* "abc" only */
	/* A RST is exempt from PAWS (RFC 7323 5.3 R1). */
	fx_raw_send(f, 4000, 80, UTCP_TH_RST, 1004, 0, 0, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	CHECK_EQ(fx_so_error(f, FX_A, fd), ECONNRESET);
	utcp_close(a, fd);
	utcp_close(a, lfd);
	FX_END(f, UTCP_MS(10));
}

/* RFC 7323 3.2: an abort's RST carries timestamps too (as Linux's does):
 * TSval from A's clock, TSecr the peer's last. */
TEST(ts_abort_rst_carries_timestamps)
{
	struct fixture *f = modern_raw();
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd;
	uint32_t ts_a;
	int fd = ts_established(f, &lfd, &ts_a);
	fx_run(f, UTCP_MS(50));
	fx_abort(f, FX_A, fd);
	fx_run(f, UTCP_MS(10));
	const struct fx_raw_seg *s = fx_raw_next(f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.flags, UTCP_TH_RST | UTCP_TH_ACK);
	CHECK_EQ(s->h.seq, 5001);
	CHECK_EQ(s->h.ack, 1001);
	CHECK(s->h.opts.has_ts);
	CHECK_EQ(s->h.opts.ts_ecr, 1010);
	CHECK((int32_t)(s->h.opts.ts_val - ts_a) >= 50); /* 1 ms ticks */
	FX_RAW_EXPECT_NONE(f);
	utcp_close(a, lfd);
	FX_END(f, UTCP_MS(10));
}

/* ts_established, then A closes first and ends in TIME_WAIT; P's last
 * timestamp is 1030, A's RCV.NXT 1002. Returns the new fixture. */
static struct fixture *ts_time_wait(int *lfd)
{
	struct fixture *f = modern_raw();
	uint32_t ts_a;
	int fd = ts_established(f, lfd, &ts_a);
	utcp_close(fx_stack(f, FX_A), fd);
	fx_run(f, UTCP_MS(30));
	struct utcp_tcp_opts o = {.has_ts = true, .ts_val = 1030, .ts_ecr = ts_a};
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK | UTCP_TH_FIN, 1001, 5002, 65535, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	REQUIRE_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	while (fx_raw_next(f))
		;
	return f;
}

TEST(ts_time_wait_reopened_by_newer_timestamp)
{
	int lfd;
	struct fixture *f = ts_time_wait(&lfd);
	struct utcp_stack *a = fx_stack(f, FX_A);
	struct utcp_tcp_opts o;
	/* A new SYN from the same port with a LOWER sequence number but a
	 * newer timestamp: RFC 6191 lets it in (SHLD-4). */
	o = (struct utcp_tcp_opts){.has_mss = true, .mss = 1460, .has_ts = true, .ts_val = 2000};
	fx_raw_send(f, 4000, 80, UTCP_TH_SYN, 500, 0, 65535, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	const struct fx_raw_seg *s = fx_raw_next(f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
	CHECK_EQ(s->h.ack, 501);
	CHECK_EQ(fx_stats(f, FX_A).tcp_time_wait_reopen, 1);
	utcp_close(a, lfd);
	FX_END(f, UTCP_SEC(1000));
}

/* RFC 6191 section 2's other cases, each on a fresh TIME_WAIT whose last
 * timestamp from P is 1030 and RCV.NXT 1002 (the old incarnation used
 * timestamps): when the new one would too, only a newer timestamp
 * reopens, whatever the sequence number; when it would not (the listener
 * no longer offers them), the SYN is honoured. */
TEST(ts_time_wait_reopen_rfc6191_cases)
{
	static const struct {
		uint32_t ts_val, seq;
		bool listener_ts, reopen;
	} cases[] = {
		{1030, 2000, true, false}, /* same timestamp: not newer */
		{1030, 500, true, false},
		{1020, 2000, true, false}, /* older timestamp */
		{1020, 2000, false, true}, /* no timestamps next time */
		{1020, 500, false, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int lfd;
		struct fixture *f = ts_time_wait(&lfd);
		struct utcp_stack *a = fx_stack(f, FX_A);
		fx_setint(f, FX_A, lfd, UTCP_SOL_UTCP, UTCP_UTCP_TIMESTAMPS, cases[i].listener_ts);
		struct utcp_tcp_opts o = {.has_mss = true, .mss = 1460, .has_ts = true,
					  .ts_val = cases[i].ts_val};
		fx_raw_send(f, 4000, 80, UTCP_TH_SYN, cases[i].seq, 0, 65535, NULL, 0, &o);
		fx_run(f, UTCP_MS(30));
		const struct fx_raw_seg *sg = fx_raw_next(f);
		CHECK_EQ(fx_stats(f, FX_A).tcp_time_wait_reopen, cases[i].reopen ? 1u : 0u);
		if (cases[i].reopen) {
			REQUIRE(sg != NULL);
			CHECK_EQ(sg->h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
			CHECK_EQ(sg->h.ack, cases[i].seq + 1);
			CHECK_EQ(sg->h.opts.has_ts, cases[i].listener_ts);
		} else {
			/* Left in TIME_WAIT; at most an ACK (challenge or PAWS). */
			CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
			if (sg)
				CHECK_EQ(sg->h.flags, UTCP_TH_ACK);
		}
		utcp_close(a, lfd);
		FX_END(f, UTCP_SEC(1000));
	}
}

TEST(sack_bogus_blocks_ignored)
{
	struct fixture *f = modern_raw();
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd;
	uint32_t ts_a;
	int fd = ts_established(f, &lfd, &ts_a);
	static uint8_t data[4000];
	REQUIRE_EQ(utcp_send(a, fd, data, sizeof(data), 0), 4000);
	fx_run(f, UTCP_MS(20));
	while (fx_raw_next(f))
		;
	/* A sent two full segments (Nagle holds the 1104-byte rest). One
	 * good block (the second segment), then one reaching below the ACK
	 * (a D-SACK) and one past SND.MAX: only the good one is taken. */
	struct utcp_tcp_opts o = {.has_ts = true, .ts_val = 1100, .ts_ecr = ts_a, .sack_count = 3};
	o.sack[0].left = 5001 + 1448, o.sack[0].right = 5001 + 2896;
	o.sack[1].left = 5001, o.sack[1].right = 5001 + 1000;
	o.sack[2].left = 5001 + 2000, o.sack[2].right = 5001 + 4000;
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 1001, 5001, 65535, NULL, 0, &o);
	fx_run(f, UTCP_MS(30));
	struct usock *u = a->all_head;
	while (u && u->fd != fd)
		u = u->all_next;
	REQUIRE(u != NULL);
	REQUIRE_EQ(u->tcp.sacked.n, 1);
	CHECK_EQ(u->tcp.sacked.r[0].start, 5001 + 1448);
	CHECK_EQ(u->tcp.sacked.r[0].end, 5001 + 2896);
	utcp_close(a, fd);
	utcp_close(a, lfd);
	FX_END(f, UTCP_SEC(1000));
}
