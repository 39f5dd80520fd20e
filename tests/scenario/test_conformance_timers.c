/*
 * RFC 9293 conformance, timers (sections 3.8.3, 3.8.4, 3.8.6.3) and ICMP
 * errors on an established connection (3.9.2.2; docs/CONFORMANCE.md):
 * the application sets R2 (MUST-21), R2 lasts at least 100 s by default
 * (SHLD-11), keep-alives only when idle with nothing outstanding (MUST-26),
 * two hours by default (MUST-28), ACKs never delayed by half a second
 * (MUST-40); soft ICMP errors and source quench leave a connection alone
 * (MUST-56, MUST-55), protocol unreachable aborts it (SHLD-26).
 *
 * A listens on port 80 with ISS 1000 and 4 KiB buffers; the raw peer P
 * connects from port 4000 with ISN 5000, MSS 1460; established at 30 ms,
 * A's RTO is then 200 ms.
 */
#include "fixture.h"

#include "wire/icmp.h"

static void p_ack(struct fixture *f, uint32_t ack)
{
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, ack, 8192, NULL, 0, NULL);
}

/* ---- 3.8.3: R2 ---- */

/* MUST-21: the application sets R2 for its connection, as a time
 * (TCP_USER_TIMEOUT, 1 s here): with the RTO at 200 ms the segment is
 * resent at +200 and +600 ms; at the next expiry, +1400 ms, the
 * retransmissions have lasted 1.2 s >= 1 s and the connection ends with
 * ETIMEDOUT (with the default R2 it would resend 12 more times). Another
 * connection of the same stack, without the option, goes on. */
TEST(rfc9293_must21_application_sets_r2_per_connection)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	uint32_t iss;
	int other = fx_raw_accept(f, lfd, FX_PP + 1, 80, 7000, 8192, &iss);
	fx_setint(f, FX_A, fd, UTCP_SOL_TCP, UTCP_TCP_USER_TIMEOUT, 1000);
	utcp_time_us t0 = fx_now(f);
	REQUIRE_EQ(utcp_send(a, fd, "0123456789", 10, 0), 10);
	REQUIRE_EQ(utcp_send(a, other, "0123456789", 10, 0), 10);
	fx_run_until(f, t0 + UTCP_MS(1400) - 1);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	fx_run_until(f, t0 + UTCP_MS(1400));
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	CHECK_EQ(fx_so_error(f, FX_A, fd), ETIMEDOUT);
	fx_run(f, UTCP_SEC(60));
	CHECK_EQ(fx_state(f, FX_A, other), UTCP_ESTABLISHED);
	unsigned mine = 0;
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(f)) != NULL)
		if (s->h.sport == 80 && s->h.dport == FX_PP)
			mine++;
	CHECK_EQ(mine, 3); /* the segment and two retransmissions */
	utcp_close(a, fd);
	FX_RAW_END(f, other, lfd);
}

/* SHLD-11: with the defaults (R2 = 15 retransmissions, RTO from 200 ms
 * doubling to at most 120 s) an unanswered segment is retried for far more
 * than 100 s: the connection gives up only at +924.6 s. */
TEST(rfc9293_shld11_default_r2_lasts_over_100_seconds)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	utcp_time_us t0 = fx_now(f);
	REQUIRE_EQ(utcp_send(a, fd, "0123456789", 10, 0), 10);
	fx_run_until(f, t0 + UTCP_SEC(100));
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	fx_run_until(f, t0 + UTCP_MS(924600) - 1);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	fx_run_until(f, t0 + UTCP_MS(924600));
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	CHECK_EQ(fx_so_error(f, FX_A, fd), ETIMEDOUT);
	CHECK_EQ(fx_stats(f, FX_A).tcp_retransmit, 15);
	utcp_close(a, fd);
	FX_RAW_END(f, -1, lfd);
}

/* ---- 3.8.4: keep-alive ---- */

/* A keep-alive probe: no data, one below SND.NXT (RFC 9293 3.8.4). */
static bool is_keepalive(const struct fx_raw_seg *s, uint32_t snd_nxt)
{
	return s->len == 0 && s->h.seq == snd_nxt - 1;
}

