/*
 * The TCP connection: RFC 9293's Transmission Control Block and the
 * functions of the protocol layer.
 *
 * This layer does no I/O and reads no clock. The stack hands it parsed
 * segments (tcp_input) and the time; it answers with segments to send
 * (tcp_output_next, called until it says no) and deadlines
 * (tcp_next_deadline). What the stack must hear about (state changes,
 * readiness, trace events) goes through struct tcp_host_ops.
 */
#ifndef UTCP_TCP_CONN_H
#define UTCP_TCP_CONN_H

#include "tcp/cc.h"
#include "tcp/seq.h"
#include "util/alloc.h"
#include "util/ranges.h"
#include "util/ring.h"
#include "util/rtt.h"
#include "utcp/socket.h"
#include "utcp/stack.h"
#include "wire/tcp.h"

#include <errno.h>

struct tcp_conn;

/* What the protocol layer tells its owner. */
struct tcp_host_ops {
	/* The connection moved from `from` to `to` (already set). */
	void (*state_changed)(struct tcp_conn *c, enum utcp_tcp_state from,
			      enum utcp_tcp_state to);
	/* Readiness may have changed (UTCP_POLL* bits that may now hold). */
	void (*wake)(struct tcp_conn *c, unsigned events);
	/* A trace event about this connection (type and union filled in). */
	void (*trace)(struct tcp_conn *c, struct utcp_trace_event *ev);
	/* RFC 9293 3.8.3: R1 retransmissions reached; the route may be bad. */
	void (*negative_advice)(struct tcp_conn *c);
};

/* Stack-wide settings and services the protocol layer uses. */
struct tcp_host {
	const struct tcp_host_ops *ops;
	struct utcp_stats *stats;
	struct ualloc *alloc;
	bool tracing; /* build trace events only when someone listens */
	/* RFC 5961 section 7: challenge ACKs the whole stack may send per
	 * second (0: no limit), and this second's account. */
	uint32_t challenge_ack_limit;
	uint32_t challenge_acks;
	utcp_time_us challenge_second;
};

/* Per-connection tunables, copied from the stack's config at creation and
 * changed by socket options. Times in microseconds. */
struct tcp_params {
	utcp_time_us msl, rto_initial, rto_min, rto_max, delack;
	utcp_time_us fin_wait_2_timeout;
	utcp_time_us keep_idle, keep_intvl;
	utcp_time_us user_timeout; /* 0: give up after retries_r2 */
	uint32_t keep_cnt;
	uint32_t retries_r1, retries_r2, syn_retries;
	uint32_t initial_window; /* segments */
	uint32_t initial_ssthresh; /* bytes; 0 = "arbitrarily high" (RFC 5681 3.1) */
	uint32_t sndbuf, rcvbuf; /* bytes */
	uint16_t user_mss;       /* TCP_MAXSEG; 0 = from the route */
	uint8_t ttl, tos;
	bool nodelay, keepalive;
	bool report_soft_errors; /* SHLD-20: the application may turn them off */
	bool sack;       /* offer/accept SACK (RFC 2018) */
	bool timestamps; /* offer/accept timestamps (RFC 7323) */
	uint8_t ecn;     /* UTCP_ECN_OFF/ON/ACCEPT (RFC 3168 6.1.1) */
	const struct tcp_cc_ops *cc;
};

/* A parsed incoming segment. */
struct tcp_seg {
	const struct tcp_hdr *h;
	const uint8_t *data;
	uint32_t len; /* payload bytes */
	uint32_t src, dst; /* host order */
	uint8_t ecn;  /* the datagram's ECN field, enum ipv4_ecn (RFC 3168 5) */
};

/* An outgoing segment: header fields and where the payload lies. The stack
 * adds the IP header. Addresses are given so that replies to segments with
 * no connection (RST) can be described too. */
struct tcp_tx {
	struct tcp_hdr h;
	struct ring_span data;
	uint32_t len;
	uint32_t src, dst;
	uint8_t ttl, tos; /* tos: DSCP and the ECN field (ECT(0) on new data) */
	bool retransmit;
};

/*
 * The Transmission Control Block (RFC 9293 section 3.3.1 names).
 *
 * Send side: the send ring holds every byte not yet acknowledged; its first
 * byte has sequence number snd_buf_seq() (snd_una, or snd_una + 1 while our
 * SYN is unacknowledged). snd_nxt is the next sequence number to send and
 * snd_max the highest sent + 1: after a timeout snd_nxt goes back to
 * snd_una (go-back-N) while snd_max remembers what was sent.
 * Receive side: the receive ring holds in-order bytes not yet read (len)
 * and, beyond len, out-of-order bytes at their offset from rcv_nxt
 * (ranges `ooo` says which). rcv_adv is the right edge we last advertised.
 */
