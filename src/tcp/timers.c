/*
 * The connection's timers, OpenBSD style: one enum of kinds, a deadline
 * each, a handler each. When each is armed and stopped:
 *
 *  RTX        armed while anything (SYN, data, FIN) is unacknowledged and
 *             we are not probing a zero window; restarted by every ACK of
 *             new data (RFC 6298 5.1-5.3); on expiry: back off, go back to
 *             SND.UNA, slow start (RFC 5681 3.1), give up after R2.
 *  PERSIST    armed while data or a FIN waits, nothing is in flight (but
 *             the probe) and the window does not let it go (zero window,
 *             or sender SWS holding a runt back); on expiry: probe (RFC
 *             9293 3.8.6.1) with one octet or the FIN, back off.
 *  DELACK     armed when in-order data arrives and no ACK is due yet;
 *             stopped by any segment we send (it carries the ACK).
 *  KEEPALIVE  armed on establishment when SO_KEEPALIVE is on; probes after
 *             an idle period (RFC 9293 3.8.4).
 *  TIME_WAIT  2*MSL from entering TIME_WAIT, restarted by a retransmitted
 *             FIN (RFC 9293 3.6.1, 3.10.7.4).
 *  FIN_WAIT_2 only for orphans (closed by the application): gives up on
 *             a peer that never sends its FIN, as Linux's tcp_fin_timeout.
 *
 * The stack keeps one heap entry per connection at tcp_next_deadline().
 */
#include "tcp/conn.h"
#include "tcp/seq.h"

void tcp_timer_arm(struct tcp_conn *c, enum utcp_timer_kind k, utcp_time_us at)
{
	c->timer_at[k] = at;
	tcp_trace_timer(c, k, UTCP_TIMER_ARM, at);
}

void tcp_timer_stop(struct tcp_conn *c, enum utcp_timer_kind k)
{
	if (c->timer_at[k] == UTCP_TIME_NEVER)
		return;
	c->timer_at[k] = UTCP_TIME_NEVER;
	tcp_trace_timer(c, k, UTCP_TIMER_STOP, 0);
}

utcp_time_us tcp_next_deadline(const struct tcp_conn *c)
{
	utcp_time_us t = UTCP_TIME_NEVER;
	for (int k = 0; k < UTCP_TIMER_COUNT; k++)
		if (c->timer_at[k] < t)
			t = c->timer_at[k];
	return t;
}

utcp_time_us tcp_rto(const struct tcp_conn *c)
{
	utcp_time_us rto = c->rtt.rto_us;
	/* RFC 6298 (5.5): double per expiry, (2.5) capped at the maximum. */
	for (unsigned i = 0; i < c->backoff && rto < c->p.rto_max; i++)
		rto *= 2;
	return rto < c->p.rto_max ? rto : c->p.rto_max;
}

/* Bytes queued but never sent (beyond SND.NXT). */
static uint32_t unsent_bytes(const struct tcp_conn *c)
{
	uint32_t off = c->snd_nxt - tcp_snd_buf_seq(c);
	return off < c->sndbuf.len ? c->sndbuf.len - off : 0;
}

/* Persist mode (RFC 9293 3.8.6.1): data or a FIN waits for a window
 * that does not take it, with nothing in flight but the probe itself:
 * our probe byte, or a FIN a closed window left unacknowledged. Probes
 * answered keep the connection alive (MUST-37): the retransmission timer
 * (and its R2 limit) stays off. */
static bool persisting(const struct tcp_conn *c)
{
	uint32_t flight = tcp_flight(c);
	bool fin_waits = c->fin_queued && !tcp_fin_sent(c);
	/* A closed window (MUST-35): whatever waits, even what was in flight
	 * when the peer shrank its window to zero (MUST-34, SHLD-17), goes
	 * by the persist timer's probes, which an answering peer never runs
	 * out of (MUST-37); the retransmission timer would only resend into
	 * the closed window until R2 killed the connection. As BSD. */
	if (c->snd_wnd == 0 && (flight > 0 || unsent_bytes(c) > 0 || fin_waits))
		return true;
	if (c->ecn_hold)
		return false; /* data waits for the retransmission timer (ecn.c) */
	if (flight == 0)
		return unsent_bytes(c) > 0 || (c->fin_queued && !tcp_fin_sent(c));
	if (flight > 1)
		return false;
	return c->probe_out || (c->snd_wnd == 0 && tcp_fin_sent(c));
}

