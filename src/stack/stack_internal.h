/*
 * The stack instance: interfaces, the tables that find a connection for a
 * segment (four-tuple hash, listeners, port buckets), the timer heap, the
 * descriptor table, and the socket object that wraps each TCB. Shared by
 * src/stack/ and src/api/ (the socket calls); nothing below includes it.
 */
#ifndef UTCP_STACK_INTERNAL_H
#define UTCP_STACK_INTERNAL_H

#include "tcp/conn.h"
#include "wire/ipv4.h"
#include "util/alloc.h"
#include "util/heap.h"
#include "utcp/socket.h"
#include "utcp/stack.h"

#define STACK_MAX_IFACES 8
#define STACK_TXBUF 65600 /* largest datagram we build, with room to spare */
/* Bytes before every datagram we build, so that a link header (Ethernet's
 * 14) is prepended in place, without a copy (lwIP's pbuf headroom). */
#define STACK_HEADROOM 16

struct arp_cache;
struct frag_table;

struct iface {
	char name[16];
	uint32_t addr;
	uint32_t mask;
	uint16_t mtu;
	const struct utcp_link_ops *ops;
	void *link_ctx;
	enum utcp_iface_kind kind;
	uint8_t mac[6];         /* ETHERNET only */
	uint32_t gateway;       /* 0: none */
	struct arp_cache *arp;  /* ETHERNET only (src/stack/arp.c) */
};

enum usock_kind {
	USOCK_NEW,      /* socket() and maybe bind(): no connection yet */
	USOCK_LISTENER, /* listen() */
	USOCK_CONN,     /* connect(), or a child of a listener */
};

struct port_bucket;

/* A listener's queues (RFC 9293 3.9.1.1; Linux's SYN and accept queues). */
struct listen_queues {
	struct usock *syn_head;    /* children in SYN_RCVD */
	struct usock *acc_head, *acc_tail; /* established, awaiting accept() */
	uint32_t syn_count, acc_count;
	uint32_t backlog;          /* accept queue limit */
	uint32_t syn_max;          /* SYN queue limit */
};

/* A TCP socket: the TCB and everything the stack keeps about it. */
struct usock {
	struct tcp_conn tcp; /* first: a tcp_conn * converts back */
	struct utcp_stack *stack;
	enum usock_kind kind;
	uint32_t refs;  /* descriptors referring to it */
	int fd;         /* one of them (events name it), -1 when none */

	/* Binding: local address/port live in tcp.laddr/tcp.lport. */
	bool bound;     /* bind() (or listen's autobind) chose the port */
	bool reuseaddr, reuseport;
	struct utcp_linger linger;
	struct port_bucket *bucket;
	struct usock *bind_next, *bind_prev;

	/* IP source route (RFC 9293 3.9.2.1): datagrams go to route_hop first
	 * and carry `route` (the remaining hops, then the peer). */
	struct ipv4_srr route;
	uint32_t route_hop;
	bool has_route;
	bool route_from_app; /* set by the application: never replaced (MUST-52) */
	struct utcp_source_route app_route; /* given before connect() */

	/* Four-tuple table */
	struct usock *hash_next;
	bool hashed;

	/* Listener and children */
	struct listen_queues *lq;  /* listeners only */
	struct usock *listener;    /* children until accepted */
	struct usock *q_next, *q_prev; /* in the listener's SYN or accept queue */
	bool in_accept_queue;
	struct usock *lhash_next;  /* listener table chain */

	/* Timer heap entry at tcp_next_deadline() (or earlier: lazily kept) */
	struct heap_node timer;

	/* Output, event and free lists */
	struct usock *out_next;
	bool out_queued;
	struct usock *ev_next;
	bool ev_queued;
	struct usock *free_next;
	bool free_queued;

	/* All sockets, in creation (= id) order */
	struct usock *all_next, *all_prev;
};

static inline struct usock *usock_of(struct tcp_conn *c)
{
	return (struct usock *)c;
}

struct port_bucket {
	uint16_t port;
	uint32_t n_socks;
	uint32_t n_bound;   /* sockets that chose this port with bind()/listen */
	struct usock *socks;
	struct port_bucket *next;
};

struct utcp_stack {
	struct utcp_stack_config cfg;
	struct ualloc alloc;
	struct tcp_host host;
	struct tcp_params defaults;
	struct utcp_stats stats;
	utcp_time_us now;

	struct iface ifaces[STACK_MAX_IFACES];
	int n_ifaces;

	/* Four-tuple hash (chained, power-of-two buckets, grows at load 1) */
	struct usock **conn_tab;
	uint32_t conn_tab_size, conn_count;
	/* Listener hash by port */
	struct usock **lis_tab;
	uint32_t lis_tab_size;
	/* Port buckets by port */
	struct port_bucket **port_tab;
	uint32_t port_tab_size, port_count;
	uint64_t hash_seed[2];
	uint32_t port_perturb[256]; /* RFC 6056 algorithm 4 / Linux */

