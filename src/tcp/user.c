/*
 * The application's calls as RFC 9293 3.10 describes them (SEND, RECEIVE,
 * CLOSE, ABORT, STATUS) plus half-close (shutdown) and readiness. The
 * stack layer maps the socket API onto these and runs output afterwards.
 */
#include "tcp/conn.h"
#include "tcp/seq.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* States in which the application may still queue data. */
static bool can_send(const struct tcp_conn *c)
{
	switch (c->state) {
	case UTCP_SYN_SENT:
	case UTCP_SYN_RCVD: /* RFC 9293 3.10.2: queued until ESTABLISHED */
	case UTCP_ESTABLISHED:
	case UTCP_CLOSE_WAIT:
		return !c->fin_queued;
	default:
		return false;
	}
}

/* End of stream: the peer's FIN has been taken. */
static bool peer_finished(const struct tcp_conn *c)
{
	switch (c->state) {
	case UTCP_CLOSE_WAIT:
	case UTCP_LAST_ACK:
	case UTCP_CLOSING:
	case UTCP_TIME_WAIT:
		return true;
	default:
		return false;
	}
}

/* Sequence number of the next byte the application will read (the
 * peer's FIN, once taken, sits after the data in sequence space). */
static uint32_t read_seq(const struct tcp_conn *c)
{
	return c->rcv_nxt - c->rcvbuf.len - (peer_finished(c) ? 1 : 0);
}

/* Report a pending fatal error once, as SO_ERROR does. */
static int take_error(struct tcp_conn *c)
{
	int e = c->err;
	c->err = 0;
	return e;
}

long tcp_user_send(struct tcp_conn *c, const uint8_t *buf, size_t len, int flags,
		   utcp_time_us now)
{
	(void)now;
	if (c->err)
		return -take_error(c);
	if (!can_send(c))
		return -EPIPE; /* shut down, finished or reset */
	uint32_t room = c->p.sndbuf > c->sndbuf.len ? c->p.sndbuf - c->sndbuf.len : 0;
	if (room == 0)
		return -EAGAIN;
	uint32_t n = (uint32_t)(len < room ? len : room);
	if (n == 0)
		return 0;
	if (ring_append(&c->sndbuf, c->host->alloc, buf, n) != 0)
		return -ENOMEM;
	if (flags & UTCP_MSG_OOB) {
		/* RFC 9293 3.8.5: urgent up to the end of this data. */
		c->snd_up = tcp_snd_end_seq(c);
		c->has_snd_up = true;
	}
	return n;
}


/* After a read: when the window can move far enough (RFC 9293 3.8.6.2.2),
 * tell the peer. At once when the window it knows is below one MSS or the
 * new one at least doubles it (the sender may be stalled; Linux's
 * tcp_cleanup_rbuf uses the same test); otherwise with the next delayed
 * ACK, so a reader keeping up does not turn every segment into an ACK.
 * After the peer's FIN nothing more arrives to carry it: at once (the
 * window the lesson L2 shows growing back to the whole buffer). */
static void maybe_window_update(struct tcp_conn *c, utcp_time_us now)
{
	uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (c->state == UTCP_SYN_RCVD || c->state == UTCP_CLOSED ||
	    c->state == UTCP_TIME_WAIT)
		return;
	uint32_t wnd = tcp_rcv_window(c);
	if (wnd <= cur)
		return;
	if (cur < c->rcv_mss || wnd >= 2 * cur || c->p.delack == 0 ||
	    peer_finished(c))
		c->ack_now = true;
	else if (!tcp_timer_armed(c, UTCP_TIMER_DELACK))
		tcp_timer_arm(c, UTCP_TIMER_DELACK, now + c->p.delack);
}


/* RFC 9293 3.8.5 with urgent data inline, as Linux and BSD read it: a
 * read stops just before the last urgent byte (the mark), so that the
 * application finds it with sockatmark(); a read at the mark goes on. */
static uint32_t stop_at_mark(const struct tcp_conn *c, uint32_t seq, uint32_t n)
{
	if (!c->has_rcv_up)
		return n;
	uint32_t mark = c->rcv_up - 1;
	if (seq_gt(mark, seq) && seq_lt(mark, seq + n))
		return mark - seq;
	return n;
}

