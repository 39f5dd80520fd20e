/*
 * LESSONS L4: every transition of the state diagram (RFC 9293 section
 * 3.3.2, figure 5), one scenario each, asserting the states each end went
 * through, the segments that drove them and, where the protocol fixes
 * it, the virtual time of each step.
 *
 * Set-up shared by the tests: a 10 ms one-way delay, 4 KiB buffers (no
 * window scaling), ISNs pinned (client 100, server 800; with the raw peer
 * A is 1000 and P is 5000).
 */
#include "fixture.h"

#define MSL_DEFAULT UTCP_SEC(30)

/* fx_new_established (fx_establish_4k): A (ISN 100) connects to B:80 (ISN 800) at t=0;
 * established by 30 ms; the clock is then at 100 ms. A's connection is
 * conn 1, B's listener conn 1 and its child conn 2. */

TEST(state_closed_connect_syn_sent_established)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int lfd = fx_listen_4k(f, FX_B, 80, 800);
	int cfd = fx_socket_4k(f, FX_A, 100);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, cfd, &to), -EINPROGRESS);
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_SYN_SENT);
	CHECK_EQ(utcp_connect(a, cfd, &to), -EALREADY);
	CHECK(!(utcp_poll_events(a, cfd) & UTCP_POLLOUT)); /* not yet connected */
	fx_run_until(f, UTCP_MS(20) - 1);
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_SYN_SENT);
	fx_run_until(f, UTCP_MS(20)); /* the SYN,ACK arrives */
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_ESTABLISHED);
	CHECK(utcp_poll_events(a, cfd) & UTCP_POLLOUT);
	CHECK_EQ(utcp_connect(a, cfd, &to), -EISCONN);
	fx_run_until(f, UTCP_MS(100));
	int sfd = utcp_accept(b, lfd, NULL);
	REQUIRE(sfd >= 0);

	FX_EXPECT_SENT(f, FX_A, 0, "SYN 100(0) win 4096 <mss 1460>", "101(0) ack 801 win 4096");
	FX_EXPECT_SENT(f, FX_B, 0, "SYN 800(0) ack 101 win 4096 <mss 1460>");
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)), "CLOSED SYN_SENT ESTABLISHED");
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_SYN_SENT), 0);
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_ESTABLISHED), UTCP_MS(20));
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_ESTABLISHED), UTCP_MS(30));

	utcp_close(a, cfd);
	fx_run(f, UTCP_MS(100));
	utcp_close(b, sfd);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* The passive side, one segment at a time with the raw peer. */
TEST(state_listen_syn_syn_rcvd_ack_established)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1460};
	fx_raw_send(f, 4000, 80, UTCP_TH_SYN, 5000, 0, 8192, NULL, 0, &mss);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 1000(0) ack 5001 win 4096 <mss 1460>");
	CHECK_EQ(fx_count(f, FX_A, UTCP_SYN_RCVD), 1);
	CHECK_EQ(utcp_accept(a, lfd, NULL), -EAGAIN); /* not before the ACK */
	CHECK(!(utcp_poll_events(a, lfd) & UTCP_POLLIN));
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 5001, 1001, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(10));
	CHECK(utcp_poll_events(a, lfd) & UTCP_POLLIN);
	struct utcp_sockaddr peer;
	int fd = utcp_accept(a, lfd, &peer);
	REQUIRE(fd >= 0);
	CHECK_EQ(peer.addr, FX_ADDR_B);
	CHECK_EQ(peer.port, 4000);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	FX_RAW_EXPECT_NONE(f); /* the handshake's last ACK is not answered */

	char st[256];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)), "CLOSED LISTEN");
	CHECK_STR(fx_states(f, FX_A, 2, st, sizeof(st)), "LISTEN SYN_RCVD ESTABLISHED");
	CHECK_EQ(fx_state_at(f, FX_A, 2, UTCP_SYN_RCVD), UTCP_MS(10));
	CHECK_EQ(fx_state_at(f, FX_A, 2, UTCP_ESTABLISHED), UTCP_MS(30));

	fx_abort(f, FX_A, fd);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 1001(0) ack 5001 win 0");
	utcp_close(a, lfd);
	FX_END(f, UTCP_MS(1));
}

