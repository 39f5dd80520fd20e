/*
 * A utcp stack instance: interfaces, connections, timers.
 *
 * A program may create any number of stacks; they share no state. A stack
 * never reads a clock and never blocks: every entry point that lets time pass
 * takes the current time, and utcp_stack_poll() says when the stack next
 * needs to run. Packets leave through the output function of an interface;
 * packets arrive through utcp_stack_input().
 */
#ifndef UTCP_STACK_H
#define UTCP_STACK_H

#include "utcp/trace.h"
#include "utcp/types.h"

struct utcp_stack;

/* How a stack hands a packet to a link. The packet (an IPv4 datagram on
 * an IP interface, an Ethernet frame on an Ethernet interface) is valid
 * only during the call: a link that queues it must copy it.
 * Returns 0, or a negative errno when the link dropped the packet
 * (the stack counts it; TCP recovers as from any loss). */
struct utcp_link_ops {
	int (*output)(void *link_ctx, const uint8_t *packet, size_t len);
};

/* What an interface carries. */
enum utcp_iface_kind {
	UTCP_IFACE_IP = 0,   /* IPv4 datagrams (TUN, the simulator) */
	UTCP_IFACE_ETHERNET, /* Ethernet frames (TAP): the stack runs ARP */
};

struct utcp_iface_config {
	const char *name;   /* for traces and netstat; copied */
	uint32_t addr;      /* our address, host order */
	uint8_t prefix_len; /* on-link subnet */
	uint16_t mtu;       /* largest IP datagram the link carries (not
			     * counting the Ethernet header) */
	const struct utcp_link_ops *ops;
	void *link_ctx;
	enum utcp_iface_kind kind; /* default (0): IP */
	uint8_t mac[6];     /* ETHERNET: our station address (unicast) */
	uint32_t gateway;   /* next hop off the subnet, host order; 0: none
			     * (off-subnet destinations are resolved directly) */
};

/* Readiness bits, as poll(2) names them. */
enum {
	UTCP_POLLIN = 0x001,    /* data (or EOF, or a connection to accept) */
	UTCP_POLLPRI = 0x002,   /* urgent data pending (RFC 9293 3.8.5) */
	UTCP_POLLOUT = 0x004,   /* send buffer has room / connect completed */
	UTCP_POLLERR = 0x008,   /* a pending error (SO_ERROR) */
	UTCP_POLLHUP = 0x010,   /* both directions closed */
	UTCP_POLLRDHUP = 0x2000, /* peer closed its sending side */
	UTCP_POLLSOFTERR = 0x4000, /* a soft error arrived (ICMP; read it with
				    * UTCP_UTCP_SOFT_ERROR); utcp's own bit */
};

/* Called when a socket's readiness may have changed (edge: check with
 * utcp_poll_events() and read/write until -EAGAIN). Delivered after the
 * stack has finished processing, so the callback may call any socket
 * function of the same stack. */
typedef void (*utcp_event_fn)(void *ctx, int fd, unsigned events);

/* Allocator the stack uses for everything it allocates (connections,
 * buffers, tables); the stack also counts the bytes it holds
 * (utcp_stack_mem_in_use). The hooks are used as a pair: unless both are
 * set, malloc and free are used. */
struct utcp_allocator {
	void *(*alloc)(void *ctx, size_t size);
	void (*release)(void *ctx, void *ptr, size_t size);
	void *ctx;
};

struct utcp_stack_config {
	/* Secret key of the ISN and ephemeral-port hashes (RFC 9293 3.4.1,
	 * RFC 6056). The caller supplies it (from getrandom, or a seed in the
	 * simulator): the stack has no hidden source of randomness. */
	uint8_t secret[16];

