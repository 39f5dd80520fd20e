/*
 * Time-sequence diagrams from a recorded run. Every segment a host handed
 * to its link (seg_out) becomes an arrow; it is paired with the segment
 * the other host's IP layer accepted (seg_in). A segment that never
 * arrived is drawn as lost. Segments are labelled in the lesson's
 * notation: "SYN 100(0) <mss 1024>", "801(10) ack 121".
 */
#include "lab.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void appendf(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	if (*pos >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

/* The options the lessons draw: MSS and window scale (and SACK blocks,
 * which say what arrived out of order); sackOK and timestamps stay in
 * the pcap. */
static void label_opts(char *buf, size_t len, size_t *pos, const struct utcp_tcp_opts *o)
{
	const char *sep = " <";
	if (o->has_mss) {
		appendf(buf, len, pos, "%smss %u", sep, (unsigned)o->mss);
		sep = ",";
	}
	if (o->has_wscale) {
		appendf(buf, len, pos, "%swscale %u", sep, (unsigned)o->wscale);
		sep = ",";
	}
	if (o->sack_count) {
		appendf(buf, len, pos, "%ssack", sep);
		for (unsigned i = 0; i < o->sack_count && i < UTCP_MAX_SACK; i++)
			appendf(buf, len, pos, " %" PRIu32 "-%" PRIu32, o->sack[i].left,
				o->sack[i].right);
		sep = ",";
	}
	if (sep[0] == ',')
		appendf(buf, len, pos, ">");
}

const char *lab_seg_label(const struct utcp_trace_seg *g, unsigned flags, char *buf,
			  size_t len)
{
	size_t pos = 0;
	buf[0] = 0;
	const char *sep = "";
	static const struct {
		uint8_t bit;
		const char *name;
	} words[] = {{UTCP_TH_SYN, "SYN"}, {UTCP_TH_FIN, "FIN"}, {UTCP_TH_RST, "RST"},
		     {UTCP_TH_URG, "URG"}};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (g->flags & words[i].bit) {
			appendf(buf, len, &pos, "%s%s", sep, words[i].name);
			sep = ",";
		}
	appendf(buf, len, &pos, "%s%" PRIu32 "(%" PRIu32 ")", *sep ? " " : "", g->seq, g->len);
	if (g->flags & UTCP_TH_ACK)
		appendf(buf, len, &pos, " ack %" PRIu32, g->ack);
	if (flags & LAB_LBL_WIN)
		appendf(buf, len, &pos, " win %" PRIu32, g->wnd_bytes);
	if (flags & LAB_LBL_OPTS)
		label_opts(buf, len, &pos, &g->opts);
	return buf;
}

static bool same_seg(const struct utcp_trace_seg *a, const struct utcp_trace_seg *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport && a->seq == b->seq && a->ack == b->ack &&
	       a->flags == b->flags && a->len == b->len && a->wnd == b->wnd;
}

static bool port_in(const uint16_t *ports, uint16_t p)
{
	if (!ports)
		return true;
	for (; *ports; ports++)
		if (*ports == p)
			return true;
	return false;
}

/*
 * Pair arrivals with departures. An arrival at time t is the departure
 * of an identical segment from the other host that left at most t -
 * delay, the latest such one not yet paired: so when a lost segment is
 * sent again unchanged, the arrival belongs to the copy that made it.
 */
static void pair_arrivals(const struct lab_world *lw, struct lab_seq *s)
{
	bool *paired = lab_xalloc(s->n_a * sizeof(bool));
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *in = &lw->ev[i];
		if (in->ev.type != UTCP_TR_SEG_IN)
			continue;
		size_t best = SIZE_MAX, loose = SIZE_MAX;
		for (size_t k = 0; k < s->n_a; k++) {
			const struct lab_arrow *a = &s->a[k];
			if (paired[k] || a->from == in->host || a->t_send > in->ev.at ||
			    !same_seg(&a->seg, &in->ev.u.seg))
				continue;
			loose = k;
			if (a->t_send + lw->delay <= in->ev.at)
				best = k;
		}
		if (best == SIZE_MAX)
			best = loose;
		if (best != SIZE_MAX) {
			paired[best] = true;
			s->a[best].t_recv = in->ev.at;
			s->a[best].ev_in = i;
			s->a[best].lost = false;
		}
	}
	free(paired);
}