/* MUST-26: keep-alives (idle time 1 s) are sent only when nothing is
 * outstanding: while 10 bytes wait to be acknowledged, A only
 * retransmits them; once they are acknowledged and 1 s passes idle, the
 * first probe goes. */
TEST(rfc9293_must26_no_keepalive_while_data_is_outstanding)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	fx_setint(f, FX_A, fd, UTCP_SOL_SOCKET, UTCP_SO_KEEPALIVE, 1);
	fx_setint(f, FX_A, fd, UTCP_SOL_TCP, UTCP_TCP_KEEPIDLE, 1);
	fx_setint(f, FX_A, fd, UTCP_SOL_TCP, UTCP_TCP_KEEPINTVL, 1);
	REQUIRE_EQ(utcp_send(a, fd, "0123456789", 10, 0), 10);
	fx_run(f, UTCP_SEC(5));
	unsigned rtx = 0;
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(f)) != NULL) {
		CHECK_STR(fx_raw_str(s, (char[96]){0}, 96), "1001(10) ack 5001 win 4096");
		rtx++;
	}
	CHECK_EQ(rtx, 5); /* the data at 0 s, again at 0.2, 0.6, 1.4 and 3.0 s */
	CHECK_EQ(fx_stats(f, FX_A).tcp_keepalive_probe, 0);
	p_ack(f, 1011);
	fx_run(f, UTCP_MS(10));
	utcp_time_us acked = fx_now(f);
	fx_run_until(f, acked + UTCP_SEC(1) + UTCP_MS(10) - 1);
	FX_RAW_EXPECT_NONE(f);
	fx_run_until(f, acked + UTCP_SEC(1) + UTCP_MS(10));
	s = FX_RAW_EXPECT(f, "1010(0) ack 5001 win 4096");
	if (s)
		CHECK(is_keepalive(s, 1011));
	CHECK_EQ(fx_stats(f, FX_A).tcp_keepalive_probe, 1);
	FX_RAW_END(f, fd, lfd);
}

/* MUST-28: switched on with no interval given, keep-alive waits two hours
 * of idleness: nothing until then, the first probe exactly 7200 s after
 * the last segment received. */
TEST(rfc9293_must28_keepalive_default_interval_two_hours)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd, fd = fx_raw_established(f, &lfd, 8192); /* P's last segment arrived at 30 ms */
	fx_setint(f, FX_A, fd, UTCP_SOL_SOCKET, UTCP_SO_KEEPALIVE, 1);
	fx_run_until(f, UTCP_MS(30) + UTCP_SEC(7200) + UTCP_MS(10) - 1);
	FX_RAW_EXPECT_NONE(f);
	fx_run_until(f, UTCP_MS(30) + UTCP_SEC(7200) + UTCP_MS(10));
	const struct fx_raw_seg *s = FX_RAW_EXPECT(f, "1000(0) ack 5001 win 4096");
	if (s)
		CHECK(is_keepalive(s, 1001));
	FX_RAW_END(f, fd, lfd);
}

/* ---- 3.8.6.3: delayed ACKs ---- */

/* MUST-40: an ACK is never delayed by 0.5 s or more: a stack configured
 * so is refused; at 499 ms a lone segment is acknowledged exactly then. */
TEST(rfc9293_must40_ack_delay_below_half_a_second)
{
	struct utcp_stack_config cfg;
	fx_default_cfg(&cfg);
	struct utcp_stack *s = NULL;
	cfg.delack = UTCP_MS(500);
	CHECK_EQ(utcp_stack_new(&cfg, &s), -EINVAL);
	cfg.delack = UTCP_SEC(2);
	CHECK_EQ(utcp_stack_new(&cfg, &s), -EINVAL);
	cfg.delack = UTCP_MS(499);
	struct fixture *f = fx_new_raw(&cfg);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	utcp_time_us t = fx_now(f);
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, 1001, 8192, "x", 1, NULL);
	fx_run_until(f, t + UTCP_MS(10) + UTCP_MS(499) + UTCP_MS(10) - 1);
	FX_RAW_EXPECT_NONE(f);
	fx_run_until(f, t + UTCP_MS(10) + UTCP_MS(499) + UTCP_MS(10));
	FX_RAW_EXPECT(f, "1001(0) ack 5002 win 4095");
	FX_RAW_END(f, fd, lfd);
}

