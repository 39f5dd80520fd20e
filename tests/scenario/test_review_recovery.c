/*
 * An adversarial review of the TCP core (src/tcp), part 2: loss recovery.
 * Entering SACK recovery (RFC 6675 section 5 (4.3)), NextSeg rule (3),
 * recovery at the recovery point, NewReno partial ACKs (RFC 6582), no
 * fast retransmit from the echoes of a timeout (RFC 6582 section 4), and
 * batched input (MUST-58) that ends recovery behind a partial ACK.
 *
 * Each test here first failed on the code it reviewed; all now pass.
 */
#include "review_peer.h"

#include "stack/stack_internal.h"

#include <stdlib.h>

/* --- RFC 6675: entering loss recovery --- */

TEST(review_sack_third_dupack_retransmits_at_once)
{
	struct peer p;
	peer_open(&p, true, false, 1000, 5000);
	ten_segments(&p, 14600);
	/* Segment 1 is lost; 2, 3 and 4 arrive: three duplicate ACKs, each
	 * SACKing one more segment. */
	static const uint32_t b1[] = {2461, 3921}, b2[] = {2461, 5381}, b3[] = {2461, 6841};
	peer_ack(&p, 1001, 1, b1);
	peer_ack(&p, 1001, 1, b2);
	peer_ack(&p, 1001, 1, b3);
	fx_run(p.f, UTCP_MS(25));
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_fast_retransmit, 1); /* recovery entered */
	const struct fx_raw_seg *s[16];
	size_t n = peer_drain(&p, s, 16);
	/* RFC 6675 (4.3): the segment at HighACK + 1 goes now. (With
	 * ssthresh = cwnd = 7300 and pipe = 8760, A sends nothing until two
	 * more duplicate ACKs have brought the pipe down.) */
	CHECK_EQ(n > 0 ? s[0]->h.seq : 0, 1001);
	CHECK_EQ(n > 0 ? s[0]->len : 0, 1460);
	peer_close(&p);
}

TEST(review_sack_dupacks_without_blocks_still_retransmit)
{
	struct peer p;
	peer_open(&p, true, false, 1000, 5000);
	ten_segments(&p, 14600);
	/* The peer agreed to SACK but its duplicate ACKs carry no blocks (a
	 * middlebox stripped them, or the receiver ran out of room). */
	peer_ack(&p, 1001, 0, NULL);
	peer_ack(&p, 1001, 0, NULL);
	peer_ack(&p, 1001, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_fast_retransmit, 1);
	const struct fx_raw_seg *s[16];
	size_t n = peer_drain(&p, s, 16);
	/* RFC 6675 (4.3) (and RFC 5681 3.2 without SACK): retransmit the
	 * first unacknowledged segment on the third duplicate ACK; not one
	 * RTO later. */
	CHECK_EQ(n > 0 ? s[0]->h.seq : 0, 1001);
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_timeout, 0);
	peer_close(&p);
}

TEST(review_sack_new_loss_right_at_the_recovery_point_starts_recovery)
{
	struct peer p;
	peer_open(&p, true, false, 1000, 5000);
	ten_segments(&p, 60000);
	/* Segment 1 lost, 2..10 arrive: the third duplicate ACK shows nine
	 * segments above the hole. */
	static const uint32_t b1[] = {2461, 5381}, b2[] = {2461, 9761}, b3[] = {2461, 15601};
	peer_ack(&p, 1001, 1, b1);
	peer_ack(&p, 1001, 1, b2);
	peer_ack(&p, 1001, 1, b3);
	fx_run(p.f, UTCP_MS(25));
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_fast_retransmit, 1);
	const struct fx_raw_seg *s[32];
	size_t n = peer_drain(&p, s, 32);
	/* The hole, then new data from 15601 (RecoveryPoint = 15601). */
	REQUIRE(n >= 3);
	CHECK_EQ(s[0]->h.seq, 1001);
	CHECK_EQ(s[1]->h.seq, 15601);
	CHECK_EQ(s[2]->h.seq, 17061);
	/* The retransmission arrives: everything up to the recovery point
	 * is acknowledged (recovery ends), but 15601 was lost; the segments
	 * after it arrive and are SACKed. */
	static const uint32_t c1[] = {17061, 18521}, c2[] = {17061, 19981}, c3[] = {17061, 21441};
	peer_ack(&p, 15601, 1, c1);
	fx_run(p.f, UTCP_MS(15));
	peer_drain(&p, NULL, 0);
	peer_ack(&p, 15601, 1, c2);
	peer_ack(&p, 15601, 1, c3);
	fx_run(p.f, UTCP_MS(25));
	/* Three segments SACKed above 15601: IsLost(15601) (RFC 6675 5 (2)),
	 * and the previous recovery is over (HighACK has reached the
	 * recovery point): a new recovery starts and 15601 is resent. */
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_fast_retransmit, 2);
	bool resent = false;
	n = peer_drain(&p, s, 32);
	for (size_t i = 0; i < n && i < 32; i++)
		resent |= s[i]->h.seq == 15601;
	CHECK(resent);
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_timeout, 0);
	peer_close(&p);
}