/* RFC 9293 3.5 figure 8 (MUST-10): both ends connect to each other at the
 * same time, from ports fixed with bind(). */
TEST(state_syn_sent_syn_syn_rcvd_established_simultaneous_open)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int fa = fx_socket_4k(f, FX_A, 100), fb = fx_socket_4k(f, FX_B, 300);
	struct utcp_sockaddr la = {0, 1000}, lb = {0, 2000};
	REQUIRE_EQ(utcp_bind(a, fa, &la), 0);
	REQUIRE_EQ(utcp_bind(b, fb, &lb), 0);
	struct utcp_sockaddr ta = {FX_ADDR_A, 1000}, tb = {FX_ADDR_B, 2000};
	REQUIRE_EQ(utcp_connect(a, fa, &tb), -EINPROGRESS);
	REQUIRE_EQ(utcp_connect(b, fb, &ta), -EINPROGRESS);
	fx_run_until(f, UTCP_MS(10)); /* the SYNs cross */
	CHECK_EQ(fx_state(f, FX_A, fa), UTCP_SYN_RCVD);
	CHECK_EQ(fx_state(f, FX_B, fb), UTCP_SYN_RCVD);
	fx_run_until(f, UTCP_MS(20)); /* the SYN,ACKs cross */
	CHECK_EQ(fx_state(f, FX_A, fa), UTCP_ESTABLISHED);
	CHECK_EQ(fx_state(f, FX_B, fb), UTCP_ESTABLISHED);
	CHECK(utcp_poll_events(a, fa) & UTCP_POLLOUT);
	CHECK(utcp_poll_events(b, fb) & UTCP_POLLOUT);

	/* Each SYN,ACK repeats the end's own ISN (not a new one). */
	FX_EXPECT_SENT(f, FX_A, 0, "SYN 100(0) win 4096 <mss 1460>",
		       "SYN 100(0) ack 301 win 4096 <mss 1460>");
	FX_EXPECT_SENT(f, FX_B, 0, "SYN 300(0) win 4096 <mss 1460>",
		       "SYN 300(0) ack 101 win 4096 <mss 1460>");
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)),
		  "CLOSED SYN_SENT SYN_RCVD ESTABLISHED");
	CHECK_STR(fx_states(f, FX_B, 1, st, sizeof(st)),
		  "CLOSED SYN_SENT SYN_RCVD ESTABLISHED");
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_SYN_RCVD), UTCP_MS(10));
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_ESTABLISHED), UTCP_MS(20));

	/* The connection carries data both ways. */
	char buf[16];
	REQUIRE_EQ(utcp_send(a, fa, "ping", 4, 0), 4);
	REQUIRE_EQ(utcp_send(b, fb, "pong", 4, 0), 4);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(utcp_recv(b, fb, buf, sizeof(buf), 0), 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	REQUIRE_EQ(utcp_recv(a, fa, buf, sizeof(buf), 0), 4);
	CHECK(memcmp(buf, "pong", 4) == 0);
	struct utcp_sockaddr pa;
	REQUIRE_EQ(utcp_getpeername(a, fa, &pa), 0);
	CHECK_EQ(pa.port, 2000);

	utcp_close(a, fa);
	fx_run(f, UTCP_MS(100));
	utcp_close(b, fb);
	FX_END(f, FX_TIME_WAIT_OVER);
}

