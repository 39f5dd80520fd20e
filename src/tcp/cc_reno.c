/*
 * Reno, as RFC 5681 specifies it, with the byte counting of RFC 3465:
 * slow start grows cwnd by the bytes acknowledged (at most 2 SMSS per ACK,
 * RFC 3465 section 2.2 L = 2); congestion avoidance adds one SMSS per
 * cwnd of bytes acknowledged (RFC 5681 3.1, equation (3)'s byte-counting
 * form). Loss recovery (NewReno, RFC 6582) uses the core's defaults.
 */
#include "tcp/cc.h"

_Static_assert(sizeof(uint64_t) <= TCP_CC_PRIV_BYTES, "reno private state fits");

/* priv[0]: bytes acknowledged in congestion avoidance, not yet a cwnd. */
static void reno_init(struct tcp_cc *cc)
{
	cc->cwnd = tcp_cc_initial_window_bytes(cc->mss, cc->initial_window);
	cc->priv[0] = 0;
}

static void reno_on_ack(struct tcp_cc *cc, const struct tcp_ack_info *a)
{
	uint32_t acked = a->acked;
	if (cc->cwnd < cc->ssthresh) {
		/* RFC 5681 (2), RFC 3465 2.2: at most L = 2*SMSS per ACK. */
		uint32_t inc = acked < 2 * cc->mss ? acked : 2 * cc->mss;
		uint32_t room = cc->ssthresh - cc->cwnd;
		if (inc <= room) {
			cc->cwnd += inc;
			return;
		}
		cc->cwnd = cc->ssthresh;
		acked = inc - room; /* the rest counts in avoidance */
	}
	/* RFC 5681 3.1: about one SMSS per round trip. */
	cc->priv[0] += acked;
	if (cc->priv[0] >= cc->cwnd) {
		cc->priv[0] -= cc->cwnd;
		cc->cwnd += cc->mss;
	}
}

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2*SMSS). */
static uint32_t reno_ssthresh(struct tcp_cc *cc, uint32_t flight)
{
	uint32_t half = flight / 2;
	cc->priv[0] = 0;
	return half > 2 * cc->mss ? half : 2 * cc->mss;
}

const struct tcp_cc_ops tcp_cc_reno = {
	.name = "reno",
	.priv_size = sizeof(uint64_t),
	.init = reno_init,
	.on_ack = reno_on_ack,
	.ssthresh = reno_ssthresh,
};
