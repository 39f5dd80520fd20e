/*
 * LESSONS L6: TIME_WAIT and 2*MSL. The active closer waits exactly 2*MSL
 * (RFC 9293 3.6.1, MUST-13); a lost last ACK is repaired by the peer's
 * retransmitted FIN, ACKed again with the wait restarted; short
 * connections pin ports in TIME_WAIT until connect() runs out of them
 * (EADDRNOTAVAIL), and each remedy the lesson names works: waiting,
 * TIME_WAIT reuse, a shorter MSL, one connection for many requests.
 *
 * Two stacks, 4 KiB buffers, A (ISN 100) is the client and the active
 * closer, B (ISN 800) listens on port 80; 10 ms one-way delay.
 */
#include "fixture.h"

static struct fixture *fixture_msl(utcp_time_us msl)
{
	struct fx_opts o = {.has_cfg = true};
	fx_default_cfg(&o.cfg_a);
	fx_default_cfg(&o.cfg_b);
	o.cfg_a.msl = o.cfg_b.msl = msl;
	return fx_new(&o);
}

/* A closes now, B 100 ms later; A enters TIME_WAIT 10 ms after that
 * (from fx_establish_4k: A closes at 100 ms, TIME_WAIT at 210 ms). */
static void close_both(struct fixture *f, int cfd, int sfd)
{
	char buf[8];
	REQUIRE_EQ(utcp_close(fx_stack(f, FX_A), cfd), 0);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(utcp_recv(fx_stack(f, FX_B), sfd, buf, sizeof(buf), 0), 0);
	REQUIRE_EQ(utcp_close(fx_stack(f, FX_B), sfd), 0);
}

TEST(lesson_l6_time_wait_exactly_2msl)
{
	struct fixture *f = fixture_msl(UTCP_SEC(5));
	int lfd, cfd, sfd;
	fx_establish_4k(f, &lfd, &cfd, &sfd);
	close_both(f, cfd, sfd);
	fx_run_until(f, UTCP_MS(210));
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_TIME_WAIT), UTCP_MS(210));
	fx_run_until(f, UTCP_MS(210) + UTCP_SEC(10) - 1);
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	CHECK_EQ(fx_sockets_alive(f, FX_A), 1);
	fx_run_until(f, UTCP_MS(210) + UTCP_SEC(10));
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 0);
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_CLOSED), UTCP_MS(210) + UTCP_SEC(10));
	CHECK_EQ(fx_sockets_alive(f, FX_A), 0);
	/* The passive closer never waits. */
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_TIME_WAIT), UTCP_TIME_NEVER);
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_CLOSED), UTCP_MS(220));
	utcp_close(fx_stack(f, FX_B), lfd);
	FX_END(f, UTCP_SEC(1));
}

/* The per-socket MSL (UTCP_UTCP_MSL) overrides the stack's. */
TEST(lesson_l6_time_wait_msl_socket_option)
{
	struct fixture *f = fixture_msl(UTCP_SEC(30));
	int lfd, cfd, sfd;
	fx_establish_4k(f, &lfd, &cfd, &sfd);
	uint64_t msl = UTCP_SEC(2), got = 0;
	REQUIRE_EQ(utcp_setsockopt(fx_stack(f, FX_A), cfd, UTCP_SOL_UTCP, UTCP_UTCP_MSL, &msl,
				   sizeof(msl)),
		   0);
	size_t len = sizeof(got);
	REQUIRE_EQ(utcp_getsockopt(fx_stack(f, FX_A), cfd, UTCP_SOL_UTCP, UTCP_UTCP_MSL, &got,
				   &len),
		   0);
	CHECK_EQ(got, UTCP_SEC(2));
	CHECK_EQ(utcp_setsockopt(fx_stack(f, FX_A), cfd, UTCP_SOL_UTCP, UTCP_UTCP_MSL, &msl, 4),
		 -EINVAL);
	close_both(f, cfd, sfd);
	fx_run_until(f, UTCP_SEC(10));
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_CLOSED), UTCP_MS(210) + UTCP_SEC(4));
	utcp_close(fx_stack(f, FX_B), lfd);
	FX_END(f, UTCP_SEC(1));
}

/* (a) of the lesson: A's last ACK is lost; B, in LAST_ACK, sends its FIN
 * again after its RTO (200 ms); A, in TIME_WAIT, ACKs it again and starts
 * 2*MSL over; B closes. */