long tcp_user_recv(struct tcp_conn *c, uint8_t *buf, size_t len, int flags,
		   utcp_time_us now)
{
	if (c->rcvbuf.len > 0 && !c->rd_shut) {
		uint32_t n = min_u32(c->rcvbuf.len, (uint32_t)(len < UINT32_MAX ? len : UINT32_MAX));
		uint32_t seq = read_seq(c);
		n = stop_at_mark(c, seq, n);
		ring_copy_out(&c->rcvbuf, 0, buf, n);
		if (flags & UTCP_MSG_PEEK)
			return n;
		ring_consume(&c->rcvbuf, n);
		if (c->has_rcv_up && seq_geq(seq + n, c->rcv_up))
			c->has_rcv_up = false; /* urgent data consumed */
		maybe_window_update(c, now);
		return n;
	}
	if (c->err)
		return -take_error(c);
	if (peer_finished(c) || c->rd_shut) {
		c->eof_read = true;
		return 0;
	}
	if (c->state == UTCP_CLOSED)
		return 0; /* finished (the error, if any, was reported) */
	return -EAGAIN;
}

int tcp_user_shutdown_wr(struct tcp_conn *c, utcp_time_us now)
{
	(void)now;
	switch (c->state) {
	case UTCP_CLOSED:
	case UTCP_LISTEN:
		return -ENOTCONN;
	case UTCP_SYN_SENT:
		/* RFC 9293 3.10.4: CLOSE in SYN_SENT deletes the TCB. */
		tcp_close_with(c, 0);
		return 0;
	default:
		break;
	}
	if (c->fin_queued)
		return 0;
	c->fin_queued = true;
	c->snd_fin_seq = tcp_snd_end_seq(c);
	if (c->state == UTCP_ESTABLISHED)
		tcp_set_state(c, UTCP_FIN_WAIT_1);
	else if (c->state == UTCP_CLOSE_WAIT)
		tcp_set_state(c, UTCP_LAST_ACK);
	/* SYN_RCVD: FIN_WAIT_1 once established (tcp_establish). */
	return 0;
}

void tcp_user_shutdown_rd(struct tcp_conn *c, utcp_time_us now)
{
	(void)now;
	c->rd_shut = true;
	ring_consume(&c->rcvbuf, c->rcvbuf.len); /* LESSONS L5: discarded */
	ranges_clear(&c->ooo, c->host->alloc);
	c->has_ooo_fin = false;
	c->host->ops->wake(c, UTCP_POLLIN);
}

void tcp_user_abort(struct tcp_conn *c, utcp_time_us now)
{
	(void)now;
	switch (c->state) {
	case UTCP_SYN_RCVD:
	case UTCP_ESTABLISHED:
	case UTCP_FIN_WAIT_1:
	case UTCP_FIN_WAIT_2:
	case UTCP_CLOSE_WAIT:
		c->rst_pending = true; /* RFC 9293 3.10.5 */
		break;
	default:
		break;
	}
	tcp_close_with(c, 0);
}

void tcp_user_close(struct tcp_conn *c, utcp_time_us now)
{
	c->orphan = true;
	switch (c->state) {
	case UTCP_CLOSED:
	case UTCP_LISTEN:
		return;
	case UTCP_SYN_SENT:
		tcp_close_with(c, 0);
		return;
	case UTCP_SYN_RCVD:
	case UTCP_ESTABLISHED:
	case UTCP_CLOSE_WAIT:
		if (c->rcvbuf.len > 0 && !c->rd_shut) {
			/* SHLD-3: unread data would be lost: say so with RST. */
			tcp_user_abort(c, now);
			return;
		}
		tcp_user_shutdown_wr(c, now);
		return;
	case UTCP_FIN_WAIT_2:
		if (c->p.fin_wait_2_timeout)
			tcp_timer_arm(c, UTCP_TIMER_FIN_WAIT_2, now + c->p.fin_wait_2_timeout);
		return;
	default: /* FIN_WAIT_1, CLOSING, LAST_ACK, TIME_WAIT: under way */
		return;
	}
}