TEST(state_established_close_fin_wait_1_fin_wait_2_time_wait)
{
	int lfd, cfd, sfd;
	struct fixture *f = fx_new_established(&lfd, &cfd, &sfd);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	char buf[8];
	size_t a0 = fx_n_sent(f, FX_A), b0 = fx_n_sent(f, FX_B);
	REQUIRE_EQ(utcp_close(a, cfd), 0); /* t = 100 ms */
	fx_run_until(f, UTCP_MS(200));
	REQUIRE_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 0);
	REQUIRE_EQ(utcp_close(b, sfd), 0); /* t = 200 ms */
	fx_run_until(f, UTCP_MS(300));

	FX_EXPECT_SENT(f, FX_A, a0, "FIN 101(0) ack 801 win 4096", "102(0) ack 802 win 4096");
	FX_EXPECT_SENT(f, FX_B, b0, "801(0) ack 102 win 4096", "FIN 801(0) ack 102 win 4096");
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)),
		  "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT");
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_FIN_WAIT_1), UTCP_MS(100));
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_FIN_WAIT_2), UTCP_MS(120));
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_TIME_WAIT), UTCP_MS(210));
	/* MUST-13: TIME_WAIT lasts 2*MSL, to the microsecond. */
	fx_run_until(f, UTCP_MS(210) + 2 * MSL_DEFAULT - 1);
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	fx_run_until(f, UTCP_MS(210) + 2 * MSL_DEFAULT);
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 0);
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)),
		  "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
	CHECK_EQ(fx_sockets_alive(f, FX_A), 0);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* The passive closer: CLOSE_WAIT is half-closed, it may still send. A
 * shuts down writing (rather than closing) so that it can read. */
TEST(state_established_fin_close_wait_last_ack_closed)
{
	int lfd, cfd, sfd;
	struct fixture *f = fx_new_established(&lfd, &cfd, &sfd);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	char buf[8];
	size_t b0 = fx_n_sent(f, FX_B);
	REQUIRE_EQ(utcp_shutdown(a, cfd, UTCP_SHUT_WR), 0); /* t = 100 ms */
	fx_run_until(f, UTCP_MS(110));
	CHECK_EQ(fx_state(f, FX_B, sfd), UTCP_CLOSE_WAIT);
	int ev = utcp_poll_events(b, sfd);
	CHECK(ev & UTCP_POLLIN);
	CHECK(ev & UTCP_POLLRDHUP);
	CHECK(ev & UTCP_POLLOUT); /* half-closed: B may still send */
	CHECK_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 0);
	fx_run_until(f, UTCP_MS(200));
	REQUIRE_EQ(utcp_send(b, sfd, "bye", 3, 0), 3);
	fx_run_until(f, UTCP_MS(300));
	REQUIRE_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 3);
	CHECK(memcmp(buf, "bye", 3) == 0);
	REQUIRE_EQ(utcp_close(b, sfd), 0); /* t = 300 ms */
	CHECK_EQ(fx_count(f, FX_B, UTCP_LAST_ACK), 1);
	fx_run_until(f, UTCP_MS(400));
	CHECK_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 0);

	FX_EXPECT_SENT(f, FX_B, b0, "801(0) ack 102 win 4096", "801(3) ack 102 win 4096",
		       "FIN 804(0) ack 102 win 4096");
	char st[256];
	CHECK_STR(fx_states(f, FX_B, 2, st, sizeof(st)),
		  "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_CLOSE_WAIT), UTCP_MS(110));
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_LAST_ACK), UTCP_MS(300));
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_CLOSED), UTCP_MS(320));
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)),
		  "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT");
	CHECK_EQ(fx_sockets_alive(f, FX_B), 1); /* the listener only */
	utcp_close(a, cfd);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* Both close at the same virtual time: each FIN meets the other's in
 * FIN_WAIT_1 (-> CLOSING), then the ACKs cross (-> TIME_WAIT). */
