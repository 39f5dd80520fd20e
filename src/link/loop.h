/*
 * The event loop of a stack on real links: epoll over the link devices and
 * any descriptors the program adds (a control socket, standard input),
 * with the stack's timers run on CLOCK_MONOTONIC. Each wait lasts until
 * the stack's next deadline (utcp_stack_next_deadline), a descriptor is
 * ready, or LOOP_MAX_WAIT_MS, so that a program's own conditions (a
 * timeout, a signal) are looked at a few times a second.
 */
#ifndef UTCP_LINK_LOOP_H
#define UTCP_LINK_LOOP_H

#include "link/netdev.h"
#include "link/pcap_link.h"
#include "utcp/stack.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define LOOP_MAX_WAIT_MS 200
#define LOOP_BATCH 64 /* packets read from a device per wake-up, as one batch */
#define LOOP_MAX_FDS 64

/* Called when fd is ready; events are EPOLLIN, EPOLLOUT, ... */
typedef void (*loop_fd_fn)(void *ctx, int fd, uint32_t events);

struct loop_watch {
	int fd;
	loop_fd_fn fn;
	void *ctx;
};

struct loop {
	int epfd;
	struct utcp_stack *stack;
	struct loop_watch watch[LOOP_MAX_FDS];
	int n_watch;
	struct netdev *dev;    /* the device, when attached */
	int iface;             /* its interface in the stack */
	struct pcap_link *pcap; /* capture of the device, or NULL */
	uint8_t *rxbuf;        /* one packet */
	int dev_err;           /* a read error of the device: ends loop_run */
	volatile sig_atomic_t stop; /* set (from a signal handler) to end loop_run */
};

/* Monotonic time in microseconds: the stack's clock. */
utcp_time_us loop_now(void);

/* Returns 0 or a negative errno. */
int loop_init(struct loop *l, struct utcp_stack *s);
void loop_fini(struct loop *l);

/* Read the device dev (interface `iface` of the stack) in the loop,
 * recording what arrives in pcap when not NULL. */
int loop_attach_netdev(struct loop *l, struct netdev *dev, int iface, struct pcap_link *pcap);

/* Watch fd for events (EPOLLIN, ...). Returns 0 or a negative errno
 * (-EPERM for a regular file, which epoll cannot watch). */
int loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx);
int loop_unwatch(struct loop *l, int fd);

/* Run until done(ctx) is true (checked after every wake-up) or l->stop is
 * set. Returns 0, or a negative errno when the device failed. */
int loop_run(struct loop *l, bool (*done)(void *ctx), void *ctx);

#endif
