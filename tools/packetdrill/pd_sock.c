/*
 * The socket calls of the packetdrill table on utcp's socket API, with
 * Linux's return values and errno. utcp's calls never block; a call on a
 * blocking descriptor (no O_NONBLOCK, no MSG_DONTWAIT) re-tries after each
 * change of the stack (pd_wait), as a kernel's call sleeps until woken.
 */
#define _GNU_SOURCE
#include "pd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define PD_IOV_MAX 1024 /* Linux's UIO_MAXIOV: more is EINVAL */

/* --- addresses --- */

static int addr_in(const struct sockaddr *sa, socklen_t len, struct utcp_sockaddr *out)
{
	if (!sa || len < (socklen_t)sizeof(struct sockaddr_in))
		return -EINVAL;
	const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
	if (in->sin_family != AF_INET)
		return -EAFNOSUPPORT; /* utcp speaks IPv4 only */
	out->addr = ntohl(in->sin_addr.s_addr);
	out->port = ntohs(in->sin_port);
	return 0;
}

/* The utcp socket behind fd, and the address sa gives it (bind, connect).
 * Returns 0, or -EBADF / -ENOTSOCK / -EINVAL / -EAFNOSUPPORT. */
static long sock_addr_in(struct pd *pd, int fd, const struct sockaddr *sa, socklen_t len,
			 int *ufd, struct utcp_sockaddr *a)
{
	long r = pd_sock(pd, fd, ufd);
	return r ? r : addr_in(sa, len, a);
}

/* Write a sockaddr_in, cut to *len as the kernel does; *len becomes the
 * full size. Either pointer may be NULL. */
static void addr_out(const struct utcp_sockaddr *a, struct sockaddr *sa, socklen_t *len)
{
	if (!sa || !len)
		return;
	struct sockaddr_in in;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(a->addr);
	in.sin_port = htons(a->port);
	size_t n = *len < sizeof(in) ? *len : sizeof(in);
	memcpy(sa, &in, n);
	*len = sizeof(in);
}

/* --- blocking --- */

/* One attempt of a call on utcp descriptor ufd; -EAGAIN: not yet. */
typedef long (*try_fn)(struct pd *pd, int ufd, void *arg);

/* Try until the call does not say -EAGAIN; wait in between unless the
 * descriptor or the call is non-blocking. The descriptor is looked up
 * again after every wait: another thread may have closed it. */
static long blocking(struct pd *pd, int fd, bool dontwait, try_fn fn, void *arg)
{
	utcp_time_us give_up = pd->now + PD_HORIZON_US;
	for (;;) {
		int ufd;
		long r = pd_sock(pd, fd, &ufd);
		if (r)
			return r;
		r = fn(pd, ufd, arg);
		if (r != -EAGAIN || dontwait || pd_fd_get(pd, fd)->nonblock)
			return r;
		if (pd->now >= give_up || pd_wait(pd, give_up) < 0)
			return -EAGAIN; /* would block forever */
	}
}

static enum utcp_tcp_state sock_state(struct pd *pd, int ufd)
{
	struct utcp_tcp_info info;
	size_t len = sizeof(info);
	if (utcp_getsockopt(pd->stack, ufd, UTCP_SOL_TCP, UTCP_TCP_INFO, &info, &len) != 0)
		return UTCP_CLOSED;
	return info.state;
}

static bool connecting(enum utcp_tcp_state st)
{
	return st == UTCP_SYN_SENT || st == UTCP_SYN_RCVD;
}

/* --- socket, bind, listen --- */

