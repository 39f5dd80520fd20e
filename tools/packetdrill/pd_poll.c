/*
 * poll(2) and epoll on utcp's readiness bits, with timeouts in virtual
 * time. epoll is level-triggered unless EPOLLET is asked for; an EPOLLET
 * item reports again only after the stack has signalled a readiness change
 * on its socket (utcp's on_event callback), as Linux's edge-triggered mode
 * does. pipe and splice have no utcp counterpart: ENOSYS.
 */
#define _GNU_SOURCE
#include "pd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

unsigned pd_poll_mask(struct pd *pd, int fd)
{
	struct pd_file *f = pd_fd_get(pd, fd);
	if (!f)
		return POLLNVAL;
	if (f->kind != PD_SOCKET)
		return 0;
	int ev = utcp_poll_events(pd->stack, f->ufd);
	if (ev < 0)
		return POLLNVAL;
	unsigned m = 0;
	if (ev & UTCP_POLLIN)
		m |= POLLIN | POLLRDNORM;
	if (ev & UTCP_POLLOUT)
		m |= POLLOUT | POLLWRNORM;
	if (ev & UTCP_POLLPRI)
		m |= POLLPRI;
	if (ev & UTCP_POLLERR)
		m |= POLLERR;
	if (ev & UTCP_POLLHUP)
		m |= POLLHUP;
	if (ev & UTCP_POLLRDHUP)
		m |= POLLRDHUP;
	return m;
}

/* When a wait of timeout_ms (< 0: none) ends, bounded by PD_HORIZON_US. */
static utcp_time_us deadline_of(const struct pd *pd, int timeout_ms)
{
	utcp_time_us d = pd->now + PD_HORIZON_US;
	if (timeout_ms >= 0 && pd->now + UTCP_MS(timeout_ms) < d)
		d = pd->now + UTCP_MS(timeout_ms);
	return d;
}

static int scan_pollfds(struct pd *pd, struct pollfd *fds, nfds_t n)
{
	int ready = 0;
	for (nfds_t i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue; /* ignored, as poll(2) does */
		unsigned m = pd_poll_mask(pd, fds[i].fd);
		m &= (unsigned)(uint16_t)fds[i].events | POLLERR | POLLHUP | POLLNVAL;
		fds[i].revents = (short)m;
		if (m)
			ready++;
	}
	return ready;
}

static int pd_poll(void *ud, struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct pd *pd = ud;
	pd_enter(pd);
	utcp_time_us deadline = deadline_of(pd, timeout_ms);
	long r;
	while ((r = scan_pollfds(pd, fds, n)) == 0 && pd->now < deadline)
		if (pd_wait(pd, deadline) < 0)
			break; /* would be forever (main thread): none ready */
	return (int)pd_leave(pd, r);
}

/* --- epoll --- */

void pd_epoll_free(struct pd_epoll *ep)
{
	free(ep->items);
	free(ep);
}

static struct pd_epoll_item *ep_find(struct pd_epoll *ep, int fd)
{
	for (size_t i = 0; i < ep->n; i++)
		if (ep->items[i].fd == fd)
			return &ep->items[i];
	return NULL;
}

void pd_epoll_notify(struct pd *pd, int fd)
{
	for (int i = 0; i < pd->nfiles; i++) {
		struct pd_epoll_item *it;
		if (pd->files[i].kind == PD_EPOLL && (it = ep_find(pd->files[i].ep, fd)))
			it->armed = true;
	}
}

void pd_epoll_forget(struct pd *pd, int fd)
{
	for (int i = 0; i < pd->nfiles; i++) {
		struct pd_epoll *ep = pd->files[i].ep;
		struct pd_epoll_item *it;
		if (pd->files[i].kind == PD_EPOLL && (it = ep_find(ep, fd)))
			*it = ep->items[--ep->n];
	}
}

static int pd_epoll_create(void *ud, int size)
{
	struct pd *pd = ud;
	pd_enter(pd);
	long r = size <= 0 ? -EINVAL : pd_fd_new(pd, PD_EPOLL);
	return (int)pd_leave(pd, r);
}

