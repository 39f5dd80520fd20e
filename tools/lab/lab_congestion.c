/*
 * Lesson L3: the congestion window. The lesson's figure, cwnd per round
 * with the textbook model (cwnd in whole segments from 1, ssthresh 16):
 * slow start to 16, avoidance to 24, a timeout (ssthresh 12, cwnd 1),
 * slow start to 12, avoidance to 16, three duplicate ACKs (ssthresh 8,
 * cwnd 8), avoidance. The two losses are scripted where the model puts
 * the lesson's events (the whole round sent with cwnd 24; one segment of
 * the round sent with cwnd 16); everything else is the stack's doing.
 * Beside it, utcp's default (Reno with byte counting, initial window 10)
 * on the same path with the same losses.
 */
#include "lab.h"

#include <stdlib.h>
#include <string.h>

#define L3_PORT 80
#define L3_BULK (1024u * 1024u)

struct l3_round {
	utcp_time_us at;
	uint32_t cwnd, ssthresh; /* segments, in force when the round left */
	uint32_t segs, lost;
	int why; /* CC event that opened the round, -1 for none */
};

/* Where the lesson's two events fall with initial ssthresh ss: the
 * timeout at cwnd ss + 8 (24), the duplicate ACKs at ss' + 4 (16) where
 * ss' is half of that. Fills the data-segment numbers to drop and the
 * number of rounds to show. */
struct l3_plan {
	uint32_t timeout_at, dupack_at;
	uint32_t drop1, drop1_count, drop2;
	uint32_t rounds;
};

static uint32_t next_cwnd(uint32_t cwnd, uint32_t ss)
{
	return cwnd < ss ? (2 * cwnd < ss ? 2 * cwnd : ss) : cwnd + 1;
}

static void l3_plan(uint32_t ss, struct l3_plan *p)
{
	uint32_t sent = 0, cwnd = 1, rounds = 0;
	p->timeout_at = ss + 8;
	for (; cwnd != p->timeout_at; cwnd = next_cwnd(cwnd, ss), rounds++)
		sent += cwnd;
	p->drop1 = sent + 1;
	p->drop1_count = cwnd;
	sent += cwnd;
	rounds++;
	ss = p->timeout_at / 2;
	p->dupack_at = ss + 4;
	for (cwnd = 1; cwnd != p->dupack_at; cwnd = next_cwnd(cwnd, ss), rounds++)
		sent += cwnd;
	p->drop2 = sent + 1;
	p->rounds = rounds + 1 + 5; /* the loss, the recovery round, four more */
}

/* The same two events on Reno's own rounds. With MSS up to 1460 its
 * initial window is 10 segments (RFC 6928) and it doubles per round:
 * 10, 20, 40 (70 segments); losing the first of the round sent with
 * cwnd 40 (segment 31) brings three duplicate ACKs; recovery sends 20
 * (the lost one again and 19 new), then avoidance 20, 21, 22, 23 (176
 * data segments so far); the round sent with cwnd 24 (177-200) is lost
 * whole: a timeout. The scenario test cc_reno_same_path checks this. */
static void l3_plan_reno(struct l3_plan *p)
{
	*p = (struct l3_plan){.timeout_at = 24, .dupack_at = 40, .drop1 = 177, .drop1_count = 24,
			      .drop2 = 31};
}

struct l3_run {
	struct lab_world lw;
	int lfd, afd, bfd;
	uint32_t mss;
};

/* A bulk connection A -> B with A's algorithm cc, B acknowledging every
 * segment at once; A queues 1 MiB when connected. */