TEST(state_fin_wait_1_fin_closing_time_wait_simultaneous_close)
{
	int lfd, cfd, sfd;
	struct fixture *f = fx_new_established(&lfd, &cfd, &sfd);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	size_t a0 = fx_n_sent(f, FX_A), b0 = fx_n_sent(f, FX_B);
	REQUIRE_EQ(utcp_close(a, cfd), 0);
	REQUIRE_EQ(utcp_close(b, sfd), 0);
	fx_run_until(f, UTCP_MS(110));
	CHECK_EQ(fx_count(f, FX_A, UTCP_CLOSING), 1);
	CHECK_EQ(fx_count(f, FX_B, UTCP_CLOSING), 1);
	fx_run_until(f, UTCP_MS(200));

	FX_EXPECT_SENT(f, FX_A, a0, "FIN 101(0) ack 801 win 4096", "102(0) ack 802 win 4096");
	FX_EXPECT_SENT(f, FX_B, b0, "FIN 801(0) ack 101 win 4096", "802(0) ack 102 win 4096");
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)),
		  "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT");
	CHECK_STR(fx_states(f, FX_B, 2, st, sizeof(st)),
		  "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT");
	for (int h = FX_A; h <= FX_B; h++) {
		uint32_t id = h == FX_A ? 1 : 2;
		CHECK_EQ(fx_state_at(f, h, id, UTCP_CLOSING), UTCP_MS(110));
		CHECK_EQ(fx_state_at(f, h, id, UTCP_TIME_WAIT), UTCP_MS(120));
	}
	/* Both ends wait 2*MSL: both were active closers. */
	fx_run_until(f, UTCP_MS(120) + 2 * MSL_DEFAULT);
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_CLOSED), UTCP_MS(120) + 2 * MSL_DEFAULT);
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_CLOSED), UTCP_MS(120) + 2 * MSL_DEFAULT);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* The diagram's FIN_WAIT_1 -> TIME_WAIT edge: the peer's ACK of our FIN
 * and its own FIN arrive in one segment (the raw peer sends it). */
TEST(state_fin_wait_1_fin_ack_time_wait)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	REQUIRE_EQ(utcp_close(a, fd), 0);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "FIN 1001(0) ack 5001 win 4096");
	utcp_time_us t = fx_now(f);
	fx_raw_send(f, 4000, 80, UTCP_TH_FIN | UTCP_TH_ACK, 5001, 1002, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1002(0) ack 5002 win 4096");
	FX_RAW_EXPECT_NONE(f);
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 2, st, sizeof(st)),
		  "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 TIME_WAIT");
	CHECK_EQ(fx_state_at(f, FX_A, 2, UTCP_TIME_WAIT), t + UTCP_MS(10));
	fx_run(f, 2 * MSL_DEFAULT);
	CHECK_EQ(fx_state_at(f, FX_A, 2, UTCP_CLOSED), t + UTCP_MS(10) + 2 * MSL_DEFAULT);
	utcp_close(a, lfd);
	FX_END(f, UTCP_MS(1));
}

/* RFC 9293 3.10.7.4 (RST, SYN-RECEIVED): a child of a passive open goes
 * back to LISTEN, that is, it is gone; the listener goes on. */
TEST(state_syn_rcvd_rst_listen)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1460};
	fx_raw_send(f, 4000, 80, UTCP_TH_SYN, 5000, 0, 8192, NULL, 0, &mss);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 1000(0) ack 5001 win 4096 <mss 1460>");
	CHECK_EQ(fx_count(f, FX_A, UTCP_SYN_RCVD), 1);
	CHECK_EQ(fx_sockets_alive(f, FX_A), 2);
	fx_raw_send(f, 4000, 80, UTCP_TH_RST, 5001, 0, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(10));
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 2, st, sizeof(st)), "LISTEN SYN_RCVD LISTEN");
	CHECK_EQ(fx_count(f, FX_A, UTCP_SYN_RCVD), 0);
	CHECK_EQ(fx_sockets_alive(f, FX_A), 1); /* only the listener */
	CHECK_EQ(fx_stats(f, FX_A).tcp_rst_in, 1);
	/* Gone means gone: no SYN,ACK retransmission, no answer. */
	fx_run(f, UTCP_SEC(10));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(utcp_accept(a, lfd, NULL), -EAGAIN);
	/* The listener still accepts, even from the same port. */
	uint32_t iss;
	int fd = fx_raw_accept(f, lfd, 4000, 80, 7000, 8192, &iss);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	CHECK_STR(fx_states(f, FX_A, 3, st, sizeof(st)), "LISTEN SYN_RCVD ESTABLISHED");
	fx_abort(f, FX_A, fd);
	utcp_close(a, lfd);
	FX_END(f, UTCP_MS(10));
}

/* The active-open variant: SYN_RCVD reached from SYN_SENT (simultaneous
 * open) and a RST means "connection refused" (RFC 9293 3.10.7.4). */