void tcp_timers_update_send(struct tcp_conn *c, utcp_time_us now)
{
	if (c->state == UTCP_CLOSED || c->state == UTCP_LISTEN ||
	    c->state == UTCP_TIME_WAIT)
		return;
	uint32_t flight = tcp_flight(c);
	if (persisting(c) && tcp_state_synchronized(c->state)) {
		tcp_timer_stop(c, UTCP_TIMER_RTX);
		if (!tcp_timer_armed(c, UTCP_TIMER_PERSIST)) {
			/* SHLD-29/30: first probe after one RTO, then back off
			 * (capped at the maximum RTO). */
			utcp_time_us d = tcp_rto(c);
			for (unsigned i = 0; i < c->persist_backoff && d < c->p.rto_max; i++)
				d *= 2;
			tcp_timer_arm(c, UTCP_TIMER_PERSIST,
				      now + (d < c->p.rto_max ? d : c->p.rto_max));
		}
		return;
	}
	tcp_timer_stop(c, UTCP_TIMER_PERSIST);
	if (flight == 0 && !c->ecn_hold)
		tcp_timer_stop(c, UTCP_TIMER_RTX);
	else if (!tcp_timer_armed(c, UTCP_TIMER_RTX))
		tcp_timer_arm(c, UTCP_TIMER_RTX, now + tcp_rto(c));
}

/* Too many retransmissions (R2, MUST-20), or longer than TCP_USER_TIMEOUT. */
static bool give_up(const struct tcp_conn *c, utcp_time_us now)
{
	if (c->p.user_timeout && c->rtx_count > 0 &&
	    now - c->first_rtx_at >= c->p.user_timeout)
		return true;
	uint32_t limit = c->state < UTCP_ESTABLISHED ? c->p.syn_retries : c->p.retries_r2;
	return c->rtx_count >= limit;
}

/* RFC 5681 3.1 and RFC 6582 section 4 on a retransmission timeout. */
static void timeout_congestion(struct tcp_conn *c, utcp_time_us now)
{
	const struct tcp_cc_ops *ops = c->cc_ops;
	/* (4): ssthresh falls only the first time a segment times out. */
	if (c->rtx_count == 0)
		c->cc.ssthresh = ops->ssthresh(&c->cc, tcp_flight(c));
	if (ops->on_timeout)
		ops->on_timeout(&c->cc);
	else
		c->cc.cwnd = c->cc.mss; /* the loss window */
	c->in_recovery = false;
	c->sack_recovery = false;
	c->dupacks = 0;
	c->recover = c->snd_max;
	/* RFC 2018 section 8: the receiver may have reneged: forget what it
	 * said it held, and resend everything from SND.UNA. */
	ranges_clear(&c->sacked, c->host->alloc);
	c->high_rxt = c->snd_una;
	tcp_ecn_timeout(c);
	tcp_trace_cc(c, UTCP_CC_TIMEOUT, now);
}

static void on_rtx(struct tcp_conn *c, utcp_time_us now)
{
	if (c->ecn_hold) {
		/* RFC 3168 6.1.2: the wait after ECE at one segment is over;
		 * a timeout only if something is still unacknowledged. */
		c->ecn_hold = false;
	}
	if (tcp_flight(c) == 0)
		return;
	TCP_STAT(c, tcp_timeout);
	c->n_timeouts++;
	if (give_up(c, now)) {
		TCP_STAT(c, tcp_conn_timeout);
		/* A soft error (an ICMP unreachable) says better why, as in
		 * Linux's tcp_write_err. */
		tcp_close_with(c, c->soft_err ? c->soft_err : ETIMEDOUT);
		return;
	}
	if (c->rtx_count == 0)
		c->first_rtx_at = now;
	if (tcp_state_synchronized(c->state))
		timeout_congestion(c, now);
	c->rtx_count++;
	if (c->rtx_count == c->p.retries_r1) {
		/* RFC 9293 3.8.3: at R1, negative advice to IP (MUST-20) and a
		 * word to the application (SHLD-9), as a soft error. */
		c->host->ops->negative_advice(c);
		if (!c->soft_err) {
			c->soft_err = ETIMEDOUT;
			if (c->p.report_soft_errors)
				c->host->ops->wake(c, UTCP_POLLSOFTERR);
		}
	}
	if (c->backoff < 30)
		c->backoff++;
	c->rtt_start_at = UTCP_TIME_NEVER; /* Karn's rule */
	c->probe_out = false;
	/* Go back to SND.UNA (SYN states: resend the SYN). */
	c->snd_nxt = c->state < UTCP_ESTABLISHED ? c->iss : c->snd_una;
	c->fast_rtx = false;
	tcp_timer_arm(c, UTCP_TIMER_RTX, now + tcp_rto(c));
}

