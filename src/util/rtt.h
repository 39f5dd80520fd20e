/*
 * The retransmission timer's estimator, RFC 6298: SRTT, RTTVAR and RTO
 * from RTT samples, with clamping to [min, max]. Pure arithmetic on
 * microseconds; Karn's rule (no samples from retransmitted segments) and
 * back-off are the caller's business.
 */
#ifndef UTCP_UTIL_RTT_H
#define UTCP_UTIL_RTT_H

#include <stdbool.h>
#include <stdint.h>

struct rtt_est {
	uint32_t srtt_us;
	uint32_t rttvar_us;
	uint32_t rto_us;
	bool has_sample;
};

/* RFC 6298 (2.1): before any sample, RTO is the initial value. */
void rtt_init(struct rtt_est *e, uint32_t rto_initial_us);

/* Take one measurement r_us. First sample (2.2): SRTT = R, RTTVAR = R/2;
 * later (2.3): RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT = 7/8 SRTT + 1/8 R;
 * RTO = SRTT + max(G, 4 RTTVAR), then clamped to [rto_min_us, rto_max_us]
 * (2.4, 2.5). G is the clock granularity (1 us here, so effectively 0 < G). */
void rtt_sample(struct rtt_est *e, uint32_t r_us, uint32_t rto_min_us,
		uint32_t rto_max_us);

#endif
