/*
 * What to send next. tcp_output_next() is called until it says there is
 * nothing more: each call describes one segment (SYN, data, FIN, probe,
 * ACK or RST) and updates the connection as if it had left. Decisions
 * follow RFC 9293: Nagle (3.7.4), sender and receiver silly window
 * syndrome avoidance (3.8.6.2), zero-window probes (3.8.6.1), delayed ACKs
 * (3.8.6.3); and RFC 5681 (congestion window, restart after idle).
 */
#include "tcp/conn.h"
#include "tcp/input.h"
#include "tcp/sack.h"
#include "tcp/seq.h"
#include "wire/ipv4.h"

#include <string.h>

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* RFC 9293 3.8.6.2.2: the receiver moves the right edge of its window only
 * by at least min(buffer / 2, MSS), and never moves it left (SHLD-14). */
uint32_t tcp_rcv_window(const struct tcp_conn *c)
{
	uint32_t free = c->p.rcvbuf > c->rcvbuf.len ? c->p.rcvbuf - c->rcvbuf.len : 0;
	if (c->rd_shut)
		free = c->p.rcvbuf;
	uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t limit = (uint32_t)65535 << c->rcv_wscale;
	uint32_t wnd = cur;
	if (c->state >= UTCP_CLOSE_WAIT && c->state != UTCP_FIN_WAIT_2) {
		/* After the peer's FIN nothing more arrives: report the free
		 * space as it is (LESSONS L2 steps 6 and 7). */
		wnd = free;
	} else if (free > cur &&
		   free - cur >= min_u32(c->p.rcvbuf / 2, c->rcv_mss ? c->rcv_mss : 536)) {
		wnd = free;
	}
	return min_u32(wnd, limit);
}

/* The window field for `wnd` bytes, rounded down: with scaling the edge
 * may then seem to retreat by less than one unit (RFC 7323 2.4, appendix
 * F: accepted), where rounding up on every ACK would let the edge creep
 * past the buffer. What we promised before stays acceptable: rcv_adv only
 * ever grows. */
static uint16_t window_field(const struct tcp_conn *c, uint32_t wnd)
{
	return (uint16_t)min_u32(wnd >> c->rcv_wscale, 65535);
}

/* The options of a non-SYN segment: timestamps (RFC 7323 3.2: on every
 * segment once negotiated) and, while we hold out-of-order data, SACK
 * blocks (RFC 2018 section 4: 3 fit beside the timestamps, else 4). */
static void segment_options(const struct tcp_conn *c, utcp_time_us now,
			    struct utcp_tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (c->ts_ok) {
		o->has_ts = true;
		o->ts_val = tcp_tsval(c, now);
		o->ts_ecr = c->ts_recent;
	}
	tcp_sack_blocks(c, o, c->ts_ok ? 3 : 4);
}

/* Payload room in a segment carrying options o: the send MSS already
 * leaves room for timestamps; SACK blocks take theirs from the data (at
 * most 36 bytes, and SND.MSS is at least TCP_MIN_MSS - 12, so some data
 * always fits without going past what the peer said it takes). */
static uint32_t segment_room(const struct tcp_conn *c, const struct utcp_tcp_opts *o)
{
	uint32_t opts = (uint32_t)tcp_options_len(o);
	uint32_t base = c->ts_ok ? TCP_TS_OPT_LEN : 0;
	uint32_t extra = opts > base ? opts - base : 0;
	return c->snd_mss > extra ? c->snd_mss - extra : 1;
}

/* Fill what every segment of a synchronized connection carries: ACK,
 * window and options. Sending them settles any pending ACK. */
static void fill_ack(struct tcp_conn *c, struct tcp_tx *tx, const struct utcp_tcp_opts *o)
{
	uint32_t wnd = tcp_rcv_window(c);
	uint16_t field = window_field(c, wnd);
	tx->h.flags |= UTCP_TH_ACK;
	tx->h.ack = c->rcv_nxt;
	tx->h.wnd = field;
	tx->h.opts = *o;
	tcp_ecn_ack_out(c, tx);
	c->last_ack_sent = c->rcv_nxt;
	uint32_t edge = c->rcv_nxt + ((uint32_t)field << c->rcv_wscale);
	if (seq_gt(edge, c->rcv_adv))
		c->rcv_adv = edge;
	c->ack_now = false;
	c->rcv_unacked = 0;
	tcp_timer_stop(c, UTCP_TIMER_DELACK);
}

