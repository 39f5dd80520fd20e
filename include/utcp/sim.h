/*
 * The simulated network: many hosts in one process, one virtual clock.
 *
 * A world holds nodes and one-way channels between them. A host node owns a
 * utcp stack with a single interface; a router node forwards IPv4 datagrams
 * by its routes. A channel models a link direction: a drop-tail queue
 * (which may mark ECN-capable packets CE above a threshold), a
 * serialisation rate, a propagation delay, and faults drawn from random
 * streams derived from the world's seed, one per channel (loss, duplication,
 * reordering), or scripted ("drop the 3rd
 * data segment"). Events run in (time, sequence) order, so the same seed and
 * the same calls give the same run, bit for bit.
 *
 * The stack cannot tell a channel from a real device: the world calls
 * utcp_stack_input() and utcp_stack_poll() with virtual time.
 */
#ifndef UTCP_SIM_H
#define UTCP_SIM_H

#include "utcp/stack.h"
#include "utcp/types.h"

struct utcp_sim;

/* Create a world. Returns NULL when out of memory. */
struct utcp_sim *utcp_sim_new(uint64_t seed);
void utcp_sim_free(struct utcp_sim *w);

/* Current virtual time (starts at 0). */
utcp_time_us utcp_sim_now(const struct utcp_sim *w);

/* Add a host with address addr/prefix_len, its stack built from cfg (NULL:
 * the stack's defaults; the world fills the secret from its seed when it is
 * all zero). mtu 0 means 1500. Returns the node id (>= 0) or a negative errno. */
int utcp_sim_host_add(struct utcp_sim *w, const char *name, uint32_t addr,
		      uint8_t prefix_len, uint16_t mtu,
		      const struct utcp_stack_config *cfg);

/* Add a raw node: no stack. Datagrams delivered to it are passed to
 * rx(ctx, at, packet, len) (valid during the call); it sends with
 * utcp_sim_send(). Tests use one to play a scripted peer, segment by
 * segment. Returns the node id or a negative errno. */
typedef void (*utcp_sim_rx_fn)(void *ctx, utcp_time_us at, const uint8_t *pkt,
			       size_t len);
int utcp_sim_raw_add(struct utcp_sim *w, const char *name, uint32_t addr,
		     utcp_sim_rx_fn rx, void *ctx);

/* Send a datagram from a raw node into the channel leaving it, now.
 * Returns 0 even when the channel then drops it (as a link would), or
 * -EINVAL (not a raw node), -ENETUNREACH (not connected), -EMSGSIZE
 * (over 65535 bytes). */
int utcp_sim_send(struct utcp_sim *w, int node, const uint8_t *pkt, size_t len);

/* Add a router. Returns the node id or a negative errno. */
int utcp_sim_router_add(struct utcp_sim *w, const char *name);

/* The stack of a host node (NULL for a router or a bad id). */
struct utcp_stack *utcp_sim_stack(struct utcp_sim *w, int node);
const char *utcp_sim_node_name(const struct utcp_sim *w, int node);

/* One direction of a link. */
struct utcp_sim_channel_config {
	utcp_time_us delay;    /* propagation delay */
	uint64_t rate_bps;     /* serialisation rate, bits/s; 0 = infinite */
	uint32_t queue_pkts;   /* drop-tail limit in packets; 0 = unlimited */
	uint32_t queue_bytes;  /* drop-tail limit in bytes; 0 = unlimited */
	double loss;           /* probability a packet is lost, 0..1 */
	double duplicate;      /* probability a packet is delivered twice */
	double reorder;        /* probability a packet is held back ... */
	utcp_time_us reorder_delay; /* ... by this much extra delay */
	uint16_t mtu;          /* larger packets are dropped; 0 = no limit */
	uint32_t ecn_mark_pkts; /* ECN marking (RFC 3168 5): an ECT packet that
				 * finds at least this many packets queued is
				 * marked CE (and queued); 0 = never. Not-ECT
				 * packets only meet the drop-tail limit. */
};