static int l3_open(struct l3_run *r, const struct lab_opts *o, const char *stem,
		   const char *cc, uint32_t iw, uint32_t ss_segs, const struct l3_plan *p)
{
	struct lab_world_cfg c;
	lab_world_cfg_init(&c, o);
	c.names[0] = "A";
	c.names[1] = "B";
	struct lab_world *lw = &r->lw;
	int err = lab_world_open(lw, &c, o, stem);
	if (err)
		return err;
	utcp_sim_drop_nth(lw->w, lw->ch[0], UTCP_SIM_TCP_DATA, p->drop1, p->drop1_count);
	utcp_sim_drop_nth(lw->w, lw->ch[0], UTCP_SIM_TCP_DATA, p->drop2, 1);
	r->lfd = lab_socket(lw, LAB_B, r->mss, 0, 0, true, 800);
	if (r->lfd < 0)
		return r->lfd;
	lab_setint(lw, LAB_B, r->lfd, UTCP_SOL_TCP, UTCP_TCP_QUICKACK, 1);
	if ((err = lab_listen(lw, LAB_B, r->lfd, L3_PORT)) != 0)
		return err;
	r->afd = lab_socket(lw, LAB_A, r->mss, 0, 0, true, 100);
	if (r->afd < 0)
		return r->afd;
	struct utcp_stack *a = lw->s[LAB_A];
	uint32_t ss = ss_segs * r->mss;
	if ((err = utcp_setsockopt(a, r->afd, UTCP_SOL_TCP, UTCP_TCP_CONGESTION, cc, strlen(cc) + 1)) ||
	    (iw && (err = utcp_setsockopt(a, r->afd, UTCP_SOL_UTCP, UTCP_UTCP_INITIAL_WINDOW, &iw, sizeof(iw)))) ||
	    (ss && (err = utcp_setsockopt(a, r->afd, UTCP_SOL_UTCP, UTCP_UTCP_SSTHRESH, &ss, sizeof(ss)))) ||
	    (err = lab_connect(lw, LAB_A, r->afd, 0, L3_PORT)))
		return err;
	if (!lab_run_until_ready(lw, LAB_A, r->afd, UTCP_POLLOUT | UTCP_POLLERR, UTCP_SEC(600)) ||
	    !lab_run_until_ready(lw, LAB_B, r->lfd, UTCP_POLLIN, UTCP_SEC(600)))
		return -ETIMEDOUT;
	if ((r->bfd = utcp_accept(lw->s[LAB_B], r->lfd, NULL)) < 0)
		return r->bfd;
	static uint8_t data[L3_BULK];
	return utcp_send(a, r->afd, data, sizeof(data), 0) == (ssize_t)sizeof(data) ? 0 : -EIO;
}

/* A's rounds: the data segments it sent at one instant (with an infinite
 * link rate and fixed delay, the ACKs of a round arrive together and
 * release the next round at once). Returns how many, at most max. */
static size_t l3_rounds(const struct lab_world *lw, const struct lab_seq *s, uint32_t mss,
			struct l3_round *r, size_t max)
{
	size_t n = 0, k = 0;
	uint32_t cwnd = 0, ss = 0;
	int why = -1;
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host != LAB_A)
			continue;
		if (e->ev.type == UTCP_TR_CC) {
			cwnd = e->ev.u.cc.cwnd;
			ss = e->ev.u.cc.ssthresh;
			if (e->ev.u.cc.why == UTCP_CC_TIMEOUT || e->ev.u.cc.why == UTCP_CC_FAST_RETRANSMIT)
				why = (int)e->ev.u.cc.why;
		}
		if (e->ev.type != UTCP_TR_SEG_OUT || e->ev.u.seg.len == 0)
			continue;
		while (k < s->n_a && s->a[k].ev != i)
			k++;
		if (n == 0 || r[n - 1].at != e->ev.at) {
			if (n == max)
				break;
			r[n++] = (struct l3_round){.at = e->ev.at, .why = why};
			why = -1;
		}
		r[n - 1].cwnd = cwnd / mss;
		r[n - 1].ssthresh = ss / mss;
		r[n - 1].segs++;
		r[n - 1].lost += k < s->n_a && s->a[k].lost;
	}
	return n;
}

