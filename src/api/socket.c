/*
 * The socket calls: descriptors onto socket objects, with the errno values
 * and the semantics of Linux where RFC 9293 leaves room (LESSONS L5-L7:
 * reference-counted descriptors, shutdown acting on the connection,
 * SO_REUSEADDR/SO_REUSEPORT, ephemeral ports). Every call acts at the
 * stack's current time and ends with the stack's deferred work.
 */
#include "api/api_internal.h"

#include "tcp/isn.h"
#include "wire/ipv4.h"

#include <errno.h>
#include <string.h>

/* --- descriptors --- */

static int fd_alloc(struct utcp_stack *s, struct usock *u)
{
	uint32_t fd;
	if (s->fd_free_n > 0) {
		fd = s->fd_free[--s->fd_free_n];
	} else {
		if (s->fd_next == s->fd_cap) {
			uint32_t n = s->fd_cap ? s->fd_cap * 2 : 64;
			if (n > (uint32_t)INT32_MAX / 2)
				return -EMFILE;
			struct usock **f = ualloc_realloc(&s->alloc, s->fds,
							  s->fd_cap * sizeof(*f), n * sizeof(*f));
			if (!f)
				return -ENOMEM;
			s->fds = f;
			uint32_t *fr = ualloc_realloc(&s->alloc, s->fd_free,
						      s->fd_cap * sizeof(*fr), n * sizeof(*fr));
			if (!fr)
				return -ENOMEM; /* fds grew; harmless */
			s->fd_free = fr;
			s->fd_cap = n;
		}
		fd = s->fd_next++;
	}
	s->fds[fd] = u;
	u->refs++;
	if (u->fd < 0)
		u->fd = (int)fd;
	return (int)fd;
}

struct usock *fd_get(struct utcp_stack *s, int fd)
{
	if (fd < 0 || (uint32_t)fd >= s->fd_next)
		return NULL;
	return s->fds[fd];
}

/* Forget descriptor fd; u->fd moves to another descriptor of u if any. */
static void fd_release(struct utcp_stack *s, int fd, struct usock *u)
{
	s->fds[fd] = NULL;
	s->fd_free[s->fd_free_n++] = (uint32_t)fd;
	u->refs--;
	if (u->fd != fd)
		return;
	u->fd = -1;
	for (uint32_t i = 0; i < s->fd_next && u->refs > 0; i++)
		if (s->fds[i] == u) {
			u->fd = (int)i;
			break;
		}
}

int utcp_socket(struct utcp_stack *s)
{
	stack_enter(s);
	struct usock *u = usock_new(s);
	int r = -ENOMEM;
	if (u) {
		r = fd_alloc(s, u);
		if (r < 0)
			usock_queue_free(u);
	}
	stack_leave(s);
	return r;
}

int utcp_dup(struct utcp_stack *s, int fd)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	return fd_alloc(s, u);
}

/* --- bind, listen, connect, accept --- */

static int do_bind(struct utcp_stack *s, struct usock *u, const struct utcp_sockaddr *a)
{
	if (u->kind != USOCK_NEW || u->bucket)
		return -EINVAL;
	if (a->addr != 0 && !addr_is_ours(s, a->addr))
		return -EADDRNOTAVAIL;
	uint16_t port = a->port;
	if (port == 0) {
		port = port_pick_for_bind(s, u, a->addr);
		if (port == 0)
			return -EADDRINUSE;
	} else if (port_conflict(s, u, a->addr, port, false)) {
		return -EADDRINUSE;
	}
	u->tcp.laddr = a->addr;
	return port_attach(u, port, true);
}

int utcp_bind(struct utcp_stack *s, int fd, const struct utcp_sockaddr *addr)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	if (!addr)
		return -EINVAL;
	stack_enter(s);
	int r = do_bind(s, u, addr);
	stack_leave(s);
	return r;
}

static int do_listen(struct utcp_stack *s, struct usock *u, int backlog)
{
	if (u->kind == USOCK_LISTENER) {
		u->lq->backlog = backlog > 0 ? (uint32_t)backlog : 1;
		return 0;
	}
	if (u->kind != USOCK_NEW)
		return -EINVAL;
	if (!u->bucket) {
		struct utcp_sockaddr any = {0, 0};
		int r = do_bind(s, u, &any);
		if (r)
			return r;
	}
	/* listen() checks again, as if listening (Linux inet_csk_listen_start). */
	if (port_conflict(s, u, u->tcp.laddr, u->tcp.lport, true))
		return -EADDRINUSE;
	u->lq = ualloc_zalloc(&s->alloc, sizeof(*u->lq));
	if (!u->lq)
		return -ENOMEM;
	uint32_t b = backlog > 0 ? (uint32_t)backlog : 1;
	if (b > 65535)
		b = 65535;
	u->lq->backlog = b;
	u->lq->syn_max = 2 * b < s->cfg.syn_backlog_max ? 2 * b : s->cfg.syn_backlog_max;
	if (u->lq->syn_max == 0)
		u->lq->syn_max = 1;
	if (listener_insert(s, u) != 0) {
		ualloc_free(&s->alloc, u->lq, sizeof(*u->lq));
		u->lq = NULL;
		return -ENOMEM;
	}
	u->kind = USOCK_LISTENER;
	tcp_set_state(&u->tcp, UTCP_LISTEN);
	return 0;
}

