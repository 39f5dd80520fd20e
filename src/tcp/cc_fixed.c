/*
 * "fixed": no congestion control at all, for the lab's congestion-collapse
 * lesson (LESSONS L3, "Why"). cwnd is the initial window and stays there:
 * it does not grow on ACKs and does not shrink on duplicate ACKs or
 * timeouts; ssthresh never changes. What limits the sender is the peer's
 * window alone, as in TCP before Jacobson's 1988 algorithms. Not for real
 * use: many such senders on one bottleneck drive it into collapse, which
 * is what the lesson shows.
 */
#include "tcp/cc.h"

_Static_assert(sizeof(uint64_t) <= TCP_CC_PRIV_BYTES, "fixed state fits");

/* priv[0]: the window, bytes, set once. */
static void fixed_init(struct tcp_cc *cc)
{
	cc->cwnd = tcp_cc_initial_window_bytes(cc->mss, cc->initial_window);
	cc->priv[0] = cc->cwnd;
}

/* Every hook puts the window back: the core may not move it. */
static void fixed_keep(struct tcp_cc *cc)
{
	cc->cwnd = (uint32_t)cc->priv[0];
}

static void fixed_on_ack(struct tcp_cc *cc, const struct tcp_ack_info *a)
{
	(void)a;
	fixed_keep(cc);
}

static uint32_t fixed_ssthresh(struct tcp_cc *cc, uint32_t flight)
{
	(void)flight;
	return cc->ssthresh;
}

static void fixed_partial_ack(struct tcp_cc *cc, const struct tcp_ack_info *a)
{
	(void)a;
	fixed_keep(cc);
}

static void fixed_exit_recovery(struct tcp_cc *cc, const struct tcp_ack_info *a,
				uint32_t flight_after)
{
	(void)a;
	(void)flight_after;
	fixed_keep(cc);
}

const struct tcp_cc_ops tcp_cc_fixed = {
	.name = "fixed",
	.priv_size = sizeof(uint64_t),
	.init = fixed_init,
	.on_ack = fixed_on_ack,
	.ssthresh = fixed_ssthresh,
	.enter_recovery = fixed_keep,
	.recovery_dupack = fixed_keep,
	.partial_ack = fixed_partial_ack,
	.exit_recovery = fixed_exit_recovery,
	.on_timeout = fixed_keep,
	.after_idle = fixed_keep,
};