	struct heap timers;

	/* Descriptors */
	struct usock **fds;
	uint32_t fd_cap;
	uint32_t *fd_free; /* stack of free descriptor numbers */
	uint32_t fd_free_n;
	uint32_t fd_next; /* lowest never-used descriptor */

	struct usock *all_head, *all_tail;
	uint32_t n_socks;
	uint32_t next_id;
	uint16_t ip_id;

	/* Deferred work, done when the outermost entry point returns */
	int depth;
	struct usock *out_head, *out_tail; /* connections with output to run */
	struct usock *ev_head, *ev_tail;
	struct usock *free_head;

	struct frag_table *frag; /* reassembly, allocated on the first fragment */

	/* Where datagrams are built: a datagram starts at txbuf +
	 * STACK_HEADROOM, so the link may write its header before it. */
	uint8_t txbuf[STACK_HEADROOM + STACK_TXBUF];
};

/* The datagram buffer of the stack (after the headroom). */
static inline uint8_t *stack_txpkt(struct utcp_stack *s)
{
	return s->txbuf + STACK_HEADROOM;
}

/* --- stack.c --- */
void stack_enter(struct utcp_stack *s);
void stack_leave(struct utcp_stack *s);
struct usock *usock_new(struct utcp_stack *s);
/* After the protocol layer acted on u: free its four-tuple at once if it
 * closed, and queue it so that, when the outermost entry point returns,
 * whatever it has to send is sent (all segments of a batch are processed
 * before any ACK leaves: RFC 9293 MUST-58/59), its timer is rescheduled,
 * and it is freed if finished. */
void conn_sync(struct usock *u);
void usock_queue_free(struct usock *u);
void usock_queue_event(struct usock *u);
/* Default tunables for a new socket. */
void stack_default_params(const struct utcp_stack *s, struct tcp_params *p);

/* --- table.c --- */
int conn_table_insert(struct utcp_stack *s, struct usock *u);
void conn_table_remove(struct utcp_stack *s, struct usock *u);
struct usock *conn_table_lookup(const struct utcp_stack *s, uint32_t laddr,
				uint16_t lport, uint32_t raddr, uint16_t rport);
int listener_insert(struct utcp_stack *s, struct usock *u);
void listener_remove(struct utcp_stack *s, struct usock *u);
/* The listener for a SYN to laddr:lport from raddr:rport: an exact
 * address beats the wildcard; SO_REUSEPORT groups share by four-tuple. */
struct usock *listener_lookup(const struct utcp_stack *s, uint32_t laddr,
			      uint16_t lport, uint32_t raddr, uint16_t rport);
uint32_t tuple_hash(const struct utcp_stack *s, uint32_t laddr, uint16_t lport,
		    uint32_t raddr, uint16_t rport);

/* --- ports.c --- */
/* Put u on port `port` (its bucket). Returns 0 or -ENOMEM. */
int port_attach(struct usock *u, uint16_t port, bool by_bind);
void port_detach(struct usock *u);
/* Linux's bind rules (SO_REUSEADDR, SO_REUSEPORT): would u, bound to
 * addr:port, conflict with another socket? as_listener: check as if u
 * were listening (listen() re-checks). */
bool port_conflict(const struct utcp_stack *s, const struct usock *u, uint32_t addr,
		   uint16_t port, bool as_listener);
/* bind() with port 0: a port nobody uses. Returns it, or 0. */
uint16_t port_pick_for_bind(struct utcp_stack *s, const struct usock *u, uint32_t addr);
/* connect() without a bound port: a port whose four-tuple is free (RFC
 * 6056 / Linux __inet_hash_connect). Returns it or 0 (exhausted). */
uint16_t port_pick_for_connect(struct utcp_stack *s, uint32_t laddr, uint32_t raddr,
			       uint16_t rport);
/* May a connection laddr:port -> raddr:rport be made (connect() from a
 * bound port, or one picked)? Yes when no connection holds the
 * four-tuple; a TIME_WAIT holder gives way only with tw_reuse and no
 * descriptor (it is closed here, Linux's tcp_tw_reuse). */
bool tuple_take(struct utcp_stack *s, uint32_t laddr, uint16_t port, uint32_t raddr,
		uint16_t rport);

/* --- ip.c --- */
/* The interface that reaches dst (on-link, else the first), or NULL. */
const struct iface *route_lookup(const struct utcp_stack *s, uint32_t dst);
bool addr_is_ours(const struct utcp_stack *s, uint32_t addr);
bool addr_is_subnet_broadcast(const struct utcp_stack *s, uint32_t addr);
/* Build IPv4 + TCP around tx and hand it to the interface. */
void ip_send_tcp(struct utcp_stack *s, const struct tcp_tx *tx, struct usock *u);
void ip_input(struct utcp_stack *s, int iface, const uint8_t *pkt, size_t len);
/* Send a datagram of protocol proto from src to dst carrying body. */
void ip_send(struct utcp_stack *s, uint8_t proto, uint32_t src, uint32_t dst, uint8_t tos,
	     const uint8_t *body, size_t len);