static void tx_init(const struct tcp_conn *c, struct tcp_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	tx->src = c->laddr;
	tx->dst = c->raddr;
	tx->h.sport = c->lport;
	tx->h.dport = c->rport;
	tx->ttl = c->p.ttl;
	/* The ECN field is TCP's (RFC 3168 5): Not-ECT unless ecn.c says. */
	tx->tos = ipv4_tos_with_ecn(c->p.tos, IPV4_ECN_NOT_ECT);
}

/* SYN or SYN,ACK carrying our options (MSS always: SHLD-5, MAY-3). */
static bool emit_syn(struct tcp_conn *c, utcp_time_us now, struct tcp_tx *tx)
{
	tx->h.seq = c->iss;
	tx->h.flags = UTCP_TH_SYN;
	tx->h.opts.has_mss = true;
	tx->h.opts.mss = tcp_announced_mss(c);
	if (c->ws_ok) {
		tx->h.opts.has_wscale = true;
		tx->h.opts.wscale = c->rcv_wscale;
	}
	/* SACK and timestamps: offered on SYN when enabled, answered on
	 * SYN,ACK only when the peer offered them (RFC 2018 2, RFC 7323 3.2). */
	bool active = c->state == UTCP_SYN_SENT;
	tx->h.opts.sack_permitted = active ? c->p.sack : c->sack_ok;
	if (active ? c->p.timestamps : c->ts_ok) {
		tx->h.opts.has_ts = true;
		tx->h.opts.ts_val = tcp_tsval(c, now);
		tx->h.opts.ts_ecr = active ? 0 : c->ts_recent;
	}
	if (c->state == UTCP_SYN_RCVD) {
		/* The window of a SYN is never scaled (RFC 7323 2.2). */
		uint32_t wnd = min_u32(tcp_rcv_window(c), 65535);
		tx->h.flags |= UTCP_TH_ACK;
		tx->h.ack = c->rcv_nxt;
		tx->h.wnd = (uint16_t)wnd;
		c->rcv_adv = c->rcv_nxt + wnd;
		c->last_ack_sent = c->rcv_nxt;
		c->ack_now = false;
	} else {
		tx->h.wnd = (uint16_t)min_u32(c->p.rcvbuf, 65535);
	}
	tx->retransmit = seq_gt(c->snd_max, c->iss);
	tcp_ecn_syn_out(c, tx);
	if (tx->retransmit) {
		TCP_STAT(c, tcp_retransmit);
		c->n_retransmits++;
	} else {
		c->rtt_seq = c->iss;
		c->rtt_start_at = now;
	}
	c->snd_nxt = c->iss + 1;
	c->snd_max = seq_max(c->snd_max, c->snd_nxt);
	c->last_send_at = now;
	return true;
}

/* Describe the segment [seq, seq + len) (+ FIN) from the send ring, with
 * options o (from segment_options). */
static void fill_data(struct tcp_conn *c, struct tcp_tx *tx, uint32_t seq,
		      uint32_t len, bool fin, const struct utcp_tcp_opts *o)
{
	uint32_t off = seq - tcp_snd_buf_seq(c);
	tx->h.seq = seq;
	tx->len = len;
	if (len)
		tx->data = ring_peek(&c->sndbuf, off, len);
	if (fin)
		tx->h.flags |= UTCP_TH_FIN;
	if (len && seq + len == tcp_snd_end_seq(c))
		tx->h.flags |= UTCP_TH_PSH; /* MUST-61: the last queued byte */
	if (c->has_snd_up && seq_gt(c->snd_up, seq)) {
		/* RFC 9293 3.8.5: the pointer names the byte after the
		 * urgent data (MUST-62), relative to this segment. */
		tx->h.flags |= UTCP_TH_URG;
		tx->h.urp = (uint16_t)min_u32(c->snd_up - seq, 65535);
	}
	tx->retransmit = seq_lt(seq, c->snd_max);
	if (tx->retransmit) {
		TCP_STAT(c, tcp_retransmit);
		c->n_retransmits++;
		/* Karn (RFC 6298 section 3): the ACK of the timed segment may
		 * now answer this copy, or wait for it to fill a hole before
		 * the timed one: either way it is no measurement. */
		c->rtt_start_at = UTCP_TIME_NEVER;
	}
	fill_ack(c, tx, o);
}

/* A retransmission of up to max_len octets from seq, stopping at our FIN
 * (which it then carries). Returns false when there is nothing there. */
