/*
 * The event loop; see loop.h. One thread: a wake-up reads what the device
 * has (at most LOOP_BATCH packets, handed to the stack as one batch so one
 * ACK answers them all), serves the other descriptors, then lets the stack
 * run its timers and asks it for its next deadline.
 */
#define _GNU_SOURCE
#include "link/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_RXBUF 65536

utcp_time_us loop_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (utcp_time_us)ts.tv_sec * 1000000u + (utcp_time_us)ts.tv_nsec / 1000u;
}

int loop_init(struct loop *l, struct utcp_stack *s)
{
	memset(l, 0, sizeof(*l));
	l->stack = s;
	l->iface = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->rxbuf = malloc(LOOP_RXBUF);
	if (!l->rxbuf) {
		close(l->epfd);
		return -ENOMEM;
	}
	return 0;
}

void loop_fini(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	free(l->rxbuf);
	l->rxbuf = NULL;
}

int loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx)
{
	if (l->n_watch == LOOP_MAX_FDS)
		return -EMFILE;
	struct epoll_event ev = {.events = events, .data.fd = fd};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->watch[l->n_watch++] = (struct loop_watch){fd, fn, ctx};
	return 0;
}

int loop_unwatch(struct loop *l, int fd)
{
	for (int i = 0; i < l->n_watch; i++)
		if (l->watch[i].fd == fd) {
			l->watch[i] = l->watch[--l->n_watch];
			return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
		}
	return -ENOENT;
}

/* Everything the device has, up to a batch, into the stack. */
static void read_device(void *ctx, int fd, uint32_t events)
{
	struct loop *l = ctx;
	(void)fd;
	(void)events;
	utcp_stack_batch_begin(l->stack, loop_now());
	for (int i = 0; i < LOOP_BATCH; i++) {
		ssize_t n = netdev_read(l->dev, l->rxbuf, LOOP_RXBUF);
		if (n <= 0) {
			if (n < 0)
				l->dev_err = (int)n;
			break;
		}
		if (l->pcap)
			pcap_link_input(l->pcap, l->rxbuf, (size_t)n);
		utcp_stack_input(l->stack, l->iface, l->rxbuf, (size_t)n, loop_now());
	}
	utcp_stack_batch_end(l->stack);
}

int loop_attach_netdev(struct loop *l, struct netdev *dev, int iface, struct pcap_link *pcap)
{
	l->dev = dev;
	l->iface = iface;
	l->pcap = pcap;
	return loop_watch(l, dev->fd, EPOLLIN, read_device, l);
}

static int wait_ms(utcp_time_us now, utcp_time_us deadline)
{
	if (deadline == UTCP_TIME_NEVER || deadline > now + UTCP_MS(LOOP_MAX_WAIT_MS))
		return LOOP_MAX_WAIT_MS;
	if (deadline <= now)
		return 0;
	return (int)((deadline - now + 999) / 1000); /* round up: never wake early */
}

static void dispatch(struct loop *l, int fd, uint32_t events)
{
	for (int i = 0; i < l->n_watch; i++)
		if (l->watch[i].fd == fd) {
			l->watch[i].fn(l->watch[i].ctx, fd, events);
			return;
		}
}

int loop_run(struct loop *l, bool (*done)(void *ctx), void *ctx)
{
	struct epoll_event evs[16];
	l->dev_err = 0;
	while (!l->stop && !(done && done(ctx))) {
		utcp_time_us now = loop_now();
		utcp_time_us next = utcp_stack_poll(l->stack, now);
		if (done && done(ctx))
			break;
		int n = epoll_wait(l->epfd, evs, 16, wait_ms(loop_now(), next));
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++)
			dispatch(l, evs[i].data.fd, evs[i].events);
		if (l->dev_err)
			return l->dev_err;
	}
	return 0;
}