	utcp_time_us msl;           /* TIME_WAIT lasts 2*msl; default 30 s */
	utcp_time_us rto_initial;   /* RFC 6298 (2.1): default 1 s */
	utcp_time_us rto_min;       /* default 200 ms */
	utcp_time_us rto_max;       /* default 120 s */
	utcp_time_us delack;        /* delayed-ACK time; 0 = ACK at once; default 40 ms */
	utcp_time_us fin_wait_2_timeout; /* orphaned FIN_WAIT_2; default 60 s */
	uint32_t retries_r1;        /* RFC 9293 3.8.3 R1: default 3 */
	uint32_t retries_r2;        /* data retransmissions before ETIMEDOUT: default 15 */
	uint32_t syn_retries;       /* SYN retransmissions before ETIMEDOUT: default 7,
				     * 247 s, for RFC 9293 MUST-23's 3 minutes */
	uint32_t sndbuf, rcvbuf;    /* default socket buffer sizes (bytes): 4 MiB */
	uint32_t initial_window;    /* segments; RFC 6928 default 10 */
	uint16_t port_lo, port_hi;  /* ephemeral range; default 32768..60999 */
	uint16_t syn_backlog_max;   /* cap on a listener's SYN queue; default 1024 */
	uint8_t ttl;                /* default 64 */
	bool tw_reuse;              /* connect() may reuse a TIME_WAIT four-tuple */
	uint32_t challenge_ack_limit; /* RFC 5961 section 7: per second, whole
				       * stack; default 1000; 0 = no limit */
	bool accept_source_route;   /* honour received IP source routes (RFC 9293
				     * MUST-53); default off: such datagrams are
				     * dropped, as RFC 7126 advises */
	bool sack;                  /* offer and accept SACK (RFC 2018); default on */
	bool timestamps;            /* offer and accept timestamps (RFC 7323); default on */
	uint8_t ecn;                /* ECN (RFC 3168), as Linux's net.ipv4.tcp_ecn:
				     * UTCP_ECN_OFF, UTCP_ECN_ON (request it on
				     * active opens, accept it), or UTCP_ECN_ACCEPT
				     * (accept it when the peer asks; the default) */
	const char *cc;             /* default congestion control: "reno" */

	utcp_trace_fn trace; /* may be NULL */
	void *trace_ctx;
	utcp_event_fn on_event; /* may be NULL */
	void *event_ctx;
	struct utcp_allocator allocator;
};

/* The ECN settings of utcp_stack_config.ecn and UTCP_UTCP_ECN. */
enum { UTCP_ECN_OFF = 0, UTCP_ECN_ON = 1, UTCP_ECN_ACCEPT = 2 };

/* True when `name` is a congestion-control algorithm utcp has ("reno",
 * "textbook", "fixed"). */
bool utcp_cc_known(const char *name);

/* Fill cfg with the defaults documented above (secret all zero). */
void utcp_stack_config_default(struct utcp_stack_config *cfg);

/* Create a stack. Returns 0 and sets *out, or -EINVAL for a bad
 * configuration (unknown cc, port_lo > port_hi, ...), -ENOMEM. */
int utcp_stack_new(const struct utcp_stack_config *cfg, struct utcp_stack **out);

/* Destroy a stack and everything in it, without sending anything. */
void utcp_stack_free(struct utcp_stack *s);

/* Add an interface. Returns its index (>= 0), or -EINVAL, -ENOMEM. An
 * Ethernet interface announces its address with a gratuitous ARP at once
 * (RFC 5227 section 3), so its link must be ready to send. */
int utcp_iface_add(struct utcp_stack *s, const struct utcp_iface_config *cfg);

/* Hand the stack one IPv4 datagram (an Ethernet frame on an Ethernet
 * interface) that arrived on interface `iface` at time `now`. Malformed
 * packets are dropped and counted, never fatal. */
void utcp_stack_input(struct utcp_stack *s, int iface, const uint8_t *packet,
		      size_t len, utcp_time_us now);

/* Process a burst of datagrams as one: between begin and end, segments are
 * processed as they are input but nothing is sent until end, so one ACK
 * answers all the segments of a connection in the burst (RFC 9293 MUST-58,
 * MUST-59). A link driver wraps what it read in one go. Calls nest. */
void utcp_stack_batch_begin(struct utcp_stack *s, utcp_time_us now);
void utcp_stack_batch_end(struct utcp_stack *s);