static bool resend_from(struct tcp_conn *c, struct tcp_tx *tx, uint32_t seq,
			uint32_t max_len, const struct utcp_tcp_opts *o)
{
	if (!seq_lt(seq, c->snd_max))
		return false; /* nothing was sent from there */
	uint32_t sent = c->snd_max - seq;
	bool fin_in_flight = tcp_fin_sent(c);
	uint32_t data = fin_in_flight ? sent - 1 : sent;
	uint32_t len = min_u32(data, max_len);
	bool fin = fin_in_flight && seq + len == c->snd_fin_seq;
	if (len == 0 && !fin)
		return false;
	fill_data(c, tx, seq, len, fin, o);
	return true;
}

/* Fast retransmit / partial ACK: one segment at SND.UNA, SND.NXT kept. */
static bool emit_fast_rtx(struct tcp_conn *c, utcp_time_us now, struct tcp_tx *tx)
{
	struct utcp_tcp_opts o;
	segment_options(c, now, &o);
	c->fast_rtx = false;
	return resend_from(c, tx, c->snd_una, segment_room(c, &o), &o);
}

/* Resend [seq, seq + len) in SACK recovery and move HighRxt past it. */
static bool sack_resend(struct tcp_conn *c, struct tcp_tx *tx, uint32_t seq, uint32_t len,
			const struct utcp_tcp_opts *o)
{
	if (!resend_from(c, tx, seq, len, o))
		return false;
	c->high_rxt = seq_max(c->high_rxt,
			      seq + tx->len + ((tx->h.flags & UTCP_TH_FIN) ? 1 : 0));
	return true;
}

/* RFC 6675 section 5 step (C): while cwnd - pipe >= 1 SMSS, NextSeg. Rule
 * 1 (a lost hole) is sent from here, rule 2 (new data) by emit_data, rule
 * 3 (any unSACKed hole below SACKed data) by emit_sack_rule3 after it.
 * fast_rtx (on entering recovery, (4.3), or on a partial ACK) resends the
 * segment at SND.UNA whatever the pipe says. */
static bool emit_sack_rtx(struct tcp_conn *c, utcp_time_us now, struct tcp_tx *tx)
{
	struct utcp_tcp_opts o;
	segment_options(c, now, &o);
	uint32_t room = segment_room(c, &o);
	uint32_t seq, len;
	if (c->fast_rtx) {
		c->fast_rtx = false;
		len = room;
		if (c->sacked.n > 0 && seq_gt(c->sacked.r[0].start, c->snd_una))
			len = seq_min(c->snd_una + room, c->sacked.r[0].start) - c->snd_una;
		if (sack_resend(c, tx, c->snd_una, len, &o))
			return true;
	}
	if (c->cc.cwnd < tcp_sack_pipe(c) + c->cc.mss ||
	    !tcp_sack_next_hole(c, true, room, &seq, &len))
		return false;
	return sack_resend(c, tx, seq, len, &o);
}

static bool emit_sack_rule3(struct tcp_conn *c, utcp_time_us now, struct tcp_tx *tx)
{
	struct utcp_tcp_opts o;
	segment_options(c, now, &o);
	uint32_t room = segment_room(c, &o);
	uint32_t seq, len;
	if (c->cc.cwnd < tcp_sack_pipe(c) + c->cc.mss ||
	    !tcp_sack_next_hole(c, false, room, &seq, &len))
		return false;
	return sack_resend(c, tx, seq, len, &o);
}

/* RFC 9293 3.7.4 (Nagle) and 3.8.6.2.1 (sender SWS): may a segment of len
 * bytes (len < SMSS, out of `avail` queued) go now? */
static bool small_segment_ok(const struct tcp_conn *c, uint32_t len, uint32_t avail)
{
	if (seq_lt(c->snd_nxt, c->snd_max))
		return true; /* resending what was already sent */
	if (len == avail && (c->p.nodelay || c->snd_nxt == c->snd_una))
		return true; /* all we have, and nothing unacknowledged */
	if (c->max_snd_wnd && len >= c->max_snd_wnd / 2)
		return true; /* at least half the largest window offered */
	return false;
}

/* RFC 5681 4.1: after an idle period longer than the RTO, restart from
 * at most the initial window (the algorithm may do otherwise). */
static void restart_after_idle(struct tcp_conn *c, utcp_time_us now)
{
	uint32_t before = c->cc.cwnd;
	if (c->cc_ops->after_idle) {
		c->cc_ops->after_idle(&c->cc);
	} else {
		uint32_t rw = tcp_cc_initial_window_bytes(c->cc.mss, c->cc.initial_window);
		c->cc.cwnd = min_u32(c->cc.cwnd, rw);
	}
	if (c->cc.cwnd != before)
		tcp_trace_cc(c, UTCP_CC_IDLE_RESTART, now);
}