/* ---- 3.9.2.2: ICMP errors on an established connection ---- */

/* MUST-56, MUST-55: on an established connection with data in flight,
 * net/host unreachable, time exceeded and parameter problem are reported
 * (soft) but never abort, and source quench changes nothing, not even the
 * congestion window; the data is acknowledged afterwards as usual. */
TEST(rfc9293_must56_soft_icmp_errors_never_abort_an_established_connection)
{
	static const struct {
		uint8_t type, code;
		bool soft;
	} kinds[] = {
	    {ICMP_DEST_UNREACH, ICMP_UNREACH_NET, true},
	    {ICMP_DEST_UNREACH, ICMP_UNREACH_HOST, true},
	    {ICMP_DEST_UNREACH, ICMP_UNREACH_SRCFAIL, true},
	    {ICMP_TIME_EXCEEDED, 0, true},
	    {ICMP_PARAM_PROBLEM, 0, true},
	    {ICMP_SOURCE_QUENCH, 0, false},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct fixture *f = fx_new_raw(NULL);
		struct utcp_stack *a = fx_stack(f, FX_A);
		int lfd, fd = fx_raw_established(f, &lfd, 8192);
		REQUIRE_EQ(utcp_send(a, fd, "0123456789", 10, 0), 10);
		fx_run(f, UTCP_MS(10));
		FX_RAW_EXPECT(f, "1001(10) ack 5001 win 4096");
		uint32_t cwnd = fx_info(f, FX_A, fd).cwnd;
		fx_raw_send_icmp(f, kinds[i].type, kinds[i].code, 0, 80, FX_PP, 1001);
		fx_run(f, UTCP_MS(20));
		CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
		CHECK_EQ(!!(utcp_poll_events(a, fd) & UTCP_POLLSOFTERR), kinds[i].soft);
		CHECK(!(utcp_poll_events(a, fd) & UTCP_POLLERR));
		CHECK_EQ(fx_info(f, FX_A, fd).cwnd, cwnd);
		CHECK_EQ(fx_stats(f, FX_A).icmp_error_in, 1);
		p_ack(f, 1011);
		fx_run(f, UTCP_MS(20));
		CHECK_EQ(fx_info(f, FX_A, fd).unacked, 0);
		REQUIRE_EQ(utcp_send(a, fd, "more", 4, 0), 4);
		fx_run(f, UTCP_MS(10));
		FX_RAW_EXPECT(f, "1011(4) ack 5001 win 4096");
		FX_RAW_EXPECT_NONE(f);
		FX_RAW_END(f, fd, lfd);
	}
}

/* SHLD-26: destination unreachable, protocol unreachable (code 2), is a
 * hard error: the connection is aborted with ECONNREFUSED, as for port
 * unreachable (code 3). (Code 4, fragmentation needed, adjusts the MSS:
 * RFC 1191 path MTU discovery, icmp_fragmentation_needed_shrinks_the_mss.) */
TEST(rfc9293_shld26_protocol_and_port_unreachable_abort)
{
	static const uint8_t codes[] = {ICMP_UNREACH_PROTOCOL, ICMP_UNREACH_PORT};
	for (size_t i = 0; i < 2; i++) {
		struct fixture *f = fx_new_raw(NULL);
		struct utcp_stack *a = fx_stack(f, FX_A);
		int lfd, fd = fx_raw_established(f, &lfd, 8192);
		REQUIRE_EQ(utcp_send(a, fd, "0123456789", 10, 0), 10);
		fx_run(f, UTCP_MS(10));
		FX_RAW_EXPECT(f, "1001(10) ack 5001 win 4096");
		fx_raw_send_icmp(f, ICMP_DEST_UNREACH, codes[i], 0, 80, FX_PP, 1001);
		fx_run(f, UTCP_MS(20));
		CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
		CHECK(utcp_poll_events(a, fd) & UTCP_POLLERR);
		CHECK_EQ(fx_so_error(f, FX_A, fd), ECONNREFUSED);
		fx_run(f, UTCP_SEC(2));
		FX_RAW_EXPECT_NONE(f); /* no retransmission after the abort */
		utcp_close(a, fd);
		FX_RAW_END(f, -1, lfd);
	}
}