static int pd_socket(void *ud, int domain, int type, int protocol)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	long r;
	if (domain != AF_INET)
		r = -EAFNOSUPPORT;
	else if (base != SOCK_STREAM || (protocol != 0 && protocol != IPPROTO_TCP))
		r = -EPROTONOSUPPORT; /* TCP only */
	else if ((r = pd_fd_new(pd, PD_SOCKET)) >= 0) {
		int ufd = utcp_socket(pd->stack);
		if (ufd < 0) {
			pd_fd_release(pd, (int)r);
			r = ufd;
		} else {
			struct pd_file *f = pd_fd_get(pd, (int)r);
			f->ufd = ufd;
			f->nonblock = (type & SOCK_NONBLOCK) != 0;
			f->cloexec = (type & SOCK_CLOEXEC) != 0;
		}
	}
	return (int)pd_leave(pd, r);
}

static int pd_bind(void *ud, int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	struct utcp_sockaddr a;
	int ufd;
	long r = sock_addr_in(pd, fd, sa, len, &ufd, &a);
	if (r == 0)
		r = utcp_bind(pd->stack, ufd, &a);
	return (int)pd_leave(pd, r);
}

static int pd_listen(void *ud, int fd, int backlog)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int ufd;
	long r = pd_sock(pd, fd, &ufd);
	if (r == 0)
		r = utcp_listen(pd->stack, ufd, backlog);
	return (int)pd_leave(pd, r);
}

/* --- accept, connect --- */

struct accept_arg {
	struct utcp_sockaddr peer;
};

static long try_accept(struct pd *pd, int ufd, void *arg)
{
	struct accept_arg *a = arg;
	return utcp_accept(pd->stack, ufd, &a->peer);
}

static int pd_accept(void *ud, int fd, struct sockaddr *sa, socklen_t *len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	struct accept_arg a;
	long r = blocking(pd, fd, false, try_accept, &a);
	if (r >= 0) {
		int child = (int)r;
		r = pd_fd_new(pd, PD_SOCKET);
		if (r < 0) {
			utcp_close(pd->stack, child);
		} else {
			pd_fd_get(pd, (int)r)->ufd = child; /* blocking, as Linux */
			addr_out(&a.peer, sa, len);
		}
	}
	return (int)pd_leave(pd, r);
}

/* A connection under way: 0 once established, its error if it failed. */
static long try_connected(struct pd *pd, int ufd, void *arg)
{
	(void)arg;
	int ev = utcp_poll_events(pd->stack, ufd);
	if (ev < 0)
		return ev;
	if (ev & UTCP_POLLERR) {
		int e = 0;
		size_t n = sizeof(e);
		utcp_getsockopt(pd->stack, ufd, UTCP_SOL_SOCKET, UTCP_SO_ERROR, &e, &n);
		return e ? -e : -ECONNREFUSED;
	}
	enum utcp_tcp_state st = sock_state(pd, ufd);
	if (connecting(st))
		return -EAGAIN;
	return st == UTCP_CLOSED ? -ECONNABORTED : 0;
}

static int pd_connect(void *ud, int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	struct utcp_sockaddr a;
	int ufd;
	long r = sock_addr_in(pd, fd, sa, len, &ufd, &a);
	if (r == 0)
		r = utcp_connect(pd->stack, ufd, &a);
	/* A blocking connect waits for the handshake's outcome. */
	if (r == -EINPROGRESS && !pd_fd_get(pd, fd)->nonblock)
		r = blocking(pd, fd, false, try_connected, NULL);
	return (int)pd_leave(pd, r);
}

/* --- receiving --- */

struct recv_arg {
	uint8_t *buf;
	size_t len, got;
	int uflags;
	bool waitall;
};

static long try_recv(struct pd *pd, int ufd, void *arg)
{
	struct recv_arg *a = arg;
	for (;;) {
		long r = utcp_recv(pd->stack, ufd, a->buf + a->got, a->len - a->got, a->uflags);
		if (r == -EAGAIN)
			return r; /* MSG_WAITALL keeps what it has and waits */
		if (r <= 0)
			return a->got > 0 ? (long)a->got : r; /* end of stream, error */
		if (a->uflags & UTCP_MSG_PEEK)
			return r;
		a->got += (size_t)r;
		if (!a->waitall || a->got == a->len)
			return (long)a->got;
	}
}

