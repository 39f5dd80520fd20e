/* Unit tests of the RFC 6298 estimator (rtt.h): the first sample, later
 * samples with the exact integer results (truncating division, as rtt.c
 * documents), clamping to [min, max], and the granularity term. */
#include "../harness.h"

#include "util/rtt.h"

#define MIN_US	   200000u    /* 200 ms */
#define MAX_US	   120000000u /* 120 s */
#define INITIAL_US 1000000u   /* 1 s, RFC 6298 (2.1) */

TEST(util_rtt_initial_value)
{
	struct rtt_est e;
	rtt_init(&e, INITIAL_US);
	CHECK(!e.has_sample);
	CHECK_EQ(e.rto_us, INITIAL_US);
	CHECK_EQ(e.srtt_us, 0);
	CHECK_EQ(e.rttvar_us, 0);
}

TEST(util_rtt_first_sample)
{
	struct rtt_est e;
	rtt_init(&e, INITIAL_US);
	rtt_sample(&e, 100000, MIN_US, MAX_US);
	/* (2.2): SRTT = R, RTTVAR = R/2, RTO = R + 4 * R/2 = 3R. */
	CHECK(e.has_sample);
	CHECK_EQ(e.srtt_us, 100000);
	CHECK_EQ(e.rttvar_us, 50000);
	CHECK_EQ(e.rto_us, 300000);
	/* An odd R: R/2 rounds down. */
	rtt_init(&e, INITIAL_US);
	rtt_sample(&e, 300001, MIN_US, MAX_US);
	CHECK_EQ(e.rttvar_us, 150000);
	CHECK_EQ(e.rto_us, 300001 + 600000);
}

TEST(util_rtt_subsequent_samples)
{
	struct rtt_est e;
	rtt_init(&e, INITIAL_US);
	rtt_sample(&e, 100000, MIN_US, MAX_US);
	/* (2.3) with R = 200000: |SRTT - R| = 100000 uses the old SRTT;
	 * RTTVAR = (3 * 50000 + 100000) / 4, SRTT = (7 * 100000 + 200000) / 8. */
	rtt_sample(&e, 200000, MIN_US, MAX_US);
	CHECK_EQ(e.rttvar_us, 62500);
	CHECK_EQ(e.srtt_us, 112500);
	CHECK_EQ(e.rto_us, 112500 + 4 * 62500);
	/* R = 50000: RTTVAR = (187500 + 62500) / 4 = 62500,
	 * SRTT = (787500 + 50000) / 8 = 104687.5, truncated. */
	rtt_sample(&e, 50000, MIN_US, MAX_US);
	CHECK_EQ(e.rttvar_us, 62500);
	CHECK_EQ(e.srtt_us, 104687);
	CHECK_EQ(e.rto_us, 104687 + 250000);
	/* One division per update, not one per term: (3 * 3 + 2) / 4 = 2,
	 * where 3 * (3 / 4) + 2 / 4 would give 0. */
	rtt_init(&e, INITIAL_US);
	rtt_sample(&e, 6, 0, MAX_US);
	CHECK_EQ(e.rttvar_us, 3);
	rtt_sample(&e, 8, 0, MAX_US);
	CHECK_EQ(e.rttvar_us, 2);
	CHECK_EQ(e.srtt_us, 6); /* (42 + 8) / 8 = 6.25 */
	CHECK_EQ(e.rto_us, 6 + 8);
}

TEST(util_rtt_clamped_to_min)
{
	struct rtt_est e;
	rtt_init(&e, INITIAL_US);
	rtt_sample(&e, 1000, MIN_US, MAX_US); /* 3 ms computed */
	CHECK_EQ(e.srtt_us, 1000);
	CHECK_EQ(e.rto_us, MIN_US);
	rtt_sample(&e, 0, MIN_US, MAX_US);
	CHECK_EQ(e.rto_us, MIN_US);
	/* (2.4): with the RFC's own minimum of 1 s. */
	rtt_sample(&e, 100000, 1000000, MAX_US);
	CHECK_EQ(e.rto_us, 1000000);
}

TEST(util_rtt_clamped_to_max)
{
	struct rtt_est e;
	rtt_init(&e, INITIAL_US);
	rtt_sample(&e, 100000000, MIN_US, MAX_US); /* 100 s: 300 s computed */
	CHECK_EQ(e.rto_us, MAX_US);
	/* SRTT + 4 RTTVAR past 2^32 must not wrap to something small. */
	rtt_init(&e, INITIAL_US);
	rtt_sample(&e, 0xffffffffu, MIN_US, 0xffffffffu);
	CHECK_EQ(e.srtt_us, 0xffffffffu);
	CHECK_EQ(e.rttvar_us, 0x7fffffffu);
	CHECK_EQ(e.rto_us, 0xffffffffu);
	rtt_sample(&e, 0, MIN_US, 0xffffffffu);
	CHECK_EQ(e.rto_us, 0xffffffffu);
}

TEST(util_rtt_steady_path_and_granularity)
{
	struct rtt_est e;
	rtt_init(&e, INITIAL_US);
	rtt_sample(&e, 1000, 0, MAX_US);
	for (int i = 0; i < 100; i++)
		rtt_sample(&e, 1000, 0, MAX_US);
	/* Constant samples: RTTVAR decays to 0, and RTO = SRTT + G (1 us). */
	CHECK_EQ(e.srtt_us, 1000);
	CHECK_EQ(e.rttvar_us, 0);
	CHECK_EQ(e.rto_us, 1001);
	/* Approaching from below, SRTT settles under R by less than 8 us. */
	rtt_init(&e, INITIAL_US);
	rtt_sample(&e, 100, 0, MAX_US);
	for (int i = 0; i < 200; i++)
		rtt_sample(&e, 5000, 0, MAX_US);
	CHECK_EQ(e.srtt_us, 4993);
	CHECK(e.rttvar_us <= 7);
}
