/*
 * Two guards against misleading signals: challenge ACKs are rate-limited
 * (RFC 5961 section 7), and duplicate ACKs about data sent before a
 * timeout do not start fast retransmit (RFC 6582 section 4, "recover").
 *
 * A listens with ISS 1000 and 4 KiB buffers; the raw peer P connects from
 * port 4000 with ISN 5000 and an 8 KiB window (fx_raw_established).
 */
#include "fixture.h"

TEST(rfc5961_challenge_acks_rate_limited)
{
	struct utcp_stack_config cfg;
	fx_default_cfg(&cfg);
	cfg.challenge_ack_limit = 5;
	struct fixture *f = fx_new_raw(&cfg);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	/* Twenty RSTs in the window but not at RCV.NXT, within one second:
	 * five challenge ACKs, fifteen not sent; the connection survives. */
	for (int i = 0; i < 20; i++)
		fx_raw_send(f, FX_PP, 80, UTCP_TH_RST, 5001 + 100 + (uint32_t)i, 0, 0, NULL, 0,
			    NULL);
	fx_run(f, UTCP_MS(30));
	unsigned acks = 0;
	while (fx_raw_next(f))
		acks++;
	CHECK_EQ(acks, 5);
	CHECK_EQ(fx_stats(f, FX_A).tcp_challenge_ack, 5);
	CHECK_EQ(fx_stats(f, FX_A).tcp_challenge_ack_limited, 15);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	/* A second later the allowance is back. */
	fx_run(f, UTCP_SEC(1));
	fx_raw_send(f, FX_PP, 80, UTCP_TH_RST, 5001 + 7, 0, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(30));
	FX_RAW_EXPECT(f, "1001(0) ack 5001 win 4096");
	FX_RAW_END(f, fd, lfd);
}

/* A sends two full segments (its 4 KiB buffer holds 2920 more bytes
 * than that, which P's acknowledgements let out later). */
static void send_two(struct fixture *f, int fd)
{
	static char data[2 * 1460];
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, sizeof(data), 0), (long)sizeof(data));
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "1001(1460) ack 5001 win 4096");
	FX_RAW_EXPECT(f, "2461(1460) ack 5001 win 4096");
}

/* Control: three duplicate ACKs of fresh data start fast retransmit. */
TEST(rfc6582_three_dupacks_fast_retransmit)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	send_two(f, fd);
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, 2461, 8192, NULL, 0, NULL);
	for (int i = 0; i < 3; i++)
		fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, 2461, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(fx_stats(f, FX_A).tcp_fast_retransmit, 1);
	FX_RAW_EXPECT(f, "2461(1460) ack 5001 win 4096"); /* resent before any timer */
	FX_RAW_END(f, fd, lfd);
}

/* RFC 6582 section 4: after a timeout, recover = the highest sequence
 * sent; duplicate ACKs that do not cover more than that are about data
 * sent before the timeout (the receiver's answers to our go-back
 * retransmissions of what it already held) and must not start another
 * fast retransmit. */
TEST(rfc6582_no_fast_retransmit_for_dupacks_of_data_sent_before_timeout)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	send_two(f, fd);
	/* Nothing is acknowledged: the RTO (1 s, no sample yet... the
	 * handshake gave one: 200 ms minimum) fires and resends 1001. */
	fx_run(f, UTCP_MS(300));
	FX_RAW_EXPECT(f, "1001(1460) ack 5001 win 4096");
	CHECK_EQ(fx_stats(f, FX_A).tcp_timeout, 1);
	/* P acknowledges the first segment, then sends three duplicates. */
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, 2461, 8192, NULL, 0, NULL);
	for (int i = 0; i < 3; i++)
		fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, 2461, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(fx_stats(f, FX_A).tcp_dup_ack, 3);
	CHECK_EQ(fx_stats(f, FX_A).tcp_fast_retransmit, 0);
	FX_RAW_END(f, fd, lfd);
}