/* recv(2) with Linux's flags. The urgent byte stays inline in utcp
 * (SO_OOBINLINE), so MSG_OOB is EINVAL, as on Linux with OOBINLINE set. */
static long do_recv(struct pd *pd, int fd, void *buf, size_t len, int flags)
{
	if (flags & MSG_OOB)
		return -EINVAL;
	struct recv_arg a = {
		.buf = buf,
		.len = len,
		.uflags = (flags & MSG_PEEK) ? UTCP_MSG_PEEK : 0,
		.waitall = (flags & MSG_WAITALL) && !(flags & MSG_PEEK),
	};
	if (len == 0) {
		/* Linux returns 0 at once; only a bad socket fails. */
		uint8_t dummy;
		int ufd;
		long r = pd_sock(pd, fd, &ufd);
		if (r == 0)
			r = utcp_recv(pd->stack, ufd, &dummy, 0, UTCP_MSG_PEEK);
		return r == -EAGAIN ? 0 : (r > 0 ? 0 : r);
	}
	long r = blocking(pd, fd, (flags & MSG_DONTWAIT) != 0, try_recv, &a);
	if (r == -EAGAIN && a.got > 0)
		return (long)a.got;
	return r;
}

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/* Receive into a vector through one buffer. */
static long do_recv_iov(struct pd *pd, int fd, const struct iovec *iov, int n, int flags)
{
	if (n < 0 || n > PD_IOV_MAX || (n > 0 && !iov))
		return -EINVAL;
	size_t total = iov_total(iov, n);
	uint8_t *tmp = malloc(total ? total : 1);
	if (!tmp)
		return -ENOMEM;
	long r = do_recv(pd, fd, tmp, total, flags);
	for (int i = 0, off = 0; r > 0 && i < n && off < r; i++) {
		size_t k = iov[i].iov_len < (size_t)(r - off) ? iov[i].iov_len : (size_t)(r - off);
		memcpy(iov[i].iov_base, tmp + off, k);
		off += (int)k;
	}
	free(tmp);
	return r;
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t len, int flags)
{
	struct pd *pd = ud;
	pd_enter(pd);
	return pd_leave(pd, do_recv(pd, fd, buf, len, flags));
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t len)
{
	return pd_recv(ud, fd, buf, len, 0);
}

