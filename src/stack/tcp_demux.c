/*
 * From a TCP segment to the connection it belongs to: parse and verify
 * (MUST-3: bad checksums are dropped), find the connection by four-tuple,
 * else a listener (RFC 9293 3.10.7.2), else answer as CLOSED does
 * (3.10.7.1). A SYN for a four-tuple in TIME_WAIT may open a new
 * connection when its sequence number is beyond the old one (MAY-2,
 * RFC 1122 4.2.2.13).
 */
#include "stack/stack_internal.h"

#include "tcp/isn.h"
#include "tcp/seq.h"
#include "wire/tcp.h"

static void tcp_drop(struct utcp_stack *s, uint64_t *counter, const char *reason)
{
	(*counter)++;
	if (s->cfg.trace)
		trace_drop(s, reason, NULL);
}

#define TCP_DROP(s, name) tcp_drop((s), &(s)->stats.name, #name)

/* Send a reply that belongs to no connection (a RST). */
static void send_reply(struct utcp_stack *s, const struct tcp_tx *tx)
{
	if (tx->h.flags & UTCP_TH_RST)
		STAT(s, tcp_rst_out);
	ip_send_tcp(s, tx, NULL);
}

static bool parse_segment(struct utcp_stack *s, const uint8_t *p, size_t len,
			  uint32_t src, uint32_t dst, struct tcp_hdr *h)
{
	switch (tcp_parse(p, len, h)) {
	case TCP_OK:
		break;
	case TCP_ERR_SHORT:
		TCP_DROP(s, tcp_drop_short);
		return false;
	case TCP_ERR_DATA_OFFSET:
		TCP_DROP(s, tcp_drop_data_offset);
		return false;
	case TCP_ERR_OPTIONS:
		TCP_DROP(s, tcp_drop_options);
		return false;
	default:
		TCP_DROP(s, tcp_drop_flags);
		return false;
	}
	if (!tcp_checksum_ok(p, len, src, dst)) {
		TCP_DROP(s, tcp_drop_checksum);
		return false;
	}
	if (h->sport == 0 || h->dport == 0) {
		TCP_DROP(s, tcp_drop_port_zero);
		return false;
	}
	return true;
}

/* A new child for a SYN that reached listener l (by source route srr,
 * or NULL). */
static void listen_syn(struct usock *l, const struct tcp_seg *seg,
		       const struct ipv4_srr *srr)
{
	struct utcp_stack *s = l->stack;
	struct listen_queues *q = l->lq;
	if (q->syn_count >= q->syn_max) {
		TCP_DROP(s, tcp_drop_syn_queue_full);
		return;
	}
	struct usock *c = usock_new(s);
	if (!c)
		return; /* out of memory: as if lost; the peer retries */
	c->kind = USOCK_CONN;
	c->tcp.p = l->tcp.p;
	c->tcp.cc_ops = l->tcp.p.cc;
	c->reuseaddr = l->reuseaddr;
	c->reuseport = l->reuseport;
	c->linger = l->linger;
	c->tcp.laddr = seg->dst;
	c->tcp.raddr = seg->src;
	c->tcp.rport = seg->h->sport;
	/* MUST-53: answer by the reverse of the route the SYN came by; its
	 * option takes room from every segment. */
	if (srr)
		(void)route_take_received(c, srr, seg->src);
	const struct iface *ifc = route_lookup(s, c->has_route ? c->route_hop : seg->src);
	c->tcp.route_mss = route_mss(c, ifc);
	if (port_attach(c, seg->h->dport, false) != 0 || conn_table_insert(s, c) != 0) {
		usock_queue_free(c);
		return;
	}
	c->listener = l;
	c->q_next = q->syn_head;
	if (q->syn_head)
		q->syn_head->q_prev = c;
	q->syn_head = c;
	q->syn_count++;
	/* The child is born as a copy of the listener, in LISTEN, so that
	 * its trace reads LISTEN -> SYN_RCVD as the diagram does. */
	c->tcp.state = UTCP_LISTEN;
	uint32_t iss = l->tcp.has_pinned_isn
			       ? l->tcp.pinned_isn
			       : tcp_isn(s->cfg.secret, seg->dst, seg->h->dport, seg->src,
					 seg->h->sport, s->now);
	c->tcp.has_pinned_isn = l->tcp.has_pinned_isn;
	c->tcp.pinned_isn = l->tcp.pinned_isn;
	c->tcp.ts_offset = tcp_ts_offset(s->cfg.secret, seg->dst, seg->h->dport, seg->src,
					 seg->h->sport);
	tcp_open_passive(&c->tcp, seg, iss, s->now);
	conn_sync(c);
}