int utcp_listen(struct utcp_stack *s, int fd, int backlog)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	stack_enter(s);
	int r = do_listen(s, u, backlog);
	stack_leave(s);
	return r;
}

/* MUST-46: refuse a remote address that is not a unicast host: the
 * fixed classes, and the directed broadcast of a subnet we are on. */
static bool bad_remote(const struct utcp_stack *s, uint32_t a)
{
	return a == 0 || ipv4_addr_is_multicast_or_broadcast(a) ||
	       ipv4_addr_is_martian_src(a) || addr_is_subnet_broadcast(s, a);
}

static int do_connect(struct utcp_stack *s, struct usock *u, const struct utcp_sockaddr *a)
{
	if (u->kind == USOCK_LISTENER)
		return -EISCONN;
	if (u->kind == USOCK_CONN) {
		if (u->tcp.state == UTCP_SYN_SENT)
			return -EALREADY;
		if (u->tcp.state != UTCP_CLOSED)
			return -EISCONN;
		return -EISCONN; /* a finished connection is not reused */
	}
	if (bad_remote(s, a->addr) || a->port == 0)
		return -EINVAL;
	route_take_app(u, a->addr);
	const struct iface *ifc = route_lookup(s, u->has_route ? u->route_hop : a->addr);
	if (!ifc)
		return -ENETUNREACH;
	uint32_t laddr = u->tcp.laddr ? u->tcp.laddr : ifc->addr; /* MUST-44 */
	if (u->bucket) {
		/* The four-tuple must be free; a TIME_WAIT gives way only
		 * with tw_reuse, as for an ephemeral port (LESSONS L6). */
		if (!tuple_take(s, laddr, u->tcp.lport, a->addr, a->port))
			return -EADDRNOTAVAIL;
	} else {
		uint16_t port = port_pick_for_connect(s, laddr, a->addr, a->port);
		if (port == 0)
			return -EADDRNOTAVAIL; /* LESSONS L6: ports run out */
		int r = port_attach(u, port, false);
		if (r)
			return r;
	}
	u->tcp.laddr = laddr; /* MUST-45: used from now on */
	u->tcp.raddr = a->addr;
	u->tcp.rport = a->port;
	u->tcp.route_mss = route_mss(u, ifc);
	int r = conn_table_insert(s, u);
	if (r)
		return r;
	u->kind = USOCK_CONN;
	uint32_t iss = u->tcp.has_pinned_isn
			       ? u->tcp.pinned_isn
			       : tcp_isn(s->cfg.secret, laddr, u->tcp.lport, a->addr, a->port, s->now);
	u->tcp.ts_offset = tcp_ts_offset(s->cfg.secret, laddr, u->tcp.lport, a->addr, a->port);
	tcp_open_active(&u->tcp, iss, s->now);
	conn_sync(u);
	return -EINPROGRESS;
}

int utcp_connect(struct utcp_stack *s, int fd, const struct utcp_sockaddr *addr)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	if (!addr)
		return -EINVAL;
	stack_enter(s);
	int r = do_connect(s, u, addr);
	stack_leave(s);
	return r;
}

int utcp_accept(struct utcp_stack *s, int fd, struct utcp_sockaddr *peer)
{
	struct usock *l = fd_get(s, fd);
	if (!l)
		return -EBADF;
	if (l->kind != USOCK_LISTENER)
		return -EINVAL;
	struct usock *c = l->lq->acc_head;
	if (!c)
		return -EAGAIN;
	stack_enter(s);
	int r = fd_alloc(s, c);
	if (r >= 0) {
		child_detach(c);
		if (peer) {
			peer->addr = c->tcp.raddr;
			peer->port = c->tcp.rport;
		}
		usock_queue_event(c); /* the new descriptor may already be readable */
	}
	stack_leave(s);
	return r;
}

/* --- data --- */

ssize_t utcp_send(struct utcp_stack *s, int fd, const void *buf, size_t len, int flags)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	if (u->kind != USOCK_CONN)
		return -ENOTCONN;
	stack_enter(s);
	long r = tcp_user_send(&u->tcp, buf, len, flags, s->now);
	conn_sync(u);
	stack_leave(s);
	return r;
}

ssize_t utcp_recv(struct utcp_stack *s, int fd, void *buf, size_t len, int flags)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	if (u->kind != USOCK_CONN)
		return -ENOTCONN;
	stack_enter(s);
	long r = tcp_user_recv(&u->tcp, buf, len, flags, s->now);
	conn_sync(u);
	stack_leave(s);
	return r;
}

