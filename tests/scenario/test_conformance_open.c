/*
 * RFC 9293 conformance, opening and closing (sections 3.5, 3.6, 3.9.1.1;
 * docs/CONFORMANCE.md): a passive OPEN leaves existing connections alone
 * (MUST-41) and may be made on a port whose connection is still opening
 * (MUST-42); the application tells a close from a reset (MUST-12); a RST
 * carrying data is taken (SHLD-2); data that would be lost at CLOSE is
 * announced with a RST (SHLD-3, with the half-duplex close of MAY-1).
 *
 * The raw peer P is 10.0.0.2; A is 10.0.0.1.
 */
#include "fixture.h"

static const struct utcp_tcp_opts mss1460 = {.has_mss = true, .mss = 1460};

/* A socket with 4 KiB buffers, ISN isn, SO_REUSEADDR, bound to port. */
static int bound_socket(struct fixture *f, uint16_t port, uint32_t isn)
{
	int fd = fx_socket_4k(f, FX_A, isn);
	fx_setint(f, FX_A, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, 1);
	struct utcp_sockaddr me = {0, port};
	REQUIRE_EQ(utcp_bind(fx_stack(f, FX_A), fd, &me), 0);
	return fd;
}

/* MUST-41: a passive OPEN on the port of an established connection (made
 * actively from a bound port) creates a listener and touches nothing else:
 * the connection's segments still reach it, even a SYN on its four-tuple,
 * while a SYN from another peer port reaches the listener. A passive OPEN
 * that cannot be made (no SO_REUSEADDR) fails and touches nothing either. */
TEST(rfc9293_must41_passive_open_leaves_existing_connections_alone)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int cfd = bound_socket(f, 5000, 100);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, cfd, &to), -EINPROGRESS);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "SYN 100(0) win 4096 <mss 1460>");
	fx_raw_send(f, 80, 5000, UTCP_TH_SYN | UTCP_TH_ACK, 7000, 101, 8192, NULL, 0, &mss1460);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "101(0) ack 7001 win 4096");
	REQUIRE_EQ(fx_state(f, FX_A, cfd), UTCP_ESTABLISHED);

	/* Refused: the new socket did not ask to share the port. */
	int bad = fx_socket_4k(f, FX_A, 0);
	struct utcp_sockaddr me = {0, 5000};
	CHECK_EQ(utcp_bind(a, bad, &me), -EADDRINUSE);
	utcp_close(a, bad);
	/* Made. */
	int lfd = bound_socket(f, 5000, 3000);
	REQUIRE_EQ(utcp_listen(a, lfd, 4), 0);
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_ESTABLISHED);

	/* The connection's data still reaches it ... */
	fx_raw_send(f, 80, 5000, UTCP_TH_ACK, 7001, 101, 8192, "old", 3, NULL);
	fx_run(f, UTCP_MS(100));
	char buf[8];
	CHECK_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 3);
	FX_RAW_EXPECT(f, "101(0) ack 7004 win 4093");
	/* ... a SYN on its four-tuple is its business (a challenge ACK) ... */
	fx_raw_send(f, 80, 5000, UTCP_TH_SYN, 9000, 0, 8192, NULL, 0, &mss1460);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "101(0) ack 7004 win 4093");
	CHECK_EQ(fx_count(f, FX_A, UTCP_SYN_RCVD), 0);
	/* ... and a SYN from another port is the listener's. */
	fx_raw_send(f, 81, 5000, UTCP_TH_SYN, 9000, 0, 8192, NULL, 0, &mss1460);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 3000(0) ack 9001 win 4096 <mss 1460>");
	fx_raw_send(f, 81, 5000, UTCP_TH_ACK, 9001, 3001, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	int nfd = utcp_accept(a, lfd, NULL);
	REQUIRE(nfd >= 0);
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_ESTABLISHED);
	char st[256];
	CHECK_STR(fx_states(f, FX_A, fx_conn_id(f, FX_A, cfd), st, sizeof(st)),
		  "CLOSED SYN_SENT ESTABLISHED");
	fx_abort(f, FX_A, nfd);
	fx_abort(f, FX_A, cfd);
	utcp_close(a, lfd);
	fx_run(f, UTCP_MS(20));
	FX_END(f, UTCP_SEC(300));
}

/* MUST-42: an application may LISTEN on a port while a connection from
 * that port is still opening, in SYN_SENT and in SYN_RCVD (simultaneous
 * open); the listener and both connections then all work. */