TEST(lesson_l6_lost_last_ack_fin_reacked_2msl_restarts)
{
	struct fixture *f = fixture_msl(UTCP_SEC(5));
	int lfd, cfd, sfd;
	fx_establish_4k(f, &lfd, &cfd, &sfd);
	size_t a0 = fx_n_sent(f, FX_A), b0 = fx_n_sent(f, FX_B);
	REQUIRE_EQ(utcp_close(fx_stack(f, FX_A), cfd), 0);
	fx_run_until(f, UTCP_MS(200));
	CHECK_EQ(fx_count(f, FX_A, UTCP_FIN_WAIT_2), 1);
	/* The next pure ACK from A (the one for B's FIN) is lost. */
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_PURE_ACK, 1, 1), 0);
	char buf[8];
	REQUIRE_EQ(utcp_recv(fx_stack(f, FX_B), sfd, buf, sizeof(buf), 0), 0);
	REQUIRE_EQ(utcp_close(fx_stack(f, FX_B), sfd), 0); /* FIN at 200 ms */
	fx_run_until(f, UTCP_MS(500));

	FX_EXPECT_SENT(f, FX_A, a0, "FIN 101(0) ack 801 win 4096",
		       "102(0) ack 802 win 4096",  /* 210 ms: lost */
		       "102(0) ack 802 win 4096"); /* 410 ms: for the retransmitted FIN */
	FX_EXPECT_SENT(f, FX_B, b0, "801(0) ack 102 win 4096", "FIN 801(0) ack 102 win 4096",
		       "FIN 801(0) ack 102 win 4096");
	const struct fx_event *sent[16];
	size_t n = fx_sent(f, FX_B, sent, 16);
	REQUIRE(n >= 2);
	CHECK_EQ(sent[n - 1]->ev.at, UTCP_MS(400));
	CHECK(sent[n - 1]->ev.u.seg.retransmit);
	struct utcp_sim_channel_stats cs;
	REQUIRE_EQ(utcp_sim_channel_stats(f->w, f->ch_ab, &cs), 0);
	CHECK_EQ(cs.drop_scripted, 1);
	CHECK_EQ(fx_state_at(f, FX_B, 2, UTCP_CLOSED), UTCP_MS(420));
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_TIME_WAIT), UTCP_MS(210));
	/* Not at 210 ms + 2*MSL: the wait restarted at 410 ms. */
	fx_run_until(f, UTCP_MS(210) + UTCP_SEC(10));
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	fx_run_until(f, UTCP_MS(410) + UTCP_SEC(10));
	CHECK_EQ(fx_state_at(f, FX_A, 1, UTCP_CLOSED), UTCP_MS(410) + UTCP_SEC(10));
	utcp_close(fx_stack(f, FX_B), lfd);
	FX_END(f, UTCP_SEC(1));
}

/* --- many short connections --- */

#define PORT_LO 40000
#define PORT_HI 40009

static struct fixture *fixture_ports(bool tw_reuse, utcp_time_us msl)
{
	struct fx_opts o = {.has_cfg = true};
	fx_default_cfg(&o.cfg_a);
	fx_default_cfg(&o.cfg_b);
	o.cfg_a.port_lo = PORT_LO;
	o.cfg_a.port_hi = PORT_HI;
	o.cfg_a.tw_reuse = tw_reuse;
	o.cfg_a.msl = o.cfg_b.msl = msl;
	return fx_new(&o);
}

/* One short connection to B:80 that A closes first (150 ms). Returns
 * A's local port, or 0 when connect() failed with -EADDRNOTAVAIL. When
 * msl is not 0 it is set on A's socket (UTCP_UTCP_MSL). */
static uint16_t short_conn(struct fixture *f, int lfd, uint64_t msl)
{
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int cfd = fx_socket_4k(f, FX_A, 0);
	if (msl)
		REQUIRE_EQ(utcp_setsockopt(a, cfd, UTCP_SOL_UTCP, UTCP_UTCP_MSL, &msl,
					   sizeof(msl)),
			   0);
	struct utcp_sockaddr to = {FX_ADDR_B, 80}, me;
	int r = utcp_connect(a, cfd, &to);
	if (r == -EADDRNOTAVAIL) {
		utcp_close(a, cfd);
		return 0;
	}
	REQUIRE_EQ(r, -EINPROGRESS);
	fx_run(f, UTCP_MS(50));
	int sfd = utcp_accept(b, lfd, NULL);
	REQUIRE(sfd >= 0);
	REQUIRE_EQ(utcp_getsockname(a, cfd, &me), 0);
	char buf[8];
	REQUIRE_EQ(utcp_close(a, cfd), 0);
	fx_run(f, UTCP_MS(50));
	REQUIRE_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 0);
	REQUIRE_EQ(utcp_close(b, sfd), 0);
	fx_run(f, UTCP_MS(50));
	return me.port;
}