int utcp_shutdown(struct utcp_stack *s, int fd, int how)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	if (how < UTCP_SHUT_RD || how > UTCP_SHUT_RDWR)
		return -EINVAL;
	if (u->kind != USOCK_CONN)
		return -ENOTCONN;
	stack_enter(s);
	int r = 0;
	if (how != UTCP_SHUT_WR)
		tcp_user_shutdown_rd(&u->tcp, s->now);
	if (how != UTCP_SHUT_RD)
		r = tcp_user_shutdown_wr(&u->tcp, s->now);
	conn_sync(u);
	stack_leave(s);
	return r;
}

/* Closing a listener resets what waits in its queues (as Linux does). */
static void close_listener(struct utcp_stack *s, struct usock *l)
{
	struct listen_queues *q = l->lq;
	while (q->acc_head) {
		struct usock *c = q->acc_head;
		child_detach(c);
		tcp_user_abort(&c->tcp, s->now);
		conn_sync(c);
		usock_queue_free(c);
	}
	while (q->syn_head) {
		struct usock *c = q->syn_head;
		child_detach(c);
		tcp_close_with(&c->tcp, 0);
		conn_sync(c);
		usock_queue_free(c);
	}
	tcp_set_state(&l->tcp, UTCP_CLOSED);
	usock_queue_free(l);
}

static void last_close(struct utcp_stack *s, struct usock *u)
{
	switch (u->kind) {
	case USOCK_LISTENER:
		close_listener(s, u);
		return;
	case USOCK_NEW:
		usock_queue_free(u);
		return;
	case USOCK_CONN:
		break;
	}
	if (u->linger.l_onoff && u->linger.l_linger == 0)
		tcp_user_abort(&u->tcp, s->now); /* SO_LINGER 0: RST now */
	else
		tcp_user_close(&u->tcp, s->now);
	conn_sync(u);
	if (u->tcp.state == UTCP_CLOSED)
		usock_queue_free(u);
}

int utcp_close(struct utcp_stack *s, int fd)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	stack_enter(s);
	fd_release(s, fd, u);
	if (u->refs == 0)
		last_close(s, u);
	stack_leave(s);
	return 0;
}

/* --- names and state --- */

int utcp_getsockname(struct utcp_stack *s, int fd, struct utcp_sockaddr *out)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	out->addr = u->tcp.laddr;
	out->port = u->tcp.lport;
	return 0;
}

int utcp_getpeername(struct utcp_stack *s, int fd, struct utcp_sockaddr *out)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	if (u->kind != USOCK_CONN || !tcp_state_synchronized(u->tcp.state))
		return -ENOTCONN;
	out->addr = u->tcp.raddr;
	out->port = u->tcp.rport;
	return 0;
}

int utcp_poll_events(struct utcp_stack *s, int fd)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	switch (u->kind) {
	case USOCK_LISTENER:
		return u->lq->acc_count ? UTCP_POLLIN : 0;
	case USOCK_NEW:
		return UTCP_POLLOUT | UTCP_POLLHUP; /* as Linux: not connected */
	default:
		return (int)tcp_poll_events(&u->tcp);
	}
}

int utcp_sockatmark(struct utcp_stack *s, int fd)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	return tcp_at_mark(&u->tcp);
}

static void summarize(struct utcp_stack *s, struct usock *u, struct utcp_conn_summary *c)
{
	(void)s;
	memset(c, 0, sizeof(*c));
	c->fd = u->fd;
	c->state = u->tcp.state;
	c->local.addr = u->tcp.laddr;
	c->local.port = u->tcp.lport;
	c->remote.addr = u->tcp.raddr;
	c->remote.port = u->tcp.rport;
	tcp_get_info(&u->tcp, &c->info);
	if (u->kind == USOCK_LISTENER) {
		/* As ss: a listener's Recv-Q is its accept queue, Send-Q the backlog. */
		c->recv_q = u->lq->acc_count;
		c->send_q = u->lq->backlog;
	} else {
		c->recv_q = tcp_recv_queue(&u->tcp);
		c->send_q = tcp_send_queue(&u->tcp);
	}
}

void utcp_conn_foreach(struct utcp_stack *s,
		       void (*fn)(void *ctx, const struct utcp_conn_summary *c), void *ctx)
{
	for (struct usock *u = s->all_head; u; u = u->all_next) {
		if (u->kind == USOCK_NEW || u->free_queued)
			continue;
		if (u->tcp.state == UTCP_CLOSED && u->kind != USOCK_LISTENER)
			continue;
		struct utcp_conn_summary c;
		summarize(s, u, &c);
		fn(ctx, &c);
	}
}

static void count_one(void *ctx, const struct utcp_conn_summary *c)
{
	uint32_t *counts = ctx;
	counts[c->state]++;
}

void utcp_count_by_state(struct utcp_stack *s, uint32_t counts[UTCP_NUM_STATES])
{
	memset(counts, 0, UTCP_NUM_STATES * sizeof(counts[0]));
	utcp_conn_foreach(s, count_one, counts);
}