TEST(review_sack_partial_ack_exposes_a_hole_resent_before_the_rto)
{
	struct peer p;
	peer_open(&p, true, false, 1000, 5000);
	ten_segments(&p, 14600); /* all A has: segments 1..10, 1001..15601 */
	/* Segments 2 (2461) and 8 (11221) are lost. Segment 1 is ACKed,
	 * then each arrival above the first hole SACKs one more. */
	peer_ack(&p, 2461, 0, NULL);
	static const uint32_t d3[] = {3921, 5381}, d4[] = {3921, 6841}, d5[] = {3921, 8301},
			      d6[] = {3921, 9761}, d7[] = {3921, 11221};
	static const uint32_t d9[] = {12681, 14141, 3921, 11221};
	static const uint32_t d10[] = {12681, 15601, 3921, 11221};
	peer_ack(&p, 2461, 1, d3);
	peer_ack(&p, 2461, 1, d4);
	peer_ack(&p, 2461, 1, d5);
	peer_ack(&p, 2461, 1, d6);
	peer_ack(&p, 2461, 1, d7);
	peer_ack(&p, 2461, 2, d9);
	peer_ack(&p, 2461, 2, d10);
	fx_run(p.f, UTCP_MS(25));
	const struct fx_raw_seg *s[16];
	size_t n = peer_drain(&p, s, 16);
	REQUIRE(n >= 1);
	CHECK_EQ(s[0]->h.seq, 2461); /* the first hole, resent in recovery */
	bool second = false;
	for (size_t i = 1; i < n && i < 16; i++)
		second |= s[i]->h.seq == 11221;
	/* Its arrival: a partial ACK up to the second hole, with the two
	 * segments beyond it SACKed. Nothing else is in flight and A has no
	 * new data: RFC 6675 NextSeg rule (3) (already with the SACKs of 9
	 * and 10) or at the latest NewReno's partial ACK rule (RFC 6582 3.2
	 * step 5) resends the segment at 11221, well before the RTO. */
	static const uint32_t e[] = {12681, 15601};
	peer_ack(&p, 11221, 1, e);
	fx_run(p.f, UTCP_MS(25));
	n = peer_drain(&p, s, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		second |= s[i]->h.seq == 11221 && s[i]->len == 1460;
	CHECK(second);
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_timeout, 0);
	peer_close(&p);
}

/* The same losses without SACK: NewReno resends the second hole on the
 * partial ACK (this passes; SACK should do no worse). */
