/*
 * The ACK field of an incoming segment (RFC 9293 3.10.7.4 fifth): new data
 * acknowledged, RTT samples (RFC 6298, Karn's rule), duplicate ACKs, fast
 * retransmit and fast recovery (RFC 5681 3.2, NewReno RFC 6582), ECN-Echo
 * (RFC 3168 6.1.2, in ecn.c), and the send window update (SND.WL1/SND.WL2).
 */
#include "tcp/conn.h"
#include "tcp/input.h"
#include "tcp/sack.h"
#include "tcp/seq.h"

/* A valid RTT sample: feed the estimator (RFC 6298 (2.2), (2.3)). A
 * sample also ends any back-off (5.7 keeps it only until one arrives). */
static uint32_t take_rtt_sample(struct tcp_conn *c, utcp_time_us now)
{
	uint32_t r = (uint32_t)(now - c->rtt_start_at);
	c->rtt_start_at = UTCP_TIME_NEVER;
	rtt_sample(&c->rtt, r ? r : 1, (uint32_t)c->p.rto_min, (uint32_t)c->p.rto_max);
	c->backoff = 0;
	if (c->host->tracing) {
		struct utcp_trace_event ev = {.type = UTCP_TR_RTT, .at = now};
		ev.u.rtt.sample_us = r;
		ev.u.rtt.srtt_us = c->rtt.srtt_us;
		ev.u.rtt.rttvar_us = c->rtt.rttvar_us;
		ev.u.rtt.rto_us = c->rtt.rto_us;
		c->host->ops->trace(c, &ev);
	}
	return r;
}

void tcp_take_syn_ack_rtt(struct tcp_conn *c, uint32_t ack, utcp_time_us now)
{
	bool retried = c->rtx_count > 0;
	if (c->rtt_start_at != UTCP_TIME_NEVER && seq_gt(ack, c->rtt_seq))
		take_rtt_sample(c, now);
	else if (retried && c->rtt.rto_us < 3000000)
		c->rtt.rto_us = 3000000; /* RFC 6298 (5.7): 3 s after a lost SYN */
	c->rtx_count = 0;
	c->backoff = 0;
	tcp_timer_stop(c, UTCP_TIMER_RTX);
}

static void cc_changed(struct tcp_conn *c, uint32_t cwnd, uint32_t ssthresh,
		       enum utcp_cc_event why, utcp_time_us now)
{
	if (c->cc.cwnd != cwnd || c->cc.ssthresh != ssthresh)
		tcp_trace_cc(c, why, now);
}

/* RFC 6582 3.2 steps 5 and 6: an ACK of new data during recovery. */
static void recovery_ack(struct tcp_conn *c, const struct tcp_ack_info *ai,
			 uint32_t ack)
{
	const struct tcp_cc_ops *ops = c->cc_ops;
	struct tcp_cc *cc = &c->cc;
	if (seq_geq(ack, c->recover)) {
		uint32_t after = tcp_flight(c);
		c->in_recovery = false;
		c->sack_recovery = false;
		c->fast_rtx = false; /* a partial ACK earlier in the batch is moot */
		if (ops->exit_recovery) {
			ops->exit_recovery(cc, ai, after);
		} else {
			uint32_t w = (after > cc->mss ? after : cc->mss) + cc->mss;
			cc->cwnd = w < cc->ssthresh ? w : cc->ssthresh;
		}
		tcp_trace_cc(c, UTCP_CC_RECOVERY_EXIT, ai->now);
		return;
	}
	if (c->sack_recovery) {
		/* RFC 6675: the scoreboard says what to resend next; cwnd
		 * stays at ssthresh until the end. But a partial ACK whose
		 * edge was never resent shows a hole the scoreboard may not
		 * call lost yet (too little SACKed above it, or a peer whose
		 * blocks got lost): resend it at once, as NewReno would
		 * (RFC 6582 3.2 step 5), rather than wait for the RTO. */
		if (!seq_lt(c->snd_una, c->high_rxt) &&
		    !ranges_contains(&c->sacked, c->snd_una, c->snd_una + 1))
			c->fast_rtx = true;
		c->high_rxt = seq_max(c->high_rxt, c->snd_una);
		return;
	}
	/* Partial ACK: retransmit the next hole at once, deflate the window
	 * by what was acknowledged, and restart the timer. */
	if (ops->partial_ack) {
		ops->partial_ack(cc, ai);
	} else {
		cc->cwnd = cc->cwnd > ai->acked ? cc->cwnd - ai->acked : cc->mss;
		if (ai->acked >= cc->mss)
			cc->cwnd += cc->mss;
	}
	c->fast_rtx = true;
	tcp_trace_cc(c, UTCP_CC_PARTIAL_ACK, ai->now);
}

