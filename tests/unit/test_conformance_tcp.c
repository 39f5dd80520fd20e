/*
 * RFC 9293 3.8.3 (docs/CONFORMANCE.md), at the protocol layer alone: after
 * R1 retransmissions of one segment TCP passes negative advice to IP
 * (MUST-20), R1 is at least 3 by default (SHLD-10), and a SYN is
 * retransmitted under the same R1/R2 scheme (MUST-22). The stack's
 * receiver of the advice has nothing to act on yet (no routes or neighbour
 * cache to refresh), so these tests give the protocol layer a host of
 * their own that counts the advice, and drive one connection by hand:
 * segments in through tcp_input(), out through tcp_output_next(), time
 * through tcp_timers_run().
 */
#include "../harness.h"

#include "tcp/cc.h"
#include "tcp/conn.h"

static unsigned advice_count;

static void no_state(struct tcp_conn *c, enum utcp_tcp_state from, enum utcp_tcp_state to)
{
	(void)c;
	(void)from;
	(void)to;
}

static void no_wake(struct tcp_conn *c, unsigned events)
{
	(void)c;
	(void)events;
}

static void no_trace(struct tcp_conn *c, struct utcp_trace_event *ev)
{
	(void)c;
	(void)ev;
}

static void count_advice(struct tcp_conn *c)
{
	(void)c;
	advice_count++;
}

static const struct tcp_host_ops ops = {.state_changed = no_state, .wake = no_wake,
					.trace = no_trace, .negative_advice = count_advice};

struct rig {
	struct tcp_host host;
	struct utcp_stats stats;
	struct ualloc alloc;
	struct tcp_conn c;
	utcp_time_us now;
	unsigned sent;       /* segments sent */
	unsigned advice_at;  /* segments sent when the first advice came */
};

/* A connection from 10.0.0.1:40000 to 10.0.0.2:80 in SYN_SENT (ISS 100),
 * the parameters as the stack sets them by default, R1 = r1. */
static void rig_open(struct rig *r, uint32_t r1)
{
	memset(r, 0, sizeof(*r));
	advice_count = 0;
	ualloc_init(&r->alloc, NULL);
	r->host = (struct tcp_host){.ops = &ops, .stats = &r->stats, .alloc = &r->alloc};
	struct tcp_params p;
	memset(&p, 0, sizeof(p));
	p.msl = UTCP_SEC(30);
	p.rto_initial = UTCP_SEC(1);
	p.rto_min = UTCP_MS(200);
	p.rto_max = UTCP_SEC(120);
	p.delack = UTCP_MS(40);
	p.keep_idle = UTCP_SEC(7200);
	p.keep_intvl = UTCP_SEC(75);
	p.keep_cnt = 9;
	p.retries_r1 = r1;
	p.retries_r2 = 15;
	p.syn_retries = 7;
	p.initial_window = 10;
	p.sndbuf = p.rcvbuf = 4096;
	p.ttl = 64;
	p.cc = tcp_cc_find("reno");
	REQUIRE(p.cc != NULL);
	tcp_conn_init(&r->c, &r->host, &p, 1);
	r->c.laddr = 0x0a000001u;
	r->c.raddr = 0x0a000002u;
	r->c.lport = 40000;
	r->c.rport = 80;
	r->c.route_mss = 1460;
	tcp_open_active(&r->c, 100, 0);
}

/* Send whatever the connection has to send now; returns how many. */
static unsigned rig_flush(struct rig *r)
{
	struct tcp_tx tx;
	unsigned n = 0;
	while (tcp_output_next(&r->c, r->now, &tx)) {
		n++;
		r->sent++;
		if (advice_count && !r->advice_at)
			r->advice_at = r->sent;
	}
	return n;
}

/* Run timers up to t (each on its deadline), sending after each. */
static void rig_run_until(struct rig *r, utcp_time_us t)
{
	utcp_time_us next;
	while (r->c.state != UTCP_CLOSED && (next = tcp_next_deadline(&r->c)) <= t) {
		r->now = next;
		tcp_timers_run(&r->c, r->now);
		rig_flush(r);
	}
	r->now = t;
}