/* Counts A's rounds as the run goes, to stop after `target` of them. */
struct l3_watch {
	const struct lab_world *lw;
	size_t target, seen, next_ev;
	utcp_time_us last_at;
};

static bool enough_rounds(void *ctx)
{
	struct l3_watch *w = ctx;
	for (; w->next_ev < w->lw->n_ev; w->next_ev++) {
		const struct lab_ev *e = &w->lw->ev[w->next_ev];
		if (e->host == LAB_A && e->ev.type == UTCP_TR_SEG_OUT && e->ev.u.seg.len &&
		    e->ev.at != w->last_at) {
			w->seen++;
			w->last_at = e->ev.at;
		}
	}
	return w->seen > w->target; /* the round after the last has begun */
}

static const char *round_what(const struct l3_round *r, const struct lab_opts *o, char *buf,
			      size_t len)
{
	if (r->why == UTCP_CC_TIMEOUT)
		snprintf(buf, len, TR(o, "timeout: ssthresh %u, cwnd 1", "超时：ssthresh %u，cwnd 1"),
			 r->ssthresh);
	else if (r->why == UTCP_CC_FAST_RETRANSMIT)
		snprintf(buf, len, TR(o, "3 duplicate ACKs: ssthresh %u, cwnd %u", "3 个重复确认：ssthresh %u，cwnd %u"),
			 r->ssthresh, r->cwnd);
	else
		snprintf(buf, len, "%s", r->cwnd < r->ssthresh ? TR(o, "slow start", "慢开始")
							       : TR(o, "congestion avoidance", "拥塞避免"));
	return buf;
}

/* The lesson's figure, the cwnd line, the rounds table. */
static void l3_textbook_report(struct lab_doc *d, const struct l3_round *r, size_t n,
			       const struct lab_opts *o)
{
	struct lab_plot *p = lab_plot_new(TR(o, "cwnd per round, the textbook model (the lesson's figure)",
					     "每轮的拥塞窗口，教科书模型（课文中的图）"),
					  TR(o, "round (transmission round)", "传输轮次"),
					  TR(o, "segments", "报文段"));
	struct lab_series *sc = lab_plot_series(p, "cwnd", LAB_POINTS, 0);
	struct lab_series *ss = lab_plot_series(p, "ssthresh", LAB_STEP, 1);
	ss->dashed = true;
	p->integer_x = true;
	struct lab_buf line = {0};
	for (size_t i = 0; i < n; i++) {
		lab_buf_printf(&line, "%s%u", i ? " " : "", r[i].cwnd);
		lab_series_add(sc, (double)(i + 1), r[i].cwnd);
		lab_series_add(ss, (double)(i + 1) - 0.5, r[i].ssthresh > 64 ? 64 : r[i].ssthresh);
		if (r[i].why == UTCP_CC_TIMEOUT && i > 0)
			lab_plot_annot(p, (double)i, r[i - 1].cwnd, TR(o, "timeout", "超时"));
		if (r[i].why == UTCP_CC_FAST_RETRANSMIT && i > 0)
			lab_plot_annot(p, (double)i, r[i - 1].cwnd, TR(o, "3 dup ACKs", "3 个重复确认"));
	}
	p->xmax = (double)n + 1;
	lab_doc_plot(d, "cwnd", p);
	lab_doc_para(d, TR(o, "cwnd per round (segments): `%s`", "每轮的 cwnd（报文段）：`%s`"),
		     line.p ? line.p : "");
	lab_buf_free(&line);
	struct lab_table *t = lab_doc_table(d, 7, LAB_COL(0) | LAB_COL(1) | LAB_COL(2) |
							  LAB_COL(3) | LAB_COL(4) | LAB_COL(5));
	t->highlight_col = 2;
	lab_table_row(t, TR(o, "round", "轮次"), "t (ms)", "cwnd", "ssthresh",
		      TR(o, "sent", "发送"), TR(o, "lost", "丢失"), TR(o, "what happens", "发生了什么"));
	for (size_t i = 0; i < n; i++) {
		char c[7][48];
		snprintf(c[0], 48, "%zu", i + 1);
		lab_ms(r[i].at, c[1], 48);
		snprintf(c[2], 48, "%u", r[i].cwnd);
		snprintf(c[3], 48, "%u", r[i].ssthresh);
		snprintf(c[4], 48, "%u", r[i].segs);
		c[5][0] = 0;
		if (r[i].lost)
			snprintf(c[5], 48, "%u", r[i].lost);
		lab_table_row(t, c[0], c[1], c[2], c[3], c[4], c[5], round_what(&r[i], o, c[6], 48));
	}
}