/* RFC 9293 3.10.7.2: a segment for a listener. */
static void listen_input(struct usock *l, const struct tcp_seg *seg,
			 const struct ipv4_srr *srr)
{
	struct utcp_stack *s = l->stack;
	uint8_t f = seg->h->flags;
	struct tcp_tx tx;
	if (f & UTCP_TH_RST) {
		TCP_DROP(s, tcp_drop_listen_bad);
		return;
	}
	if (f & UTCP_TH_ACK) {
		TCP_DROP(s, tcp_drop_listen_bad);
		if (tcp_reply_no_conn(seg, &tx, s->cfg.ttl))
			send_reply(s, &tx);
		return;
	}
	if (f & UTCP_TH_SYN) {
		listen_syn(l, seg, srr);
		return;
	}
	TCP_DROP(s, tcp_drop_listen_bad);
}

/* A SYN may reopen a four-tuple in TIME_WAIT for listener l (RFC 1122
 * 4.2.2.13, RFC 6191 section 2). Whether the new incarnation would use
 * timestamps (the SYN has them and l offers them) and whether the old one
 * did decide: both, a newer timestamp; the old one only, or the new one
 * only, yes (old duplicates are told apart by the option's presence);
 * neither, a sequence number beyond what the old connection received. */
static bool time_wait_reopen(const struct usock *u, const struct usock *l,
			     const struct tcp_hdr *h)
{
	const struct tcp_conn *c = &u->tcp;
	if (c->state != UTCP_TIME_WAIT ||
	    (h->flags & (UTCP_TH_SYN | UTCP_TH_ACK | UTCP_TH_RST)) != UTCP_TH_SYN)
		return false;
	bool new_ts = h->opts.has_ts && l->tcp.p.timestamps;
	if (c->ts_ok && new_ts)
		return (int32_t)(h->opts.ts_val - c->ts_recent) > 0;
	if (c->ts_ok || new_ts)
		return true;
	return seq_gt(h->seq, c->rcv_nxt);
}

void tcp_demux(struct utcp_stack *s, const uint8_t *p, size_t len, uint32_t src,
	       uint32_t dst, uint8_t ecn, const struct ipv4_srr *srr)
{
	STAT(s, tcp_in);
	struct tcp_hdr h;
	if (!parse_segment(s, p, len, src, dst, &h))
		return;
	struct tcp_seg seg = {.h = &h, .data = p + h.hdr_len,
			      .len = (uint32_t)(len - h.hdr_len), .src = src, .dst = dst,
			      .ecn = ecn};
	struct usock *u = conn_table_lookup(s, dst, h.dport, src, h.sport);
	struct usock *tw_l = u && u->tcp.state == UTCP_TIME_WAIT
				     ? listener_lookup(s, dst, h.dport, src, h.sport)
				     : NULL;
	if (tw_l && time_wait_reopen(u, tw_l, &h)) {
		STAT(s, tcp_time_wait_reopen);
		tcp_close_with(&u->tcp, 0);
		conn_sync(u);
		u = NULL;
	}
	if (s->cfg.trace)
		trace_seg(s, UTCP_TR_SEG_IN, u, &h, src, dst, seg.len, false, ecn);
	if (u) {
		if (u->tcp.state == UTCP_SYN_RCVD && u->listener && (h.flags & UTCP_TH_ACK) &&
		    !(h.flags & UTCP_TH_RST) &&
		    u->listener->lq->acc_count >= u->listener->lq->backlog) {
			/* Accept queue full: ignore the ACK; our SYN,ACK will be
			 * retransmitted and the peer's ACK with it (as Linux). */
			TCP_DROP(s, tcp_drop_accept_queue_full);
			return;
		}
		if (srr)
			(void)route_take_received(u, srr, src); /* SHLD-24 */
		tcp_input(&u->tcp, &seg, s->now);
		conn_sync(u);
		return;
	}
	struct usock *l = listener_lookup(s, dst, h.dport, src, h.sport);
	if (l) {
		listen_input(l, &seg, srr);
		return;
	}
	struct tcp_tx tx;
	if (tcp_reply_no_conn(&seg, &tx, s->cfg.ttl)) {
		TCP_DROP(s, tcp_drop_no_conn);
		send_reply(s, &tx);
	} else {
		TCP_DROP(s, tcp_drop_no_conn_rst);
	}
}