/* Fill the ten ports with TIME_WAIT; check each is used once. */
static void fill_ports(struct fixture *f, int lfd)
{
	bool used[PORT_HI - PORT_LO + 1] = {0};
	for (int i = 0; i <= PORT_HI - PORT_LO; i++) {
		uint16_t p = short_conn(f, lfd, 0);
		REQUIRE(p >= PORT_LO && p <= PORT_HI);
		CHECK(!used[p - PORT_LO]);
		used[p - PORT_LO] = true;
	}
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 10);
}

TEST(lesson_l6_port_exhaustion_eaddrnotavail_until_2msl)
{
	struct fixture *f = fixture_ports(false, UTCP_SEC(30));
	int lfd = fx_listen_4k(f, FX_B, 80, 0);
	utcp_time_us t0 = fx_now(f);
	fill_ports(f, lfd);
	/* netstat | awk: the client holds ten TIME_WAITs, the server one LISTEN. */
	uint32_t ca[UTCP_NUM_STATES], cb[UTCP_NUM_STATES];
	utcp_count_by_state(fx_stack(f, FX_A), ca);
	utcp_count_by_state(fx_stack(f, FX_B), cb);
	for (int s = 0; s < UTCP_NUM_STATES; s++) {
		CHECK_EQ(ca[s], s == UTCP_TIME_WAIT ? 10 : 0);
		CHECK_EQ(cb[s], s == UTCP_LISTEN ? 1 : 0);
	}
	CHECK_EQ(short_conn(f, lfd, 0), 0); /* -EADDRNOTAVAIL */
	CHECK_EQ(fx_count(f, FX_A, UTCP_SYN_SENT), 0);
	/* (a) wait: the first TIME_WAIT (entered at t0 + 110 ms) ends 2*MSL
	 * later and its port serves again. */
	fx_run_until(f, t0 + UTCP_MS(110) + UTCP_SEC(60) - 1);
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 10);
	CHECK_EQ(short_conn(f, lfd, 0), 0);
	fx_run_until(f, t0 + UTCP_MS(110) + UTCP_SEC(60));
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 9);
	uint16_t p = short_conn(f, lfd, 0);
	CHECK(p >= PORT_LO && p <= PORT_HI);
	utcp_close(fx_stack(f, FX_B), lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* (b) tw_reuse: connect() takes over a TIME_WAIT four-tuple. */
TEST(lesson_l6_port_exhaustion_tw_reuse)
{
	struct fixture *f = fixture_ports(true, UTCP_SEC(30));
	int lfd = fx_listen_4k(f, FX_B, 80, 0);
	fill_ports(f, lfd);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int cfd = fx_socket_4k(f, FX_A, 0);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, cfd, &to), -EINPROGRESS);
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 9);
	fx_run(f, UTCP_MS(50));
	CHECK_EQ(fx_state(f, FX_A, cfd), UTCP_ESTABLISHED);
	CHECK_EQ(fx_count(f, FX_A, UTCP_ESTABLISHED), 1);
	int sfd = utcp_accept(fx_stack(f, FX_B), lfd, NULL);
	REQUIRE(sfd >= 0);
	utcp_close(a, cfd);
	fx_run(f, UTCP_MS(50));
	utcp_close(fx_stack(f, FX_B), sfd);
	fx_run(f, UTCP_MS(50));
	/* And so on: twenty more short connections through ten ports. */
	for (int i = 0; i < 20; i++) {
		uint16_t p = short_conn(f, lfd, 0);
		CHECK(p >= PORT_LO && p <= PORT_HI);
	}
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 10);
	CHECK_EQ(fx_stats(f, FX_B).tcp_rst_out, 0);
	utcp_close(fx_stack(f, FX_B), lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* (c) a shorter MSL (1 s, set per socket): TIME_WAIT lasts 2 s, and with
 * one connection every 300 ms never more than 7 wait at once (entered
 * 40, 340, ..., 1840 ms before each count), so thirty connections go
 * through ten ports. */
TEST(lesson_l6_port_exhaustion_shorter_msl)
{
	struct fixture *f = fixture_ports(false, UTCP_SEC(30));
	int lfd = fx_listen_4k(f, FX_B, 80, 0);
	uint32_t most = 0;
	for (int i = 0; i < 30; i++) {
		uint16_t p = short_conn(f, lfd, UTCP_SEC(1));
		CHECK(p >= PORT_LO && p <= PORT_HI);
		uint32_t tw = fx_count(f, FX_A, UTCP_TIME_WAIT);
		most = tw > most ? tw : most;
		fx_run(f, UTCP_MS(150));
	}
	CHECK_EQ(most, 7);
	utcp_close(fx_stack(f, FX_B), lfd);
	FX_END(f, UTCP_SEC(3)); /* the 2 s TIME_WAIT, and a second */
}

/* (d) keep the connection: a hundred requests and replies over one
 * connection use one port and leave one TIME_WAIT. */
TEST(lesson_l6_port_exhaustion_one_connection_many_requests)
{
	struct fixture *f = fixture_ports(false, UTCP_SEC(30));
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int lfd, cfd, sfd;
	fx_establish_4k(f, &lfd, &cfd, &sfd);
	char buf[64];
	for (int i = 0; i < 100; i++) {
		char req[16];
		int n = snprintf(req, sizeof(req), "GET %d", i);
		REQUIRE_EQ(utcp_send(a, cfd, req, (size_t)n, 0), n);
		fx_run(f, UTCP_MS(15));
		REQUIRE_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), n);
		CHECK(memcmp(buf, req, (size_t)n) == 0);
		REQUIRE_EQ(utcp_send(b, sfd, "OK", 2, 0), 2);
		fx_run(f, UTCP_MS(15));
		REQUIRE_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 2);
		CHECK_EQ(fx_count(f, FX_A, UTCP_ESTABLISHED), 1);
		CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 0);
	}
	CHECK_EQ(fx_stats(f, FX_A).tcp_active_open, 1);
	close_both(f, cfd, sfd);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* connect() from a port fixed with bind() (SO_REUSEADDR, so that the bind
 * itself is allowed) to the same server: the four-tuple is in TIME_WAIT,
 * so EADDRNOTAVAIL (as Linux); with tw_reuse the TIME_WAIT gives way. */