/* The narration of the textbook run, from its rounds. */
static void l3_narrate(struct lab_doc *d, const struct l3_round *r, size_t n, uint32_t mss,
		       utcp_time_us rtt, const struct lab_opts *o)
{
	char t[3][24];
	size_t to = n, fr = n;
	for (size_t i = 0; i < n; i++) {
		if (r[i].why == UTCP_CC_TIMEOUT && to == n)
			to = i;
		if (r[i].why == UTCP_CC_FAST_RETRANSMIT && fr == n)
			fr = i;
	}
	lab_doc_steps_begin(d);
	lab_doc_step(d, TR(o, "A sends a long stream to B, segments of %u bytes, over a path with a round-trip time of %s; B acknowledges every segment at once. The textbook model counts cwnd in whole segments: it starts at 1, with ssthresh %u.",
			   "A 向 B 发送一个很长的数据流，每段 %u 字节，路径往返时间 %s；B 对每个报文段立即确认。教科书模型以整个报文段计 cwnd：初始为 1，ssthresh 为 %u。"),
		     mss, lab_human(rtt, t[0], 24), n ? r[0].ssthresh : 0);
	size_t i = 0;
	struct lab_buf b = {0};
	for (; i < n && r[i].cwnd < r[i].ssthresh; i++)
		lab_buf_printf(&b, "%s%u", i ? ", " : "", r[i].cwnd);
	if (i < n)
		lab_doc_step(d, TR(o, "Slow start (cwnd < ssthresh): each ACK adds one segment, so the window doubles every round trip: %s, until it reaches ssthresh, %u.",
				   "慢开始（cwnd < ssthresh）：每个 ACK 使 cwnd 加一个报文段，窗口每个往返时间翻一番：%s，直到达到 ssthresh %u。"),
			     b.p, r[i].ssthresh);
	lab_buf_free(&b);
	if (to < n && to > 0)
		lab_doc_step(d, TR(o, "Congestion avoidance (cwnd >= ssthresh): one segment more per round trip, up to %u. The whole round sent with cwnd %u is lost; no ACK comes, and at %s ms the retransmission timer fires: ssthresh = %u / 2 = %u, cwnd = 1.",
				   "拥塞避免（cwnd >= ssthresh）：每个往返时间只加一个报文段，直到 %u。cwnd 为 %u 时发出的整轮报文段全部丢失；没有 ACK 到来，%s ms 时重传定时器超时：ssthresh = %u / 2 = %u，cwnd = 1。"),
			     r[to - 1].cwnd, r[to - 1].cwnd, lab_ms(r[to].at, t[1], 24),
			     r[to - 1].cwnd, r[to].ssthresh);
	if (fr < n && fr > to + 1)
		lab_doc_step(d, TR(o, "Slow start again up to the new ssthresh (%u), then avoidance to %u. One segment of the round sent with cwnd %u is lost; the segments after it each bring a duplicate ACK. At the third, at %s ms, A sends the lost segment again without waiting for the timer (fast retransmit) and halves: ssthresh = %u, cwnd = %u, not 1 (fast recovery).",
				   "再次慢开始到新的 ssthresh（%u），然后拥塞避免到 %u。cwnd 为 %u 时发出的一轮中有一个报文段丢失；其后的每个报文段都带回一个重复确认。收到第三个重复确认时（%s ms），A 不等定时器就重传丢失的报文段（快重传），并减半：ssthresh = %u，cwnd = %u，而不是 1（快恢复）。"),
			     r[to].ssthresh, r[fr - 1].cwnd, r[fr - 1].cwnd, lab_ms(r[fr].at, t[2], 24),
			     r[fr].ssthresh, r[fr].cwnd);
	if (fr + 1 < n)
		lab_doc_step(d, TR(o, "Then congestion avoidance again: %u, %u, ...", "然后再次进入拥塞避免：%u、%u……"),
			     r[fr + 1].cwnd, fr + 2 < n ? r[fr + 2].cwnd : r[fr + 1].cwnd + 1);
}

