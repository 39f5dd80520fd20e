/*
 * LESSONS L5: half-close. shutdown(SHUT_WR) sends FIN and ends sending
 * (EPIPE) but the end still receives until the peer closes; SHUT_RD
 * discards what arrives afterwards; SHUT_RDWR is both; close() drops one
 * reference (the connection lives while a dup'ed descriptor is open),
 * shutdown() acts on the connection whatever the references.
 *
 * Two stacks, 4 KiB buffers, A (ISN 100) connects to B:80 (ISN 800); the
 * connection is up at 30 ms and every test starts at 100 ms.
 */
#include "fixture.h"

TEST(lesson_l5_shut_wr_fin_epipe_still_receives)
{
	int lfd, cfd, sfd;
	struct fixture *f = fx_new_established(&lfd, &cfd, &sfd);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	char buf[2048];
	size_t a0 = fx_n_sent(f, FX_A);
	REQUIRE_EQ(utcp_shutdown(a, cfd, UTCP_SHUT_WR), 0); /* t = 100 ms */
	CHECK_EQ(utcp_send(a, cfd, "more", 4, 0), -EPIPE);
	CHECK(utcp_poll_events(a, cfd) & UTCP_POLLOUT); /* as Linux: send won't block, it fails */
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_FIN_WAIT_2);
	CHECK_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 0); /* B sees end of stream */
	CHECK_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), -EAGAIN); /* A still open for reading */

	/* B goes on sending; A takes every byte. */
	static char data[3000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	REQUIRE_EQ(utcp_send(b, sfd, data, sizeof(data), 0), 3000);
	fx_run(f, UTCP_MS(100));
	size_t got = 0;
	ssize_t n;
	while ((n = utcp_recv(a, cfd, buf, sizeof(buf), 0)) > 0) {
		CHECK(memcmp(buf, data + got, (size_t)n) == 0);
		got += (size_t)n;
	}
	CHECK_EQ(n, -EAGAIN);
	CHECK_EQ(got, 3000);
	CHECK_EQ(utcp_send(a, cfd, "x", 1, 0), -EPIPE);

	/* After the FIN, A sent only ACKs: no data, no second FIN. */
	const struct fx_event *sent[64];
	size_t ns = fx_sent(f, FX_A, sent, 64);
	REQUIRE(ns > a0);
	char s0[128];
	CHECK_STR(fx_seg_str(&sent[a0]->ev.u.seg, s0, sizeof(s0)), "FIN 101(0) ack 801 win 4096");
	for (size_t i = a0 + 1; i < ns; i++) {
		CHECK_EQ(sent[i]->ev.u.seg.len, 0);
		CHECK_EQ(sent[i]->ev.u.seg.flags, UTCP_TH_ACK);
		CHECK_EQ(sent[i]->ev.u.seg.seq, 102);
	}
	CHECK_EQ(sent[ns - 1]->ev.u.seg.ack, 3801);

	/* The peer closes: end of stream for A, which was the active closer. */
	REQUIRE_EQ(utcp_close(b, sfd), 0);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 0);
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_TIME_WAIT);
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)),
		  "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT");
	CHECK_STR(fx_states(f, FX_B, 2, st, sizeof(st)),
		  "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
	utcp_close(a, cfd);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* SHUT_RD: unread data and everything arriving later is discarded (but
 * acknowledged, so the sender is not stuck); recv() says end of stream;
 * sending still works. */
TEST(lesson_l5_shut_rd_discards_arriving_data)
{
	int lfd, cfd, sfd;
	struct fixture *f = fx_new_established(&lfd, &cfd, &sfd);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	char buf[64];
	REQUIRE_EQ(utcp_send(b, sfd, "early", 5, 0), 5);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(utcp_shutdown(a, cfd, UTCP_SHUT_RD), 0); /* "early" is unread */
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_ESTABLISHED); /* no FIN: reading only */
	CHECK(utcp_poll_events(a, cfd) & UTCP_POLLIN);
	CHECK_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 0);
	size_t a0 = fx_n_sent(f, FX_A);
	REQUIRE_EQ(utcp_send(b, sfd, "late data", 9, 0), 9);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 0); /* discarded */
	/* ... but acknowledged: B has nothing left to send. */
	const struct fx_event *sent[32];
	size_t ns = fx_sent(f, FX_A, sent, 32);
	REQUIRE(ns > a0);
	CHECK_EQ(sent[ns - 1]->ev.u.seg.ack, 801 + 5 + 9);
	struct utcp_tcp_info info = fx_info(f, FX_B, sfd);
	CHECK_EQ(info.send_queue, 0);
	CHECK_EQ(info.unacked, 0);
	/* A can still send. */
	REQUIRE_EQ(utcp_send(a, cfd, "still", 5, 0), 5);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "still", 5) == 0);
	/* Closing now is an ordinary FIN (nothing unread is held). */
	size_t a1 = fx_n_sent(f, FX_A);
	utcp_close(a, cfd);
	fx_run(f, UTCP_MS(100));
	/* 4096 - 14: the 14 discarded bytes moved the right edge by less
	 * than an MSS, which receiver SWS avoidance does not announce. */
	FX_EXPECT_SENT(f, FX_A, a1, "FIN 106(0) ack 815 win 4082");
	utcp_close(b, sfd);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

