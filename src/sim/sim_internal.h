/*
 * The simulator's private structures, shared by world.c (the clock and the
 * run loop), node.c (hosts, raw nodes, routers), channel.c (links and their
 * faults) and event.c (the event queue and the packet pools).
 *
 * Ownership: the world owns every node, channel, event and buffer. Nodes and
 * channels are allocated one by one and never move (a host's link_ctx points
 * at its node), so pointers to them stay valid while callbacks add more.
 */
#ifndef UTCP_SIM_INTERNAL_H
#define UTCP_SIM_INTERNAL_H

#include "sim/rng.h"
#include "utcp/pcap.h"
#include "utcp/sim.h"

#include <stddef.h>
#include <stdint.h>

/* A packet copy in flight. Buffers come in size classes of 64 << cls bytes
 * (64 B .. 64 KiB, enough for any IPv4 datagram) and return to the free
 * list of their class, so a warmed-up world allocates nothing per packet. */
#define SIM_BUF_CLASSES 11
#define SIM_MAX_PACKET	65535u

struct sim_buf {
	struct sim_buf *next; /* free list link */
	uint32_t len;	      /* bytes used; <= 64 << cls */
	uint8_t cls;
	uint8_t data[];
};

enum sim_event_kind {
	SIM_EV_ARRIVE, /* buf reaches node `node` over channel `ch` */
	SIM_EV_TIMER,  /* host `node` asked to run; live only if gen matches */
};

struct sim_event {
	utcp_time_us at;
	uint64_t seq; /* order of scheduling: breaks ties of `at` */
	enum sim_event_kind kind;
	int node;
	int ch;
	uint64_t gen;
	struct sim_buf *buf;
	struct sim_event *next; /* free list link */
};

/* Binary min-heap of events ordered by (at, seq). */
struct sim_evq {
	struct sim_event **a; /* a[0..n) */
	size_t n, cap;
	uint64_t next_seq;
};

enum sim_node_kind { SIM_NODE_HOST, SIM_NODE_RAW, SIM_NODE_ROUTER };

struct sim_route {
	uint32_t prefix; /* host order, masked to len bits */
	uint8_t len;
	int ch; /* leaves the router */
};

struct sim_node {
	struct utcp_sim *w;
	int id;
	enum sim_node_kind kind;
	char *name;
	uint32_t addr;
	int out_ch; /* host and raw: the channel leaving it; -1 until connected */
	int iface;  /* host: the stack's index of its one interface */

	/* Host. timer_at is the time of the live timer event (UTCP_TIME_NEVER:
	 * none); an event whose gen is not timer_gen was superseded. */
	struct utcp_stack *stack;
	struct utcp_stack_config cfg;
	utcp_time_us timer_at;
	uint64_t timer_gen;

	/* Raw. */
	utcp_sim_rx_fn rx;
	void *rx_ctx;

	/* Router. Routers forward unchanged: no TTL decrement, no ICMP. */
	struct sim_route *routes;
	size_t n_routes, cap_routes;
	uint64_t drop_no_route;	 /* no route matched the destination */
	uint64_t drop_malformed; /* too short to hold an IPv4 header */
};

/* A capture file, shared by the slots that write to it (a node capture
 * writes its outgoing channel's tx side and its incoming one's rx side). */
struct sim_cap {
	struct utcp_pcap *pcap;
	int refs;
};

/* A packet that has entered a channel and not finished serialisation. */
struct sim_departure {
	utcp_time_us at; /* serialisation completes */
	uint32_t len;
};

struct sim_drop_rule {
	enum utcp_sim_match match;
	uint32_t nth, count; /* drop matches nth .. nth + count - 1 */
	uint64_t seen;	     /* matches since the rule was added */
};

struct sim_channel {
	int id, from, to;
	struct utcp_sim_channel_config cfg;
	struct sim_rng rng;
	utcp_time_us tx_free_at; /* the transmitter finishes its last packet */

	/* Drop-tail queue, tracked lazily: a ring of departures purged on
	 * each send (no event per departure). q_bytes sums their lengths. */
	struct sim_departure *q;
	uint32_t q_head, q_len, q_cap; /* q_cap is 0 or a power of two */
	uint64_t q_bytes;

	struct sim_drop_rule *rules;
	size_t n_rules, cap_rules;

	struct sim_cap *cap_tx, *cap_rx; /* NULL: not capturing */
	struct utcp_sim_channel_stats st;
};

struct utcp_sim {
	uint64_t seed;
	utcp_time_us now;
	struct sim_rng rng; /* utcp_sim_rand() */
	struct sim_node **nodes;
	size_t n_nodes, cap_nodes;
	struct sim_channel **chans;
	size_t n_chans, cap_chans;
	struct sim_evq evq;
	struct sim_event *free_events;
	struct sim_buf *free_bufs[SIM_BUF_CLASSES];
	bool in_event; /* dispatching: run functions must not be re-entered */
};

/* Make room in arr (*cap items of elem bytes) for at least need items.
 * Returns arr or its reallocation (updating *cap), or NULL when out of
 * memory (arr is then unchanged and still the caller's). */
void *sim_grow(void *arr, size_t *cap, size_t need, size_t elem);

/* event.c */
struct sim_event *sim_event_get(struct utcp_sim *w);
void sim_event_put(struct utcp_sim *w, struct sim_event *ev);
struct sim_buf *sim_buf_get(struct utcp_sim *w, const uint8_t *data, size_t len);
void sim_buf_put(struct utcp_sim *w, struct sim_buf *b);
int sim_evq_push(struct utcp_sim *w, struct sim_event *ev, utcp_time_us at);
struct sim_event *sim_evq_top(const struct utcp_sim *w);
struct sim_event *sim_evq_pop(struct utcp_sim *w);
void sim_events_free(struct utcp_sim *w);

/* node.c */
struct sim_node *sim_node(const struct utcp_sim *w, int id);
void sim_node_free(struct sim_node *n);
void sim_node_receive(struct utcp_sim *w, int node, const uint8_t *pkt, size_t len,
		      utcp_time_us at);

/* channel.c */
struct sim_channel *sim_channel(const struct utcp_sim *w, int id);
int sim_channel_config_check(const struct utcp_sim_channel_config *cfg);
int sim_channel_new(struct utcp_sim *w, int from, int to,
		    const struct utcp_sim_channel_config *cfg);
void sim_channel_free(struct sim_channel *c);
int sim_channel_send(struct utcp_sim *w, int ch, const uint8_t *pkt, size_t len);
void sim_channel_arrived(struct utcp_sim *w, int ch, const struct sim_buf *b);
/* Drop one reference to a capture, closing the file with the last. */
void sim_cap_put(struct sim_cap *cap);

/* Routers' drop counters, for tests (the public API has no node stats). */
uint64_t sim_router_drops_no_route(const struct utcp_sim *w, int router);

#endif