struct tcp_conn {
	struct tcp_host *host;
	struct tcp_params p;
	enum utcp_tcp_state state;
	uint32_t id;
	uint32_t laddr, raddr; /* host order */
	uint16_t lport, rport;

	/* Send sequence space */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd;     /* peer's window, scaled, bytes */
	uint32_t snd_wl1, snd_wl2;
	uint32_t max_snd_wnd; /* largest window the peer offered */
	uint32_t snd_up;      /* urgent pointer: seq after the last urgent byte */
	/* Receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv;
	uint32_t rcv_up;      /* seq after the last urgent byte seen */
	uint32_t rcv_fin_seq; /* seq of an out-of-order FIN, if has_ooo_fin */
	uint32_t snd_fin_seq; /* seq of our FIN, once fin_queued */

	uint16_t snd_mss;    /* effective send MSS (RFC 9293 3.7.1): payload of a
			      * full segment, after the options every segment
			      * carries (timestamps) */
	uint16_t rcv_mss;    /* the payload of a full segment from the peer */
	uint16_t route_mss;  /* interface MTU - 40, set by the stack */
	uint8_t snd_wscale;  /* shift the peer applies: scales its windows */
	uint8_t rcv_wscale;  /* shift we apply to our window field */

	struct ring sndbuf, rcvbuf;
	struct ranges ooo;

	/* Options negotiated on the handshake */
	bool sack_ok;           /* both sent SACK-permitted (RFC 2018) */
	bool ts_ok;             /* both sent timestamps (RFC 7323) */
	uint32_t ts_recent;     /* TS.Recent (RFC 7323 4.3) */
	utcp_time_us ts_recent_at;
	uint32_t ts_offset;     /* added to our millisecond clock in TSval */
	uint32_t last_ack_sent; /* Last.ACK.sent (RFC 7323 4.3) */

	/* SACK scoreboard (RFC 6675): ranges above SND.UNA the peer holds */
	struct ranges sacked;
	uint32_t high_rxt;      /* HighRxt: end of the last hole retransmitted */
	bool sack_recovery;     /* in_recovery, led by the scoreboard */

	/* Timers: absolute deadlines, UTCP_TIME_NEVER when stopped. */
	utcp_time_us timer_at[UTCP_TIMER_COUNT];
	utcp_time_us last_rcv_at;   /* keep-alive idle reference */
	utcp_time_us last_send_at;  /* RFC 5681 4.1 idle restart */
	utcp_time_us first_rtx_at;  /* when the current retransmission series began */
	uint8_t backoff;            /* RTO doublings in force */
	uint8_t rtx_count;          /* retransmissions of the current series */
	uint8_t persist_backoff;
	uint8_t keep_probes;        /* unanswered keep-alive probes */
	uint8_t persist_probes;     /* unanswered zero-window probes */

	/* RTT measurement (RFC 6298, Karn's rule): one segment timed at a time */
	struct rtt_est rtt;
	uint32_t rtt_seq;
	utcp_time_us rtt_start_at;

	/* Congestion control (RFC 5681, RFC 6582) */
	struct tcp_cc cc;
	const struct tcp_cc_ops *cc_ops;
	uint32_t recover;  /* RFC 6582: highest seq sent when recovery began */
	uint8_t dupacks;
	uint8_t partial_acks; /* partial ACKs in this recovery (Impatient timer) */

	/* ACK generation */
	uint32_t rcv_unacked; /* bytes received since our last ACK */

	/* ECN (RFC 3168, ecn.c). ecn_ok: in SYN_SENT, our SYN asks for it;
	 * from the peer's SYN or SYN,ACK on, both ends agreed: new data goes
	 * out ECT(0). ecn_high: SND.MAX when cwnd was last reduced (for ECE
	 * or a loss); an ECE about data up to there is that same congestion
	 * (6.1.2: at most one reduction per window). */
	uint32_t ecn_high;
	bool ecn_ok;
	bool ecn_echo;     /* receiver: CE seen, ECE on every ACK until CWR (6.1.3) */
	bool ecn_send_cwr; /* sender: CWR on the next new data segment (6.1.2) */
	bool ecn_hold;     /* sender: ECE at one segment of cwnd: no new data
			    * until the retransmission timer expires (6.1.2) */

