/*
 * Trace events as JSON lines (docs/TRACE.md): one object per event, keys in
 * a fixed order, integers only (times in microseconds), so the same run
 * gives the same bytes.
 */
#include "utcp/trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

/* An append-only writer that counts what it would have written. */
struct jw {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void jw_printf(struct jw *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = w->used < w->len ? w->len - w->used : 0;
	int n = vsnprintf(room ? w->buf + w->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->used += (size_t)n;
}

static void jw_endpoint(struct jw *w, const char *key, uint32_t addr, uint16_t port)
{
	jw_printf(w, ",\"%s\":\"%u.%u.%u.%u:%u\"", key, addr >> 24, (addr >> 16) & 255,
		  (addr >> 8) & 255, addr & 255, port);
}

const char *utcp_trace_type_name(enum utcp_trace_type t)
{
	switch (t) {
	case UTCP_TR_SEG_IN:
		return "seg_in";
	case UTCP_TR_SEG_OUT:
		return "seg_out";
	case UTCP_TR_STATE:
		return "state";
	case UTCP_TR_TIMER:
		return "timer";
	case UTCP_TR_CC:
		return "cc";
	case UTCP_TR_DROP:
		return "drop";
	case UTCP_TR_RTT:
		return "rtt";
	}
	return "?";
}

static void jw_flags(struct jw *w, uint8_t f)
{
	static const char *const names[8] = {"FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR"};
	static const int order[8] = {1, 0, 2, 3, 4, 5, 6, 7}; /* SYN before FIN */
	jw_printf(w, ",\"flags\":\"");
	int first = 1;
	for (int i = 0; i < 8; i++) {
		int bit = order[i];
		if (f & (1 << bit)) {
			jw_printf(w, "%s%s", first ? "" : ",", names[bit]);
			first = 0;
		}
	}
	jw_printf(w, "\"");
}

static void jw_opts(struct jw *w, const struct utcp_tcp_opts *o)
{
	if (!o->has_mss && !o->has_wscale && !o->sack_permitted && !o->has_ts && !o->sack_count)
		return;
	jw_printf(w, ",\"opts\":{");
	const char *sep = "";
	if (o->has_mss) {
		jw_printf(w, "\"mss\":%u", o->mss);
		sep = ",";
	}
	if (o->has_wscale) {
		jw_printf(w, "%s\"wscale\":%u", sep, o->wscale);
		sep = ",";
	}
	if (o->sack_permitted) {
		jw_printf(w, "%s\"sack_ok\":true", sep);
		sep = ",";
	}
	if (o->has_ts) {
		jw_printf(w, "%s\"ts\":[%" PRIu32 ",%" PRIu32 "]", sep, o->ts_val, o->ts_ecr);
		sep = ",";
	}
	if (o->sack_count) {
		jw_printf(w, "%s\"sack\":[", sep);
		for (unsigned i = 0; i < o->sack_count && i < UTCP_MAX_SACK; i++)
			jw_printf(w, "%s[%" PRIu32 ",%" PRIu32 "]", i ? "," : "", o->sack[i].left,
				  o->sack[i].right);
		jw_printf(w, "]");
	}
	jw_printf(w, "}");
}

static void jw_seg(struct jw *w, const struct utcp_trace_seg *g, bool out)
{
	jw_endpoint(w, "src", g->saddr, g->sport);
	jw_endpoint(w, "dst", g->daddr, g->dport);
	jw_printf(w, ",\"seq\":%" PRIu32 ",\"ack\":%" PRIu32, g->seq, g->ack);
	jw_flags(w, g->flags);
	jw_printf(w, ",\"win\":%u,\"wnd_bytes\":%" PRIu32 ",\"len\":%" PRIu32, g->wnd,
		  g->wnd_bytes, g->len);
	if (g->flags & UTCP_TH_URG)
		jw_printf(w, ",\"urp\":%u", g->urp);
	jw_opts(w, &g->opts);
	/* The IP ECN field (RFC 3168 5), when it is not Not-ECT: traces of
	 * connections without ECN stay as they were. */
	static const char *const ecn[4] = {"", "ECT(1)", "ECT(0)", "CE"};
	if (g->ecn & 3)
		jw_printf(w, ",\"ecn\":\"%s\"", ecn[g->ecn & 3]);
	if (out)
		jw_printf(w, ",\"rtx\":%s", g->retransmit ? "true" : "false");
}

static const char *timer_action_name(enum utcp_timer_action a)
{
	return a == UTCP_TIMER_ARM ? "arm" : a == UTCP_TIMER_FIRE ? "fire" : "stop";
}

static void jw_body(struct jw *w, const struct utcp_trace_event *ev)
{
	switch (ev->type) {
	case UTCP_TR_SEG_IN:
	case UTCP_TR_SEG_OUT:
		jw_seg(w, &ev->u.seg, ev->type == UTCP_TR_SEG_OUT);
		break;
	case UTCP_TR_STATE:
		jw_printf(w, ",\"from\":\"%s\",\"to\":\"%s\"", utcp_state_name(ev->u.state.from),
			  utcp_state_name(ev->u.state.to));
		break;
	case UTCP_TR_TIMER:
		jw_printf(w, ",\"timer\":\"%s\",\"action\":\"%s\"",
			  utcp_timer_name(ev->u.timer.kind), timer_action_name(ev->u.timer.action));
		if (ev->u.timer.action == UTCP_TIMER_ARM)
			jw_printf(w, ",\"expires\":%" PRIu64, ev->u.timer.expires_at);
		break;
	case UTCP_TR_CC:
		jw_printf(w,
			  ",\"why\":\"%s\",\"cwnd\":%" PRIu32 ",\"ssthresh\":%" PRIu32
			  ",\"mss\":%" PRIu32 ",\"flight\":%" PRIu32,
			  utcp_cc_event_name(ev->u.cc.why), ev->u.cc.cwnd, ev->u.cc.ssthresh,
			  ev->u.cc.mss, ev->u.cc.flight);
		break;
	case UTCP_TR_DROP:
		jw_printf(w, ",\"reason\":\"%s\"", ev->u.drop.reason ? ev->u.drop.reason : "?");
		break;
	case UTCP_TR_RTT:
		jw_printf(w,
			  ",\"sample\":%" PRIu32 ",\"srtt\":%" PRIu32 ",\"rttvar\":%" PRIu32
			  ",\"rto\":%" PRIu32,
			  ev->u.rtt.sample_us, ev->u.rtt.srtt_us, ev->u.rtt.rttvar_us,
			  ev->u.rtt.rto_us);
		break;
	}
}

size_t utcp_trace_json(const struct utcp_trace_event *ev, const char *host, char *buf,
		       size_t len)
{
	struct jw w = {buf, len, 0};
	if (len)
		buf[0] = 0;
	jw_printf(&w, "{\"t\":%" PRIu64, ev->at);
	if (host)
		jw_printf(&w, ",\"host\":\"%s\"", host);
	jw_printf(&w, ",\"type\":\"%s\"", utcp_trace_type_name(ev->type));
	if (ev->conn_id) {
		jw_printf(&w, ",\"conn\":%" PRIu32, ev->conn_id);
		jw_endpoint(&w, "local", ev->local.addr, ev->local.port);
		jw_endpoint(&w, "remote", ev->remote.addr, ev->remote.port);
	}
	jw_body(&w, ev);
	jw_printf(&w, "}");
	return w.used;
}
