/*
 * ICMP errors about our segments (RFC 9293 3.9.2.2, RFC 1122 4.2.3.9,
 * RFC 5927): the stack has found the connection from the quoted headers;
 * here the error is checked against what we have in flight and acted on.
 */
#include "tcp/conn.h"
#include "tcp/seq.h"

/* RFC 1191: a smaller path MTU; resend what is in flight in smaller
 * segments (the drop that caused the message lost at least one). */
static void take_path_mtu(struct tcp_conn *c, uint16_t next_mtu)
{
	if (next_mtu < 68 + 20)
		return; /* not a usable value (RFC 1191 section 5: old routers send 0) */
	/* The path MTU holds headers and the options every segment carries;
	 * below TCP_MIN_MSS we fall back on fragments rather than crumbs. */
	uint32_t mss = next_mtu - 40u < TCP_MIN_MSS ? TCP_MIN_MSS : next_mtu - 40u;
	mss -= c->ts_ok ? TCP_TS_OPT_LEN : 0;
	if (mss >= c->snd_mss)
		return;
	c->snd_mss = (uint16_t)mss;
	c->cc.mss = mss;
	if (tcp_state_synchronized(c->state) && seq_lt(c->snd_una, c->snd_max)) {
		c->snd_nxt = c->snd_una;
		c->rtt_start_at = UTCP_TIME_NEVER; /* Karn */
	}
}

bool tcp_icmp_error(struct tcp_conn *c, enum tcp_icmp_kind kind, int err, uint32_t seq,
		    uint16_t next_mtu, utcp_time_us now)
{
	(void)now;
	/* RFC 5927 4.1: only about data we sent and is not yet acknowledged
	 * (a blind attacker must guess it). */
	if (c->state == UTCP_LISTEN || c->state == UTCP_CLOSED ||
	    !(seq_geq(seq, c->snd_una) && seq_lt(seq, c->snd_max)))
		return false;
	switch (kind) {
	case TCP_ICMP_QUENCH:
		return true; /* MUST-55: silently ignored (RFC 6633) */
	case TCP_ICMP_PMTU:
		take_path_mtu(c, next_mtu);
		return true;
	case TCP_ICMP_HARD:
		/* SHLD-26: protocol or port unreachable aborts. */
		tcp_close_with(c, err);
		return true;
	case TCP_ICMP_SOFT:
		/* MUST-56: never abort; SHLD-25/MUST-47: tell the application. */
		c->soft_err = err;
		if (c->p.report_soft_errors)
			c->host->ops->wake(c, UTCP_POLLSOFTERR);
		return true;
	}
	return false;
}
