/*
 * Opening a connection: active open (SYN_SENT, RFC 9293 3.5 and 3.10.7.3),
 * passive open of a listener's child (SYN_RCVD), simultaneous open
 * (MUST-10), and the option negotiation of the handshake: MSS (RFC 9293
 * 3.7.1) and window scaling (RFC 7323 section 2); ECN's is in ecn.c.
 */
#include "tcp/conn.h"
#include "tcp/input.h"
#include "tcp/seq.h"

/* The MSS we announce: the route's (interface MTU - 40, SHLD-6), or less
 * when the application set TCP_MAXSEG. */
uint16_t tcp_announced_mss(const struct tcp_conn *c)
{
	uint16_t m = c->route_mss ? c->route_mss : 536;
	if (c->p.user_mss && c->p.user_mss < m)
		m = c->p.user_mss;
	return m;
}

/* RFC 7323 2.2: we offer window scaling when a buffer can exceed what a
 * 16-bit window says, with the smallest shift that covers our buffer. */
static void offer_wscale(struct tcp_conn *c)
{
	c->ws_ok = c->p.rcvbuf > 65535 || c->p.sndbuf > 65535;
	uint8_t s = 0;
	while (s < TCP_MAX_WSCALE && (c->p.rcvbuf >> s) > 65535)
		s++;
	c->rcv_wscale = c->ws_ok ? s : 0;
	c->snd_wscale = 0;
}

/* Take the peer's SYN options: its MSS (MUST-15: 536 when absent), its
 * window scale (used only when both sides sent one, RFC 7323 2.2), SACK
 * (RFC 2018 section 2) and timestamps (RFC 7323 3.2) likewise. */
static void take_syn_options(struct tcp_conn *c, const struct utcp_tcp_opts *o,
			     utcp_time_us now)
{
	uint16_t ours = tcp_announced_mss(c);
	uint16_t peer = o->has_mss ? o->mss : 536;
	if (peer < TCP_MIN_MSS)
		peer = TCP_MIN_MSS; /* a silly MSS would make a segment per byte */
	c->sack_ok = c->p.sack && o->sack_permitted;
	c->ts_ok = c->p.timestamps && o->has_ts;
	if (c->ts_ok) {
		c->ts_recent = o->ts_val;
		c->ts_recent_at = now;
	}
	/* MUST-16: the effective send MSS is the smaller of the two, less
	 * the options every segment will carry (RFC 6691). */
	uint16_t opt = c->ts_ok ? TCP_TS_OPT_LEN : 0;
	c->snd_mss = (uint16_t)((peer < ours ? peer : ours) - opt);
	c->rcv_mss = c->snd_mss; /* what the peer will most likely send */
	if (c->ws_ok && o->has_wscale) {
		c->snd_wscale = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale;
	} else {
		c->ws_ok = false;
		c->snd_wscale = c->rcv_wscale = 0;
	}
}

void tcp_open_active(struct tcp_conn *c, uint32_t iss, utcp_time_us now)
{
	(void)now;
	c->iss = c->snd_una = c->snd_nxt = c->snd_max = iss;
	c->recover = iss;
	c->rcv_mss = c->snd_mss = tcp_announced_mss(c);
	c->passive = false;
	offer_wscale(c);
	TCP_STAT(c, tcp_active_open);
	tcp_set_state(c, UTCP_SYN_SENT); /* the SYN leaves at the next output */
}

void tcp_open_passive(struct tcp_conn *c, const struct tcp_seg *syn, uint32_t iss,
		      utcp_time_us now)
{
	c->irs = syn->h->seq;
	c->rcv_nxt = c->rcv_adv = c->irs + 1;
	c->iss = c->snd_una = c->snd_nxt = c->snd_max = iss;
	c->recover = iss;
	c->passive = true;
	c->last_rcv_at = now;
	offer_wscale(c);
	take_syn_options(c, &syn->h->opts, now);
	tcp_ecn_syn_in(c, syn->h->flags);
	/* RFC 7323 2.2: the window of a SYN is never scaled. */
	c->snd_wnd = c->max_snd_wnd = syn->h->wnd;
	c->snd_wl1 = syn->h->seq;
	c->snd_wl2 = iss;
	TCP_STAT(c, tcp_passive_open);
	tcp_set_state(c, UTCP_SYN_RCVD); /* SYN,ACK at the next output */
}