static void rig_free(struct rig *r)
{
	tcp_conn_release(&r->c);
	CHECK_EQ(r->alloc.in_use, 0);
}

/* MUST-22 with MUST-20: an unanswered SYN is retransmitted at 1, 3, 7 s
 * (RFC 6298 back-off); at the third retransmission (R1 = 3, SHLD-10) the
 * advice is given, once; the SYN goes on until R2 (7 retries, MUST-23). */
TEST(rfc9293_must22_syn_retransmissions_give_negative_advice_at_r1)
{
	struct rig r;
	rig_open(&r, 3);
	CHECK_EQ(rig_flush(&r), 1); /* the SYN */
	rig_run_until(&r, UTCP_SEC(7) - 1);
	CHECK_EQ(r.sent, 3); /* SYN, retransmissions at 1 and 3 s */
	CHECK_EQ(advice_count, 0);
	rig_run_until(&r, UTCP_SEC(7));
	CHECK_EQ(r.sent, 4);
	CHECK_EQ(advice_count, 1);
	CHECK_EQ(r.advice_at, 4); /* with the third retransmission */
	rig_run_until(&r, UTCP_SEC(246));
	CHECK_EQ(r.c.state, UTCP_SYN_SENT);
	CHECK_EQ(advice_count, 1); /* not again at every later one */
	rig_run_until(&r, UTCP_SEC(247));
	CHECK_EQ(r.c.state, UTCP_CLOSED);
	CHECK_EQ(r.c.err, ETIMEDOUT);
	CHECK_EQ(r.sent, 8);
	rig_free(&r);
}

/* MUST-20: the same for data: the peer's SYN,ACK arrives, 10 bytes go and
 * are never acknowledged; the advice comes with the R1-th retransmission
 * (3 by default, SHLD-10; 5 when set so), before R2 ends the connection. */
TEST(rfc9293_must20_data_retransmissions_give_negative_advice_at_r1)
{
	static const uint32_t r1s[] = {3, 5};
	for (size_t i = 0; i < 2; i++) {
		struct rig r;
		rig_open(&r, r1s[i]);
		rig_flush(&r);
		struct tcp_hdr h = {.sport = 80, .dport = 40000, .seq = 5000, .ack = 101,
				    .flags = UTCP_TH_SYN | UTCP_TH_ACK, .wnd = 8192,
				    .opts = {.has_mss = true, .mss = 1460}};
		struct tcp_seg seg = {.h = &h, .src = r.c.raddr, .dst = r.c.laddr};
		r.now = UTCP_MS(20);
		tcp_input(&r.c, &seg, r.now);
		REQUIRE_EQ(r.c.state, UTCP_ESTABLISHED);
		CHECK_EQ(rig_flush(&r), 1); /* the ACK */
		REQUIRE_EQ(tcp_user_send(&r.c, (const uint8_t *)"0123456789", 10, 0, r.now), 10);
		CHECK_EQ(rig_flush(&r), 1);
		unsigned before = r.sent;
		/* RTO 200 ms (the handshake's 20 ms RTT), doubling. */
		utcp_time_us t = r.now, rto = UTCP_MS(200);
		for (uint32_t k = 1; k <= r1s[i]; k++) {
			t += rto;
			rto *= 2;
			rig_run_until(&r, t - 1);
			CHECK_EQ(advice_count, 0);
			rig_run_until(&r, t);
			CHECK_EQ(r.sent, before + k);
		}
		CHECK_EQ(advice_count, 1);
		CHECK_EQ(r.advice_at, before + r1s[i]);
		CHECK_EQ(r.c.state, UTCP_ESTABLISHED);
		rig_run_until(&r, t + UTCP_SEC(2000));
		CHECK_EQ(r.c.state, UTCP_CLOSED); /* R2 */
		CHECK_EQ(r.c.err, ETIMEDOUT);
		CHECK_EQ(advice_count, 1);
		rig_free(&r);
	}
}