	/* Errors for the application: err is fatal (ECONNRESET...), soft_err
	 * is advisory (ICMP, R1). Positive errno values. */
	int err, soft_err;

	/* Counters for TCP_INFO */
	uint32_t n_retransmits, n_timeouts, n_fast_retransmits;

	uint32_t pinned_isn; /* when has_pinned_isn */

	/* Flags */
	bool passive;      /* SYN_RCVD came from LISTEN (MUST-11) */
	bool ack_now;      /* send an ACK at the next output */
	bool rst_pending;  /* send a RST (abort) at the next output */
	bool fast_rtx;     /* retransmit one segment at snd_una now */
	bool in_recovery;
	bool fin_queued;   /* application shut down sending: FIN after data */
	bool rd_shut;      /* SHUT_RD: discard what arrives */
	bool orphan;       /* no descriptor refers to it any more */
	bool has_ooo_fin;
	bool has_snd_up, has_rcv_up;
	bool has_pinned_isn;
	bool ws_ok;        /* window scaling in use (both sent it) */
	bool eof_read;     /* the application has seen end of stream */
	bool probe_out;    /* a zero-window probe byte is outstanding */
	bool probe_now;    /* the persist timer fired: send a probe */
	bool ka_probe;     /* the keep-alive timer fired: send a probe */
	bool rst_reply;    /* send <SEQ=rst_reply_seq><CTL=RST> (RFC 9293 3.10.7.4) */
	uint32_t rst_reply_seq;
};

/* --- lifecycle (conn.c) --- */

/* Set up a CLOSED connection with the given parameters. */
void tcp_conn_init(struct tcp_conn *c, struct tcp_host *host,
		   const struct tcp_params *p, uint32_t id);

/* Free the buffers (the connection struct itself belongs to the caller). */
void tcp_conn_release(struct tcp_conn *c);

/* Move to a new state, telling the owner and the trace (smoltcp's
 * set_state: every transition goes through here). */
void tcp_set_state(struct tcp_conn *c, enum utcp_tcp_state to);

/* Active open: choose the ISS, go to SYN_SENT; the SYN leaves at the next
 * output. Addresses and route_mss must be set. */
void tcp_open_active(struct tcp_conn *c, uint32_t iss, utcp_time_us now);

/* Passive open of a child made for a SYN that reached a listener: the
 * child (a copy of the listener's parameters, state LISTEN) takes the SYN,
 * goes to SYN_RCVD and answers with SYN,ACK at the next output. */
void tcp_open_passive(struct tcp_conn *c, const struct tcp_seg *syn,
		      uint32_t iss, utcp_time_us now);

/* The MSS we announce in our SYN (route MSS, or TCP_MAXSEG if smaller). */
uint16_t tcp_announced_mss(const struct tcp_conn *c);

/* Our TSval now: a millisecond clock with a per-connection offset. */
static inline uint32_t tcp_tsval(const struct tcp_conn *c, utcp_time_us now)
{
	return (uint32_t)(now / 1000u) + c->ts_offset;
}

/* Bytes the timestamp option takes in every segment once negotiated. */
#define TCP_TS_OPT_LEN 12
/* The least MSS (data and the options every segment carries) we work
 * with, whatever a peer, a tiny MTU or a path-MTU report says: one byte
 * per segment would be a denial of service, and the option lengths
 * taken from it must not wrap. */
#define TCP_MIN_MSS 64

/* --- the application's calls (user.c) --- */

/* Queue data. Returns bytes queued or a negative errno. */
long tcp_user_send(struct tcp_conn *c, const uint8_t *buf, size_t len, int flags,
		   utcp_time_us now);
/* Read data. Returns bytes, 0 at EOF, or a negative errno (-EAGAIN). */
long tcp_user_recv(struct tcp_conn *c, uint8_t *buf, size_t len, int flags,
		   utcp_time_us now);
/* SHUT_WR: FIN after the queued data. */
int tcp_user_shutdown_wr(struct tcp_conn *c, utcp_time_us now);
/* SHUT_RD: discard unread and future data. */
void tcp_user_shutdown_rd(struct tcp_conn *c, utcp_time_us now);
/* The last descriptor is gone: close as RFC 9293 3.10.4 says (RST when
 * unread data remains, SHLD-3). */