/* May a FIN go alone (no data with it) now? Its sequence number needs
 * room in the peer's window as an octet would: into a closed window it
 * waits, and the persist timer's probe carries it (RFC 9293 3.8.6.1), so
 * that a peer answering with a zero window keeps the connection open for
 * as long as it answers (MUST-37) instead of the retransmission timer
 * giving up after R2 while every FIN is acknowledged. */
static bool lone_fin_ok(struct tcp_conn *c, bool probe)
{
	if (probe) {
		if (c->snd_wnd == 0)
			c->probe_out = true;
		TCP_STAT(c, tcp_zero_window_probe);
		return true;
	}
	/* Resending it (go-back-N after a timeout), or room for it. */
	return seq_lt(c->snd_nxt, c->snd_max) || c->snd_wnd > c->snd_nxt - c->snd_una;
}

/* New data (or its retransmission after a timeout), a FIN, or a probe. */
static bool emit_data(struct tcp_conn *c, utcp_time_us now, struct tcp_tx *tx)
{
	uint32_t buf_seq = tcp_snd_buf_seq(c);
	uint32_t off = c->snd_nxt - buf_seq;
	uint32_t avail = off < c->sndbuf.len ? c->sndbuf.len - off : 0;
	bool fin_due = c->fin_queued && seq_leq(c->snd_nxt, c->snd_fin_seq);
	if (avail == 0 && !fin_due)
		return false;
	if (c->ecn_hold && seq_geq(c->snd_nxt, c->snd_max))
		return false; /* nothing new until the timer says (ecn.c) */

	struct utcp_tcp_opts o;
	segment_options(c, now, &o);
	uint32_t room = segment_room(c, &o);
	/* The peer's window limits sequence space sent; cwnd limits what is
	 * in flight (in SACK recovery: the pipe, RFC 6675). */
	uint32_t in_flight = c->snd_nxt - c->snd_una;
	uint32_t cc_flight = c->sack_recovery ? tcp_sack_pipe(c) : in_flight;
	uint32_t by_cc = c->cc.cwnd > cc_flight ? c->cc.cwnd - cc_flight : 0;
	uint32_t by_rwnd = c->snd_wnd > in_flight ? c->snd_wnd - in_flight : 0;
	uint32_t len = min_u32(min_u32(avail, room), min_u32(by_cc, by_rwnd));
	bool probe = c->probe_now, window_probe = false;
	c->probe_now = false;
	if (probe && len == 0 && avail > 0) {
		/* RFC 9293 3.8.6.1: one octet of new data past the window. */
		len = 1;
		window_probe = true;
		if (c->snd_wnd == 0)
			c->probe_out = true;
		TCP_STAT(c, tcp_zero_window_probe);
	} else if (len > 0 && len < room && !probe &&
		   !(fin_due && len == avail) && !small_segment_ok(c, len, avail)) {
		len = 0;
	}
	bool fin = fin_due && c->snd_nxt + len == c->snd_fin_seq;
	if (len == 0 && (!fin || !lone_fin_ok(c, probe)))
		return false;

	if (c->snd_una == c->snd_max && len > 0 && c->last_send_at &&
	    now - c->last_send_at > tcp_rto(c) && tcp_state_synchronized(c->state))
		restart_after_idle(c, now);
	uint32_t seq = c->snd_nxt;
	fill_data(c, tx, seq, len, fin, &o);
	tcp_ecn_data_out(c, tx, window_probe);
	if (!tx->retransmit && len > 0 && c->rtt_start_at == UTCP_TIME_NEVER) {
		c->rtt_seq = seq;
		c->rtt_start_at = now;
	}
	c->snd_nxt = seq + len + (fin ? 1 : 0);
	c->snd_max = seq_max(c->snd_max, c->snd_nxt);
	c->last_send_at = now;
	return true;
}

/* A pure ACK; a keep-alive probe is one at SND.NXT - 1 (RFC 9293 3.8.4:
 * no data, SHLD-12), which the peer must answer. */