unsigned tcp_poll_events(const struct tcp_conn *c)
{
	unsigned ev = 0;
	bool eof = peer_finished(c);
	if (c->rcvbuf.len > 0 || eof || c->rd_shut)
		ev |= UTCP_POLLIN;
	if (eof)
		ev |= UTCP_POLLRDHUP;
	if (c->has_rcv_up)
		ev |= UTCP_POLLPRI;
	if (c->err)
		ev |= UTCP_POLLERR;
	if (c->soft_err && c->p.report_soft_errors)
		ev |= UTCP_POLLSOFTERR;
	if (c->state == UTCP_CLOSED) {
		ev |= UTCP_POLLHUP | UTCP_POLLIN | UTCP_POLLOUT;
	} else if (eof && c->fin_queued) {
		ev |= UTCP_POLLHUP;
	}
	if (tcp_state_synchronized(c->state) && can_send(c) &&
	    c->sndbuf.len < c->p.sndbuf)
		ev |= UTCP_POLLOUT;
	/* As Linux (tcp_poll): once the sending side is shut down a send
	 * does not wait, it fails with EPIPE, so a writer must wake up. */
	if (tcp_state_synchronized(c->state) && c->fin_queued)
		ev |= UTCP_POLLOUT;
	return ev;
}

uint32_t tcp_send_queue(const struct tcp_conn *c)
{
	return c->sndbuf.len;
}

uint32_t tcp_recv_queue(const struct tcp_conn *c)
{
	return c->rcvbuf.len;
}

int tcp_at_mark(const struct tcp_conn *c)
{
	return c->has_rcv_up && read_seq(c) + 1 == c->rcv_up;
}

void tcp_keepalive_changed(struct tcp_conn *c, utcp_time_us now)
{
	if (!c->p.keepalive || !tcp_state_keepalive(c->state)) {
		tcp_timer_stop(c, UTCP_TIMER_KEEPALIVE);
		return;
	}
	/* As Linux (TCP_KEEPIDLE): the idle time counts from the last
	 * segment received, so a shorter one may be due at once. */
	utcp_time_us at = c->last_rcv_at + c->p.keep_idle;
	tcp_timer_arm(c, UTCP_TIMER_KEEPALIVE, at > now ? at : now);
}

void tcp_params_changed(struct tcp_conn *c, utcp_time_us now)
{
	if (tcp_state_synchronized(c->state))
		maybe_window_update(c, now);
	c->cc_ops = c->p.cc;
}

void tcp_get_info(const struct tcp_conn *c, struct utcp_tcp_info *out)
{
	*out = (struct utcp_tcp_info){0};
	out->state = c->state;
	out->conn_id = c->id;
	out->snd_mss = c->snd_mss;
	out->rcv_mss = c->rcv_mss;
	out->cwnd = c->cc.cwnd;
	out->ssthresh = c->cc.ssthresh;
	out->srtt_us = c->rtt.srtt_us;
	out->rttvar_us = c->rtt.rttvar_us;
	out->rto_us = (uint32_t)tcp_rto(c);
	out->snd_wnd = c->snd_wnd;
	out->rcv_wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	out->snd_una = c->snd_una - c->iss;
	out->snd_nxt = c->snd_nxt - c->iss;
	out->rcv_nxt = c->rcv_nxt - c->irs;
	out->unacked = tcp_flight(c);
	out->send_queue = c->sndbuf.len;
	out->recv_queue = c->rcvbuf.len;
	out->retransmits = c->n_retransmits;
	out->timeouts = c->n_timeouts;
	out->fast_retransmits = c->n_fast_retransmits;
	out->backoff = c->backoff;
	out->snd_wscale = c->snd_wscale;
	out->rcv_wscale = c->rcv_wscale;
	out->in_recovery = c->in_recovery;
	out->ecn = c->ecn_ok && tcp_state_synchronized(c->state);
	out->urgent_pending = c->has_rcv_up;
	if (c->has_rcv_up)
		out->urgent_bytes = c->rcv_up - read_seq(c);
	const char *name = c->cc_ops ? c->cc_ops->name : "";
	for (size_t i = 0; i < sizeof(out->cc) - 1 && name[i]; i++)
		out->cc[i] = name[i];
}