/* New data acknowledged: SND.UNA < SEG.ACK =< SND.NXT. `grow`: false for
 * an ECN-Echo ACK, which never opens the window (RFC 3168 6.1.2). */
static void new_ack(struct tcp_conn *c, uint32_t ack, bool grow, utcp_time_us now)
{
	/* Marks that only matter while they are ahead of SND.UNA are dragged
	 * along behind it: left 2^31 behind, modular comparison would put
	 * them ahead again (no fast retransmit, every ECE ignored). */
	if (!c->in_recovery && seq_lt(c->recover, ack - 1))
		c->recover = ack - 1;
	if (seq_lt(c->ecn_high, ack - 1))
		c->ecn_high = ack - 1;
	if (seq_lt(c->high_rxt, ack))
		c->high_rxt = ack;
	uint32_t flight = tcp_flight(c);
	uint32_t buf_seq = tcp_snd_buf_seq(c);
	uint32_t end = tcp_snd_end_seq(c);
	uint32_t upto = seq_lt(ack, end) ? ack : end;
	uint32_t freed = seq_gt(upto, buf_seq) ? upto - buf_seq : 0;
	ring_consume(&c->sndbuf, freed);
	c->snd_una = ack;
	if (seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	if (c->snd_una == c->snd_max) {
		c->probe_out = false; /* the probe byte, if any, was taken */
		c->fast_rtx = false;  /* nothing is left to resend */
	}

	uint32_t rtt = 0;
	if (c->rtt_start_at != UTCP_TIME_NEVER && seq_gt(ack, c->rtt_seq))
		rtt = take_rtt_sample(c, now);
	c->rtx_count = 0;
	c->dupacks = 0;
	c->soft_err = 0; /* the path works again (Linux clears sk_err_soft) */
	/* RFC 6298 (5.3): restart the timer; tcp_timers_update_send re-arms
	 * it at now + RTO while data remains outstanding. In recovery, only
	 * the first partial ACK does (RFC 6582 3.2 step 5, "Impatient"): with
	 * many holes the timer then ends a hole-per-round-trip crawl. */
	bool partial = c->in_recovery && seq_lt(ack, c->recover);
	if (!partial || c->partial_acks++ == 0)
		tcp_timer_stop(c, UTCP_TIMER_RTX);

	/* RFC 5681 3.1 counts bytes of data: the FIN's sequence number
	 * would grow cwnd by one byte. */
	struct tcp_ack_info ai = {.acked = freed, .flight = flight, .now = now,
				  .rtt_us = rtt};
	uint32_t cwnd = c->cc.cwnd, ssthresh = c->cc.ssthresh;
	if (c->in_recovery) {
		recovery_ack(c, &ai, ack);
	} else if (grow && tcp_state_synchronized(c->state)) {
		c->cc_ops->on_ack(&c->cc, &ai);
		cc_changed(c, cwnd, ssthresh, UTCP_CC_ACK, now);
	}
	if (freed > 0)
		c->host->ops->wake(c, UTCP_POLLOUT);
}

/* RFC 5681 section 2, "duplicate acknowledgment": data outstanding, no
 * payload, no SYN or FIN, SEG.ACK = SND.UNA, window unchanged. A zero
 * window (probing) never counts. */
static bool is_dup_ack(const struct tcp_conn *c, const struct tcp_seg *seg,
		       uint32_t new_wnd)
{
	return tcp_flight(c) > 0 && seg->len == 0 &&
	       !(seg->h->flags & (UTCP_TH_SYN | UTCP_TH_FIN)) &&
	       seg->h->ack == c->snd_una && new_wnd == c->snd_wnd &&
	       c->snd_wnd != 0 && !c->probe_out;
}

/* RFC 5681 3.2 with RFC 6582 3.2 step 1: the third duplicate ACK starts
 * fast retransmit unless it is about data sent before a previous loss. */
static void dup_ack(struct tcp_conn *c, uint32_t ack, utcp_time_us now)
{
	const struct tcp_cc_ops *ops = c->cc_ops;
	struct tcp_cc *cc = &c->cc;
	c->dupacks++;
	TCP_STAT(c, tcp_dup_ack);
	if (c->sack_ok)
		return; /* recovery is led by the scoreboard (enter_sack_recovery) */
	if (c->in_recovery) {
		uint32_t cwnd = cc->cwnd;
		if (ops->recovery_dupack)
			ops->recovery_dupack(cc);
		else
			cc->cwnd += cc->mss; /* RFC 5681 3.2 step 4: inflate */
		cc_changed(c, cwnd, cc->ssthresh, UTCP_CC_RECOVERY_DUPACK, now);
		return;
	}
	/* RFC 6582 3.2 (2): only if the ACK covers more than recover (kept
	 * as SND.MAX at entry). After a timeout, the resends the peer already
	 * holds draw duplicate ACKs at exactly recover: those are no loss (4). */
	if (c->dupacks != 3 || !seq_gt(ack, c->recover))
		return;
	cc->ssthresh = tcp_ecn_loss_ssthresh(c);
	c->recover = c->snd_max;
	c->in_recovery = true;
	c->partial_acks = 0;
	if (ops->enter_recovery)
		ops->enter_recovery(cc);
	else
		cc->cwnd = cc->ssthresh + 3 * cc->mss;
	c->fast_rtx = true;
	c->rtt_start_at = UTCP_TIME_NEVER; /* Karn: nothing retransmitted is timed */
	TCP_STAT(c, tcp_fast_retransmit);
	c->n_fast_retransmits++;
	tcp_trace_cc(c, UTCP_CC_FAST_RETRANSMIT, now);
}

/* RFC 6675 section 5 step (4): loss recovery starts on the third
 * duplicate ACK, or as soon as the scoreboard says SND.UNA is lost, unless
 * this is about data sent before the last recovery began (RFC 6582 style,
 * "HighACK > RecoveryPoint"). At exactly RecoveryPoint the scoreboard
 * decides: duplicate ACKs for resends after a timeout carry no SACK blocks
 * above, a new loss there does (IsLost). ssthresh = cwnd = half the flight; what is
 * sent from now on is chosen by NextSeg in output.c. */
static void enter_sack_recovery(struct tcp_conn *c, uint32_t ack, utcp_time_us now)
{
	if (!c->sack_ok || c->in_recovery || tcp_flight(c) == 0 ||
	    !tcp_state_synchronized(c->state) || seq_lt(ack, c->recover))
		return;
	bool lost = tcp_sack_is_lost(c, c->snd_una);
	if (ack == c->recover && !lost)
		return;
	if (c->dupacks < 3 && !lost)
		return;
	struct tcp_cc *cc = &c->cc;
	cc->ssthresh = tcp_ecn_loss_ssthresh(c);
	cc->cwnd = cc->ssthresh; /* RFC 6675 (4.2), unless the algorithm says */
	if (c->cc_ops->enter_recovery)
		c->cc_ops->enter_recovery(cc);
	c->recover = c->snd_max;
	c->in_recovery = c->sack_recovery = true;
	c->partial_acks = 0;
	c->high_rxt = c->snd_una;
	c->fast_rtx = true; /* (4.3): the first segment presumed lost goes now */
	c->rtt_start_at = UTCP_TIME_NEVER; /* Karn: nothing retransmitted is timed */
	TCP_STAT(c, tcp_fast_retransmit);
	c->n_fast_retransmits++;
	tcp_trace_cc(c, UTCP_CC_FAST_RETRANSMIT, now);
}

/* RFC 9293 3.10.7.4: update SND.WND only from a segment newer than the
 * one that last set it (SND.WL1, SND.WL2). */
static void update_window(struct tcp_conn *c, const struct tcp_seg *seg,
			  uint32_t new_wnd)
{
	uint32_t seq = seg->h->seq, ack = seg->h->ack;
	if (!(seq_lt(c->snd_wl1, seq) ||
	      (c->snd_wl1 == seq && seq_leq(c->snd_wl2, ack))))
		return;
	uint32_t old = c->snd_wnd;
	c->snd_wnd = new_wnd;
	c->snd_wl1 = seq;
	c->snd_wl2 = ack;
	if (new_wnd > c->max_snd_wnd)
		c->max_snd_wnd = new_wnd;
	if (new_wnd > 0 && (old == 0 || c->probe_out)) {
		/* The window opened: leave persist mode. What is still out
		 * lay past the closed window (a probe byte, a FIN) and was
		 * dropped: it is sent again as ordinary data. */
		c->persist_backoff = 0;
		tcp_timer_stop(c, UTCP_TIMER_PERSIST);
		if (seq_gt(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		c->probe_out = false;
	}
}

void tcp_process_ack(struct tcp_conn *c, const struct tcp_seg *seg,
		     const struct seg_view *v, utcp_time_us now)
{
	(void)v;
	uint32_t ack = seg->h->ack;
	uint32_t new_wnd = (uint32_t)seg->h->wnd << c->snd_wscale;
	uint32_t flight = tcp_flight(c);
	bool ece = tcp_ecn_echoed(c, seg);
	if (c->sack_ok)
		tcp_sack_update(c, &seg->h->opts, ack);
	if (seq_gt(ack, c->snd_una))
		new_ack(c, ack, !ece, now);
	else if (is_dup_ack(c, seg, new_wnd))
		dup_ack(c, ack, now);
	enter_sack_recovery(c, ack, now);
	if (ece)
		tcp_ecn_on_ece(c, ack, flight, now);
	update_window(c, seg, new_wnd);
}
