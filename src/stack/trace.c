/*
 * The protocol layer's hooks into the stack (state changes, readiness,
 * trace events) and the trace events the stack itself emits (segments in
 * and out, drops).
 */
#include "stack/stack_internal.h"

#include <string.h>

static void fill_conn(struct utcp_stack *s, struct usock *u, struct utcp_trace_event *ev)
{
	ev->at = s->now;
	if (!u)
		return;
	ev->conn_id = u->tcp.id;
	ev->local.addr = u->tcp.laddr;
	ev->local.port = u->tcp.lport;
	ev->remote.addr = u->tcp.raddr;
	ev->remote.port = u->tcp.rport;
}

void trace_seg(struct utcp_stack *s, enum utcp_trace_type type, struct usock *u,
	       const struct tcp_hdr *h, uint32_t src, uint32_t dst, uint32_t len,
	       bool retransmit, uint8_t ecn)
{
	struct utcp_trace_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	fill_conn(s, u, &ev);
	struct utcp_trace_seg *g = &ev.u.seg;
	g->saddr = src;
	g->daddr = dst;
	g->sport = h->sport;
	g->dport = h->dport;
	g->seq = h->seq;
	g->ack = h->ack;
	g->flags = h->flags;
	g->wnd = h->wnd;
	g->urp = h->urp;
	g->len = len;
	g->opts = h->opts;
	g->retransmit = retransmit;
	g->ecn = ecn;
	/* The window as its reader scales it (never in a SYN, RFC 7323 2.2). */
	uint8_t shift = 0;
	if (u && !(h->flags & UTCP_TH_SYN))
		shift = type == UTCP_TR_SEG_IN ? u->tcp.snd_wscale : u->tcp.rcv_wscale;
	g->wnd_bytes = (uint32_t)h->wnd << shift;
	s->cfg.trace(s->cfg.trace_ctx, &ev);
}

void trace_drop(struct utcp_stack *s, const char *reason, struct usock *u)
{
	struct utcp_trace_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = UTCP_TR_DROP;
	fill_conn(s, u, &ev);
	ev.u.drop.reason = reason;
	s->cfg.trace(s->cfg.trace_ctx, &ev);
}

static void q_unlink_syn(struct listen_queues *q, struct usock *c)
{
	if (c->q_prev)
		c->q_prev->q_next = c->q_next;
	else
		q->syn_head = c->q_next;
	if (c->q_next)
		c->q_next->q_prev = c->q_prev;
	c->q_next = c->q_prev = NULL;
	q->syn_count--;
}

static void q_unlink_accept(struct listen_queues *q, struct usock *c)
{
	if (c->q_prev)
		c->q_prev->q_next = c->q_next;
	else
		q->acc_head = c->q_next;
	if (c->q_next)
		c->q_next->q_prev = c->q_prev;
	else
		q->acc_tail = c->q_prev;
	c->q_next = c->q_prev = NULL;
	c->in_accept_queue = false;
	q->acc_count--;
}

/* Remove a child from its listener's queues (it is accepted or gone). */
void child_detach(struct usock *c)
{
	struct usock *l = c->listener;
	if (!l)
		return;
	if (c->in_accept_queue)
		q_unlink_accept(l->lq, c);
	else
		q_unlink_syn(l->lq, c);
	c->listener = NULL;
}

/* A child of a listener changed state: keep the queues right. */
static void child_state(struct usock *c, enum utcp_tcp_state from, enum utcp_tcp_state to)
{
	struct usock *l = c->listener;
	struct listen_queues *q = l->lq;
	if (from == UTCP_SYN_RCVD && to >= UTCP_ESTABLISHED && !c->in_accept_queue) {
		q_unlink_syn(q, c);
		c->q_next = NULL;
		c->q_prev = q->acc_tail;
		if (q->acc_tail)
			q->acc_tail->q_next = c;
		else
			q->acc_head = c;
		q->acc_tail = c;
		q->acc_count++;
		c->in_accept_queue = true;
		usock_queue_event(l);
	} else if (to == UTCP_CLOSED || to == UTCP_LISTEN) {
		child_detach(c);
		c->listener = NULL;
		usock_queue_free(c);
	}
}

static void hook_state(struct tcp_conn *c, enum utcp_tcp_state from,
		       enum utcp_tcp_state to)
{
	struct usock *u = usock_of(c);
	struct utcp_stack *s = u->stack;
	if (s->cfg.trace) {
		struct utcp_trace_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.type = UTCP_TR_STATE;
		fill_conn(s, u, &ev);
		ev.u.state.from = from;
		ev.u.state.to = to;
		s->cfg.trace(s->cfg.trace_ctx, &ev);
	}
	if (u->listener)
		child_state(u, from, to);
	usock_queue_event(u);
}

static void hook_wake(struct tcp_conn *c, unsigned events)
{
	(void)events;
	usock_queue_event(usock_of(c));
}

static void hook_trace(struct tcp_conn *c, struct utcp_trace_event *ev)
{
	struct usock *u = usock_of(c);
	struct utcp_stack *s = u->stack;
	if (!s->cfg.trace)
		return;
	fill_conn(s, u, ev);
	s->cfg.trace(s->cfg.trace_ctx, ev);
}

/* RFC 9293 3.8.3: R1 retransmissions, the path may be broken: counted,
 * and the link re-checks the next hop (ARP) before trusting it again. */
static void hook_negative_advice(struct tcp_conn *c)
{
	struct usock *u = usock_of(c);
	STAT(u->stack, tcp_negative_advice);
	link_negative_advice(u->stack, u->has_route ? u->route_hop : c->raddr);
}

const struct tcp_host_ops stack_tcp_ops = {
	.state_changed = hook_state,
	.wake = hook_wake,
	.trace = hook_trace,
	.negative_advice = hook_negative_advice,
};
