/*
 * Explicit Congestion Notification for TCP (RFC 3168 section 6.1; RFC
 * 9293 SHLD-8). A router that would drop an ECN-capable packet marks it
 * CE instead; the receiver echoes that with ECE on its ACKs until the
 * sender says, with CWR, that it has reduced its window; the sender
 * reduces as for a loss, but nothing is retransmitted.
 *
 * Negotiation (6.1.1) follows Linux's net.ipv4.tcp_ecn: with UTCP_ECN_ON
 * an active open asks (SYN with ECE and CWR), with UTCP_ECN_ON or
 * UTCP_ECN_ACCEPT a listener's child answers such a SYN (SYN,ACK with ECE
 * alone). Only new data goes out ECT(0): SYNs, pure ACKs, retransmissions
 * and window probes are Not-ECT (6.1.1, 6.1.4, 6.1.5, 6.1.6).
 */
#include "tcp/conn.h"
#include "tcp/seq.h"
#include "wire/ipv4.h"

#define ECE_CWR (UTCP_TH_ECE | UTCP_TH_CWR)

void tcp_ecn_syn_out(struct tcp_conn *c, struct tcp_tx *tx)
{
	if (c->state == UTCP_SYN_SENT) {
		/* 6.1.1.1: a SYN resent after a timeout asks no more (a
		 * middlebox may drop ECN-setup SYNs, as Linux assumes); and
		 * having sent a SYN without, ECN may not be used (6.1.1). */
		c->ecn_ok = c->p.ecn == UTCP_ECN_ON && !tx->retransmit;
		if (c->ecn_ok)
			tx->h.flags |= ECE_CWR;
	} else if (c->ecn_ok) {
		tx->h.flags |= UTCP_TH_ECE; /* ECN-setup SYN,ACK: ECE, not CWR */
	}
}

void tcp_ecn_syn_in(struct tcp_conn *c, uint8_t flags)
{
	uint8_t e = flags & ECE_CWR;
	if (flags & UTCP_TH_ACK) {
		/* 6.1.1: our request answered by ECE alone; ECE with CWR is a
		 * SYN reflected by a broken middlebox, no answer. */
		c->ecn_ok = c->ecn_ok && e == UTCP_TH_ECE;
	} else if (c->state == UTCP_SYN_SENT) {
		c->ecn_ok = c->ecn_ok && e == ECE_CWR; /* simultaneous open: both asked */
	} else {
		c->ecn_ok = c->p.ecn != UTCP_ECN_OFF && e == ECE_CWR; /* a listener's child */
	}
}

void tcp_ecn_established(struct tcp_conn *c)
{
	c->ecn_high = c->iss; /* every ACK of data is past it */
	if (c->ecn_ok)
		TCP_STAT(c, tcp_ecn_negotiated);
}

void tcp_ecn_ack_out(struct tcp_conn *c, struct tcp_tx *tx)
{
	if (c->ecn_echo)
		tx->h.flags |= UTCP_TH_ECE;
}

void tcp_ecn_data_out(struct tcp_conn *c, struct tcp_tx *tx, bool window_probe)
{
	if (!c->ecn_ok || tx->len == 0 || tx->retransmit || window_probe)
		return;
	tx->tos = ipv4_tos_with_ecn(tx->tos, IPV4_ECN_ECT0);
	if (c->ecn_send_cwr) {
		/* 6.1.2: CWR on the first new data after the reduction. */
		tx->h.flags |= UTCP_TH_CWR;
		c->ecn_send_cwr = false;
	}
}

void tcp_ecn_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (!c->ecn_ok)
		return;
	/* 6.1.3: CWR first (the sender reduced), then this segment's own
	 * mark, which starts the echo again. */
	if (seg->h->flags & UTCP_TH_CWR)
		c->ecn_echo = false;
	if (seg->len > 0 && seg->ecn == IPV4_ECN_CE) {
		TCP_STAT(c, tcp_ecn_ce_received);
		c->ecn_echo = true;
		c->ack_now = true; /* as Linux: the sender should hear at once */
	}
}

bool tcp_ecn_echoed(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	return c->ecn_ok && (seg->h->flags & UTCP_TH_ECE) && tcp_state_synchronized(c->state);
}

/* cwnd was reduced (for ECE or a loss): what is in flight now belongs to
 * that reduction, and the peer hears CWR with the next new data. */
static void reduced(struct tcp_conn *c)
{
	c->ecn_high = c->snd_max;
	c->ecn_send_cwr = true;
}

void tcp_ecn_on_ece(struct tcp_conn *c, uint32_t ack, uint32_t flight, utcp_time_us now)
{
	/* 6.1.2: at most once per window of data. Loss recovery counts:
	 * entering it moved ecn_high to SND.MAX, so ECE in recovery is about
	 * the window it has reduced already. */
	if (!seq_gt(ack, c->ecn_high))
		return;
	struct tcp_cc *cc = &c->cc;
	uint32_t cwnd = cc->cwnd, ssthresh = cc->ssthresh;
	/* As for a loss (RFC 5681 (4) by way of the algorithm), but the
	 * window takes ssthresh at once: nothing was lost to resend. */
	cc->ssthresh = c->cc_ops->ssthresh(cc, flight);
	if (cc->cwnd > cc->ssthresh)
		cc->cwnd = cc->ssthresh;
	reduced(c);
	if (cc->cwnd <= cc->mss) {
		/* 6.1.2: the window cannot shrink below one segment; instead
		 * the retransmission timer restarts and no new data goes
		 * until it expires (timers.c). */
		c->ecn_hold = true;
		tcp_timer_stop(c, UTCP_TIMER_RTX);
	}
	TCP_STAT(c, tcp_ecn_cwnd_reductions);
	if (cc->cwnd != cwnd || cc->ssthresh != ssthresh)
		tcp_trace_cc(c, UTCP_CC_ECN_ECE, now);
}

uint32_t tcp_ecn_loss_ssthresh(struct tcp_conn *c)
{
	/* 6.1.2: ssthresh is not lowered again within a round trip of an
	 * ECE reduction: a loss of data sent before it is that congestion. */
	bool covered = c->ecn_ok && seq_lt(c->snd_una, c->ecn_high);
	uint32_t s = covered ? c->cc.ssthresh : c->cc_ops->ssthresh(&c->cc, tcp_flight(c));
	if (c->ecn_ok)
		reduced(c);
	return s;
}

void tcp_ecn_timeout(struct tcp_conn *c)
{
	if (c->ecn_ok)
		reduced(c);
}