void tcp_establish(struct tcp_conn *c, utcp_time_us now)
{
	struct tcp_cc *cc = &c->cc;
	cc->mss = c->snd_mss;
	cc->initial_window = c->p.initial_window;
	c->high_rxt = c->snd_una;
	/* RFC 5681 3.1: initial ssthresh arbitrarily high unless configured. */
	cc->ssthresh = c->p.initial_ssthresh ? c->p.initial_ssthresh : 0x7fffffff;
	c->cc_ops->init(cc);
	tcp_ecn_established(c);
	tcp_trace_cc(c, UTCP_CC_INIT, now);
	tcp_set_state(c, UTCP_ESTABLISHED);
	if (c->fin_queued)
		tcp_set_state(c, UTCP_FIN_WAIT_1); /* SHUT_WR during the handshake */
	if (c->p.keepalive)
		tcp_timer_arm(c, UTCP_TIMER_KEEPALIVE, now + c->p.keep_idle);
	c->host->ops->wake(c, UTCP_POLLOUT);
}

void tcp_enter_fin_wait_2(struct tcp_conn *c, utcp_time_us now)
{
	tcp_set_state(c, UTCP_FIN_WAIT_2);
	if (c->orphan && c->p.fin_wait_2_timeout)
		tcp_timer_arm(c, UTCP_TIMER_FIN_WAIT_2, now + c->p.fin_wait_2_timeout);
}

/* SYN_SENT and our SYN acknowledged (or not yet: simultaneous open). */
static void syn_sent_got_syn(struct tcp_conn *c, const struct tcp_seg *seg,
			     utcp_time_us now)
{
	const struct tcp_hdr *h = seg->h;
	c->irs = h->seq;
	c->rcv_nxt = h->seq + 1;
	/* What our SYN offered, unscaled (RFC 7323 2.2). */
	c->rcv_adv = c->rcv_nxt + (c->p.rcvbuf < 65535 ? c->p.rcvbuf : 65535);
	take_syn_options(c, &h->opts, now);
	tcp_ecn_syn_in(c, h->flags);
	/* RFC 7323 2.2: the SYN's window is not scaled. */
	c->snd_wnd = c->max_snd_wnd = h->wnd;
	c->snd_wl1 = h->seq;
	c->snd_wl2 = h->ack;
	c->ack_now = true;
	if (h->flags & UTCP_TH_ACK) {
		tcp_take_syn_ack_rtt(c, h->ack, now);
		c->snd_una = h->ack;
		tcp_establish(c, now);
		return;
	}
	/* Simultaneous open (RFC 9293 3.5, figure 8): answer SYN,ACK with
	 * our original ISS; the connection is not passive (MUST-11). */
	c->snd_nxt = c->iss;
	tcp_set_state(c, UTCP_SYN_RCVD);
}

void tcp_input_syn_sent(struct tcp_conn *c, const struct tcp_seg *seg, utcp_time_us now)
{
	const struct tcp_hdr *h = seg->h;
	bool ack = (h->flags & UTCP_TH_ACK) != 0;
	/* first: the ACK must cover our SYN and nothing we did not send */
	if (ack && (seq_leq(h->ack, c->iss) || seq_gt(h->ack, c->snd_max))) {
		TCP_STAT(c, tcp_drop_bad_ack);
		if (!(h->flags & UTCP_TH_RST)) {
			c->rst_reply = true;
			c->rst_reply_seq = h->ack;
		}
		return;
	}
	/* second: a RST with an acceptable ACK means "connection refused" */
	if (h->flags & UTCP_TH_RST) {
		if (ack) {
			TCP_STAT(c, tcp_rst_in);
			tcp_close_with(c, ECONNREFUSED);
		} else {
			TCP_STAT(c, tcp_drop_syn_sent);
		}
		return;
	}
	/* fourth: the SYN */
	if (h->flags & UTCP_TH_SYN) {
		syn_sent_got_syn(c, seg, now);
		return;
	}
	TCP_STAT(c, tcp_drop_syn_sent);
}