TEST(state_syn_rcvd_active_rst_refused)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int fd = fx_socket_4k(f, FX_A, 100);
	struct utcp_sockaddr la = {0, 1000}, to = {FX_ADDR_B, 4000};
	REQUIRE_EQ(utcp_bind(a, fd, &la), 0);
	REQUIRE_EQ(utcp_connect(a, fd, &to), -EINPROGRESS);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "SYN 100(0) win 4096 <mss 1460>");
	fx_raw_send(f, 4000, 1000, UTCP_TH_SYN, 5000, 0, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 100(0) ack 5001 win 4096 <mss 1460>");
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_SYN_RCVD);
	fx_raw_send(f, 4000, 1000, UTCP_TH_RST, 5001, 0, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)), "CLOSED SYN_SENT SYN_RCVD CLOSED");
	CHECK(utcp_poll_events(a, fd) & UTCP_POLLERR);
	CHECK_EQ(fx_so_error(f, FX_A, fd), ECONNREFUSED);
	FX_RAW_EXPECT_NONE(f);
	utcp_close(a, fd);
	FX_END(f, UTCP_MS(1));
}

/* RFC 6298 (5.5) with the initial RTO of 1 s (2.1): SYNs at 0, 1, 3, 7,
 * 15, 31 and 63 s (syn_retries 6), then ETIMEDOUT at 127 s. */
TEST(state_syn_sent_timeout_closed)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int fd = fx_socket_4k(f, FX_A, 100);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, fd, &to), -EINPROGRESS);
	/* MUST-23: a SYN is retried for at least three minutes: seven
	 * retransmissions, the RTO doubling from 1 s (the last one capped at
	 * the 120 s maximum), give up at 127 + 120 = 247 s. */
	fx_run_until(f, UTCP_SEC(247) - 1);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_SYN_SENT);
	fx_run_until(f, UTCP_SEC(247));
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	fx_run_until(f, UTCP_SEC(400));

	static const unsigned at_s[] = {0, 1, 3, 7, 15, 31, 63, 127};
	const struct fx_event *sent[16];
	size_t n = fx_sent(f, FX_A, sent, 16);
	REQUIRE_EQ(n, 8);
	char buf[128];
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ(sent[i]->ev.at, UTCP_SEC(at_s[i]));
		CHECK_STR(fx_seg_str(&sent[i]->ev.u.seg, buf, sizeof(buf)),
			  "SYN 100(0) win 4096 <mss 1460>");
		CHECK_EQ(sent[i]->ev.u.seg.retransmit, i > 0);
	}
	char st[128];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)), "CLOSED SYN_SENT CLOSED");
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_CLOSED), UTCP_SEC(247));
	CHECK(utcp_poll_events(a, fd) & UTCP_POLLERR);
	CHECK_EQ(fx_so_error(f, FX_A, fd), ETIMEDOUT);
	CHECK_EQ(fx_stats(f, FX_A).tcp_conn_timeout, 1);
	utcp_close(a, fd);
	FX_END(f, UTCP_MS(1));
}

/*
 * A RST at exactly RCV.NXT in each synchronized state (RFC 9293 3.10.7.4,
 * second check): CLOSED from all of them; the application hears
 * "connection reset" in ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2 and
 * CLOSE_WAIT, and nothing in CLOSING, LAST_ACK and TIME_WAIT. A keeps its
 * descriptor (shutdown, not close) so that it can see the outcome.
 */