/* utcp's default on the same path: its CC events, and cwnd over time
 * beside the textbook's. */
static void l3_reno_report(struct lab_doc *d, const struct lab_world *tb, const struct lab_world *rn,
			   uint32_t mss, const struct lab_opts *o)
{
	struct lab_plot *p = lab_plot_new(TR(o, "The same path: textbook model and utcp's Reno, cwnd over time",
					     "同一路径：教科书模型与 utcp 的 Reno，cwnd 随时间变化"),
					  TR(o, "time (ms)", "时间 (ms)"), TR(o, "segments", "报文段"));
	const struct lab_world *w[2] = {tb, rn};
	struct lab_series *s[2] = {
		lab_plot_series(p, TR(o, "textbook cwnd", "教科书 cwnd"), LAB_STEP, 0),
		lab_plot_series(p, TR(o, "Reno cwnd (utcp's default)", "Reno cwnd（utcp 默认）"), LAB_STEP, 2)};
	struct lab_table *t = lab_doc_table(d, 5, LAB_COL(0) | LAB_COL(2) | LAB_COL(3) | LAB_COL(4));
	lab_table_row(t, "t (ms)", TR(o, "Reno event", "Reno 事件"), "cwnd", "ssthresh",
		      TR(o, "in flight", "在途"));
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < w[k]->n_ev; i++) {
			const struct lab_ev *e = &w[k]->ev[i];
			if (e->host != LAB_A || e->ev.type != UTCP_TR_CC)
				continue;
			const uint32_t cw = e->ev.u.cc.cwnd, ss = e->ev.u.cc.ssthresh;
			lab_series_add(s[k], (double)e->ev.at / 1000.0, (double)cw / mss);
			if (k == 0 || e->ev.u.cc.why == UTCP_CC_ACK || e->ev.u.cc.why == UTCP_CC_RECOVERY_DUPACK)
				continue;
			char c[4][24];
			snprintf(c[1], 24, "%.1f", (double)cw / mss);
			if (ss > 1000000)
				snprintf(c[2], 24, "%s", TR(o, "(high)", "（很大）"));
			else
				snprintf(c[2], 24, "%.1f", (double)ss / mss);
			snprintf(c[3], 24, "%.1f", (double)e->ev.u.cc.flight / mss);
			lab_table_row(t, lab_ms(e->ev.at, c[0], 24), utcp_cc_event_name(e->ev.u.cc.why),
				      c[1], c[2], c[3]);
		}
	lab_doc_plot(d, "reno", p);
}

/* The first four rounds drawn (1, 2, 4, 8 segments): slow start doubling. */
static void l3_slow_start_seq(struct lab_doc *d, const struct lab_world *lw,
			      const struct l3_round *r, size_t n)
{
	if (n < 5)
		return;
	size_t from = lw->n_ev, to = lw->n_ev;
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host != LAB_A || e->ev.type != UTCP_TR_SEG_OUT || !e->ev.u.seg.len)
			continue;
		if (from == lw->n_ev)
			from = i;
		if (e->ev.at >= r[4].at) {
			to = i;
			break;
		}
	}
	lab_doc_seq(d, "slow-start", lab_seq_build(lw, from, to, 0, NULL));
}