struct lab_seq *lab_seq_build(const struct lab_world *lw, size_t from, size_t to,
			      unsigned label_flags, const uint16_t *ports)
{
	struct lab_seq *s = lab_xalloc(sizeof(*s));
	size_t cap_a = 0, cap_m = 0;
	if (to == 0 || to > lw->n_ev)
		to = lw->n_ev;
	s->name[0] = lab_strf("%s", lw->name[0]);
	s->name[1] = lab_strf("%s", lw->name[1]);
	s->first[0] = s->first[1] = UTCP_NUM_STATES;
	s->t0 = from < lw->n_ev ? lw->ev[from].ev.at : 0;
	for (size_t i = from; i < to; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->ev.type == UTCP_TR_SEG_OUT) {
			const struct utcp_trace_seg *g = &e->ev.u.seg;
			if (!port_in(ports, g->sport) && !port_in(ports, g->dport))
				continue;
			s->a = lab_xgrow(s->a, &cap_a, s->n_a + 1, sizeof(*s->a));
			struct lab_arrow *a = &s->a[s->n_a++];
			*a = (struct lab_arrow){.t_send = e->ev.at, .from = e->host, .lost = true,
						.rtx = g->retransmit, .ev = i, .seg = *g};
			lab_seg_label(g, label_flags, a->label, sizeof(a->label));
		} else if (e->ev.type == UTCP_TR_STATE) {
			if (!port_in(ports, e->ev.local.port) && !port_in(ports, e->ev.remote.port))
				continue;
			if (s->first[e->host] == UTCP_NUM_STATES)
				s->first[e->host] = e->ev.u.state.from;
			s->m = lab_xgrow(s->m, &cap_m, s->n_m + 1, sizeof(*s->m));
			s->m[s->n_m++] = (struct lab_mark){e->ev.at, i, e->host,
							   e->ev.u.state.from, e->ev.u.state.to};
		}
	}
	pair_arrivals(lw, s);
	return s;
}

void lab_seq_free(struct lab_seq *s)
{
	if (!s)
		return;
	free(s->title);
	free(s->name[0]);
	free(s->name[1]);
	free(s->a);
	free(s->m);
	free(s);
}

size_t lab_seq_count(const struct lab_seq *s, int from_host)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_a; i++)
		n += s->a[i].from == from_host;
	return n;
}

/* One event that takes (or shares) a row of the diagram. */
struct row_ev {
	size_t ev; /* trace index: the order things happened */
	int kind;  /* 0 send, 1 arrival, 2 state change */
	size_t idx;
	int host;
	utcp_time_us t;
};

static int row_ev_cmp(const void *a, const void *b)
{
	const struct row_ev *x = a, *y = b;
	if (x->ev != y->ev)
		return x->ev < y->ev ? -1 : 1;
	return x->kind - y->kind;
}

/* A wait this long gets a marked spacer row saying how long it was. */
#define LONG_WAIT UTCP_MS(150)

static size_t new_row(struct lab_layout *l, size_t *cap, utcp_time_us t)
{
	l->row = lab_xgrow(l->row, cap, l->n_rows + 1, sizeof(*l->row));
	l->row[l->n_rows] = (struct lab_row){.t = t, .mark = {-1, -1}};
	return l->n_rows++;
}

void lab_seq_layout(const struct lab_seq *s, struct lab_layout *l)
{
	memset(l, 0, sizeof(*l));
	size_t n = 0, cap = 0;
	struct row_ev *re = lab_xalloc((2 * s->n_a + s->n_m + 1) * sizeof(*re));
	for (size_t i = 0; i < s->n_a; i++) {
		const struct lab_arrow *a = &s->a[i];
		re[n++] = (struct row_ev){a->ev, 0, i, a->from, a->t_send};
		if (!a->lost)
			re[n++] = (struct row_ev){a->ev_in, 1, i, 1 - a->from, a->t_recv};
	}
	for (size_t i = 0; i < s->n_m; i++)
		re[n++] = (struct row_ev){s->m[i].ev, 2, i, s->m[i].host, s->m[i].t};
	qsort(re, n, sizeof(*re), row_ev_cmp);
	l->send_row = lab_xalloc((s->n_a + 1) * sizeof(int));
	l->recv_row = lab_xalloc((s->n_a + 1) * sizeof(int));
	for (size_t i = 0; i < s->n_a; i++)
		l->recv_row[i] = -1;
	utcp_time_us last = UTCP_TIME_NEVER;
	for (size_t i = 0; i < n; i++) {
		size_t r = l->n_rows - 1;
		bool same_time = l->n_rows && re[i].t == last;
		if (!same_time && l->n_rows) {
			size_t sp = new_row(l, &cap, UTCP_TIME_NEVER);
			if (re[i].t - last >= LONG_WAIT)
				l->row[sp].gap = re[i].t - last;
		}
		if (re[i].kind == 2 && same_time && l->row[r].mark[re[i].host] < 0) {
			l->row[r].mark[re[i].host] = (int)re[i].idx;
			continue;
		}
		r = new_row(l, &cap, re[i].t);
		l->row[r].show_time = !same_time;
		last = re[i].t;
		if (re[i].kind == 0)
			l->send_row[re[i].idx] = (int)r;
		else if (re[i].kind == 1)
			l->recv_row[re[i].idx] = (int)r;
		else
			l->row[r].mark[re[i].host] = (int)re[i].idx;
	}
	free(re);
}