static void on_persist(struct tcp_conn *c, utcp_time_us now)
{
	(void)now;
	c->ecn_hold = false; /* at least an RTO has passed: the probe may go */
	/* Probes the peer answers keep the connection (MUST-37) however
	 * long its window stays shut; a peer answering nothing at all is
	 * given up on after R2 probes, as Linux's tcp_probe_timer does. */
	if (c->persist_probes >= c->p.retries_r2) {
		TCP_STAT(c, tcp_conn_timeout);
		tcp_close_with(c, c->soft_err ? c->soft_err : ETIMEDOUT);
		return;
	}
	c->persist_probes++;
	c->probe_now = true;
	if (tcp_flight(c) > 0)
		c->snd_nxt = c->snd_una; /* probe with the same byte (or FIN) again */
	if (c->persist_backoff < 30)
		c->persist_backoff++;
}

/* RFC 9293 3.8.4: probe only after the idle interval with nothing
 * outstanding (MUST-26); give up after keep_cnt unanswered probes. */
static void on_keepalive(struct tcp_conn *c, utcp_time_us now)
{
	if (!c->p.keepalive || !tcp_state_keepalive(c->state))
		return;
	if (tcp_flight(c) > 0 || unsent_bytes(c) > 0) {
		tcp_timer_arm(c, UTCP_TIMER_KEEPALIVE, now + c->p.keep_idle);
		return;
	}
	if (now - c->last_rcv_at < c->p.keep_idle && c->keep_probes == 0) {
		tcp_timer_arm(c, UTCP_TIMER_KEEPALIVE, c->last_rcv_at + c->p.keep_idle);
		return;
	}
	if (c->keep_probes >= c->p.keep_cnt) {
		/* The peer is gone; tell it, in case it only lost its way
		 * back (Linux sends a RST here too). */
		TCP_STAT(c, tcp_conn_timeout);
		c->rst_pending = true;
		tcp_close_with(c, ETIMEDOUT);
		return;
	}
	c->keep_probes++;
	c->ka_probe = true;
	tcp_timer_arm(c, UTCP_TIMER_KEEPALIVE, now + c->p.keep_intvl);
}

void tcp_enter_time_wait(struct tcp_conn *c, utcp_time_us now)
{
	for (int k = 0; k < UTCP_TIMER_COUNT; k++)
		tcp_timer_stop(c, (enum utcp_timer_kind)k);
	tcp_set_state(c, UTCP_TIME_WAIT);
	tcp_timer_arm(c, UTCP_TIMER_TIME_WAIT, now + 2 * c->p.msl);
	ring_free(&c->sndbuf, c->host->alloc);
	c->host->ops->wake(c, UTCP_POLLIN | UTCP_POLLHUP);
}

static void on_delack(struct tcp_conn *c)
{
	c->ack_now = true;
}

void tcp_timers_run(struct tcp_conn *c, utcp_time_us now)
{
	for (int k = 0; k < UTCP_TIMER_COUNT; k++) {
		if (c->timer_at[k] > now)
			continue;
		c->timer_at[k] = UTCP_TIME_NEVER;
		tcp_trace_timer(c, (enum utcp_timer_kind)k, UTCP_TIMER_FIRE, now);
		switch ((enum utcp_timer_kind)k) {
		case UTCP_TIMER_RTX:
			on_rtx(c, now);
			break;
		case UTCP_TIMER_PERSIST:
			on_persist(c, now);
			break;
		case UTCP_TIMER_DELACK:
			on_delack(c);
			break;
		case UTCP_TIMER_KEEPALIVE:
			on_keepalive(c, now);
			break;
		case UTCP_TIMER_TIME_WAIT:
		case UTCP_TIMER_FIN_WAIT_2:
			tcp_close_with(c, 0);
			break;
		default:
			break;
		}
		if (c->state == UTCP_CLOSED)
			return;
	}
}
