/*
 * A stack instance: creation, interfaces, the entry points that let time
 * pass (input, poll), and the deferred work every entry point ends with
 * (readiness events, freeing finished connections).
 *
 * Timers: one heap entry per connection, keyed by the connection's
 * earliest deadline. When a deadline moves later the entry is left where
 * it is (lazily) and simply finds nothing due when it comes up; when it
 * moves earlier the entry moves up. Either way O(log n), and nothing ever
 * scans all connections.
 */
#include "stack/stack_internal.h"

#include "tcp/cc.h"
#include "util/siphash.h"
#include "wire/ipv4.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

void utcp_stack_config_default(struct utcp_stack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->msl = UTCP_SEC(30);
	cfg->rto_initial = UTCP_SEC(1);
	cfg->rto_min = UTCP_MS(200);
	cfg->rto_max = UTCP_SEC(120);
	cfg->delack = UTCP_MS(40);
	cfg->fin_wait_2_timeout = UTCP_SEC(60);
	cfg->retries_r1 = 3;
	cfg->retries_r2 = 15;
	cfg->syn_retries = 7; /* MUST-23: >= 3 minutes (247 s); Linux's 6 is 127 s */
	cfg->sndbuf = 4u << 20;
	cfg->rcvbuf = 4u << 20;
	cfg->initial_window = 10;
	cfg->port_lo = 32768;
	cfg->port_hi = 60999;
	cfg->syn_backlog_max = 1024;
	cfg->ttl = 64;
	cfg->cc = "reno";
	cfg->sack = true;
	cfg->timestamps = true;
	cfg->ecn = UTCP_ECN_ACCEPT; /* as Linux's default net.ipv4.tcp_ecn = 2 */
	cfg->challenge_ack_limit = 1000;
}

bool utcp_cc_known(const char *name)
{
	return tcp_cc_find(name) != NULL;
}

static int config_check(const struct utcp_stack_config *cfg)
{
	if (!tcp_cc_find(cfg->cc ? cfg->cc : "reno"))
		return -EINVAL;
	if (cfg->port_lo == 0 || cfg->port_lo > cfg->port_hi)
		return -EINVAL;
	if (cfg->rto_min == 0 || cfg->rto_min > cfg->rto_max || cfg->rto_initial == 0)
		return -EINVAL;
	/* MUST-40: an ACK is never delayed by 500 ms or more. */
	if (cfg->delack >= UTCP_MS(500))
		return -EINVAL;
	if (cfg->sndbuf < 1 || cfg->rcvbuf < 1 || cfg->ttl == 0)
		return -EINVAL;
	if (cfg->ecn > UTCP_ECN_ACCEPT)
		return -EINVAL;
	return 0;
}

void stack_default_params(const struct utcp_stack *s, struct tcp_params *p)
{
	const struct utcp_stack_config *c = &s->cfg;
	memset(p, 0, sizeof(*p));
	p->msl = c->msl;
	p->rto_initial = c->rto_initial;
	p->rto_min = c->rto_min;
	p->rto_max = c->rto_max;
	p->delack = c->delack;
	p->fin_wait_2_timeout = c->fin_wait_2_timeout;
	/* MUST-28: keep-alive interval at least two hours by default. */
	p->keep_idle = UTCP_SEC(7200);
	p->keep_intvl = UTCP_SEC(75);
	p->keep_cnt = 9;
	p->retries_r1 = c->retries_r1;
	p->retries_r2 = c->retries_r2;
	p->syn_retries = c->syn_retries;
	p->initial_window = c->initial_window;
	p->sndbuf = c->sndbuf;
	p->rcvbuf = c->rcvbuf;
	p->ttl = c->ttl;
	p->report_soft_errors = true;
	p->sack = c->sack;
	p->timestamps = c->timestamps;
	p->ecn = c->ecn;
	p->cc = tcp_cc_find(c->cc ? c->cc : "reno");
}