static void bound_port_again(bool tw_reuse)
{
	struct fx_opts o = {.has_cfg = true};
	fx_default_cfg(&o.cfg_a);
	fx_default_cfg(&o.cfg_b);
	o.cfg_a.tw_reuse = tw_reuse;
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int lfd = fx_listen_4k(f, FX_B, 80, 0);
	struct utcp_sockaddr me = {0, 5555}, to = {FX_ADDR_B, 80};
	int c1 = fx_socket_4k(f, FX_A, 0);
	fx_setint(f, FX_A, c1, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, 1);
	REQUIRE_EQ(utcp_bind(a, c1, &me), 0);
	REQUIRE_EQ(utcp_connect(a, c1, &to), -EINPROGRESS);
	fx_run(f, UTCP_MS(50));
	int s1 = utcp_accept(b, lfd, NULL);
	REQUIRE(s1 >= 0);
	close_both(f, c1, s1);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);

	int c2 = fx_socket_4k(f, FX_A, 0);
	fx_setint(f, FX_A, c2, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, 1);
	REQUIRE_EQ(utcp_bind(a, c2, &me), 0);
	if (!tw_reuse) {
		CHECK_EQ(utcp_connect(a, c2, &to), -EADDRNOTAVAIL);
		CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 1);
		utcp_close(a, c2);
	} else {
		CHECK_EQ(utcp_connect(a, c2, &to), -EINPROGRESS);
		CHECK_EQ(fx_count(f, FX_A, UTCP_TIME_WAIT), 0);
		fx_run(f, UTCP_MS(50));
		CHECK_EQ(fx_state(f, FX_A, c2), UTCP_ESTABLISHED);
		int s2 = utcp_accept(b, lfd, NULL);
		REQUIRE(s2 >= 0);
		struct utcp_sockaddr got;
		REQUIRE_EQ(utcp_getsockname(a, c2, &got), 0);
		CHECK_EQ(got.port, 5555);
		close_both(f, c2, s2);
	}
	utcp_close(b, lfd);
	FX_END(f, FX_TIME_WAIT_OVER);
}

TEST(lesson_l6_bound_port_time_wait_eaddrnotavail)
{
	bound_port_again(false);
}

TEST(lesson_l6_bound_port_time_wait_tw_reuse)
{
	bound_port_again(true);
}