TEST(rfc9293_must42_listen_on_a_port_whose_connection_is_opening)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int s1 = bound_socket(f, 5000, 100), s2 = bound_socket(f, 5000, 200);
	struct utcp_sockaddr p80 = {FX_ADDR_B, 80}, p90 = {FX_ADDR_B, 90};
	REQUIRE_EQ(utcp_connect(a, s1, &p80), -EINPROGRESS);
	REQUIRE_EQ(utcp_connect(a, s2, &p90), -EINPROGRESS);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "SYN 100(0) win 4096 <mss 1460>");
	FX_RAW_EXPECT(f, "SYN 200(0) win 4096 <mss 1460>");
	/* s2 meets P's own SYN: simultaneous open, SYN_RCVD. */
	fx_raw_send(f, 90, 5000, UTCP_TH_SYN, 8000, 0, 8192, NULL, 0, &mss1460);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 200(0) ack 8001 win 4096 <mss 1460>");
	REQUIRE_EQ(fx_state(f, FX_A, s1), UTCP_SYN_SENT);
	REQUIRE_EQ(fx_state(f, FX_A, s2), UTCP_SYN_RCVD);

	int lfd = bound_socket(f, 5000, 3000);
	CHECK_EQ(utcp_listen(a, lfd, 4), 0);

	/* A third peer port calls: the listener answers. */
	fx_raw_send(f, 81, 5000, UTCP_TH_SYN, 9000, 0, 8192, NULL, 0, &mss1460);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 3000(0) ack 9001 win 4096 <mss 1460>");
	fx_raw_send(f, 81, 5000, UTCP_TH_ACK, 9001, 3001, 8192, NULL, 0, NULL);
	/* The two opening connections complete. */
	fx_raw_send(f, 80, 5000, UTCP_TH_SYN | UTCP_TH_ACK, 7000, 101, 8192, NULL, 0, &mss1460);
	fx_raw_send(f, 90, 5000, UTCP_TH_ACK, 8001, 201, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "101(0) ack 7001 win 4096");
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_state(f, FX_A, s1), UTCP_ESTABLISHED);
	CHECK_EQ(fx_state(f, FX_A, s2), UTCP_ESTABLISHED);
	int nfd = utcp_accept(a, lfd, NULL);
	REQUIRE(nfd >= 0);
	CHECK_EQ(fx_state(f, FX_A, nfd), UTCP_ESTABLISHED);
	CHECK_EQ(utcp_accept(a, lfd, NULL), -EAGAIN); /* it took only its own */
	fx_abort(f, FX_A, nfd);
	fx_abort(f, FX_A, s1);
	fx_abort(f, FX_A, s2);
	utcp_close(a, lfd);
	fx_run(f, UTCP_MS(20));
	FX_END(f, UTCP_SEC(300));
}

/* A connection accepted from P:pport with ISN isn; A's ISS is 1000. */
static int accepted(struct fixture *f, int lfd, uint16_t pport, uint32_t isn)
{
	uint32_t iss;
	int fd = fx_raw_accept(f, lfd, pport, 80, isn, 8192, &iss);
	REQUIRE_EQ(iss, 1000);
	return fd;
}

/* MUST-12: the application can tell a normal close from an abort: after
 * the peer's FIN, recv() says 0 (end of stream) and no error is pending;
 * after its RST, recv() says -ECONNRESET, poll says POLLERR, SO_ERROR
 * says ECONNRESET. */