static int l3_textbook(const struct lab_opts *o, struct lab_doc *d, struct l3_run *r,
		       const struct l3_plan *plan, uint32_t ss)
{
	int err = l3_open(r, o, "congestion", "textbook", 1, ss, plan);
	struct l3_watch w = {&r->lw, plan->rounds, 0, 0, UTCP_TIME_NEVER};
	if (!err && !utcp_sim_run_while(r->lw.w, enough_rounds, &w, lab_now(&r->lw) + UTCP_SEC(3600)))
		err = -ETIMEDOUT;
	if (err)
		return lab_fail("congestion", "the textbook run did not complete", err);
	struct lab_seq *s = lab_seq_build(&r->lw, 0, 0, 0, NULL);
	struct l3_round *rounds = lab_xalloc(plan->rounds * sizeof(*rounds));
	size_t n = l3_rounds(&r->lw, s, r->mss, rounds, plan->rounds);
	lab_seq_free(s);
	lab_doc_head(d, "%s", TR(o, "The lesson's figure: cwnd per round, textbook model", "课文中的图：每轮的拥塞窗口，教科书模型"));
	l3_slow_start_seq(d, &r->lw, rounds, n);
	l3_narrate(d, rounds, n, r->mss, 2 * r->lw.delay, o);
	l3_textbook_report(d, rounds, n, o);
	lab_doc_note(d, TR(o, "The losses are scripted where the model puts the lesson's two events: data segments %u to %u (the whole round sent with cwnd %u) and data segment %u (the first of the round sent with cwnd %u). Everything else, every cwnd and ssthresh above, is what the stack did. A round is the segments A sent at one instant: on this path (fixed delay, no rate limit) the ACKs of one round arrive together and release the next.",
			   "丢包是按脚本安排的，放在模型中课文两个事件发生的位置：第 %u 到 %u 个数据报文段（cwnd 为 %u 时发出的整轮），以及第 %u 个数据报文段（cwnd 为 %u 时发出的一轮中的第一个）。其余的一切，上面每个 cwnd 和 ssthresh，都是协议栈实际的行为。一轮是 A 在同一时刻发出的报文段：在这条路径上（固定时延，无速率限制），一轮的 ACK 同时到达并放行下一轮。"),
		     plan->drop1, plan->drop1 + plan->drop1_count - 1, plan->timeout_at, plan->drop2,
		     plan->dupack_at);
	lab_doc_files(d, &r->lw);
	free(rounds);
	return 0;
}