TEST(review_newreno_partial_ack_resends_the_next_hole_at_once)
{
	struct peer p;
	peer_open(&p, false, false, 1000, 5000);
	ten_segments(&p, 14600);
	peer_ack(&p, 2461, 0, NULL);
	for (int i = 0; i < 7; i++)
		peer_ack(&p, 2461, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	const struct fx_raw_seg *s[16];
	size_t n = peer_drain(&p, s, 16);
	REQUIRE(n >= 1);
	CHECK_EQ(s[0]->h.seq, 2461);
	peer_ack(&p, 11221, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	n = peer_drain(&p, s, 16);
	REQUIRE(n >= 1);
	CHECK_EQ(s[0]->h.seq, 11221);
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_timeout, 0);
	peer_close(&p);
}

/* --- MUST-58 batches: a flag set by one segment and outlived by the next --- */

TEST(review_batch_partial_ack_then_fin_ack_into_time_wait)
{
	struct peer p;
	peer_open(&p, false, false, 1000, 5000);
	/* A sends four segments, then its FIN alone. */
	static uint8_t data[4 * 1460];
	REQUIRE_EQ(utcp_send(p.a, p.fd, data, sizeof(data), 0), (long)sizeof(data));
	REQUIRE_EQ(utcp_shutdown(p.a, p.fd, UTCP_SHUT_WR), 0);
	fx_run(p.f, UTCP_MS(15));
	const struct fx_raw_seg *s[16];
	REQUIRE_EQ(peer_drain(&p, s, 16), 5);
	CHECK_EQ(s[4]->h.flags, UTCP_TH_ACK | UTCP_TH_FIN);
	uint32_t fin_end = 1001 + 4 * 1460 + 1;
	/* Segment 1 lost: three duplicate ACKs, A retransmits it (NewReno). */
	for (int i = 0; i < 3; i++)
		peer_ack(&p, 1001, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	REQUIRE_EQ(peer_drain(&p, s, 16), 1);
	CHECK_EQ(s[0]->h.seq, 1001);
	/* One burst from the link: a partial ACK (segment 2 was lost too),
	 * then P's FIN with the ACK of everything (segment 2 came after all). */
	uint8_t p1[128], p2[128];
	size_t n1 = review_dgram(p1, sizeof(p1), UTCP_TH_ACK, 5001, 2461);
	size_t n2 = review_dgram(p2, sizeof(p2), UTCP_TH_ACK | UTCP_TH_FIN, 5001, fin_end);
	utcp_time_us t = fx_now(p.f);
	utcp_stack_batch_begin(p.a, t);
	utcp_stack_input(p.a, 0, p1, n1, t);
	utcp_stack_input(p.a, 0, p2, n2, t);
	utcp_stack_batch_end(p.a);
	fx_run(p.f, UTCP_MS(15));
	/* A is in TIME_WAIT and ACKs P's FIN; nothing else. */
	CHECK_EQ(fx_count(p.f, FX_A, UTCP_TIME_WAIT), 1);
	REQUIRE_EQ(peer_drain(&p, s, 16), 1);
	CHECK_EQ(s[0]->h.seq, fin_end);
	CHECK_EQ(s[0]->len, 0);
	CHECK_EQ(s[0]->h.ack, 5002);
	utcp_close(p.a, p.fd);
	utcp_close(p.a, p.lfd);
	fx_run(p.f, UTCP_SEC(70));
	CHECK_EQ(fx_sockets_alive(p.f, FX_A), 0);
	fx_free(p.f);
}

TEST(review_batch_partial_ack_then_full_ack_sends_nothing_after_the_fin)
{
	struct peer p;
	peer_open(&p, false, false, 1000, 5000);
	static uint8_t data[4 * 1460];
	REQUIRE_EQ(utcp_send(p.a, p.fd, data, sizeof(data), 0), (long)sizeof(data));
	REQUIRE_EQ(utcp_shutdown(p.a, p.fd, UTCP_SHUT_WR), 0);
	fx_run(p.f, UTCP_MS(15));
	REQUIRE_EQ(peer_drain(&p, NULL, 0), 5);
	uint32_t fin_end = 1001 + 4 * 1460 + 1;
	for (int i = 0; i < 3; i++)
		peer_ack(&p, 1001, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	REQUIRE_EQ(peer_drain(&p, NULL, 0), 1); /* segment 1 again */
	/* One burst: a partial ACK, then the ACK of everything, our FIN
	 * included (P has nothing to send yet). */
	uint8_t p1[128], p2[128];
	size_t n1 = review_dgram(p1, sizeof(p1), UTCP_TH_ACK, 5001, 2461);
	size_t n2 = review_dgram(p2, sizeof(p2), UTCP_TH_ACK, 5001, fin_end);
	utcp_time_us t = fx_now(p.f);
	utcp_stack_batch_begin(p.a, t);
	utcp_stack_input(p.a, 0, p1, n1, t);
	utcp_stack_input(p.a, 0, p2, n2, t);
	utcp_stack_batch_end(p.a);
	fx_run(p.f, UTCP_MS(15));
	CHECK_EQ(fx_state(p.f, FX_A, p.fd), UTCP_FIN_WAIT_2);
	/* Everything A sent is acknowledged: nothing is due, least of all
	 * data numbered after its FIN. */
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(p.f)) != NULL) {
		char buf[160];
		test_fail_at(__FILE__, __LINE__, "A sent \"%s\" after its FIN was acknowledged",
			     fx_raw_str(s, buf, sizeof(buf)));
	}
	peer_close(&p);
}

/* --- RFC 6582 section 4: no fast retransmit from the echoes of a timeout --- */

/* After a timeout A goes back to SND.UNA and resends segments P already
 * holds; each such duplicate draws a duplicate ACK at P's RCV.NXT, which
 * is exactly `recover` (SND.MAX when the timer fired) once the last hole
 * is filled. Those ACKs do not "cover more than recover" (RFC 6582 3.2
 * step 1, section 4): they must not start a fast retransmit, which would
 * halve cwnd a second time for the same loss. */
TEST(review_newreno_dupacks_at_recover_after_a_timeout_are_no_loss)
{
	struct peer p;
	peer_open(&p, false, false, 1000, 5000);
	static uint8_t data[30000];
	REQUIRE_EQ(utcp_send(p.a, p.fd, data, sizeof(data), 0), (long)sizeof(data));
	fx_run(p.f, UTCP_MS(15));
	REQUIRE_EQ(peer_drain(&p, NULL, 0), 10); /* 1001 .. 15601 */
	/* P holds segments 2, 4 and 6..10; 1, 3 and 5 were lost, and so
	 * were P's duplicate ACKs: A times out and resends segment 1. */
	fx_run(p.f, UTCP_MS(300));
	const struct fx_raw_seg *s[32];
	size_t n = peer_drain(&p, s, 32);
	REQUIRE_EQ(n, 1);
	CHECK_EQ(s[0]->h.seq, 1001);
	REQUIRE_EQ(fx_stats(p.f, FX_A).tcp_timeout, 1);
	/* P: segment 1 fills the first hole. A slow-starts from SND.UNA. */
	peer_ack(&p, 3921, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	n = peer_drain(&p, s, 32);
	REQUIRE_EQ(n, 3);
	CHECK_EQ(s[0]->h.seq, 3921);
	CHECK_EQ(s[1]->h.seq, 5381); /* P has it: a duplicate */
	CHECK_EQ(s[2]->h.seq, 6841);
	/* P's answers: 3 fills a hole, 4 is a duplicate, 5 fills the last
	 * hole (everything up to 15601, the old SND.MAX, is there). */
	peer_ack(&p, 6841, 0, NULL);
	peer_ack(&p, 6841, 0, NULL);
	peer_ack(&p, 15601, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	n = peer_drain(&p, s, 32);
	/* Between the first and the last of those ACKs A resent 8301 ..
	 * (segments P holds), then new data from 15601. */
	unsigned dups = 0;
	for (size_t i = 0; i < n && i < 32; i++)
		dups += seq_lt(s[i]->h.seq, 15601);
	REQUIRE(dups >= 3);
	/* Each duplicate draws a duplicate ACK at 15601 = recover. */
	for (unsigned i = 0; i < dups; i++)
		peer_ack(&p, 15601, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_fast_retransmit, 0);
	n = peer_drain(&p, s, 32);
	for (size_t i = 0; i < n && i < 32; i++)
		if (s[i]->h.seq == 15601 && s[i]->len > 0)
			test_fail_at(__FILE__, __LINE__,
				     "A resent 15601 on duplicate ACKs "
				     "that only echo its go-back-N");
	peer_close(&p);
}

/* The same with SACK: the ACKs that echo the go-back-N carry no new SACK
 * information, so they are no duplicate ACKs in the sense of RFC 6675
 * section 2 and start no recovery (a recovery at SEG.ACK = RecoveryPoint
 * needs evidence of a new loss: review_sack_new_loss_right_at_the_
 * recovery_point_starts_recovery). */
TEST(review_sack_dupacks_at_recover_after_a_timeout_are_no_loss)
{
	struct peer p;
	peer_open(&p, true, false, 1000, 5000);
	static uint8_t data[30000];
	REQUIRE_EQ(utcp_send(p.a, p.fd, data, sizeof(data), 0), (long)sizeof(data));
	fx_run(p.f, UTCP_MS(15));
	REQUIRE_EQ(peer_drain(&p, NULL, 0), 10);
	fx_run(p.f, UTCP_MS(300));
	const struct fx_raw_seg *s[32];
	size_t n = peer_drain(&p, s, 32);
	REQUIRE_EQ(n, 1);
	CHECK_EQ(s[0]->h.seq, 1001);
	REQUIRE_EQ(fx_stats(p.f, FX_A).tcp_timeout, 1);
	/* P holds 2, 4, 6..10 and says so. */
	static const uint32_t b1[] = {5381, 6841, 8301, 15601};
	static const uint32_t b2[] = {8301, 15601};
	peer_ack(&p, 3921, 2, b1);
	fx_run(p.f, UTCP_MS(25));
	n = peer_drain(&p, s, 32);
	REQUIRE(n >= 1);
	CHECK_EQ(s[0]->h.seq, 3921);
	peer_ack(&p, 6841, 1, b2);
	peer_ack(&p, 6841, 1, b2);
	peer_ack(&p, 15601, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	unsigned dups = 0;
	n = peer_drain(&p, s, 32);
	for (size_t i = 0; i < n && i < 32; i++)
		dups += seq_lt(s[i]->h.seq, 15601);
	/* Whatever A resent below 15601 (go-back-N may resend SACKed data,
	 * RFC 6675 5.1 only recommends otherwise) is echoed by an ACK at
	 * 15601 without SACK blocks; three more to be sure. */
	for (unsigned i = 0; i < dups + 3; i++)
		peer_ack(&p, 15601, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_fast_retransmit, 0);
	peer_close(&p);
}
