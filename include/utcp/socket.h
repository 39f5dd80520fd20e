/*
 * The BSD-socket-like API of a utcp stack.
 *
 * Descriptors are small integers private to one stack. Every call is
 * non-blocking and acts at the stack's current time (utcp_stack_now()).
 * Calls return 0 (or a count) on success and a negative errno value on
 * failure (-EAGAIN, -ECONNREFUSED, ...); nothing sets a global errno.
 */
#ifndef UTCP_SOCKET_H
#define UTCP_SOCKET_H

#include "utcp/stack.h"
#include "utcp/types.h"

#include <sys/types.h>

/* Create a TCP socket. Returns a descriptor >= 0, or -ENOMEM. */
int utcp_socket(struct utcp_stack *s);

/* Bind to a local address (0 = any of ours) and port (0 = pick one).
 * -EADDRINUSE: the port is taken (see SO_REUSEADDR/SO_REUSEPORT);
 * -EADDRNOTAVAIL: the address is not one of ours; -EINVAL: already bound. */
int utcp_bind(struct utcp_stack *s, int fd, const struct utcp_sockaddr *addr);

/* Listen; backlog bounds the accept queue (and, doubled, the SYN queue). */
int utcp_listen(struct utcp_stack *s, int fd, int backlog);

/* Take one established connection. Returns a new descriptor, or -EAGAIN.
 * `peer` may be NULL. */
int utcp_accept(struct utcp_stack *s, int fd, struct utcp_sockaddr *peer);

/* Start an active open. Returns -EINPROGRESS: the outcome arrives as
 * UTCP_POLLOUT (connected) or UTCP_POLLERR (SO_ERROR says why). Other
 * results: -EISCONN, -EALREADY, -EADDRNOTAVAIL (no free ephemeral port),
 * -ENETUNREACH (no interface), -EINVAL (bad address). */
int utcp_connect(struct utcp_stack *s, int fd, const struct utcp_sockaddr *addr);

enum {
	UTCP_MSG_OOB = 0x1,  /* send: mark this data urgent (RFC 9293 3.8.5) */
	UTCP_MSG_PEEK = 0x2, /* recv: leave the data in the buffer */
};

/* Queue data. Returns bytes queued (may be fewer than len), or -EAGAIN
 * (buffer full), -EPIPE (sending side shut down or reset), -ENOTCONN,
 * or the connection's pending error. */
ssize_t utcp_send(struct utcp_stack *s, int fd, const void *buf, size_t len,
		  int flags);

/* Read data. Returns bytes read, 0 at end of stream, -EAGAIN when nothing
 * is there yet, or the connection's error (-ECONNRESET, -ETIMEDOUT). */
ssize_t utcp_recv(struct utcp_stack *s, int fd, void *buf, size_t len, int flags);

enum { UTCP_SHUT_RD = 0, UTCP_SHUT_WR = 1, UTCP_SHUT_RDWR = 2 };

/* Half-close: acts on the connection whatever other descriptors refer to
 * it (LESSONS L5). -ENOTCONN when not connected. */
int utcp_shutdown(struct utcp_stack *s, int fd, int how);

/* Drop this descriptor. The connection closes (FIN, or RST with unread
 * data or SO_LINGER 0) only when its last descriptor is closed. */
int utcp_close(struct utcp_stack *s, int fd);

/* Another descriptor for the same socket. */
int utcp_dup(struct utcp_stack *s, int fd);

int utcp_getsockname(struct utcp_stack *s, int fd, struct utcp_sockaddr *out);
int utcp_getpeername(struct utcp_stack *s, int fd, struct utcp_sockaddr *out);

/* Current readiness (UTCP_POLL* bits), or a negative errno for a bad fd. */
int utcp_poll_events(struct utcp_stack *s, int fd);

/* RFC 9293 3.8.5: non-zero when the next byte recv() returns is the last
 * byte of urgent data seen so far ("at the mark"), 0 otherwise. */
int utcp_sockatmark(struct utcp_stack *s, int fd);

/* Option levels and names. Values are our own; a Linux-ABI adapter maps. */
enum { UTCP_SOL_SOCKET = 1, UTCP_SOL_TCP = 6, UTCP_SOL_UTCP = 0x75 };

enum {
	/* UTCP_SOL_SOCKET */
	UTCP_SO_REUSEADDR = 1, /* int */
	UTCP_SO_REUSEPORT,     /* int */
	UTCP_SO_LINGER,        /* struct utcp_linger */
	UTCP_SO_KEEPALIVE,     /* int */
	UTCP_SO_SNDBUF,        /* int, bytes */
	UTCP_SO_RCVBUF,        /* int, bytes */
	UTCP_SO_ERROR,         /* int, read-only: pending error (positive errno), cleared */
	UTCP_SO_ACCEPTCONN,    /* int, read-only */
	UTCP_SO_OOBINLINE,     /* int, read-only: always 1 (urgent data stays inline) */
	UTCP_SO_TYPE,          /* int, read-only: 1 (stream) */