static long ep_add(struct pd_epoll *ep, int fd, const struct epoll_event *ev)
{
	if (ep_find(ep, fd))
		return -EEXIST;
	if (ep->n == ep->cap) {
		size_t cap = ep->cap ? ep->cap * 2 : 8;
		struct pd_epoll_item *items = realloc(ep->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		ep->items = items;
		ep->cap = cap;
	}
	ep->items[ep->n++] = (struct pd_epoll_item){fd, ev->events, ev->data.u64, true};
	return 0;
}

static long ep_ctl(struct pd *pd, int epfd, int op, int fd, const struct epoll_event *ev)
{
	struct pd_file *e = pd_fd_get(pd, epfd);
	struct pd_file *f = pd_fd_get(pd, fd);
	if (!e || !f)
		return -EBADF;
	if (e->kind != PD_EPOLL || fd == epfd || f->kind != PD_SOCKET)
		return -EINVAL; /* utcp's epoll watches sockets only */
	if (op != EPOLL_CTL_DEL && !ev)
		return -EFAULT;
	struct pd_epoll_item *it = ep_find(e->ep, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		return ep_add(e->ep, fd, ev);
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		*it = (struct pd_epoll_item){fd, ev->events, ev->data.u64, true};
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		*it = e->ep->items[--e->ep->n];
		return 0;
	default:
		return -EINVAL;
	}
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *ev)
{
	struct pd *pd = ud;
	pd_enter(pd);
	return (int)pd_leave(pd, ep_ctl(pd, epfd, op, fd, ev));
}

static int ep_scan(struct pd *pd, struct pd_epoll *ep, struct epoll_event *out, int max)
{
	int n = 0;
	for (size_t i = 0; i < ep->n && n < max; i++) {
		struct pd_epoll_item *it = &ep->items[i];
		if ((it->events & EPOLLET) && !it->armed)
			continue;
		uint32_t want = it->events & ~(uint32_t)(EPOLLET | EPOLLONESHOT);
		if (!want)
			continue; /* disabled after EPOLLONESHOT fired */
		uint32_t m = pd_poll_mask(pd, it->fd) & (want | EPOLLERR | EPOLLHUP);
		if (!m)
			continue;
		out[n].events = m;
		out[n].data.u64 = it->data;
		n++;
		it->armed = false;
		if (it->events & EPOLLONESHOT)
			it->events = 0;
	}
	return n;
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *out, int max, int timeout_ms)
{
	struct pd *pd = ud;
	pd_enter(pd);
	utcp_time_us deadline = deadline_of(pd, timeout_ms);
	long r = 0;
	for (;;) {
		struct pd_file *e = pd_fd_get(pd, epfd);
		if (!e) {
			r = -EBADF;
			break;
		}
		if (e->kind != PD_EPOLL || max <= 0) {
			r = -EINVAL;
			break;
		}
		if ((r = ep_scan(pd, e->ep, out, max)) > 0 || pd->now >= deadline)
			break;
		if (pd_wait(pd, deadline) < 0)
			break;
	}
	return (int)pd_leave(pd, r);
}

static int pd_pipe(void *ud, int fds[2])
{
	(void)ud;
	(void)fds;
	errno = ENOSYS;
	return -1;
}

static int pd_splice(void *ud, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
		     size_t len, unsigned int flags)
{
	(void)ud, (void)fd_in, (void)off_in, (void)fd_out, (void)off_out, (void)len;
	(void)flags;
	errno = ENOSYS;
	return -1;
}

void pd_poll_fill(struct packetdrill_interface *ifc)
{
	ifc->poll = pd_poll;
	ifc->epoll_create = pd_epoll_create;
	ifc->epoll_ctl = pd_epoll_ctl;
	ifc->epoll_wait = pd_epoll_wait;
	ifc->pipe = pd_pipe;
	ifc->splice = pd_splice;
}
