/*
 * Segment arrival, RFC 9293 section 3.10.7, with the blind-attack defences
 * of RFC 5961. tcp_input() runs the RFC's steps in order: each is a small
 * function returning a verdict (continue, drop, drop and ACK, drop and
 * RST), as OpenBSD's tcp_input labels them. Congestion signals go to
 * ack.c; replies are queued for output.c (ack_now, rst_reply).
 */
#include "tcp/input.h"

#include "tcp/conn.h"
#include "tcp/seq.h"

enum verdict {
	V_CONTINUE,
	V_DROP,     /* discard silently */
	V_DROP_ACK, /* discard, then send an ACK */
	V_CHALLENGE, /* discard, then send a challenge ACK (RFC 5961), if allowed */
	V_DROP_RST, /* discard, then send <SEQ=SEG.ACK><CTL=RST> */
	V_DONE,     /* the connection was closed or handed back; stop */
};

/* Sequence number of each byte we still hold of the segment. */
static void view_init(struct seg_view *v, const struct tcp_seg *seg)
{
	v->seq = seg->h->seq;
	v->data = seg->data;
	v->len = seg->len;
	v->syn = v->syn_bit = (seg->h->flags & UTCP_TH_SYN) != 0;
	v->fin = (seg->h->flags & UTCP_TH_FIN) != 0;
}

