/*
 * utcp as a packetdrill stack: the adapter's shared state.
 *
 * One instance (struct pd) per script: one utcp stack with one interface
 * whose output queues datagrams for netdev_receive, a virtual clock, and a
 * table of descriptors. The adapter is a client of utcp's public API only.
 *
 * Threads. packetdrill makes most calls from its main thread, but runs a
 * call that the script expects to block (a time range: `0...0.1 accept`)
 * on a second thread, and goes on injecting packets from the main thread
 * while that call waits; the two take turns (packetdrill's own lock), so
 * only one of them lets time pass at any moment. One mutex guards the
 * whole instance. usleep, gettimeofday and netdev_receive let virtual time
 * pass on any thread. A blocking call that cannot complete lets time pass
 * too when made on the main thread (the one that called
 * packetdrill_interface_init: nobody else would); on any other thread it
 * sleeps on a condition variable until something changes.
 *
 * Settling. Before a call lets time pass or looks for a packet, every
 * waiter woken by the last change must have re-tried its call (and either
 * returned or gone back to sleep), so that whatever that call sends leaves
 * at the right time. `gen` counts changes; `stale` counts waiters that
 * have not yet seen the latest one.
 */
#ifndef UTCP_PD_H
#define UTCP_PD_H

#include "pd_abi.h"

#include "utcp/socket.h"
#include "utcp/stack.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>

/* What --so_flags can set (pd_flags.c). Times in microseconds. */
struct pd_config {
	struct utcp_stack_config stack;
	uint32_t local_ip;  /* host order; the address scripts use as ours */
	uint8_t prefix_len;
	uint16_t mtu;
	char cc[16];
	char trace_path[256]; /* "" = no trace, "-" = stderr */
};

/* Parse "key=value,key=value" into cfg (defaults first). Returns 0, or
 * -EINVAL with a message in err. */
int pd_flags_parse(const char *flags, struct pd_config *cfg, char *err, size_t errlen);

enum pd_kind { PD_NONE, PD_SOCKET, PD_EPOLL };

struct pd_epoll_item {
	int fd;
	uint32_t events; /* EPOLL* bits asked for; 0 after EPOLLONESHOT fired */
	uint64_t data;
	bool armed; /* EPOLLET: a readiness change since last reported */
};

struct pd_epoll {
	struct pd_epoll_item *items;
	size_t n, cap;
};

/* One descriptor. Its number is a real descriptor of the process (a
 * memfd held open, the "placeholder"), so numbers are what the kernel
 * would hand out (lowest free: 3, 4, ...) and packetdrill, which closes
 * the descriptors a script left open with close(2), closes a real one. */
struct pd_file {
	enum pd_kind kind;
	int ufd; /* PD_SOCKET: the utcp descriptor */
	bool nonblock;
	bool cloexec;
	dev_t dev; /* identity of the placeholder, checked before we close it */
	ino_t ino;
	struct pd_epoll *ep; /* PD_EPOLL */
};

/* A datagram the stack sent, waiting for netdev_receive. */
struct pd_pkt {
	struct pd_pkt *next;
	utcp_time_us at;
	size_t len;
	uint8_t data[];
};

struct pd {
	pthread_mutex_t mu;
	pthread_cond_t changed; /* broadcast at every change (gen++) */
	pthread_cond_t settled; /* signalled when stale drops to 0 */
	pthread_t main_thread;
	uint64_t gen;
	int waiting; /* threads asleep in pd_wait */
	int stale;   /* of those, not yet re-tried since the last change */

	/* The virtual time at which a call made on another thread returned:
	 * that thread's next gettimeofday reads it (packetdrill reads the
	 * clock right after a blocking call returns, while the main thread
	 * may already be moving time on). */
	bool has_ret;
	pthread_t ret_thread;
	utcp_time_us ret_at;

	struct pd_config cfg;
	struct utcp_stack *stack;
	int iface;
	utcp_time_us now;

	struct pd_pkt *out_head, *out_tail;

	struct pd_file *files; /* indexed by descriptor number */
	int nfiles;

	FILE *trace;
};

/* How far a call lets virtual time run looking for an answer: a blocking
 * call on the main thread, a poll without timeout, netdev_receive. A
 * script waits for nothing an hour away; without a bound, a timer that
 * re-arms forever (zero-window probes) would spin the call forever. */
#define PD_HORIZON_US UTCP_SEC(3600)

/* --- pd_core.c --- */
/* Enter a call: lock, and wait for woken waiters to settle. */
void pd_enter(struct pd *pd);
/* Leave a call that may have changed the stack: wake waiters, unlock, and
 * turn a negative errno into libc's -1 and errno. */
long pd_leave(struct pd *pd, long r);
bool pd_is_main_thread(const struct pd *pd);
/* Let virtual time run to t, firing every timer at its own deadline. */
void pd_advance_to(struct pd *pd, utcp_time_us t);
/* Wait for something to change, until `deadline` at the latest (virtual
 * time, UTCP_TIME_NEVER for none). Returns 0 to try the call again, or
 * -EAGAIN when, on the main thread, nothing can ever change (a kernel
 * would block forever). */
int pd_wait(struct pd *pd, utcp_time_us deadline);

/* --- pd_fd.c --- */
/* A new descriptor of the given kind. Returns it (>= 0) or -errno. */
int pd_fd_new(struct pd *pd, enum pd_kind kind);
/* The descriptor fd, or NULL. */
struct pd_file *pd_fd_get(struct pd *pd, int fd);
/* Forget fd and close its placeholder. */
void pd_fd_release(struct pd *pd, int fd);
/* Close every descriptor left (instance teardown). */
void pd_fd_release_all(struct pd *pd);
/* The socket behind fd: sets *ufd. 0, -EBADF or -ENOTSOCK. */
int pd_sock(struct pd *pd, int fd, int *ufd);
/* Our descriptor for a utcp descriptor, or -1. */
int pd_fd_of_ufd(const struct pd *pd, int ufd);

/* --- pd_sock.c, pd_opt.c, pd_poll.c: fill the interface table --- */
void pd_sock_fill(struct packetdrill_interface *ifc);
void pd_opt_fill(struct packetdrill_interface *ifc);
void pd_poll_fill(struct packetdrill_interface *ifc);
/* Readiness of fd as poll(2) bits (POLLNVAL for a bad descriptor). */
unsigned pd_poll_mask(struct pd *pd, int fd);
/* The stack says fd's readiness may have changed (arms EPOLLET items). */
void pd_epoll_notify(struct pd *pd, int fd);
/* fd is gone: take it out of every epoll set (Linux does at last close). */
void pd_epoll_forget(struct pd *pd, int fd);
void pd_epoll_free(struct pd_epoll *ep);

#endif