int utcp_stack_new(const struct utcp_stack_config *cfg, struct utcp_stack **out)
{
	int err = config_check(cfg);
	if (err)
		return err;
	struct ualloc a;
	ualloc_init(&a, &cfg->allocator);
	struct utcp_stack *s = ualloc_zalloc(&a, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->alloc = a;
	s->cfg = *cfg;
	s->cfg.cc = NULL; /* the caller's string may not outlive us */
	s->defaults.cc = NULL;
	s->host.ops = &stack_tcp_ops;
	s->host.stats = &s->stats;
	s->host.alloc = &s->alloc;
	s->host.tracing = cfg->trace != NULL;
	s->host.challenge_ack_limit = cfg->challenge_ack_limit;
	heap_init(&s->timers);
	s->next_id = 1;
	uint8_t tag[4] = {'h', 'a', 's', 'h'};
	s->hash_seed[0] = siphash24(cfg->secret, tag, sizeof(tag));
	s->hash_seed[1] = siphash24(cfg->secret, &s->hash_seed[0], sizeof(s->hash_seed[0]));
	s->cfg.cc = tcp_cc_find(cfg->cc ? cfg->cc : "reno")->name;
	*out = s;
	return 0;
}

static void usock_destroy(struct usock *u);

void utcp_stack_free(struct utcp_stack *s)
{
	if (!s)
		return;
	while (s->all_head)
		usock_destroy(s->all_head);
	struct ualloc *a = &s->alloc;
	ualloc_free(a, s->conn_tab, s->conn_tab_size * sizeof(*s->conn_tab));
	ualloc_free(a, s->lis_tab, s->lis_tab_size * sizeof(*s->lis_tab));
	ualloc_free(a, s->port_tab, s->port_tab_size * sizeof(*s->port_tab));
	ualloc_free(a, s->fds, s->fd_cap * sizeof(*s->fds));
	ualloc_free(a, s->fd_free, s->fd_cap * sizeof(*s->fd_free));
	heap_free(&s->timers, a);
	for (int i = 0; i < s->n_ifaces; i++)
		arp_detach(s, &s->ifaces[i]);
	frag_free(s);
	struct ualloc copy = *a;
	ualloc_free(&copy, s, sizeof(*s));
}

int utcp_iface_add(struct utcp_stack *s, const struct utcp_iface_config *cfg)
{
	if (s->n_ifaces >= STACK_MAX_IFACES || !cfg->ops || !cfg->ops->output ||
	    cfg->prefix_len > 32 || cfg->mtu < 68 || cfg->addr == 0)
		return -EINVAL;
	if (cfg->kind != UTCP_IFACE_IP && cfg->kind != UTCP_IFACE_ETHERNET)
		return -EINVAL;
	/* Our station address must be a unicast one (RFC 826 would learn
	 * nothing useful from a group address). */
	if (cfg->kind == UTCP_IFACE_ETHERNET && ((cfg->mac[0] & 1) ||
	    !(cfg->mac[0] | cfg->mac[1] | cfg->mac[2] | cfg->mac[3] | cfg->mac[4] | cfg->mac[5])))
		return -EINVAL;
	struct iface *i = &s->ifaces[s->n_ifaces];
	memset(i, 0, sizeof(*i));
	if (cfg->name)
		strncpy(i->name, cfg->name, sizeof(i->name) - 1);
	i->addr = cfg->addr;
	i->mask = cfg->prefix_len ? ~0u << (32 - cfg->prefix_len) : 0;
	i->mtu = cfg->mtu;
	i->ops = cfg->ops;
	i->link_ctx = cfg->link_ctx;
	i->kind = cfg->kind;
	i->gateway = cfg->gateway;
	memcpy(i->mac, cfg->mac, sizeof(i->mac));
	int idx = s->n_ifaces++;
	if (i->kind == UTCP_IFACE_ETHERNET) {
		stack_enter(s);
		int err = arp_attach(s, i);
		stack_leave(s);
		if (err) {
			s->n_ifaces--;
			return err;
		}
	}
	return idx;
}

utcp_time_us utcp_stack_now(const struct utcp_stack *s)
{
	return s->now;
}

size_t utcp_stack_mem_in_use(const struct utcp_stack *s)
{
	return s->alloc.in_use;
}

void utcp_stack_stats(const struct utcp_stack *s, struct utcp_stats *out)
{
	*out = s->stats;
}

void utcp_stats_foreach(const struct utcp_stats *st,
			void (*fn)(void *ctx, const char *name, const char *desc,
				   uint64_t value),
			void *ctx)
{
#define UTCP_STATS_VISIT(name, desc) fn(ctx, #name, desc, st->name);
	UTCP_STATS(UTCP_STATS_VISIT)
#undef UTCP_STATS_VISIT
}

static void advance_clock(struct utcp_stack *s, utcp_time_us now)
{
	if (now > s->now)
		s->now = now;
}

void utcp_stack_batch_begin(struct utcp_stack *s, utcp_time_us now)
{
	stack_enter(s);
	advance_clock(s, now);
}

void utcp_stack_batch_end(struct utcp_stack *s)
{
	stack_leave(s);
}

void utcp_stack_input(struct utcp_stack *s, int iface, const uint8_t *packet,
		      size_t len, utcp_time_us now)
{
	stack_enter(s);
	advance_clock(s, now);
	link_input(s, iface, packet, len);
	stack_leave(s);
}

/* Put the connection's heap entry at its earliest deadline, or earlier. */
static void conn_reschedule(struct usock *u)
{
	struct utcp_stack *s = u->stack;
	utcp_time_us at = tcp_next_deadline(&u->tcp);
	if (at == UTCP_TIME_NEVER)
		return; /* a queued entry finds nothing and is dropped */
	if (!heap_node_queued(&u->timer)) {
		int err = heap_insert(&s->timers, &s->alloc, &u->timer, at);
		assert(err == 0); /* room was reserved in usock_new */
		(void)err;
	} else if (at < u->timer.at) {
		heap_update(&s->timers, &u->timer, at);
	}
}

utcp_time_us utcp_stack_poll(struct utcp_stack *s, utcp_time_us now)
{
	stack_enter(s);
	advance_clock(s, now);
	struct heap_node *n;
	while ((n = heap_top(&s->timers)) && n->at <= s->now) {
		struct usock *u = (struct usock *)((char *)n - offsetof(struct usock, timer));
		heap_remove(&s->timers, n);
		tcp_timers_run(&u->tcp, s->now);
		conn_sync(u);
	}
	arp_poll(s);
	frag_poll(s);
	stack_leave(s);
	return utcp_stack_next_deadline(s);
}

utcp_time_us utcp_stack_next_deadline(const struct utcp_stack *s)
{
	const struct heap_node *n = heap_top(&s->timers);
	utcp_time_us at = n ? n->at : UTCP_TIME_NEVER;
	utcp_time_us arp = arp_next_deadline(s), frag = frag_next_deadline(s);
	if (arp < at)
		at = arp;
	return frag < at ? frag : at;
}

/* --- sockets --- */

struct usock *usock_new(struct utcp_stack *s)
{
	/* Every socket may need a timer slot: reserve it now, so that
	 * arming a timer can never fail later. */
	if (heap_reserve(&s->timers, &s->alloc, s->n_socks + 1) != 0)
		return NULL;
	struct usock *u = ualloc_zalloc(&s->alloc, sizeof(*u));
	if (!u)
		return NULL;
	s->n_socks++;
	struct tcp_params p;
	stack_default_params(s, &p);
	tcp_conn_init(&u->tcp, &s->host, &p, s->next_id++);
	u->stack = s;
	u->fd = -1;
	u->all_prev = s->all_tail;
	if (s->all_tail)
		s->all_tail->all_next = u;
	else
		s->all_head = u;
	s->all_tail = u;
	return u;
}

/* Unlink from every table and free. */
static void usock_destroy(struct usock *u)
{
	struct utcp_stack *s = u->stack;
	if (u->hashed)
		conn_table_remove(s, u);
	if (u->bucket)
		port_detach(u);
	if (u->kind == USOCK_LISTENER)
		listener_remove(s, u);
	if (heap_node_queued(&u->timer))
		heap_remove(&s->timers, &u->timer);
	if (u->lq)
		ualloc_free(&s->alloc, u->lq, sizeof(*u->lq));
	if (u->all_prev)
		u->all_prev->all_next = u->all_next;
	else
		s->all_head = u->all_next;
	if (u->all_next)
		u->all_next->all_prev = u->all_prev;
	else
		s->all_tail = u->all_prev;
	tcp_conn_release(&u->tcp);
	s->n_socks--;
	ualloc_free(&s->alloc, u, sizeof(*u));
}

void usock_queue_free(struct usock *u)
{
	if (u->free_queued)
		return;
	u->free_queued = true;
	u->free_next = u->stack->free_head;
	u->stack->free_head = u;
}

void usock_queue_event(struct usock *u)
{
	struct utcp_stack *s = u->stack;
	if (u->ev_queued || !s->cfg.on_event)
		return;
	u->ev_queued = true;
	u->ev_next = NULL;
	if (s->ev_tail)
		s->ev_tail->ev_next = u;
	else
		s->ev_head = u;
	s->ev_tail = u;
}

/* A connection nobody holds and that is finished can go. */
static bool finished(const struct usock *u)
{
	if (u->refs > 0 || u->in_accept_queue)
		return false;
	if (u->kind == USOCK_CONN && u->listener == NULL)
		return u->tcp.state == UTCP_CLOSED;
	/* A listener's child that fell back to LISTEN or closed. */
	return u->tcp.state == UTCP_CLOSED || u->tcp.state == UTCP_LISTEN;
}

void conn_sync(struct usock *u)
{
	struct utcp_stack *s = u->stack;
	/* Closed, or a listener's child fallen back to LISTEN: the four-tuple
	 * is free again now, for the next segment of the same batch too. */
	bool gone = u->tcp.state == UTCP_CLOSED ||
		    (u->kind == USOCK_CONN && u->tcp.state == UTCP_LISTEN);
	if (gone && u->hashed)
		conn_table_remove(s, u);
	if (gone && u->bucket && !u->bound)
		port_detach(u);
	if (u->out_queued)
		return;
	u->out_queued = true;
	u->out_next = NULL;
	if (s->out_tail)
		s->out_tail->out_next = u;
	else
		s->out_head = u;
	s->out_tail = u;
}

/* Send what the connection has to send, reschedule its timer, queue it
 * for freeing when finished. */
static void conn_flush(struct usock *u)
{
	struct utcp_stack *s = u->stack;
	struct tcp_tx tx;
	unsigned guard = 0;
	while (tcp_output_next(&u->tcp, s->now, &tx)) {
		ip_send_tcp(s, &tx, u);
		if (++guard > 1000000)
			break; /* a bug; never loop forever in a library */
	}
	if (u->kind == USOCK_CONN && finished(u))
		usock_queue_free(u);
	else
		conn_reschedule(u);
}

static void flush_output(struct utcp_stack *s)
{
	struct usock *u;
	while ((u = s->out_head) != NULL) {
		s->out_head = u->out_next;
		if (!s->out_head)
			s->out_tail = NULL;
		u->out_queued = false;
		conn_flush(u);
	}
}

void stack_enter(struct utcp_stack *s)
{
	s->depth++;
}

static unsigned usock_events(struct usock *u)
{
	if (u->kind == USOCK_LISTENER)
		return u->lq && u->lq->acc_count ? UTCP_POLLIN : 0;
	return tcp_poll_events(&u->tcp);
}

/* Deliver readiness events; callbacks may call back into the stack. */
static void dispatch_events(struct utcp_stack *s)
{
	struct usock *u;
	while ((u = s->ev_head) != NULL) {
		s->ev_head = u->ev_next;
		if (!s->ev_head)
			s->ev_tail = NULL;
		u->ev_queued = false;
		if (u->refs > 0 && u->fd >= 0)
			s->cfg.on_event(s->cfg.event_ctx, u->fd, usock_events(u));
	}
}

static void free_finished(struct utcp_stack *s)
{
	struct usock *u;
	while ((u = s->free_head) != NULL) {
		s->free_head = u->free_next;
		if (u->ev_queued) {
			/* unlink from the event list */
			struct usock **pp = &s->ev_head, *prev = NULL;
			while (*pp && *pp != u) {
				prev = *pp;
				pp = &(*pp)->ev_next;
			}
			if (*pp)
				*pp = u->ev_next;
			if (s->ev_tail == u)
				s->ev_tail = prev;
		}
		usock_destroy(u);
	}
}

void stack_leave(struct utcp_stack *s)
{
	if (s->depth > 1) {
		s->depth--;
		return;
	}
	/* Outermost: output, then events (the depth stays 1 so that calls
	 * made from callbacks do not recurse into this; what they queue is
	 * flushed by the next round), then frees. */
	do {
		flush_output(s);
		dispatch_events(s);
	} while (s->out_head);
	free_finished(s);
	s->depth--;
}