TEST(rfc9293_must12_close_and_reset_told_apart)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	int closed = accepted(f, lfd, 4000, 5000), reset = accepted(f, lfd, 4001, 6000);
	fx_raw_send(f, 4000, 80, UTCP_TH_FIN | UTCP_TH_ACK, 5001, 1001, 8192, "end", 3, NULL);
	fx_raw_send(f, 4001, 80, UTCP_TH_RST | UTCP_TH_ACK, 6001, 1001, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	char buf[8];
	int ev = utcp_poll_events(a, closed);
	CHECK(ev & UTCP_POLLRDHUP);
	CHECK(!(ev & UTCP_POLLERR));
	CHECK_EQ(utcp_recv(a, closed, buf, sizeof(buf), 0), 3);
	CHECK_EQ(utcp_recv(a, closed, buf, sizeof(buf), 0), 0);
	CHECK_EQ(fx_so_error(f, FX_A, closed), 0);
	CHECK_EQ(fx_state(f, FX_A, closed), UTCP_CLOSE_WAIT);

	ev = utcp_poll_events(a, reset);
	CHECK(ev & UTCP_POLLERR);
	CHECK_EQ(fx_so_error(f, FX_A, reset), ECONNRESET);
	CHECK_EQ(fx_state(f, FX_A, reset), UTCP_CLOSED);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1001(0) ack 5005 win 4093"); /* the ACK of "end" and the FIN */
	FX_RAW_EXPECT(f, "1001(0) ack 5005 win 4096"); /* the window after the read */
	FX_RAW_EXPECT_NONE(f);                         /* a RST is not answered */
	int r2 = accepted(f, lfd, 4002, 6500);
	fx_raw_send(f, 4002, 80, UTCP_TH_RST, 6501, 0, 0, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(utcp_recv(a, r2, buf, sizeof(buf), 0), -ECONNRESET);
	CHECK_EQ(utcp_recv(a, r2, buf, sizeof(buf), 0), 0); /* reported once */
	utcp_close(a, closed);
	utcp_close(a, reset);
	utcp_close(a, r2);
	utcp_close(a, lfd);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "FIN 1001(0) ack 5005 win 4096");
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 5005, 1002, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_END(f, UTCP_SEC(300));
}

/* SHLD-2: a RST that carries data (some stacks put a reason in it) is
 * taken like any RST: in ESTABLISHED it resets, in SYN_SENT (with an
 * acceptable ACK) it refuses. The data is not delivered. */
TEST(rfc9293_shld2_rst_carrying_data_accepted)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	int fd = accepted(f, lfd, 4000, 5000);
	fx_raw_send(f, 4000, 80, UTCP_TH_RST | UTCP_TH_ACK, 5001, 1001, 0, "reason: bye", 11,
		    NULL);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSED);
	char buf[16];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), -ECONNRESET);
	CHECK_EQ(fx_stats(f, FX_A).tcp_rst_in, 1);
	FX_RAW_EXPECT_NONE(f);
	utcp_close(a, fd);

	int cfd = fx_socket_4k(f, FX_A, 100);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, cfd, &to), -EINPROGRESS);
	fx_run(f, UTCP_MS(10));
	const struct fx_raw_seg *syn = FX_RAW_EXPECT(f, "SYN 100(0) win 4096 <mss 1460>");
	REQUIRE(syn != NULL);
	fx_raw_send(f, 80, syn->h.sport, UTCP_TH_RST | UTCP_TH_ACK, 0, 101, 0, "no", 2, NULL);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_CLOSED);
	CHECK_EQ(fx_so_error(f, FX_A, cfd), ECONNREFUSED);
	FX_RAW_EXPECT_NONE(f);
	utcp_close(a, cfd);
	utcp_close(a, lfd);
	FX_END(f, UTCP_SEC(300));
}

/* SHLD-3 (and MAY-1, the half-duplex close): CLOSE while received data is
 * unread sends a RST, not a FIN, so the peer learns the data was lost; and
 * data arriving after CLOSE (nobody can read it now) is answered with a
 * RST too. */
TEST(rfc9293_shld3_close_with_unread_or_later_data_sends_rst)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	/* Unread data at CLOSE. */
	int fd = accepted(f, lfd, 4000, 5000);
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 5001, 1001, 8192, "unread", 6, NULL);
	fx_run(f, UTCP_MS(100));
	FX_RAW_EXPECT(f, "1001(0) ack 5007 win 4090");
	REQUIRE_EQ(utcp_close(a, fd), 0);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "RST 1001(0) ack 5007 win 0");
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_sockets_alive(f, FX_A), 1); /* gone at once: no FIN_WAIT, no TIME_WAIT */
	/* Everything read, CLOSE sends a FIN; data arriving afterwards gets a RST. */
	fd = accepted(f, lfd, 4001, 6000);
	REQUIRE_EQ(utcp_close(a, fd), 0);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "FIN 1001(0) ack 6001 win 4096");
	fx_raw_send(f, 4001, 80, UTCP_TH_ACK, 6001, 1002, 8192, "late", 4, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "RST 1002(0) ack 6001 win 0");
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_after_close, 1);
	CHECK_EQ(fx_sockets_alive(f, FX_A), 1);
	utcp_close(a, lfd);
	FX_END(f, UTCP_SEC(300));
}