void lab_layout_free(struct lab_layout *l)
{
	free(l->row);
	free(l->send_row);
	free(l->recv_row);
	memset(l, 0, sizeof(*l));
}

const struct lab_arrow *lab_seq_find(const struct lab_seq *s, size_t *pos, int from,
				     uint8_t has, uint8_t not, int data, bool lost_ok)
{
	for (size_t i = *pos; i < s->n_a; i++) {
		const struct lab_arrow *a = &s->a[i];
		if (a->from != from || (a->seg.flags & has) != has || (a->seg.flags & not) ||
		    (data == 1 && a->seg.len == 0) || (data == 0 && a->seg.len) ||
		    (a->lost && !lost_ok))
			continue;
		*pos = i + 1;
		return a;
	}
	return NULL;
}

utcp_time_us lab_seq_state_at(const struct lab_seq *s, int h, enum utcp_tcp_state st)
{
	for (size_t i = 0; i < s->n_m; i++)
		if (s->m[i].host == h && s->m[i].to == st)
			return s->m[i].t;
	return UTCP_TIME_NEVER;
}

void lab_doc_segments(struct lab_doc *d, const struct lab_seq *s, const struct lab_opts *o)
{
	struct lab_table *t = lab_doc_table(d, 5, LAB_COL(0) | LAB_COL(1));
	t->mono = LAB_COL(3);
	lab_table_row(t, "#", TR(o, "t (ms)", "t (ms)"), TR(o, "from -> to", "方向"),
		      TR(o, "segment", "报文段"), "");
	for (size_t i = 0; i < s->n_a; i++) {
		const struct lab_arrow *a = &s->a[i];
		char num[24], t0[24], dir[64];
		snprintf(num, sizeof(num), "%zu", i + 1);
		lab_ms(a->t_send - s->t0, t0, sizeof(t0));
		snprintf(dir, sizeof(dir), "%s -> %s", s->name[a->from], s->name[1 - a->from]);
		const char *note = a->lost ? TR(o, "lost", "丢失")
			: a->rtx ? TR(o, "sent again", "重传") : "";
		lab_table_row(t, num, t0, dir, a->label, note);
	}
}

/* Why host h sent something again at time t: its retransmission timer
 * fired, or three duplicate ACKs came, or (a pure ACK) a FIN came again. */
static const char *resend_why(const struct lab_world *lw, int h, utcp_time_us t,
			      const struct lab_opts *o)
{
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host != h || e->ev.at != t)
			continue;
		if (e->ev.type == UTCP_TR_TIMER && e->ev.u.timer.action == UTCP_TIMER_FIRE &&
		    e->ev.u.timer.kind == UTCP_TIMER_RTX)
			return TR(o, "when its retransmission timer expired", "由重传定时器超时触发");
		if (e->ev.type == UTCP_TR_TIMER && e->ev.u.timer.action == UTCP_TIMER_FIRE &&
		    e->ev.u.timer.kind == UTCP_TIMER_PERSIST)
			return TR(o, "by the persist timer", "由坚持定时器触发");
		if (e->ev.type == UTCP_TR_CC && e->ev.u.cc.why == UTCP_CC_FAST_RETRANSMIT)
			return TR(o, "on the third duplicate ACK (fast retransmit)",
				  "由第三个重复确认触发（快重传）");
	}
	return TR(o, "", "");
}