/* --- link.c --- */
/* A packet that arrived on interface `iface`: an Ethernet frame is
 * demultiplexed to IPv4 or ARP; an IP interface's datagram goes to IPv4. */
void link_input(struct utcp_stack *s, int iface, const uint8_t *p, size_t len);
/* Send the IPv4 datagram pkt[0..len) to dst through ifc. pkt must have
 * STACK_HEADROOM writable bytes before it (and, on Ethernet, room after it
 * up to the 60-byte minimum frame). Counts ip_out and link refusals. */
/* RFC 9293 3.8.3 (R1) "negative advice": the way to dst may be broken;
 * stop trusting its next hop's link address (RFC 1122 2.3.2.1). */
void link_negative_advice(struct utcp_stack *s, uint32_t dst);
void link_send(struct utcp_stack *s, const struct iface *ifc, uint32_t dst, uint8_t *pkt,
	       size_t len);
/* Hand a finished frame (or an IP interface's datagram) to the link. */
void link_output(struct utcp_stack *s, const struct iface *ifc, const uint8_t *p,
		 size_t len);

/* --- arp.c --- */
/* Give an Ethernet interface its ARP table and announce our address.
 * Returns 0 or -ENOMEM. */
int arp_attach(struct utcp_stack *s, struct iface *ifc);
void arp_detach(struct utcp_stack *s, struct iface *ifc);
void arp_input(struct utcp_stack *s, const struct iface *ifc, const uint8_t *p, size_t len);
/* Send frame[0..len) (its header written but for the destination) to
 * next_hop: at once when its address is known, else held (bounded) while
 * ARP asks. */
void arp_output(struct utcp_stack *s, const struct iface *ifc, uint32_t next_hop,
		uint8_t *frame, size_t len);
/* Retry or give up resolutions that are due. */
void arp_poll(struct utcp_stack *s);
/* The neighbour may be gone: re-check it before trusting it again. */
void arp_suspect(struct utcp_stack *s, const struct iface *ifc, uint32_t ip);
utcp_time_us arp_next_deadline(const struct utcp_stack *s);

/* --- frag.c --- */
/* Take one fragment of a datagram for us (RFC 791 3.2, RFC 815). Returns
 * the whole datagram, header fixed up (no fragment bits, checksum valid),
 * when this fragment completed it, and sets *len; NULL otherwise. The
 * datagram stays valid until frag_release(). */
const uint8_t *frag_input(struct utcp_stack *s, const struct ipv4_hdr *h, const uint8_t *pkt,
			  size_t *len);
void frag_release(struct utcp_stack *s, const uint8_t *whole);
/* Drop (with an ICMP time exceeded) the datagrams whose time is up. */
void frag_poll(struct utcp_stack *s);
utcp_time_us frag_next_deadline(const struct utcp_stack *s);
void frag_free(struct utcp_stack *s);

/* --- icmp.c --- */
void icmp_input(struct utcp_stack *s, uint32_t src, uint32_t dst, const uint8_t *p,
		size_t len);

/* --- tcp_demux.c --- */
/* ecn: the datagram's ECN field (RFC 3168 5); srr: its completed source
 * route, or NULL. */
void tcp_demux(struct utcp_stack *s, const uint8_t *seg, size_t len, uint32_t src,
	       uint32_t dst, uint8_t ecn, const struct ipv4_srr *srr);

/* --- route.c --- */
/* Bytes the connection's source route option takes in each datagram. */
size_t route_opt_len(const struct usock *u);
/* The route's MSS: the interface MTU less the IP and TCP headers and the
 * source route option, but never under TCP_MIN_MSS (larger datagrams are
 * then fragmented). */
uint16_t route_mss(const struct usock *u, const struct iface *ifc);
/* Take the return route of a received source route (SHLD-24: a later one
 * replaces an earlier one), unless the application chose one. Returns
 * false when it does not fit what the connection's MSS allowed for. */
bool route_take_received(struct usock *u, const struct ipv4_srr *srr, uint32_t src);
/* At connect(): the application's route to raddr (MUST-51), if it gave one. */
void route_take_app(struct usock *u, uint32_t raddr);

/* --- trace.c --- */
void trace_seg(struct utcp_stack *s, enum utcp_trace_type type, struct usock *u,
	       const struct tcp_hdr *h, uint32_t src, uint32_t dst, uint32_t len,
	       bool retransmit, uint8_t ecn);
void trace_drop(struct utcp_stack *s, const char *reason, struct usock *u);
extern const struct tcp_host_ops stack_tcp_ops;
/* Take a child off its listener's queues (accepted, or gone). */
void child_detach(struct usock *c);

#define STAT(s, name) ((s)->stats.name++)

#endif