/* Let time pass: run every timer due at or before `now`. Returns the time
 * of the next deadline, or UTCP_TIME_NEVER. Times must not go backwards: an
 * earlier `now` than the stack has seen is treated as the latest seen. */
utcp_time_us utcp_stack_poll(struct utcp_stack *s, utcp_time_us now);

/* The next deadline without running anything. */
utcp_time_us utcp_stack_next_deadline(const struct utcp_stack *s);

/* The latest time the stack has been given. Socket calls act at this time. */
utcp_time_us utcp_stack_now(const struct utcp_stack *s);

/* Bytes the stack currently holds through its allocator. */
size_t utcp_stack_mem_in_use(const struct utcp_stack *s);

/*
 * Counters, one per event and per drop reason (as BSD's tcpstat).
 * X(name, description): the name is also the drop reason in traces.
 */
#define UTCP_STATS(X)                                                        \
	X(ip_in, "IPv4 datagrams received")                                  \
	X(ip_out, "IPv4 datagrams sent")                                     \
	X(ip_out_link_drop, "datagrams the link refused")                    \
	X(ip_drop_short, "dropped: shorter than an IPv4 header")             \
	X(ip_drop_version, "dropped: not IPv4")                              \
	X(ip_drop_hdr_len, "dropped: bad header length")                     \
	X(ip_drop_total_len, "dropped: total length past the packet")        \
	X(ip_drop_checksum, "dropped: bad header checksum")                  \
	X(ip_drop_not_ours, "dropped: not addressed to this host")           \
	X(ip_drop_bad_src, "dropped: broadcast/multicast/zero source")       \
	X(ip_drop_source_route, "dropped: source route (not accepted, not complete, or malformed)") \
	X(ip_drop_proto, "dropped: protocol other than TCP and ICMP")        \
	X(ip_drop_no_route, "not sent: no interface reaches the destination") \
	X(ip_drop_too_big, "not sent: larger than the interface MTU")        \
	X(icmp_in, "ICMP messages received")                                 \
	X(icmp_drop_short, "ICMP dropped: shorter than its header")          \
	X(icmp_drop_checksum, "ICMP dropped: bad checksum")                  \
	X(icmp_echo_reply, "ICMP echo replies sent")                         \
	X(icmp_error_in, "ICMP errors taken by a connection")                \
	X(icmp_error_ignored, "ICMP errors about nothing we have in flight") \
	X(icmp_drop_other, "ICMP dropped: a type we do not handle")          \
	X(tcp_in, "TCP segments received")                                   \
	X(tcp_out, "TCP segments sent")                                      \
	X(tcp_drop_short, "dropped: shorter than a TCP header")              \
	X(tcp_drop_data_offset, "dropped: data offset out of range")         \
	X(tcp_drop_options, "dropped: malformed options")                    \
	X(tcp_drop_checksum, "dropped: bad TCP checksum")                    \
	X(tcp_drop_flags, "dropped: illegal flag combination")               \
	X(tcp_drop_port_zero, "dropped: port 0")                             \
	X(tcp_drop_no_conn, "no connection: answered with RST")              \
	X(tcp_drop_no_conn_rst, "no connection, RST: dropped silently")      \
	X(tcp_drop_listen_bad, "dropped at a listener: not a SYN")           \
	X(tcp_drop_syn_queue_full, "dropped: SYN queue full")                \
	X(tcp_drop_accept_queue_full, "dropped: accept queue full")          \
	X(tcp_drop_out_of_window, "dropped: outside the receive window")     \
	X(tcp_drop_paws, "dropped: timestamp older than TS.Recent (PAWS)")   \
	X(tcp_drop_bad_ack, "dropped: unacceptable ACK")                     \
	X(tcp_drop_no_ack, "dropped: no ACK flag in a synchronized state")   \
	X(tcp_drop_old_ack, "dropped: ACK too old (RFC 5961 5.2)")          \
	X(tcp_drop_syn_sent, "dropped in SYN_SENT")                          \
	X(tcp_drop_after_close, "data after close: answered with RST")       \
	X(tcp_drop_ooo_full, "dropped: out-of-order queue full")             \
	X(tcp_challenge_ack, "challenge ACKs sent (RFC 5961)")               \
	X(tcp_challenge_ack_limited, "challenge ACKs not sent: over the limit") \
	X(tcp_rst_in, "RST segments accepted")                               \
	X(tcp_rst_out, "RST segments sent")                                  \
	X(tcp_dup_segment, "segments entirely duplicate")                    \
	X(tcp_ooo_segment, "segments received out of order")                 \
	X(tcp_dup_ack, "duplicate ACKs received")                            \
	X(tcp_retransmit, "segments retransmitted")                          \
	X(tcp_timeout, "retransmission timeouts")                            \
	X(tcp_fast_retransmit, "fast retransmits")                           \
	X(tcp_ecn_negotiated, "connections that negotiated ECN (RFC 3168)")  \
	X(tcp_ecn_ce_received, "data segments received marked CE")          \
	X(tcp_ecn_cwnd_reductions, "congestion window reductions for ECN-Echo") \
	X(tcp_zero_window_probe, "zero-window probes sent")                  \
	X(tcp_keepalive_probe, "keep-alive probes sent")                     \
	X(tcp_conn_timeout, "connections dropped after retries")             \
	X(tcp_negative_advice, "R1 retransmissions reached: next hop re-checked") \
	X(tcp_active_open, "connections opened actively")                    \
	X(tcp_passive_open, "connections opened passively")                  \
	X(tcp_time_wait_reopen, "TIME_WAIT reused by a new SYN")              \
	X(frag_in, "IPv4 fragments received")                                \
	X(frag_reassembled, "datagrams reassembled from fragments")         \
	X(frag_dup, "fragments ignored: bytes we already had")               \
	X(frag_drop_bad_len, "fragments dropped: bad length or offset")      \
	X(frag_drop_overlap, "fragments dropped: overlap with other bytes")  \
	X(frag_drop_timeout, "partial datagrams dropped: reassembly timeout") \
	X(frag_drop_no_room, "partial datagrams dropped to make room")      \
	X(frag_out, "fragments sent (ICMP replies larger than the MTU)")     \
	X(icmp_time_exceeded_out, "ICMP time exceeded sent (reassembly)")   \
	X(eth_in, "Ethernet frames received")                                \
	X(eth_drop_short, "Ethernet dropped: shorter than its header")       \
	X(eth_drop_not_ours, "Ethernet dropped: for another station")        \
	X(eth_drop_ethertype, "Ethernet dropped: not IPv4 or ARP (IPv6, ...)") \
	X(arp_in, "ARP packets received")                                    \
	X(arp_drop_short, "ARP dropped: shorter than Ethernet/IPv4 ARP")     \
	X(arp_drop_format, "ARP dropped: not Ethernet/IPv4")                 \
	X(arp_drop_op, "ARP dropped: neither request nor reply")             \
	X(arp_drop_bad_sender, "ARP dropped: group or zero sender address")  \
	X(arp_conflict, "ARP dropped: another station claims our address")   \
	X(arp_request_out, "ARP requests sent")                              \
	X(arp_reply_out, "ARP replies sent")                                 \
	X(arp_queued, "datagrams held while ARP resolves their next hop")    \
	X(arp_drop_queue_full, "not sent: ARP hold queue full (oldest dropped)") \
	X(arp_drop_unresolved, "not sent: the next hop never answered ARP")  \
	X(arp_drop_table_full, "not sent: ARP table full of pending entries")

struct utcp_stats {
#define UTCP_STATS_FIELD(name, desc) uint64_t name;
	UTCP_STATS(UTCP_STATS_FIELD)
#undef UTCP_STATS_FIELD
};

/* Copy the stack's counters. */
void utcp_stack_stats(const struct utcp_stack *s, struct utcp_stats *out);

/* Visit every counter by name (for printing): fn(ctx, name, desc, value). */
void utcp_stats_foreach(const struct utcp_stats *st,
			void (*fn)(void *ctx, const char *name, const char *desc,
				   uint64_t value),
			void *ctx);

#endif
