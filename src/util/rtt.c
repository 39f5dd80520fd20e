/*
 * The RTO estimator of RFC 6298, in integer microseconds.
 *
 * Rounding: every update is one integer division of a 64-bit sum, which
 * truncates (rounds down). So RTTVAR = (3 RTTVAR + |SRTT - R|) / 4 and
 * SRTT = (7 SRTT + R) / 8, not (3/4) RTTVAR + ... with a truncation per
 * term. The cost: under a constant R, SRTT approaching from below settles
 * up to 7 us under R, and RTTVAR decays to exactly 0. Both are far below
 * any RTO that matters (rto_min is 200 ms by default); Linux avoids the
 * bias by keeping SRTT scaled by 8, which the header's plain fields do
 * not allow.
 */
#include "util/rtt.h"

#include <assert.h>

/* RFC 6298 2: G, the clock granularity. Time here is in microseconds. */
#define RTT_CLOCK_GRANULARITY_US 1u

void rtt_init(struct rtt_est *e, uint32_t rto_initial_us)
{
	e->srtt_us = 0;
	e->rttvar_us = 0;
	e->rto_us = rto_initial_us;
	e->has_sample = false;
}

void rtt_sample(struct rtt_est *e, uint32_t r_us, uint32_t rto_min_us, uint32_t rto_max_us)
{
	assert(rto_min_us <= rto_max_us);
	if (!e->has_sample) {
		/* RFC 6298 2.2: the first measurement. */
		e->srtt_us = r_us;
		e->rttvar_us = r_us / 2;
		e->has_sample = true;
	} else {
		/* RFC 6298 2.3: RTTVAR uses the SRTT from before this sample,
		 * so it is updated first (beta = 1/4, alpha = 1/8). */
		uint64_t delta = e->srtt_us > r_us ? e->srtt_us - r_us : r_us - e->srtt_us;
		e->rttvar_us = (uint32_t)((3 * (uint64_t)e->rttvar_us + delta) / 4);
		e->srtt_us = (uint32_t)((7 * (uint64_t)e->srtt_us + r_us) / 8);
	}
	/* RFC 6298 2.2/2.3: RTO = SRTT + max(G, K * RTTVAR), K = 4. In 64
	 * bits: 4 * RTTVAR alone can exceed 32. */
	uint64_t k_rttvar = 4 * (uint64_t)e->rttvar_us;
	uint64_t rto = e->srtt_us +
		       (k_rttvar > RTT_CLOCK_GRANULARITY_US ? k_rttvar : RTT_CLOCK_GRANULARITY_US);
	/* RFC 6298 2.4: never below the minimum (1 s in the RFC; the
	 * caller's choice here); 2.5: a maximum may be placed on it. */
	if (rto < rto_min_us)
		rto = rto_min_us;
	if (rto > rto_max_us)
		rto = rto_max_us;
	e->rto_us = (uint32_t)rto;
}