	/* UTCP_SOL_TCP */
	UTCP_TCP_NODELAY = 100, /* int */
	UTCP_TCP_MAXSEG,        /* int: MSS we announce and the cap on what we send */
	UTCP_TCP_KEEPIDLE,      /* int, seconds */
	UTCP_TCP_KEEPINTVL,     /* int, seconds */
	UTCP_TCP_KEEPCNT,       /* int */
	UTCP_TCP_INFO,          /* struct utcp_tcp_info, read-only */
	UTCP_TCP_CONGESTION,    /* char[16], algorithm name */
	UTCP_TCP_USER_TIMEOUT,  /* unsigned, ms: R2 as a time (0 = count based) */
	UTCP_TCP_QUICKACK,      /* int: 1 = no delayed ACKs on this socket */

	/* UTCP_SOL_UTCP: for the lab and tests */
	UTCP_UTCP_ISN = 200,      /* uint32_t: pin the next ISN (listener: every child) */
	UTCP_UTCP_SSTHRESH,       /* uint32_t bytes: initial ssthresh */
	UTCP_UTCP_INITIAL_WINDOW, /* uint32_t segments: initial cwnd */
	UTCP_UTCP_TTL,            /* int: IP TTL of outgoing segments (MUST-49) */
	UTCP_UTCP_TOS,            /* int: IP DSCP/TOS byte (MUST-48); its two ECN
				   * bits are TCP's (RFC 3168 5), not sent as given */
	UTCP_UTCP_MSL,            /* uint64_t us: MSL of this connection */
	UTCP_UTCP_SOFT_ERROR,     /* int, read-only: last soft error (ICMP), cleared */
	UTCP_UTCP_SOFT_ERRORS,    /* int: report soft errors (SHLD-20; default 1) */
	UTCP_UTCP_SACK,           /* int: offer/accept SACK on the next handshake */
	UTCP_UTCP_SOURCE_ROUTE,   /* struct utcp_source_route: before connect() (MUST-51) */
	UTCP_UTCP_TIMESTAMPS,     /* int: offer/accept timestamps on the next handshake */
	UTCP_UTCP_ECN,            /* int: UTCP_ECN_OFF/ON/ACCEPT for the next handshake */
};

/* An IP source route for an active open (RFC 791 3.1, RFC 9293 3.9.2.1):
 * the hops to pass through, in order, before the peer. */
#define UTCP_SOURCE_ROUTE_MAX 8
struct utcp_source_route {
	uint8_t strict; /* 1: strict (SSRR), 0: loose (LSRR) */
	uint8_t n;      /* hops, 1 to UTCP_SOURCE_ROUTE_MAX (0 clears it) */
	uint32_t hop[UTCP_SOURCE_ROUTE_MAX]; /* host order */
};

struct utcp_linger {
	int l_onoff;
	int l_linger; /* seconds; 0 with l_onoff aborts with RST on close */
};

/* TCP_INFO-like snapshot. Times in microseconds, sizes in bytes. */
struct utcp_tcp_info {
	enum utcp_tcp_state state;
	uint32_t conn_id;
	uint32_t snd_mss, rcv_mss;
	uint32_t cwnd, ssthresh;
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t snd_wnd;  /* peer's advertised window */
	uint32_t rcv_wnd;  /* window we advertise now */
	uint32_t snd_una, snd_nxt, rcv_nxt; /* relative to ISS/IRS */
	uint32_t unacked;  /* bytes in flight */
	uint32_t send_queue, recv_queue; /* bytes queued (Send-Q / Recv-Q) */
	uint32_t retransmits;  /* segments retransmitted */
	uint32_t timeouts;     /* RTO expirations */
	uint32_t fast_retransmits;
	uint32_t backoff;      /* consecutive RTO backoffs now */
	uint8_t snd_wscale, rcv_wscale;
	bool in_recovery;
	bool ecn;              /* ECN negotiated (RFC 3168 6.1.1) */
	bool urgent_pending;   /* urgent data not yet read */
	uint32_t urgent_bytes; /* bytes up to and including the urgent mark */
	char cc[16];
};

int utcp_setsockopt(struct utcp_stack *s, int fd, int level, int name,
		    const void *val, size_t len);
/* *len is the buffer size on entry and the value's size on return. */
int utcp_getsockopt(struct utcp_stack *s, int fd, int level, int name, void *val,
		    size_t *len);

/* One connection or listener, for netstat-like listings. */
struct utcp_conn_summary {
	int fd; /* a descriptor referring to it, or -1 (orphaned, in accept queue) */
	enum utcp_tcp_state state;
	struct utcp_sockaddr local, remote;
	uint32_t recv_q, send_q;
	struct utcp_tcp_info info;
};

/* Visit every connection and listener of the stack, including orphaned
 * ones (closed by the application, e.g. in TIME_WAIT). Order: by
 * connection id. */
void utcp_conn_foreach(struct utcp_stack *s,
		       void (*fn)(void *ctx, const struct utcp_conn_summary *c),
		       void *ctx);

/* Count connections per state (netstat | awk '{++S[$NF]}' of LESSONS L6). */
void utcp_count_by_state(struct utcp_stack *s, uint32_t counts[UTCP_NUM_STATES]);

#endif
