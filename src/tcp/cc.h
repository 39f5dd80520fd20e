/*
 * Congestion control behind an operations table, as Linux's
 * tcp_congestion_ops and FreeBSD's cc_algo: the core (input.c, timers.c)
 * detects the events of RFC 5681 and RFC 6582 (new ACK, third duplicate
 * ACK, partial and full ACK in recovery, timeout) and computes the facts of
 * each; an algorithm only decides what cwnd and ssthresh become. It sees
 * struct tcp_cc, never the connection, and never a clock but `now`.
 *
 * Hooks marked "required" must be set: tcp_cc_register() rejects a table
 * without them. Optional hooks have the RFC 5681/6582 default behaviour.
 */
#ifndef UTCP_TCP_CC_H
#define UTCP_TCP_CC_H

#include "utcp/types.h"

#include <stdbool.h>
#include <stdint.h>

#define TCP_CC_PRIV_BYTES 32

/* Congestion state shared by core and algorithm (bytes). */
struct tcp_cc {
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t mss;            /* SMSS */
	uint32_t initial_window; /* segments (RFC 6928 default 10) */
	uint64_t priv[TCP_CC_PRIV_BYTES / 8]; /* the algorithm's own state */
};

/* The facts about one ACK, computed by the core. */
struct tcp_ack_info {
	uint32_t acked;   /* bytes of data newly acknowledged (not SYN, FIN) */
	uint32_t flight;  /* bytes in flight before this ACK (FlightSize) */
	utcp_time_us now;
	uint32_t rtt_us;  /* RTT sample from this ACK, 0 when none */
};

struct tcp_cc_ops {
	const char *name;   /* at most 15 characters */
	uint32_t priv_size; /* bytes of priv used, <= TCP_CC_PRIV_BYTES */

	/* required: set cwnd and ssthresh for a new connection. ssthresh
	 * arrives preset (the configured initial value, or "arbitrarily high"). */
	void (*init)(struct tcp_cc *cc);
	/* required: a new ACK outside loss recovery: grow cwnd. */
	void (*on_ack)(struct tcp_cc *cc, const struct tcp_ack_info *a);
	/* required: the ssthresh to use after a loss (RFC 5681 (4)). */
	uint32_t (*ssthresh)(struct tcp_cc *cc, uint32_t flight);

	/* optional: third duplicate ACK; ssthresh already set. Default
	 * (RFC 5681 3.2 step 4): cwnd = ssthresh + 3 * SMSS. */
	void (*enter_recovery)(struct tcp_cc *cc);
	/* optional: a further duplicate ACK in recovery. Default (step 5):
	 * cwnd += SMSS. */
	void (*recovery_dupack)(struct tcp_cc *cc);
	/* optional: a partial ACK (RFC 6582 3.2 step 5). Default: deflate by
	 * the amount acknowledged, add back SMSS if that was >= SMSS. */
	void (*partial_ack)(struct tcp_cc *cc, const struct tcp_ack_info *a);
	/* optional: the full ACK that ends recovery (RFC 6582 3.2 step 6).
	 * Default: cwnd = min(ssthresh, max(flight after the ACK, SMSS) + SMSS). */
	void (*exit_recovery)(struct tcp_cc *cc, const struct tcp_ack_info *a,
			      uint32_t flight_after);
	/* optional: retransmission timeout; ssthresh already set. Default
	 * (RFC 5681 3.1): cwnd = loss window = 1 SMSS. */
	void (*on_timeout)(struct tcp_cc *cc);
	/* optional: sending after an idle period longer than the RTO. Default
	 * (RFC 5681 4.1): cwnd = min(cwnd, restart window = initial window). */
	void (*after_idle)(struct tcp_cc *cc);
};

/* Built-in algorithms. */
extern const struct tcp_cc_ops tcp_cc_reno;
extern const struct tcp_cc_ops tcp_cc_textbook;
extern const struct tcp_cc_ops tcp_cc_fixed; /* no congestion control (the lab) */

/* Find an algorithm by name among the built-ins. NULL when unknown. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);

/* Check an operations table: required hooks present, name length and
 * private size within bounds. Returns 0 or -EINVAL. */
int tcp_cc_validate(const struct tcp_cc_ops *ops);

/* RFC 6928: the initial window in bytes for a given SMSS and segment count
 * (10 segments, but no more than max(2 * SMSS, 14600) when count is 10). */
uint32_t tcp_cc_initial_window_bytes(uint32_t mss, uint32_t segments);

#endif