static int l3_reno(const struct lab_opts *o, struct lab_doc *d, struct l3_run *r,
		   const struct l3_run *tb, const struct l3_plan *plan)
{
	struct l3_plan rp;
	l3_plan_reno(&rp);
	(void)plan;
	int err = l3_open(r, o, "congestion-reno", "reno", 0, 0, &rp);
	if (err)
		return lab_fail("congestion", "the Reno run did not start", err);
	lab_run_until(&r->lw, lab_now(&tb->lw));
	lab_doc_head(d, "%s", TR(o, "The same path with utcp's default algorithm", "同一路径上的 utcp 默认算法"));
	lab_doc_para(d, "%s", TR(o, "utcp's default is Reno as a modern stack runs it: an initial window of 10 segments (RFC 6928), cwnd counted in bytes with appropriate byte counting (RFC 3465), fast recovery that inflates the window by one segment per further duplicate ACK so that new data keeps flowing, and NewReno's partial ACKs (RFC 6582). The same path, the same two events (three duplicate ACKs, a timeout), the same length of time:",
				 "utcp 的默认算法是现代协议栈中的 Reno：初始窗口 10 个报文段（RFC 6928），cwnd 以字节计并采用适当字节计数（RFC 3465），快恢复期间每个后续重复确认使窗口膨胀一个报文段以便新数据继续发送，以及 NewReno 的部分确认处理（RFC 6582）。相同的路径、相同的两个事件（3 个重复确认、一次超时）、相同的时长："));
	l3_reno_report(d, &tb->lw, &r->lw, r->mss, o);
	lab_doc_note(d, TR(o, "Reno starts with 10 segments and doubles each round, so the lesson's two events are placed on its own rounds: data segment %u, the first of the round sent with cwnd %u (three duplicate ACKs), then data segments %u to %u, the whole round sent with cwnd %u (a timeout).",
			   "Reno 从 10 个报文段开始、每轮翻倍，所以课文的两个事件放在它自己的轮次上：第 %u 个数据报文段，即 cwnd 为 %u 时一轮中的第一个（3 个重复确认）；然后第 %u 到 %u 个数据报文段，即 cwnd 为 %u 时的整轮（超时）。"),
		     rp.drop2, rp.dupack_at, rp.drop1, rp.drop1 + rp.drop1_count - 1, rp.timeout_at);
	struct utcp_stats st[2];
	utcp_stack_stats(tb->lw.s[LAB_A], &st[0]);
	utcp_stack_stats(r->lw.s[LAB_A], &st[1]);
	struct utcp_tcp_info info[2];
	size_t len = sizeof(info[0]);
	utcp_getsockopt(tb->lw.s[LAB_A], tb->afd, UTCP_SOL_TCP, UTCP_TCP_INFO, &info[0], &len);
	len = sizeof(info[1]);
	utcp_getsockopt(r->lw.s[LAB_A], r->afd, UTCP_SOL_TCP, UTCP_TCP_INFO, &info[1], &len);
	char t[24];
	lab_doc_para(d, TR(o, "In the same %s, the textbook model got %u bytes acknowledged and Reno %u: Reno starts ten times bigger and keeps sending during recovery. Timeouts: %llu and %llu; fast retransmits: %llu and %llu.",
			   "在同样的 %s 内，教科书模型有 %u 字节被确认，Reno 有 %u 字节：Reno 的起点大十倍，并且在恢复期间继续发送。超时次数：%llu 与 %llu；快重传次数：%llu 与 %llu。"),
		     lab_human(lab_now(&tb->lw), t, sizeof(t)), info[0].snd_una, info[1].snd_una,
		     (unsigned long long)st[0].tcp_timeout, (unsigned long long)st[1].tcp_timeout,
		     (unsigned long long)st[0].tcp_fast_retransmit,
		     (unsigned long long)st[1].tcp_fast_retransmit);
	lab_doc_files(d, &r->lw);
	return 0;
}

int lab_congestion(const struct lab_opts *o, struct lab_doc *d)
{
	uint32_t ss = lab_u32(o->ssthresh, 16);
	struct l3_plan plan;
	l3_plan(ss, &plan);
	struct l3_run tb = {.mss = lab_u32(o->mss, 1000)}, rn = {.mss = tb.mss};
	lab_doc_intro(d, "%s", TR(o, "The sender keeps a congestion window (cwnd) and a slow-start threshold (ssthresh), and sends at most min(cwnd, the receiver's window). Below ssthresh cwnd doubles every round trip (slow start), above it grows by one segment per round trip (congestion avoidance); a loss halves ssthresh and shrinks cwnd.",
				  "发送方维护拥塞窗口 cwnd 和慢开始门限 ssthresh，发送量不超过 min(cwnd, 接收方窗口)。cwnd 低于 ssthresh 时每个往返时间翻倍（慢开始），高于时每个往返时间只加一个报文段（拥塞避免）；出现丢包时 ssthresh 减半，cwnd 减小。"));
	int st = l3_textbook(o, d, &tb, &plan, ss);
	if (st == 0)
		st = l3_reno(o, d, &rn, &tb, &plan);
	lab_world_close(&tb.lw);
	lab_world_close(&rn.lw);
	return st;
}