/* Connect nodes a and b with two channels (a->b uses ab, b->a uses ba;
 * NULL means an ideal channel: no delay, infinite rate, no faults). A host
 * has one interface, so it can be connected once. Sets *ch_ab and *ch_ba
 * (either may be NULL) to the channel ids. Returns 0 or a negative errno. */
int utcp_sim_connect(struct utcp_sim *w, int a, int b,
		     const struct utcp_sim_channel_config *ab,
		     const struct utcp_sim_channel_config *ba, int *ch_ab,
		     int *ch_ba);

/* Router: send datagrams for prefix/len out of the channel ch_out (which
 * must start at this router). Longest prefix wins. */
int utcp_sim_route_add(struct utcp_sim *w, int router, uint32_t prefix,
		       uint8_t len, int ch_out);

/* Change a channel's configuration while running (queued packets stay). */
int utcp_sim_channel_set(struct utcp_sim *w, int ch,
			 const struct utcp_sim_channel_config *cfg);

/* What a scripted drop matches. */
enum utcp_sim_match {
	UTCP_SIM_ANY,      /* every packet */
	UTCP_SIM_TCP_DATA, /* TCP segments with payload */
	UTCP_SIM_TCP_SYN,  /* SYN (with or without ACK) */
	UTCP_SIM_TCP_FIN,  /* FIN set */
	UTCP_SIM_TCP_PURE_ACK, /* ACK set, no payload, no SYN/FIN/RST */
	UTCP_SIM_TCP_RST,
};

/* Drop the nth, (n+1)th, ... (count packets) that match on channel ch,
 * counting matches from 1 since the rule was added. Returns 0 or -errno. */
int utcp_sim_drop_nth(struct utcp_sim *w, int ch, enum utcp_sim_match m,
		      uint32_t nth, uint32_t count);

/* Capture a channel to a pcap file (LINKTYPE_RAW, microsecond stamps).
 * at_rx false: packets as they enter the channel (including those it then
 * loses); true: as they leave it. A channel may have one capture of each
 * kind; calling again for the same kind replaces it. Returns 0 or -errno
 * (file errors; the previous capture then stays). */
int utcp_sim_capture(struct utcp_sim *w, int ch, const char *path, bool at_rx);

/* Capture everything a host or raw node sends and receives into one pcap
 * file, as tcpdump on its interface would (both directions of its link).
 * Returns 0, -EINVAL (bad or unconnected node), or -errno from the file. */
int utcp_sim_capture_node(struct utcp_sim *w, int node, const char *path);

/* Per-channel counters. */
struct utcp_sim_channel_stats {
	uint64_t sent_pkts, sent_bytes;   /* offered to the channel */
	uint64_t delivered_pkts, delivered_bytes;
	uint64_t drop_queue, drop_random, drop_scripted, drop_mtu;
	uint64_t duplicated, reordered;
	uint64_t ce_marked;      /* ECT packets marked CE (ecn_mark_pkts) */
	uint32_t queue_max_pkts; /* high-water mark of the queue */
};
int utcp_sim_channel_stats(const struct utcp_sim *w, int ch,
			   struct utcp_sim_channel_stats *out);

/* Run events until virtual time t (inclusive), then bring every stack's
 * clock to t. */
void utcp_sim_run_until(struct utcp_sim *w, utcp_time_us t);

/* Run for a duration from now. */
void utcp_sim_run_for(struct utcp_sim *w, utcp_time_us d);

/* Run until done(ctx) returns true (checked before starting and after
 * every event) or until virtual time `limit` (the world then settles at
 * limit, as run_until, and done() is checked once more). Returns true if
 * done() was reached. */
bool utcp_sim_run_while(struct utcp_sim *w, bool (*done)(void *ctx), void *ctx,
			utcp_time_us limit);

/* Run the next event, if any. Returns false when nothing is scheduled. */
bool utcp_sim_step(struct utcp_sim *w);

/* Deterministic random numbers from the world's seed, for applications
 * running in the world (xoshiro256** seeded by splitmix64). */
uint64_t utcp_sim_rand(struct utcp_sim *w);

#endif