void lab_doc_losses(struct lab_doc *d, const struct lab_world *lw, const struct lab_seq *s,
		    const struct lab_opts *o)
{
	for (size_t i = 0; i < s->n_a; i++) {
		const struct lab_arrow *a = &s->a[i], *again = NULL;
		if (!a->lost)
			continue;
		for (size_t k = i + 1; k < s->n_a && !again; k++)
			if (s->a[k].from == a->from && s->a[k].seg.seq == a->seg.seq &&
			    s->a[k].seg.len == a->seg.len && s->a[k].rtx)
				again = &s->a[k];
		char t[3][24];
		lab_ms(a->t_send - s->t0, t[0], 24);
		if (!again) {
			lab_doc_step(d, TR(o, "`%s`, sent at %s ms, was lost on the way.",
					   "`%s`（%s ms 发出）在途中丢失。"),
				     a->label, t[0]);
			continue;
		}
		lab_doc_step(d, TR(o, "`%s`, sent at %s ms, was lost. It stayed in the %s's send buffer, unacknowledged, and was sent again at %s ms, %s later, %s.",
				   "`%s`（%s ms 发出）丢失了。它一直留在%s的发送缓冲区中等待确认，并在 %s ms（%s 之后）再次发送，%s。"),
			     a->label, t[0], o->zh ? (a->from == LAB_A ? "客户端" : "服务器") : s->name[a->from],
			     lab_ms(again->t_send - s->t0, t[1], 24),
			     lab_human(again->t_send - a->t_send, t[2], 24),
			     resend_why(lw, a->from, again->t_send, o));
	}
}

/* The arrival that made host h change state at mark m, if any: one that
 * reached h at the same instant, just before the change. */
static const struct lab_arrow *cause(const struct lab_seq *s, const struct lab_mark *m)
{
	const struct lab_arrow *best = NULL;
	for (size_t i = 0; i < s->n_a; i++) {
		const struct lab_arrow *a = &s->a[i];
		if (!a->lost && a->from != m->host && a->t_recv == m->t && a->ev_in < m->ev &&
		    (!best || a->ev_in > best->ev_in))
			best = a;
	}
	return best;
}

/* What the application (or a timer) did to cause a change no segment did. */
static const char *call_for(enum utcp_tcp_state from, enum utcp_tcp_state to,
			    const struct lab_opts *o)
{
	if (from == UTCP_CLOSED && to == UTCP_SYN_SENT)
		return TR(o, "the application calls connect()", "应用程序调用 connect()");
	if (from == UTCP_CLOSED && to == UTCP_LISTEN)
		return TR(o, "the application calls listen()", "应用程序调用 listen()");
	if (to == UTCP_FIN_WAIT_1 || to == UTCP_LAST_ACK)
		return TR(o, "the application calls close() (or shutdown): a FIN goes",
			  "应用程序调用 close()（或 shutdown）：发出 FIN");
	if (from == UTCP_TIME_WAIT && to == UTCP_CLOSED)
		return TR(o, "the 2MSL timer expires", "2MSL 定时器超时");
	if (from == UTCP_SYN_SENT && to == UTCP_CLOSED)
		return TR(o, "the application closes it, or the SYN retries run out",
			  "应用程序关闭它，或 SYN 重传次数用尽");
	if (from == UTCP_LISTEN && to == UTCP_CLOSED)
		return TR(o, "the application closes the listening socket", "应用程序关闭监听套接字");
	if (to == UTCP_CLOSED)
		return TR(o, "the application aborts (close with SO_LINGER 0): a RST goes",
			  "应用程序中止连接（SO_LINGER 为 0 的 close）：发出 RST");
	return TR(o, "a timer or call", "定时器或调用");
}

/* Transitions only a call or a timer makes, never an arriving segment. */
static bool by_call(enum utcp_tcp_state from, enum utcp_tcp_state to)
{
	return from == UTCP_CLOSED || to == UTCP_FIN_WAIT_1 || to == UTCP_LAST_ACK ||
	       (from == UTCP_LISTEN && to == UTCP_CLOSED);
}

void lab_doc_transitions(struct lab_doc *d, const struct lab_seq *s, const struct lab_opts *o)
{
	lab_doc_steps_begin(d);
	for (size_t i = 0; i < s->n_m; i++) {
		const struct lab_mark *m = &s->m[i];
		const struct lab_arrow *a = by_call(m->from, m->to) ? NULL : cause(s, m);
		char t[24], why[160];
		if (a)
			snprintf(why, sizeof(why), TR(o, "on receiving `%s`", "收到 `%s`"), a->label);
		else
			snprintf(why, sizeof(why), "%s", call_for(m->from, m->to, o));
		lab_doc_step(d, TR(o, "t = %s ms, %s: %s -> %s, %s.", "t = %s ms，%s：%s -> %s，%s。"),
			     lab_ms(m->t - s->t0, t, sizeof(t)), s->name[m->host],
			     utcp_state_name(m->from), utcp_state_name(m->to), why);
	}
}
