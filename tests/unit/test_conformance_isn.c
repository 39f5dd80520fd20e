/*
 * RFC 9293 3.4.1 (docs/CONFORMANCE.md): the initial sequence number is a
 * clock M ticking every 4 microseconds (MUST-8) plus F, a keyed
 * pseudo-random function of the four-tuple (SHLD-1) that nobody without
 * the secret can compute (MUST-9). Unit tests of tcp_isn() (src/tcp/isn.c).
 */
#include "../harness.h"

#include "tcp/isn.h"

#include <stdbool.h>

static const uint8_t key[16] = "conformance-isn!";

#define LA 0x0a000001u
#define RA 0x0a000002u

static uint32_t isn_at(const uint8_t k[16], utcp_time_us now)
{
	return tcp_isn(k, LA, 40000, RA, 80, now);
}

/* MUST-8: for one connection the ISN advances by one every 4 us, and only
 * with time: after 4 * 2^32 us (4.77 hours) it has gone round once. */
TEST(rfc9293_must8_isn_clock_ticks_every_4_us)
{
	const utcp_time_us t0 = UTCP_SEC(12345) + 3;
	uint32_t base = isn_at(key, t0);
	CHECK_EQ(isn_at(key, t0), base); /* a function of its inputs */
	CHECK_EQ((uint32_t)(isn_at(key, t0 + 4) - base), 1);
	CHECK_EQ((uint32_t)(isn_at(key, t0 + 400) - base), 100);
	CHECK_EQ((uint32_t)(isn_at(key, t0 + UTCP_SEC(4)) - base), 1000000);
	CHECK_EQ((uint32_t)(isn_at(key, t0 + UTCP_SEC(3600)) - base), 900000000u);
	CHECK_EQ(isn_at(key, t0 + 4 * ((utcp_time_us)1 << 32)), base);
	/* Monotonic over a second, in 4 us steps: never the same twice. */
	uint32_t prev = base;
	for (utcp_time_us t = t0 + 4; t < t0 + UTCP_SEC(1); t += 4) {
		uint32_t v = isn_at(key, t);
		if (v - prev != 1) {
			test_fail_at(__FILE__, __LINE__, "at +%llu us: %u after %u",
				     (unsigned long long)(t - t0), v, prev);
			break;
		}
		prev = v;
	}
}

/* SHLD-1: ISN = M + F(four-tuple, secret): every field of the four-tuple
 * moves F, and F does not depend on the time (two connections' ISNs keep
 * their distance as the clock runs). */
TEST(rfc9293_shld1_isn_offset_keyed_by_the_four_tuple)
{
	const utcp_time_us t = UTCP_SEC(100);
	uint32_t base = tcp_isn(key, LA, 40000, RA, 80, t);
	uint32_t other[] = {
	    tcp_isn(key, LA + 1, 40000, RA, 80, t), tcp_isn(key, LA, 40001, RA, 80, t),
	    tcp_isn(key, LA, 40000, RA + 1, 80, t), tcp_isn(key, LA, 40000, RA, 81, t),
	    tcp_isn(key, RA, 80, LA, 40000, t), /* the reverse direction */
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (other[i] == base)
			test_fail_at(__FILE__, __LINE__, "tuple %zu: same ISN as the base", i);
	for (utcp_time_us dt = 0; dt < UTCP_SEC(10); dt += UTCP_MS(777)) {
		uint32_t d0 = tcp_isn(key, LA, 40000, RA, 80, t + dt) -
			      tcp_isn(key, LA, 40001, RA, 80, t + dt);
		CHECK_EQ(d0, (uint32_t)(base - other[1]));
	}
	/* Consecutive ephemeral ports do not give consecutive ISNs. */
	unsigned close = 0;
	for (uint16_t p = 40000; p < 41000; p++) {
		uint32_t d = tcp_isn(key, LA, (uint16_t)(p + 1), RA, 80, t) -
			     tcp_isn(key, LA, p, RA, 80, t);
		if (d < 65536 || d > 0u - 65536)
			close++;
	}
	CHECK(close < 5);
}

/* MUST-9: F is keyed by the stack's secret: another secret (any one bit
 * flipped) gives another ISN for the same four-tuple and time, and the
 * distance between two four-tuples' ISNs, which an outsider would need to
 * predict one from the other, changes with it. */
TEST(rfc9293_must9_isn_unpredictable_without_the_secret)
{
	const utcp_time_us t = UTCP_SEC(100);
	uint32_t base = isn_at(key, t);
	uint32_t dist = base - tcp_isn(key, LA, 40001, RA, 80, t);
	for (int bit = 0; bit < 128; bit++) {
		uint8_t k[16];
		memcpy(k, key, sizeof(k));
		k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		uint32_t v = isn_at(k, t);
		uint32_t d = v - tcp_isn(k, LA, 40001, RA, 80, t);
		if (v == base || d == dist)
			test_fail_at(__FILE__, __LINE__, "secret bit %d does not change the ISN",
				     bit);
	}
	/* Over many secrets, the ISNs of one tuple at one time spread over
	 * the whole space: each of the 16 top-nibble buckets is hit. */
	unsigned bucket[16] = {0};
	for (uint32_t i = 0; i < 1024; i++) {
		uint8_t k[16] = {0};
		memcpy(k, &i, sizeof(i));
		bucket[isn_at(k, t) >> 28]++;
	}
	for (int b = 0; b < 16; b++)
		CHECK(bucket[b] > 20);
}