static void rst_in_state(enum utcp_tcp_state target, int want_err, const char *want_states)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	uint32_t rst_seq = 5001;
	bool shut = target == UTCP_FIN_WAIT_1 || target == UTCP_FIN_WAIT_2 ||
		    target == UTCP_CLOSING || target == UTCP_TIME_WAIT;
	bool peer_fin = target == UTCP_CLOSE_WAIT || target == UTCP_CLOSING ||
			target == UTCP_LAST_ACK || target == UTCP_TIME_WAIT;
	bool peer_acks_fin = target == UTCP_FIN_WAIT_2 || target == UTCP_TIME_WAIT;
	if (shut)
		REQUIRE_EQ(utcp_shutdown(a, fd, UTCP_SHUT_WR), 0);
	if (peer_fin || peer_acks_fin) {
		uint8_t fl = UTCP_TH_ACK | (peer_fin ? UTCP_TH_FIN : 0);
		fx_raw_send(f, 4000, 80, fl, 5001, peer_acks_fin ? 1002 : 1001, 8192, NULL, 0,
			    NULL);
		if (peer_fin)
			rst_seq = 5002;
	}
	fx_run(f, UTCP_MS(20));
	if (target == UTCP_LAST_ACK)
		REQUIRE_EQ(utcp_shutdown(a, fd, UTCP_SHUT_WR), 0);
	fx_run(f, UTCP_MS(10));
	REQUIRE_EQ(fx_state(f, FX_A, fd), target);
	while (fx_raw_next(f))
		; /* what A sent to get here is not this test's subject */
	fx_raw_send(f, 4000, 80, UTCP_TH_RST, rst_seq, 0, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 2, st, sizeof(st)), want_states);
	FX_RAW_EXPECT_NONE(f); /* a RST is never answered */
	CHECK_EQ(!!(utcp_poll_events(a, fd) & UTCP_POLLERR), want_err != 0);
	char buf[8];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), -want_err);
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 0); /* reported once */
	CHECK_EQ(utcp_send(a, fd, "x", 1, 0), -EPIPE);
	CHECK_EQ(fx_stats(f, FX_A).tcp_rst_in, 1);
	utcp_close(a, fd);
	utcp_close(a, lfd);
	FX_END(f, UTCP_MS(1)); /* no TIME_WAIT after a reset */
}

TEST(state_established_rst_closed)
{
	rst_in_state(UTCP_ESTABLISHED, ECONNRESET,
		     "LISTEN SYN_RCVD ESTABLISHED CLOSED");
}

TEST(state_fin_wait_1_rst_closed)
{
	rst_in_state(UTCP_FIN_WAIT_1, ECONNRESET,
		     "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 CLOSED");
}

TEST(state_fin_wait_2_rst_closed)
{
	rst_in_state(UTCP_FIN_WAIT_2, ECONNRESET,
		     "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSED");
}

TEST(state_close_wait_rst_closed)
{
	rst_in_state(UTCP_CLOSE_WAIT, ECONNRESET,
		     "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT CLOSED");
}

TEST(state_closing_rst_closed)
{
	rst_in_state(UTCP_CLOSING, 0,
		     "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 CLOSING CLOSED");
}

TEST(state_last_ack_rst_closed)
{
	rst_in_state(UTCP_LAST_ACK, 0,
		     "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
}

TEST(state_time_wait_rst_closed)
{
	rst_in_state(UTCP_TIME_WAIT, 0,
		     "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 TIME_WAIT CLOSED");
}

/* SO_LINGER {1, 0}: close() aborts (RFC 9293 3.10.5): RST, no FIN, no
 * TIME_WAIT; the peer hears ECONNRESET. */
TEST(state_established_linger0_close_rst_closed)
{
	int lfd, cfd, sfd;
	struct fixture *f = fx_new_established(&lfd, &cfd, &sfd);
	struct utcp_stack *b = fx_stack(f, FX_B);
	size_t a0 = fx_n_sent(f, FX_A);
	fx_abort(f, FX_A, cfd); /* t = 100 ms */
	CHECK_EQ(fx_sockets_alive(f, FX_A), 0); /* nothing left at once */
	fx_run_until(f, UTCP_MS(200));
	FX_EXPECT_SENT(f, FX_A, a0, "RST 101(0) ack 801 win 0");
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)), "CLOSED SYN_SENT ESTABLISHED CLOSED");
	CHECK_STR(fx_states(f, FX_B, 2, st, sizeof(st)),
		  "LISTEN SYN_RCVD ESTABLISHED CLOSED");
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_CLOSED), UTCP_MS(110));
	char buf[8];
	CHECK_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), -ECONNRESET);
	CHECK_EQ(fx_n_sent(f, FX_B), 1); /* B answered nothing */
	utcp_close(b, sfd);
	utcp_close(b, lfd);
	FX_END(f, UTCP_MS(1));
}