void tcp_user_close(struct tcp_conn *c, utcp_time_us now);
/* Abort: RST to the peer (if synchronized) and CLOSED (RFC 9293 3.10.5). */
void tcp_user_abort(struct tcp_conn *c, utcp_time_us now);
/* Readiness bits UTCP_POLL*. */
unsigned tcp_poll_events(const struct tcp_conn *c);
/* Fill a TCP_INFO snapshot. */
void tcp_get_info(const struct tcp_conn *c, struct utcp_tcp_info *out);
/* Bytes queued to send / received and unread. */
uint32_t tcp_send_queue(const struct tcp_conn *c);
uint32_t tcp_recv_queue(const struct tcp_conn *c);
/* 1 when the next byte to read is the last urgent byte. */
int tcp_at_mark(const struct tcp_conn *c);
/* SO_KEEPALIVE or TCP_KEEPIDLE changed: (re)arm the keep-alive timer at
 * the last segment received + the idle time, or stop it (RFC 9293 3.8.4:
 * MUST-24, per connection). */
void tcp_keepalive_changed(struct tcp_conn *c, utcp_time_us now);
/* Apply changed buffer sizes (rcvbuf may open the window). */
void tcp_params_changed(struct tcp_conn *c, utcp_time_us now);

/* --- segment arrival (input.c) --- */

/* Process one segment for this connection (any state but CLOSED and
 * LISTEN) per RFC 9293 3.10.7. Replies are queued for tcp_output_next. */
void tcp_input(struct tcp_conn *c, const struct tcp_seg *seg, utcp_time_us now);

/* RFC 9293 3.10.7.1: the reply to a segment that reached no connection (or
 * a listener and was not a SYN): a RST unless the segment is itself a RST.
 * Returns false when nothing is to be sent. */
bool tcp_reply_no_conn(const struct tcp_seg *seg, struct tcp_tx *tx, uint8_t ttl);

/* --- ICMP errors (icmp_err.c) --- */

enum tcp_icmp_kind {
	TCP_ICMP_SOFT,   /* report, never abort (MUST-56) */
	TCP_ICMP_HARD,   /* abort with err (SHLD-26) */
	TCP_ICMP_QUENCH, /* source quench: ignore (MUST-55) */
	TCP_ICMP_PMTU,   /* fragmentation needed: a smaller path MTU */
};

/* An ICMP error quoting our segment with sequence number seq. Returns
 * false when it was not about anything in flight (and was ignored). */
bool tcp_icmp_error(struct tcp_conn *c, enum tcp_icmp_kind kind, int err, uint32_t seq,
		    uint16_t next_mtu, utcp_time_us now);

/* --- segment departure (output.c) --- */

/* The next segment to send, if any: fills tx (payload pointing into the
 * send ring, valid until the next call that changes the connection) and
 * updates the connection as if it had left. */
bool tcp_output_next(struct tcp_conn *c, utcp_time_us now, struct tcp_tx *tx);

/* The window we would advertise now (bytes, before scaling). */
uint32_t tcp_rcv_window(const struct tcp_conn *c);

/* --- ECN, RFC 3168 (ecn.c) --- */

/* Our SYN or SYN,ACK is being sent (tx->retransmit already set): ask for
 * ECN, or answer the peer's request. */
void tcp_ecn_syn_out(struct tcp_conn *c, struct tcp_tx *tx);
/* The peer's SYN (passive open, simultaneous open) or SYN,ACK arrived:
 * is ECN on? */
void tcp_ecn_syn_in(struct tcp_conn *c, uint8_t flags);
/* The handshake completed. */
void tcp_ecn_established(struct tcp_conn *c);
/* A segment is being sent with an ACK: ECE while echoing CE. */
void tcp_ecn_ack_out(struct tcp_conn *c, struct tcp_tx *tx);
/* Data is being sent: ECT(0) and a pending CWR, unless it is a
 * retransmission or a window probe (6.1.5, 6.1.6). */
void tcp_ecn_data_out(struct tcp_conn *c, struct tcp_tx *tx, bool window_probe);
/* An acceptable segment in a synchronized state: CWR ends the echo, CE
 * (on data) starts it and is acknowledged at once. */
void tcp_ecn_input(struct tcp_conn *c, const struct tcp_seg *seg);
/* True when this ACK carries ECN-Echo on an ECN connection. */
bool tcp_ecn_echoed(const struct tcp_conn *c, const struct tcp_seg *seg);
/* React to an ECN-Echo ACK of `ack` (flight: bytes in flight before it):
 * halve cwnd once per window (a loss recovery counts as the window's
 * reduction), and send CWR. */