/* TCP has no source address to report: the length comes back 0. */
static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t len, int flags,
			   struct sockaddr *sa, socklen_t *salen)
{
	(void)sa;
	ssize_t r = pd_recv(ud, fd, buf, len, flags);
	if (r >= 0 && salen)
		*salen = 0;
	return r;
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int n)
{
	struct pd *pd = ud;
	pd_enter(pd);
	return pd_leave(pd, do_recv_iov(pd, fd, iov, n, 0));
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
	struct pd *pd = ud;
	pd_enter(pd);
	long r = do_recv_iov(pd, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
	if (r >= 0) {
		msg->msg_namelen = 0;
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
	}
	return pd_leave(pd, r);
}

/* --- sending --- */

struct send_arg {
	const uint8_t *buf;
	size_t len, sent;
	int uflags;
};

/* Queue what fits: the bytes queued so far, or why none could be. Linux's
 * send first waits for a connection under way (sk_stream_wait_connect),
 * where utcp would queue at once. */
static long try_send(struct pd *pd, int ufd, void *arg)
{
	struct send_arg *a = arg;
	if (connecting(sock_state(pd, ufd)))
		return -EAGAIN;
	size_t before = a->sent;
	long r;
	do {
		r = utcp_send(pd->stack, ufd, a->buf + a->sent, a->len - a->sent, a->uflags);
		if (r > 0)
			a->sent += (size_t)r;
	} while (r > 0 && a->sent < a->len);
	if (a->sent > before)
		return (long)a->sent;
	return r == -ENOTCONN ? -EPIPE : r; /* Linux: never connected, listening */
}

/* A blocking send returns when all of it is queued (or at an error, with
 * what was queued before it); a non-blocking one queues what fits. */
static long do_send(struct pd *pd, int fd, const void *buf, size_t len, int flags)
{
	struct send_arg a = {.buf = buf, .len = len, .uflags = (flags & MSG_OOB) ? UTCP_MSG_OOB : 0};
	bool dontwait = (flags & MSG_DONTWAIT) != 0;
	for (;;) {
		/* Each round queues something, or waits in blocking(). */
		long r = blocking(pd, fd, dontwait, try_send, &a);
		if (r < 0)
			return a.sent > 0 ? (long)a.sent : r;
		if (a.sent == a.len || dontwait || pd_fd_get(pd, fd)->nonblock)
			return (long)a.sent;
	}
}

static long do_send_iov(struct pd *pd, int fd, const struct iovec *iov, int n, int flags)
{
	if (n < 0 || n > PD_IOV_MAX || (n > 0 && !iov))
		return -EINVAL;
	size_t total = iov_total(iov, n);
	uint8_t *tmp = malloc(total ? total : 1);
	if (!tmp)
		return -ENOMEM;
	for (int i = 0, off = 0; i < n; off += (int)iov[i].iov_len, i++)
		if (iov[i].iov_len)
			memcpy(tmp + off, iov[i].iov_base, iov[i].iov_len);
	long r = do_send(pd, fd, tmp, total, flags);
	free(tmp);
	return r;
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t len, int flags)
{
	struct pd *pd = ud;
	pd_enter(pd);
	return pd_leave(pd, do_send(pd, fd, buf, len, flags));
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t len)
{
	return pd_send(ud, fd, buf, len, 0);
}

/* A connected TCP socket ignores the destination (Linux tcp_sendmsg). */
static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t len, int flags,
			 const struct sockaddr *sa, socklen_t salen)
{
	(void)sa;
	(void)salen;
	return pd_send(ud, fd, buf, len, flags);
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int n)
{
	struct pd *pd = ud;
	pd_enter(pd);
	return pd_leave(pd, do_send_iov(pd, fd, iov, n, 0));
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
	struct pd *pd = ud;
	pd_enter(pd);
	return pd_leave(pd, do_send_iov(pd, fd, msg->msg_iov, (int)msg->msg_iovlen, flags));
}

/* --- shutdown, close --- */

static int pd_shutdown(void *ud, int fd, int how)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int ufd;
	long r = pd_sock(pd, fd, &ufd);
	if (r == 0)
		r = utcp_shutdown(pd->stack, ufd, how); /* SHUT_* values agree */
	return (int)pd_leave(pd, r);
}

static int pd_close(void *ud, int fd)
{
	struct pd *pd = ud;
	pd_enter(pd);
	struct pd_file *f = pd_fd_get(pd, fd);
	long r = 0;
	if (!f)
		r = -EBADF;
	else if (f->kind == PD_SOCKET)
		r = utcp_close(pd->stack, f->ufd);
	if (f)
		pd_fd_release(pd, fd);
	return (int)pd_leave(pd, r);
}

void pd_sock_fill(struct packetdrill_interface *ifc)
{
	ifc->socket = pd_socket;
	ifc->bind = pd_bind;
	ifc->listen = pd_listen;
	ifc->accept = pd_accept;
	ifc->connect = pd_connect;
	ifc->read = pd_read;
	ifc->readv = pd_readv;
	ifc->recv = pd_recv;
	ifc->recvfrom = pd_recvfrom;
	ifc->recvmsg = pd_recvmsg;
	ifc->write = pd_write;
	ifc->writev = pd_writev;
	ifc->send = pd_send;
	ifc->sendto = pd_sendto;
	ifc->sendmsg = pd_sendmsg;
	ifc->shutdown = pd_shutdown;
	ifc->close = pd_close;
}
