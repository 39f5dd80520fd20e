/*
 * The textbook Reno of LESSONS L3: cwnd counted in whole segments, an
 * initial window of one segment, +1 segment per segment acknowledged in
 * slow start (capped at ssthresh), +1 segment per window acknowledged in
 * congestion avoidance. On a timeout ssthresh = half the flight and
 * cwnd = 1; on the third duplicate ACK ssthresh = half and cwnd = ssthresh,
 * with no window inflation; the ACK that ends recovery then counts as
 * avoidance progress. This reproduces the lesson's cwnd-per-round curve.
 */
#include "tcp/cc.h"

_Static_assert(2 * sizeof(uint64_t) <= TCP_CC_PRIV_BYTES, "textbook state fits");

/* priv[0]: bytes toward the next slow-start segment;
 * priv[1]: bytes toward the next avoidance increment. */
static void textbook_init(struct tcp_cc *cc)
{
	cc->cwnd = cc->mss;
	cc->priv[0] = cc->priv[1] = 0;
}

static void textbook_on_ack(struct tcp_cc *cc, const struct tcp_ack_info *a)
{
	uint64_t acked = a->acked;
	if (cc->cwnd < cc->ssthresh) {
		cc->priv[0] += acked;
		while (cc->priv[0] >= cc->mss && cc->cwnd < cc->ssthresh) {
			cc->priv[0] -= cc->mss;
			cc->cwnd += cc->mss;
		}
		if (cc->cwnd < cc->ssthresh)
			return;
		acked = cc->priv[0]; /* left over once ssthresh is reached */
		cc->priv[0] = 0;
	}
	cc->priv[1] += acked;
	if (cc->priv[1] >= cc->cwnd) {
		cc->priv[1] -= cc->cwnd;
		cc->cwnd += cc->mss;
	}
}

/* Half the flight, in whole segments, at least two. */
static uint32_t textbook_ssthresh(struct tcp_cc *cc, uint32_t flight)
{
	uint32_t segs = flight / cc->mss / 2;
	cc->priv[0] = cc->priv[1] = 0;
	return (segs > 2 ? segs : 2) * cc->mss;
}

static void textbook_enter_recovery(struct tcp_cc *cc)
{
	cc->cwnd = cc->ssthresh;
}

static void textbook_recovery_dupack(struct tcp_cc *cc)
{
	(void)cc; /* no inflation in the textbook model */
}

static void textbook_partial_ack(struct tcp_cc *cc, const struct tcp_ack_info *a)
{
	(void)cc;
	(void)a;
}

static void textbook_exit_recovery(struct tcp_cc *cc, const struct tcp_ack_info *a,
				   uint32_t flight_after)
{
	(void)flight_after;
	cc->cwnd = cc->ssthresh;
	cc->priv[0] = cc->priv[1] = 0;
	textbook_on_ack(cc, a);
}

static void textbook_after_idle(struct tcp_cc *cc)
{
	(void)cc; /* the lesson's model has no idle restart */
}

const struct tcp_cc_ops tcp_cc_textbook = {
	.name = "textbook",
	.priv_size = 2 * sizeof(uint64_t),
	.init = textbook_init,
	.on_ack = textbook_on_ack,
	.ssthresh = textbook_ssthresh,
	.enter_recovery = textbook_enter_recovery,
	.recovery_dupack = textbook_recovery_dupack,
	.partial_ack = textbook_partial_ack,
	.exit_recovery = textbook_exit_recovery,
	.after_idle = textbook_after_idle,
};