void tcp_ecn_on_ece(struct tcp_conn *c, uint32_t ack, uint32_t flight, utcp_time_us now);
/* A loss is about to reduce the window: the ssthresh to take (the
 * algorithm's, unless an ECE reduction already covered this data), and
 * CWR for the peer. */
uint32_t tcp_ecn_loss_ssthresh(struct tcp_conn *c);
/* A retransmission timeout reduced the window: CWR for the peer, and the
 * ECE of data sent so far no longer counts. */
void tcp_ecn_timeout(struct tcp_conn *c);

/* --- timers (timers.c) --- */

/* Run the timers due at `now`. */
void tcp_timers_run(struct tcp_conn *c, utcp_time_us now);
/* The earliest armed timer, or UTCP_TIME_NEVER. */
utcp_time_us tcp_next_deadline(const struct tcp_conn *c);
void tcp_timer_arm(struct tcp_conn *c, enum utcp_timer_kind k, utcp_time_us at);
void tcp_timer_stop(struct tcp_conn *c, enum utcp_timer_kind k);
static inline bool tcp_timer_armed(const struct tcp_conn *c, enum utcp_timer_kind k)
{
	return c->timer_at[k] != UTCP_TIME_NEVER;
}
/* Current RTO with back-off applied, clamped to rto_max. */
utcp_time_us tcp_rto(const struct tcp_conn *c);
/* After anything changed what is in flight: arm or stop the retransmission
 * and persist timers as RFC 6298 (5.1-5.3) and RFC 9293 3.8.6.1 say. */
void tcp_timers_update_send(struct tcp_conn *c, utcp_time_us now);
/* Enter TIME_WAIT (or restart its 2*MSL) and stop the other timers. */
void tcp_enter_time_wait(struct tcp_conn *c, utcp_time_us now);
/* Close with an error for the application (0 for a normal close). */
void tcp_close_with(struct tcp_conn *c, int err);

/* --- small shared helpers --- */

/* Sequence number of the first byte in the send ring: after our SYN has
 * been acknowledged (every synchronized state) that is snd_una. */
static inline uint32_t tcp_snd_buf_seq(const struct tcp_conn *c)
{
	return c->state >= UTCP_ESTABLISHED ? c->snd_una : c->iss + 1;
}

/* Sequence number just past the queued data (where a FIN would go). */
static inline uint32_t tcp_snd_end_seq(const struct tcp_conn *c)
{
	return tcp_snd_buf_seq(c) + c->sndbuf.len;
}

/* True when our FIN has been sent and acknowledged. */
static inline bool tcp_fin_acked(const struct tcp_conn *c)
{
	return c->fin_queued && seq_gt(c->snd_una, c->snd_fin_seq);
}

/* True when our FIN has been sent (it may be unacknowledged). */
static inline bool tcp_fin_sent(const struct tcp_conn *c)
{
	return c->fin_queued && seq_gt(c->snd_max, c->snd_fin_seq);
}

/* Data states: the ones in which we may still receive data. */
static inline bool tcp_state_can_recv(enum utcp_tcp_state s)
{
	return s == UTCP_ESTABLISHED || s == UTCP_FIN_WAIT_1 || s == UTCP_FIN_WAIT_2;
}

/* States in which keep-alives may run: every synchronized one but
 * TIME_WAIT (as Linux: a half-closed connection whose peer died must be
 * found out too; with our FIN outstanding the probe just waits, MUST-26). */
static inline bool tcp_state_keepalive(enum utcp_tcp_state s)
{
	return s >= UTCP_ESTABLISHED && s != UTCP_TIME_WAIT;
}

/* Synchronized states (RFC 9293 3.5.2). */
static inline bool tcp_state_synchronized(enum utcp_tcp_state s)
{
	return s >= UTCP_ESTABLISHED;
}

void tcp_trace_cc(struct tcp_conn *c, enum utcp_cc_event why, utcp_time_us now);
void tcp_trace_timer(struct tcp_conn *c, enum utcp_timer_kind k,
		     enum utcp_timer_action a, utcp_time_us now);

/* Bytes in flight: sent and not acknowledged (SYN and FIN count 1). */
static inline uint32_t tcp_flight(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

#define TCP_STAT(c, name) ((c)->host->stats->name++)

#endif