static bool emit_ack(struct tcp_conn *c, utcp_time_us now, struct tcp_tx *tx)
{
	bool ka = c->ka_probe;
	if (!c->ack_now && !ka)
		return false;
	c->ka_probe = false;
	/* After a timeout SND.NXT has gone back to SND.UNA while the peer may
	 * hold far more: an ACK numbered SND.NXT would be an old duplicate
	 * to it, dropped unread (and its own retransmissions are the same to
	 * us: neither end would ever learn of the other's ACKs). Number pure
	 * ACKs with the first octet never sent, SND.MAX, as BSD does. */
	tx->h.seq = ka ? c->snd_max - 1 : c->snd_max;
	if (ka)
		TCP_STAT(c, tcp_keepalive_probe);
	struct utcp_tcp_opts o;
	segment_options(c, now, &o);
	fill_ack(c, tx, &o);
	return true;
}

static bool emit_rst(struct tcp_conn *c, utcp_time_us now, struct tcp_tx *tx)
{
	if (c->rst_reply) {
		/* <SEQ=SEG.ACK><CTL=RST> for an unacceptable ACK. */
		c->rst_reply = false;
		tx->h.seq = c->rst_reply_seq;
		tx->h.flags = UTCP_TH_RST;
		TCP_STAT(c, tcp_rst_out);
		return true;
	}
	if (c->rst_pending) {
		/* RFC 9293 3.10.5 abort: <SEQ=SND.NXT><CTL=RST> (SND.MAX: the
		 * sequence the peer expects even after a go-back); we add the
		 * ACK, as Linux and BSD do, so the peer takes it at once. */
		c->rst_pending = false;
		tx->h.seq = c->snd_max;
		tx->h.flags = UTCP_TH_RST | UTCP_TH_ACK;
		tx->h.ack = c->rcv_nxt;
		if (c->ts_ok) {
			/* RFC 7323 3.2: timestamps SHOULD go on a RST as well
			 * (Linux puts them on an abort's). */
			tx->h.opts.has_ts = true;
			tx->h.opts.ts_val = tcp_tsval(c, now);
			tx->h.opts.ts_ecr = c->ts_recent;
		}
		TCP_STAT(c, tcp_rst_out);
		return true;
	}
	return false;
}

bool tcp_output_next(struct tcp_conn *c, utcp_time_us now, struct tcp_tx *tx)
{
	tx_init(c, tx);
	if (emit_rst(c, now, tx))
		return true;
	switch (c->state) {
	case UTCP_CLOSED:
	case UTCP_LISTEN:
		return false;
	case UTCP_SYN_SENT:
	case UTCP_SYN_RCVD:
		if (c->snd_nxt == c->iss)
			return emit_syn(c, now, tx);
		if (c->state == UTCP_SYN_RCVD && emit_ack(c, now, tx))
			return true;
		break;
	default:
		if (c->sack_recovery ? emit_sack_rtx(c, now, tx)
				     : c->fast_rtx && emit_fast_rtx(c, now, tx))
			return true;
		if (emit_data(c, now, tx))
			return true;
		if (c->sack_recovery && emit_sack_rule3(c, now, tx))
			return true;
		if (emit_ack(c, now, tx))
			return true;
		break;
	}
	tcp_timers_update_send(c, now);
	return false;
}

void tcp_schedule_ack(struct tcp_conn *c, uint32_t len, utcp_time_us now)
{
	c->rcv_unacked += len;
	/* SHLD-19: at least every second full-sized segment; MUST-40: never
	 * later than the delayed-ACK time (<= 500 ms). */
	if (c->p.delack == 0 || c->rcv_unacked >= 2u * c->rcv_mss)
		c->ack_now = true;
	else if (!tcp_timer_armed(c, UTCP_TIMER_DELACK))
		tcp_timer_arm(c, UTCP_TIMER_DELACK, now + c->p.delack);
}

bool tcp_reply_no_conn(const struct tcp_seg *seg, struct tcp_tx *tx, uint8_t ttl)
{
	const struct tcp_hdr *h = seg->h;
	if (h->flags & UTCP_TH_RST)
		return false; /* never answer a RST */
	memset(tx, 0, sizeof(*tx));
	tx->src = seg->dst;
	tx->dst = seg->src;
	tx->h.sport = h->dport;
	tx->h.dport = h->sport;
	tx->ttl = ttl;
	if (h->flags & UTCP_TH_ACK) {
		tx->h.seq = h->ack; /* <SEQ=SEG.ACK><CTL=RST> */
		tx->h.flags = UTCP_TH_RST;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		uint32_t len = seg->len + ((h->flags & UTCP_TH_SYN) ? 1 : 0) +
			       ((h->flags & UTCP_TH_FIN) ? 1 : 0);
		tx->h.seq = 0;
		tx->h.ack = h->seq + len;
		tx->h.flags = UTCP_TH_RST | UTCP_TH_ACK;
	}
	return true;
}