TEST(lesson_l5_shut_rdwr_both)
{
	int lfd, cfd, sfd;
	struct fixture *f = fx_new_established(&lfd, &cfd, &sfd);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	char buf[64];
	size_t a0 = fx_n_sent(f, FX_A);
	REQUIRE_EQ(utcp_shutdown(a, cfd, UTCP_SHUT_RDWR), 0);
	CHECK_EQ(utcp_send(a, cfd, "x", 1, 0), -EPIPE);
	CHECK_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 0);
	fx_run(f, UTCP_MS(100));
	FX_EXPECT_SENT(f, FX_A, a0, "FIN 101(0) ack 801 win 4096");
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_FIN_WAIT_2);
	/* B's data is acknowledged and thrown away. */
	REQUIRE_EQ(utcp_send(b, sfd, "ignored", 7, 0), 7);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 0);
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_FIN_WAIT_2); /* not reset: A's descriptor is open */
	REQUIRE_EQ(utcp_close(b, sfd), 0);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_TIME_WAIT);
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_CLOSED), UTCP_MS(320));
	CHECK_EQ(fx_stats(f, FX_A).tcp_rst_out, 0);
	utcp_close(a, cfd);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* close() on one of two descriptors: nothing happens on the wire; the
 * other works on; closing the last one sends the FIN. */
TEST(lesson_l5_dup_close_one_keeps_connection)
{
	int lfd, cfd, sfd;
	struct fixture *f = fx_new_established(&lfd, &cfd, &sfd);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	char buf[64];
	int cfd2 = utcp_dup(a, cfd);
	REQUIRE(cfd2 >= 0);
	CHECK(cfd2 != cfd);
	CHECK_EQ(fx_conn_id(f, FX_A, cfd2), fx_conn_id(f, FX_A, cfd));
	size_t a0 = fx_n_sent(f, FX_A);
	REQUIRE_EQ(utcp_close(a, cfd), 0);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(fx_n_sent(f, FX_A), a0); /* no FIN */
	CHECK_EQ(fx_state(f, FX_A, cfd2), UTCP_ESTABLISHED);
	CHECK_EQ(utcp_send(a, cfd, "x", 1, 0), -EBADF); /* that descriptor is gone */
	REQUIRE_EQ(utcp_send(a, cfd2, "via dup", 7, 0), 7);
	REQUIRE_EQ(utcp_send(b, sfd, "reply", 5, 0), 5);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 7);
	REQUIRE_EQ(utcp_recv(a, cfd2, buf, sizeof(buf), 0), 5);
	size_t a1 = fx_n_sent(f, FX_A);
	REQUIRE_EQ(utcp_close(a, cfd2), 0); /* the last one */
	fx_run(f, UTCP_MS(100));
	/* 4091: reading 5 bytes moved the window's right edge by less than
	 * an MSS, which the receiver's SWS avoidance does not announce. */
	FX_EXPECT_SENT(f, FX_A, a1, "FIN 108(0) ack 806 win 4091");
	CHECK_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 0);
	utcp_close(b, sfd);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* shutdown() through one descriptor acts on the connection: the FIN goes
 * although another descriptor is open, and that one can no longer send. */
TEST(lesson_l5_shutdown_acts_whatever_references)
{
	int lfd, cfd, sfd;
	struct fixture *f = fx_new_established(&lfd, &cfd, &sfd);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	char buf[64];
	int cfd2 = utcp_dup(a, cfd);
	REQUIRE(cfd2 >= 0);
	size_t a0 = fx_n_sent(f, FX_A);
	REQUIRE_EQ(utcp_shutdown(a, cfd, UTCP_SHUT_WR), 0);
	fx_run(f, UTCP_MS(100));
	FX_EXPECT_SENT(f, FX_A, a0, "FIN 101(0) ack 801 win 4096");
	CHECK_EQ(utcp_send(a, cfd2, "x", 1, 0), -EPIPE);
	CHECK_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 0);
	/* Reading goes on through either descriptor. */
	REQUIRE_EQ(utcp_send(b, sfd, "to dup", 6, 0), 6);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(utcp_recv(a, cfd2, buf, sizeof(buf), 0), 6);
	/* Closing one descriptor after the shutdown changes nothing more. */
	REQUIRE_EQ(utcp_close(a, cfd), 0);
	REQUIRE_EQ(utcp_close(b, sfd), 0);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(utcp_recv(a, cfd2, buf, sizeof(buf), 0), 0);
	CHECK_EQ(fx_state(f, FX_A, cfd2), UTCP_TIME_WAIT);
	CHECK_EQ(fx_stats(f, FX_A).tcp_rst_out, 0);
	utcp_close(a, cfd2);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* SHUT_RD and out-of-order arrival, with the raw peer P (ISN 5000) and A
 * listening (ISS 1000): the out-of-order bytes are not kept either (no
 * memory is taken for them), the duplicate ACK asks for the gap, and
 * once everything came in order it is all acknowledged and discarded. */
TEST(lesson_l5_shut_rd_out_of_order_not_kept)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	REQUIRE_EQ(utcp_shutdown(a, fd, UTCP_SHUT_RD), 0);
	size_t mem = utcp_stack_mem_in_use(a);
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 5006, 1001, 8192, "world", 5, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5001 win 4096");
	CHECK_EQ(utcp_stack_mem_in_use(a), mem);
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 5001, 1001, 8192, "hello", 5, NULL);
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK | UTCP_TH_FIN, 5006, 1001, 8192, "world", 5, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5012 win 4096");
	FX_RAW_EXPECT_NONE(f);
	char buf[16];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 0);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSE_WAIT);
	CHECK_EQ(utcp_stack_mem_in_use(a), mem);
	fx_abort(f, FX_A, fd);
	utcp_close(a, lfd);
	FX_END(f, UTCP_MS(20));
}
