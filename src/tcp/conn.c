/*
 * The connection's life: initialisation, state changes (one function all
 * transitions go through, as smoltcp's set_state), closing, and the trace
 * events the protocol layer emits.
 */
#include "tcp/conn.h"

#include <string.h>

void tcp_conn_init(struct tcp_conn *c, struct tcp_host *host,
		   const struct tcp_params *p, uint32_t id)
{
	memset(c, 0, sizeof(*c));
	c->host = host;
	c->p = *p;
	c->id = id;
	c->state = UTCP_CLOSED;
	c->cc_ops = p->cc;
	ring_init(&c->sndbuf);
	ring_init(&c->rcvbuf);
	ranges_init(&c->ooo);
	ranges_init(&c->sacked);
	for (int k = 0; k < UTCP_TIMER_COUNT; k++)
		c->timer_at[k] = UTCP_TIME_NEVER;
	c->rtt_start_at = UTCP_TIME_NEVER;
	rtt_init(&c->rtt, (uint32_t)p->rto_initial);
	c->route_mss = 536;
}

void tcp_conn_release(struct tcp_conn *c)
{
	ranges_clear(&c->ooo, c->host->alloc);
	ranges_clear(&c->sacked, c->host->alloc);
	ring_free(&c->sndbuf, c->host->alloc);
	ring_free(&c->rcvbuf, c->host->alloc);
}

void tcp_set_state(struct tcp_conn *c, enum utcp_tcp_state to)
{
	enum utcp_tcp_state from = c->state;
	if (from == to)
		return;
	c->state = to;
	c->host->ops->state_changed(c, from, to);
}

void tcp_close_with(struct tcp_conn *c, int err)
{
	for (int k = 0; k < UTCP_TIMER_COUNT; k++)
		tcp_timer_stop(c, (enum utcp_timer_kind)k);
	if (err)
		c->err = err;
	c->fast_rtx = c->ack_now = c->probe_now = c->ka_probe = false;
	tcp_set_state(c, UTCP_CLOSED);
	/* Nothing will be sent any more: unsent data is gone. */
	ring_free(&c->sndbuf, c->host->alloc);
	c->host->ops->wake(c, UTCP_POLLIN | UTCP_POLLOUT | UTCP_POLLERR | UTCP_POLLHUP);
}

void tcp_trace_cc(struct tcp_conn *c, enum utcp_cc_event why, utcp_time_us now)
{
	if (!c->host->tracing)
		return;
	struct utcp_trace_event ev = {.type = UTCP_TR_CC, .at = now};
	ev.u.cc.why = why;
	ev.u.cc.cwnd = c->cc.cwnd;
	ev.u.cc.ssthresh = c->cc.ssthresh;
	ev.u.cc.mss = c->cc.mss;
	ev.u.cc.flight = tcp_flight(c);
	c->host->ops->trace(c, &ev);
}

void tcp_trace_timer(struct tcp_conn *c, enum utcp_timer_kind k,
		     enum utcp_timer_action a, utcp_time_us now)
{
	if (!c->host->tracing)
		return;
	struct utcp_trace_event ev = {.type = UTCP_TR_TIMER, .at = now};
	ev.u.timer.kind = k;
	ev.u.timer.action = a;
	ev.u.timer.expires_at = c->timer_at[k];
	c->host->ops->trace(c, &ev);
}
