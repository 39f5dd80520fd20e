/*
 * Trace events: everything the stack does that a learner or a test may want
 * to see. A stack delivers each event to the callback in its configuration
 * (struct utcp_stack_config.trace), synchronously, while it processes. The
 * event and everything it points to are valid only during the call.
 *
 * src/trace/jsonl.c turns events into JSON lines (docs/TRACE.md).
 */
#ifndef UTCP_TRACE_H
#define UTCP_TRACE_H

#include "utcp/types.h"

/* TCP header flag bits, as on the wire. */
enum {
	UTCP_TH_FIN = 0x01,
	UTCP_TH_SYN = 0x02,
	UTCP_TH_RST = 0x04,
	UTCP_TH_PSH = 0x08,
	UTCP_TH_ACK = 0x10,
	UTCP_TH_URG = 0x20,
	UTCP_TH_ECE = 0x40,
	UTCP_TH_CWR = 0x80,
};

/* The eleven states of RFC 9293 section 3.3.2. */
enum utcp_tcp_state {
	UTCP_CLOSED = 0,
	UTCP_LISTEN,
	UTCP_SYN_SENT,
	UTCP_SYN_RCVD,
	UTCP_ESTABLISHED,
	UTCP_FIN_WAIT_1,
	UTCP_FIN_WAIT_2,
	UTCP_CLOSE_WAIT,
	UTCP_CLOSING,
	UTCP_LAST_ACK,
	UTCP_TIME_WAIT,
	UTCP_NUM_STATES
};

/* "ESTABLISHED", "SYN_RCVD", ... as netstat prints them. */
const char *utcp_state_name(enum utcp_tcp_state s);

/* Maximum SACK blocks one TCP header can carry (RFC 2018 section 3). */
#define UTCP_MAX_SACK 4

/* TCP options as parsed from, or written into, one segment. */
struct utcp_tcp_opts {
	bool has_mss, has_wscale, sack_permitted, has_ts;
	uint16_t mss;
	uint8_t wscale;
	uint8_t sack_count;
	uint32_t ts_val, ts_ecr;
	struct {
		uint32_t left, right;
	} sack[UTCP_MAX_SACK];
};

/* One TCP segment as it crossed the stack's boundary. */
struct utcp_trace_seg {
	uint32_t saddr, daddr; /* host order */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;     /* UTCP_TH_* */
	uint16_t wnd;      /* raw window field */
	uint32_t wnd_bytes; /* window after scaling, as the receiver reads it */
	uint16_t urp;
	uint32_t len; /* payload bytes */
	struct utcp_tcp_opts opts;
	bool retransmit; /* outgoing: this sequence range was sent before */
	uint8_t ecn;     /* the IP header's ECN field (RFC 3168 5): 0 Not-ECT,
			  * 1 ECT(1), 2 ECT(0), 3 CE */
};

enum utcp_trace_type {
	UTCP_TR_SEG_IN,  /* a TCP segment accepted by the IP layer for TCP */
	UTCP_TR_SEG_OUT, /* a TCP segment handed to a link */
	UTCP_TR_STATE,   /* a connection changed state */
	UTCP_TR_TIMER,   /* a timer was armed, fired or stopped */
	UTCP_TR_CC,      /* cwnd or ssthresh changed */
	UTCP_TR_DROP,    /* a packet was dropped; the reason is a counter name */
	UTCP_TR_RTT,     /* a new RTT sample updated SRTT/RTTVAR/RTO */
};

/* Timer kinds; OpenBSD style, one enum, names in utcp_timer_name(). */
enum utcp_timer_kind {
	UTCP_TIMER_RTX,       /* retransmission (RFC 6298) */
	UTCP_TIMER_PERSIST,   /* zero-window probe (RFC 9293 3.8.6.1) */
	UTCP_TIMER_DELACK,    /* delayed ACK (RFC 9293 3.8.6.3) */
	UTCP_TIMER_KEEPALIVE, /* keep-alive (RFC 9293 3.8.4) */
	UTCP_TIMER_TIME_WAIT, /* 2*MSL (RFC 9293 3.6.1) */
	UTCP_TIMER_FIN_WAIT_2, /* orphaned FIN_WAIT_2 give-up */
	UTCP_TIMER_COUNT
};
const char *utcp_timer_name(enum utcp_timer_kind k);

enum utcp_timer_action { UTCP_TIMER_ARM, UTCP_TIMER_FIRE, UTCP_TIMER_STOP };

/* Why cwnd/ssthresh changed. */
enum utcp_cc_event {
	UTCP_CC_INIT,
	UTCP_CC_ACK,          /* growth on a new ACK */
	UTCP_CC_FAST_RETRANSMIT, /* third duplicate ACK: enter recovery */
	UTCP_CC_RECOVERY_DUPACK, /* window inflation during recovery */
	UTCP_CC_PARTIAL_ACK,  /* RFC 6582 partial acknowledgement */
	UTCP_CC_RECOVERY_EXIT,
	UTCP_CC_TIMEOUT,
	UTCP_CC_IDLE_RESTART,
	UTCP_CC_ECN_ECE,      /* RFC 3168 6.1.2: an ACK with ECN-Echo */
};
const char *utcp_cc_event_name(enum utcp_cc_event e);

struct utcp_trace_event {
	enum utcp_trace_type type;
	utcp_time_us at;
	/* Connection the event belongs to (0 when none, e.g. a RST to a closed
	 * port); ids are unique within a stack and never reused. */
	uint32_t conn_id;
	/* Identity of the connection (host order), when conn_id != 0. */
	struct utcp_sockaddr local, remote;
	union {
		struct utcp_trace_seg seg; /* SEG_IN, SEG_OUT */
		struct {
			enum utcp_tcp_state from, to;
		} state;
		struct {
			enum utcp_timer_kind kind;
			enum utcp_timer_action action;
			utcp_time_us expires_at; /* ARM: when it will fire */
		} timer;
		struct {
			enum utcp_cc_event why;
			uint32_t cwnd, ssthresh; /* bytes */
			uint32_t mss;
			uint32_t flight; /* bytes outstanding */
		} cc;
		struct {
			const char *reason; /* a counter name from utcp_stats */
			struct utcp_trace_seg seg; /* valid when has_seg */
			bool has_seg;
		} drop;
		struct {
			uint32_t sample_us, srtt_us, rttvar_us, rto_us;
		} rtt;
	} u;
};

typedef void (*utcp_trace_fn)(void *ctx, const struct utcp_trace_event *ev);

/* Format one event as a JSON object on one line (no newline) into buf,
 * docs/TRACE.md describes the fields. `host` names the stack (NULL: the
 * field is left out). Returns the length the line needs, as snprintf does:
 * when that is >= len the text was cut short. */
size_t utcp_trace_json(const struct utcp_trace_event *ev, const char *host, char *buf,
		       size_t len);

/* Name of a trace event type ("seg_in", "state", ...). */
const char *utcp_trace_type_name(enum utcp_trace_type t);

#endif
