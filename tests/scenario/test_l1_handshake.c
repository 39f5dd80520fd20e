/*
 * LESSONS L1: three-way handshake, data, four-way close, with ISNs 100 and
 * 800 and MSS 1024; and a SYN to a closed port answered with RST.
 */
#include "fixture.h"

/* Both ends as the lesson sets them up: MSS 1024, a 4 KiB buffer (so no
 * window scaling), the client's ISN 100 and the server's 800. */
static void l1_setup(struct fixture *f, int *lfd, int *cfd)
{
	*lfd = fx_listen(f, FX_B, 80, 800);
	fx_setint(f, FX_B, *lfd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, 1024);
	fx_setint(f, FX_B, *lfd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 4096);
	fx_setint(f, FX_B, *lfd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 4096);
	*cfd = utcp_socket(fx_stack(f, FX_A));
	fx_setint(f, FX_A, *cfd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, 1024);
	fx_setint(f, FX_A, *cfd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 4096);
	fx_setint(f, FX_A, *cfd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 4096);
	uint32_t isn = 100;
	REQUIRE_EQ(utcp_setsockopt(fx_stack(f, FX_A), *cfd, UTCP_SOL_UTCP, UTCP_UTCP_ISN,
				   &isn, sizeof(isn)), 0);
	struct utcp_sockaddr b = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(fx_stack(f, FX_A), *cfd, &b), -EINPROGRESS);
}

TEST(lesson_l1_segments_and_states)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int lfd, cfd;
	char buf[64];
	l1_setup(f, &lfd, &cfd);
	fx_run(f, UTCP_MS(100));
	int sfd = utcp_accept(b, lfd, NULL);
	REQUIRE(sfd >= 0);
	REQUIRE_EQ(utcp_send(a, cfd, "twenty bytes of data", 20, 0), 20);
	fx_run(f, UTCP_MS(15)); /* arrives at 10 ms, the server answers at 15 */
	REQUIRE_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 20);
	REQUIRE_EQ(utcp_send(b, sfd, "ten bytes!", 10, 0), 10);
	fx_run(f, UTCP_MS(100)); /* the client's delayed ACK goes out alone */
	REQUIRE_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 10);
	REQUIRE_EQ(utcp_close(a, cfd), 0);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 0); /* end of stream */
	REQUIRE_EQ(utcp_close(b, sfd), 0);
	fx_run(f, UTCP_MS(100));

	FX_EXPECT_SENT(f, FX_A, 0,
		       "SYN 100(0) win 4096 <mss 1024>", /* 2 */
		       "101(0) ack 801 win 4096",        /* 4 */
		       "101(20) ack 801 win 4096",       /* 5 */
		       "121(0) ack 811 win 4086",        /* 7 */
		       "FIN 121(0) ack 811 win 4086",    /* 10 */
		       "122(0) ack 812 win 4096");       /* 13 */
	FX_EXPECT_SENT(f, FX_B, 0,
		       "SYN 800(0) ack 101 win 4096 <mss 1024>", /* 3 */
		       "801(10) ack 121 win 4076",               /* 6 */
		       "811(0) ack 122 win 4096",                /* 11 */
		       "FIN 811(0) ack 122 win 4096");           /* 12 */
	char st[256];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)),
		  "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT");
	CHECK_STR(fx_states(f, FX_B, 2, st, sizeof(st)),
		  "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
	/* 2*MSL later the client's TIME_WAIT is over. */
	fx_run(f, UTCP_SEC(60));
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)),
		  "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
	CHECK_EQ(fx_sockets_alive(f, FX_A), 0);
	REQUIRE_EQ(utcp_close(b, lfd), 0);
	FX_END(f, UTCP_MS(1));
}

TEST(lesson_l1_client_isn_follows)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	int lfd = fx_listen(f, FX_B, 80, 800);
	int cfd = fx_connect(f, FX_A, 80, 5000);
	fx_run(f, UTCP_MS(100));
	const struct fx_event *sent[4];
	REQUIRE_EQ(fx_sent(f, FX_A, sent, 4), 2);
	CHECK_EQ(sent[0]->ev.u.seg.seq, 5000);
	CHECK_EQ(sent[1]->ev.u.seg.seq, 5001);
	REQUIRE_EQ(fx_sent(f, FX_B, sent, 4), 1);
	CHECK_EQ(sent[0]->ev.u.seg.ack, 5001);
	CHECK_EQ(sent[0]->ev.u.seg.seq, 800);
	utcp_close(fx_stack(f, FX_A), cfd);
	utcp_close(fx_stack(f, FX_B), lfd);
	fx_free(f);
}

TEST(lesson_l1_closed_port_rst_and_econnrefused)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int cfd = fx_connect(f, FX_A, 9, 100);
	fx_run(f, UTCP_MS(100));
	/* RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	FX_EXPECT_SENT(f, FX_B, 0, "RST 0(0) ack 101 win 0");
	CHECK(utcp_poll_events(a, cfd) & UTCP_POLLERR);
	int err = 0;
	size_t len = sizeof(err);
	REQUIRE_EQ(utcp_getsockopt(a, cfd, UTCP_SOL_SOCKET, UTCP_SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, ECONNREFUSED);
	char st[128];
	CHECK_STR(fx_states(f, FX_A, 1, st, sizeof(st)), "CLOSED SYN_SENT CLOSED");
	struct utcp_stats stats;
	utcp_stack_stats(fx_stack(f, FX_B), &stats);
	CHECK_EQ(stats.tcp_drop_no_conn, 1);
	CHECK_EQ(stats.tcp_rst_out, 1);
	utcp_close(a, cfd);
	FX_END(f, UTCP_MS(1));
}