static uint32_t rcv_wnd(const struct tcp_conn *c)
{
	return seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

/* RFC 9293 3.10.7.4 first: the acceptability test of the segment's
 * sequence range against the receive window. */
static bool acceptable(const struct tcp_conn *c, const struct seg_view *v)
{
	uint32_t wnd = rcv_wnd(c);
	uint32_t seglen = v->len + v->syn + v->fin;
	uint32_t end = c->rcv_nxt + wnd;
	if (seglen == 0)
		return wnd == 0 ? v->seq == c->rcv_nxt : seq_in(v->seq, c->rcv_nxt, end);
	if (wnd == 0)
		return false;
	return seq_in(v->seq, c->rcv_nxt, end) ||
	       seq_in(v->seq + seglen - 1, c->rcv_nxt, end);
}

/* Cut away what lies before rcv_nxt or beyond the window. */
static void trim_to_window(struct tcp_conn *c, struct seg_view *v)
{
	if (seq_lt(v->seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - v->seq;
		if (v->syn) {
			v->syn = false;
			v->seq++;
			d--;
		}
		uint32_t cut = d < v->len ? d : v->len;
		v->data += cut;
		v->len -= cut;
		v->seq += cut;
		c->ack_now = true; /* part was a duplicate: say what we have */
	}
	uint32_t right = c->rcv_nxt + rcv_wnd(c);
	if (seq_gt(v->seq + v->len, right)) {
		v->len = right - v->seq;
		v->fin = false;
		c->ack_now = true;
	}
}

static enum verdict step_sequence(struct tcp_conn *c, const struct tcp_seg *seg,
				  struct seg_view *v)
{
	/* Simultaneous open: the peer's SYN,ACK repeats the SYN we hold
	 * (Linux tcp_validate_incoming does the same); take its ACK. */
	if (c->state == UTCP_SYN_RCVD && v->syn && v->seq == c->irs) {
		if (c->passive || !(seg->h->flags & UTCP_TH_ACK)) {
			c->snd_nxt = c->iss; /* a retransmitted SYN: resend SYN,ACK */
			if (c->passive) /* resent without ECN setup: no ECN (6.1.1) */
				tcp_ecn_syn_in(c, seg->h->flags);
			return V_DROP;
		}
		v->syn = v->syn_bit = false;
		v->seq++;
	}
	if (!acceptable(c, v)) {
		/* MUST-66: with a zero window, still take ACK, URG and RST
		 * from a segment at RCV.NXT; its data is dropped. */
		if (rcv_wnd(c) == 0 && v->seq == c->rcv_nxt) {
			v->len = 0;
			v->fin = false;
			c->ack_now = true;
			return V_CONTINUE;
		}
		if (seg->h->flags & UTCP_TH_RST) {
			TCP_STAT(c, tcp_drop_out_of_window);
			return V_DROP;
		}
		if (v->len + v->syn + v->fin > 0 &&
		    seq_leq(v->seq + v->len + v->syn + v->fin, c->rcv_nxt))
			TCP_STAT(c, tcp_dup_segment);
		else
			TCP_STAT(c, tcp_drop_out_of_window);
		return V_DROP_ACK;
	}
	trim_to_window(c, v);
	return V_CONTINUE;
}

/* RFC 7323 5.3 (PAWS): a segment whose timestamp is older than TS.Recent
 * is an old duplicate (the sequence space may have wrapped): ACK and drop.
 * A RST is exempt, and so is a TS.Recent idle for over 24 days (R3). */
#define PAWS_IDLE_MAX (UTCP_SEC(24ll * 24 * 3600))
static enum verdict step_paws(struct tcp_conn *c, const struct tcp_seg *seg,
			      utcp_time_us now)
{
	const struct utcp_tcp_opts *o = &seg->h->opts;
	if (!c->ts_ok || !o->has_ts || (seg->h->flags & UTCP_TH_RST))
		return V_CONTINUE;
	if ((int32_t)(o->ts_val - c->ts_recent) >= 0 || now - c->ts_recent_at > PAWS_IDLE_MAX)
		return V_CONTINUE;
	TCP_STAT(c, tcp_drop_paws);
	return V_DROP_ACK;
}

/* RFC 7323 4.3: remember the peer's timestamp from an acceptable segment
 * that is not past what we last acknowledged. */
static void take_ts_recent(struct tcp_conn *c, const struct tcp_seg *seg, utcp_time_us now)
{
	const struct utcp_tcp_opts *o = &seg->h->opts;
	/* RFC 7323 5.5: a TS.Recent idle for over 24 days is invalid; the
	 * next acceptable segment's timestamp replaces it, whatever it is. */
	bool stale = now - c->ts_recent_at > PAWS_IDLE_MAX;
	if (c->ts_ok && o->has_ts && ((int32_t)(o->ts_val - c->ts_recent) >= 0 || stale) &&
	    seq_leq(seg->h->seq, c->last_ack_sent)) {
		c->ts_recent = o->ts_val;
		c->ts_recent_at = now;
	}
}

/* RFC 9293 3.10.7.4 second, with RFC 5961 3.2: only a RST at exactly
 * RCV.NXT resets; one elsewhere in the window earns a challenge ACK. */
static enum verdict step_rst(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (!(seg->h->flags & UTCP_TH_RST))
		return V_CONTINUE;
	if (seg->h->seq != c->rcv_nxt) {
		return V_CHALLENGE;
	}
	TCP_STAT(c, tcp_rst_in);
	switch (c->state) {
	case UTCP_SYN_RCVD:
		if (c->passive) {
			/* Back to LISTEN: the owner discards this child. */
			for (int k = 0; k < UTCP_TIMER_COUNT; k++)
				tcp_timer_stop(c, (enum utcp_timer_kind)k);
			tcp_set_state(c, UTCP_LISTEN);
		} else {
			tcp_close_with(c, ECONNREFUSED);
		}
		break;
	case UTCP_ESTABLISHED:
	case UTCP_FIN_WAIT_1:
	case UTCP_FIN_WAIT_2:
	case UTCP_CLOSE_WAIT:
		tcp_close_with(c, ECONNRESET);
		break;
	default: /* CLOSING, LAST_ACK, TIME_WAIT */
		tcp_close_with(c, 0);
		break;
	}
	return V_DONE;
}

/* RFC 9293 3.10.7.4 fourth, RFC 5961 4.2: a SYN in a synchronized state is
 * answered with a challenge ACK, whatever its sequence number: even one at
 * RCV.NXT - 1 whose SYN the trimming cut off (its data is not taken). */
static enum verdict step_syn(struct tcp_conn *c, const struct seg_view *v)
{
	if (!v->syn_bit)
		return V_CONTINUE;
	if (c->state == UTCP_SYN_RCVD && c->passive) {
		/* A new SYN from the peer: back to LISTEN (3.10.7.4). */
		for (int k = 0; k < UTCP_TIMER_COUNT; k++)
			tcp_timer_stop(c, (enum utcp_timer_kind)k);
		tcp_set_state(c, UTCP_LISTEN);
		return V_DONE;
	}
	return V_CHALLENGE;
}

/* SYN_RCVD and an ACK: RFC 9293 3.10.7.4 fifth, first case. */
static enum verdict ack_syn_rcvd(struct tcp_conn *c, const struct tcp_seg *seg,
				 const struct seg_view *v, utcp_time_us now)
{
	uint32_t ack = seg->h->ack;
	if (!(seq_gt(ack, c->snd_una) && seq_leq(ack, c->snd_max))) {
		TCP_STAT(c, tcp_drop_bad_ack);
		c->rst_reply_seq = ack;
		return V_DROP_RST;
	}
	tcp_take_syn_ack_rtt(c, ack, now);
	c->snd_una = ack;
	c->snd_wnd = (uint32_t)seg->h->wnd << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = v->seq;
	c->snd_wl2 = ack;
	tcp_establish(c, now);
	return V_CONTINUE;
}

/* True when this segment will deliver a FIN in order right now. */
static bool fin_in_order(const struct tcp_conn *c, const struct seg_view *v)
{
	return v->fin && v->seq == c->rcv_nxt;
}

/* RFC 9293 3.10.7.4 fifth: the ACK field. */
static enum verdict step_ack(struct tcp_conn *c, const struct tcp_seg *seg,
			     const struct seg_view *v, utcp_time_us now)
{
	if (!(seg->h->flags & UTCP_TH_ACK)) {
		TCP_STAT(c, tcp_drop_no_ack);
		return V_DROP;
	}
	if (c->state == UTCP_SYN_RCVD) {
		enum verdict r = ack_syn_rcvd(c, seg, v, now);
		if (r != V_CONTINUE)
			return r;
	}
	uint32_t ack = seg->h->ack;
	if (seq_gt(ack, c->snd_max)) {
		/* Acknowledges something not yet sent. */
		TCP_STAT(c, tcp_drop_bad_ack);
		return V_DROP_ACK;
	}
	if (seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
		/* RFC 5961 5.2 (MAY-12): too old to be from the peer. */
		TCP_STAT(c, tcp_drop_old_ack);
		return V_DROP_ACK;
	}
	tcp_process_ack(c, seg, v, now);
	if (c->state == UTCP_CLOSED)
		return V_DONE;

	bool fin_acked = tcp_fin_acked(c);
	switch (c->state) {
	case UTCP_FIN_WAIT_1:
		/* With the peer's FIN in this very segment we go straight to
		 * TIME_WAIT in step_fin (the diagram's FIN+ACK edge). */
		if (fin_acked && !fin_in_order(c, v))
			tcp_enter_fin_wait_2(c, now);
		break;
	case UTCP_CLOSING:
		if (fin_acked)
			tcp_enter_time_wait(c, now);
		break;
	case UTCP_LAST_ACK:
		if (fin_acked) {
			tcp_close_with(c, 0);
			return V_DONE;
		}
		break;
	default:
		break;
	}
	return V_CONTINUE;
}

/* RFC 9293 3.10.7.4 sixth: the urgent pointer names the byte after the
 * urgent data (MUST-62); tell the application (MUST-32). */
static void step_urg(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (!(seg->h->flags & UTCP_TH_URG) || !tcp_state_can_recv(c->state))
		return;
	uint32_t up = seg->h->seq + seg->h->urp;
	if (!c->has_rcv_up || seq_gt(up, c->rcv_up)) {
		c->rcv_up = up;
		c->has_rcv_up = true;
		c->host->ops->wake(c, UTCP_POLLPRI);
	}
}

/* Take in-order bytes, then whatever out-of-order bytes they join.
 * Returns false when out of memory (the segment is then as if lost). */
static bool deliver_in_order(struct tcp_conn *c, const struct seg_view *v,
			     utcp_time_us now)
{
	if (ring_write_at(&c->rcvbuf, c->host->alloc, c->rcvbuf.len, v->data,
			  v->len) != 0) {
		TCP_STAT(c, tcp_drop_ooo_full);
		return false; /* the peer retransmits */
	}
	ring_commit(&c->rcvbuf, v->len);
	c->rcv_nxt += v->len;
	if (c->ooo.n > 0) {
		/* Join every parked range the new edge reaches: the data may
		 * cover one and end inside the next (a retransmission cut
		 * differently from the original segments). */
		uint32_t edge = c->rcv_nxt;
		while (c->ooo.n > 0 && seq_leq(c->ooo.r[0].start, edge))
			edge = ranges_pop_contiguous(&c->ooo, edge);
		ranges_shrink(&c->ooo, c->host->alloc);
		ring_commit(&c->rcvbuf, edge - c->rcv_nxt);
		c->rcv_nxt = edge;
		c->ack_now = true; /* RFC 5681 4.2: ACK at once when a gap fills */
	} else {
		tcp_schedule_ack(c, v->len, now);
	}
	c->host->ops->wake(c, UTCP_POLLIN);
	return true;
}

/* Park bytes that arrived ahead of RCV.NXT (SHLD-31) and ACK at once, so
 * the sender sees a duplicate ACK (RFC 5681 4.2, RFC 9293 MAY-13). */
static void park_out_of_order(struct tcp_conn *c, struct seg_view *v)
{
	TCP_STAT(c, tcp_ooo_segment);
	c->ack_now = true;
	if (v->len > 0 && !ranges_contains(&c->ooo, v->seq, v->seq + v->len)) {
		uint32_t off = c->rcvbuf.len + (v->seq - c->rcv_nxt);
		if (ring_write_at(&c->rcvbuf, c->host->alloc, off, v->data, v->len) != 0 ||
		    ranges_add(&c->ooo, c->host->alloc, v->seq, v->seq + v->len) != 0) {
			TCP_STAT(c, tcp_drop_ooo_full);
			v->fin = false;
			return;
		}
	}
	if (v->fin) {
		c->has_ooo_fin = true;
		c->rcv_fin_seq = v->seq + v->len;
	}
	v->fin = false;
}

/* RFC 9293 3.10.7.4 seventh: the segment text. */
static enum verdict step_data(struct tcp_conn *c, struct seg_view *v, utcp_time_us now)
{
	if (v->len == 0 && !(v->fin && v->seq != c->rcv_nxt))
		return V_CONTINUE;
	if (!tcp_state_can_recv(c->state)) {
		v->len = 0; /* after the peer's FIN nothing more can come */
		return V_CONTINUE;
	}
	if (c->orphan && v->len > 0) {
		/* Closed by the application: nobody will read this. As Linux
		 * (tcp_rcv_state_process), answer with RST. */
		TCP_STAT(c, tcp_drop_after_close);
		tcp_user_abort(c, now);
		return V_DONE;
	}
	if (v->seq != c->rcv_nxt && c->rd_shut) {
		/* After SHUT_RD nobody reads: out-of-order bytes are not kept
		 * (no buffer, no stale ranges); the duplicate ACK asks for what
		 * is missing and the in-order copy is discarded below. */
		TCP_STAT(c, tcp_ooo_segment);
		c->ack_now = true;
		v->len = 0;
		v->fin = false;
		return V_CONTINUE;
	}
	if (v->seq != c->rcv_nxt) {
		park_out_of_order(c, v);
		return V_CONTINUE;
	}
	if (c->rd_shut) {
		/* LESSONS L5: after SHUT_RD arriving data is discarded. */
		c->rcv_nxt += v->len;
		tcp_schedule_ack(c, v->len, now);
	} else if (v->len > 0 && !deliver_in_order(c, v, now)) {
		v->fin = false;
		return V_CONTINUE;
	}
	/* The data is taken: what is left of the segment (a FIN) starts at
	 * the end of it, so step_fin sees it in order. */
	v->seq += v->len;
	v->data += v->len;
	v->len = 0;
	return V_CONTINUE;
}

/* RFC 9293 3.10.7.4 eighth: the FIN. */
static void step_fin(struct tcp_conn *c, const struct seg_view *v, utcp_time_us now)
{
	bool fin = fin_in_order(c, v) ||
		   (c->has_ooo_fin && c->rcv_fin_seq == c->rcv_nxt);
	if (!fin || !tcp_state_synchronized(c->state))
		return;
	if (c->state == UTCP_TIME_WAIT) {
		c->ack_now = true;
		tcp_enter_time_wait(c, now); /* restart 2*MSL */
		return;
	}
	if (c->state != UTCP_ESTABLISHED && c->state != UTCP_FIN_WAIT_1 &&
	    c->state != UTCP_FIN_WAIT_2)
		return; /* CLOSE_WAIT, CLOSING, LAST_ACK: FIN already taken */
	c->has_ooo_fin = false;
	c->rcv_nxt++;
	c->ack_now = true;
	switch (c->state) {
	case UTCP_ESTABLISHED:
		tcp_set_state(c, UTCP_CLOSE_WAIT);
		break;
	case UTCP_FIN_WAIT_1:
		if (tcp_fin_acked(c))
			tcp_enter_time_wait(c, now);
		else
			tcp_set_state(c, UTCP_CLOSING);
		break;
	default: /* FIN_WAIT_2 */
		tcp_enter_time_wait(c, now);
		break;
	}
	c->host->ops->wake(c, UTCP_POLLIN | UTCP_POLLRDHUP);
}

/* RFC 5961 section 7: at most challenge_ack_limit challenge ACKs per
 * second from the whole stack, so a blind attacker cannot turn us into an
 * amplifier (Linux's tcp_challenge_ack_limit, 1000 by default). */
static bool challenge_allowed(struct tcp_conn *c, utcp_time_us now)
{
	struct tcp_host *h = c->host;
	if (!h->challenge_ack_limit)
		return true;
	if (now - h->challenge_second >= UTCP_SEC(1) || now < h->challenge_second) {
		h->challenge_second = now;
		h->challenge_acks = 0;
	}
	return h->challenge_acks++ < h->challenge_ack_limit;
}

static void finish(struct tcp_conn *c, const struct tcp_seg *seg, enum verdict r,
		   utcp_time_us now)
{
	switch (r) {
	case V_CHALLENGE:
		if (challenge_allowed(c, now)) {
			TCP_STAT(c, tcp_challenge_ack);
			c->ack_now = true;
		} else {
			TCP_STAT(c, tcp_challenge_ack_limited);
		}
		break;
	case V_DROP_ACK:
		c->ack_now = true;
		/* TIME_WAIT: a retransmitted FIN is ACKed again and the 2*MSL
		 * wait starts over (RFC 9293 3.10.7.4, LESSONS L6). */
		if (c->state == UTCP_TIME_WAIT && (seg->h->flags & UTCP_TH_FIN))
			tcp_enter_time_wait(c, now);
		break;
	case V_DROP_RST:
		c->rst_reply = true;
		break;
	default:
		break;
	}
}

static void input_synchronized(struct tcp_conn *c, const struct tcp_seg *seg,
			       utcp_time_us now)
{
	struct seg_view v;
	view_init(&v, seg);
	enum verdict r = step_paws(c, seg, now);
	if (r == V_CONTINUE)
		r = step_sequence(c, seg, &v);
	if (r == V_CONTINUE)
		take_ts_recent(c, seg, now);
	if (r == V_CONTINUE)
		r = step_rst(c, seg);
	if (r == V_CONTINUE)
		r = step_syn(c, &v);
	if (r == V_CONTINUE)
		r = step_ack(c, seg, &v, now);
	if (r == V_CONTINUE) {
		/* RFC 3168 6.1.5: CE and CWR count only on segments that
		 * passed every check before the data is taken. */
		tcp_ecn_input(c, seg);
		step_urg(c, seg);
		r = step_data(c, &v, now);
	}
	if (r == V_CONTINUE)
		step_fin(c, &v, now);
	finish(c, seg, r, now);
}

void tcp_input(struct tcp_conn *c, const struct tcp_seg *seg, utcp_time_us now)
{
	c->last_rcv_at = now;
	c->keep_probes = 0;
	c->persist_probes = 0; /* the peer answers: probing may go on (MUST-37) */
	if (c->state == UTCP_SYN_SENT)
		tcp_input_syn_sent(c, seg, now);
	else if (c->state != UTCP_CLOSED && c->state != UTCP_LISTEN)
		input_synchronized(c, seg, now);
}
