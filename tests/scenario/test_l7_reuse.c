/*
 * LESSONS L7: port reuse, with the semantics Linux gives the options. A
 * server that closed first keeps its side of old connections in
 * TIME_WAIT on its port: a restarted server cannot bind it (EADDRINUSE)
 * unless SO_REUSEADDR was set on the old sockets and on the new one (and
 * no other socket LISTENs there); SO_REUSEPORT lets several listeners
 * share a port, connections spread by four-tuple hash; two SO_REUSEADDR
 * sockets still cannot both listen. getsockopt reads options back;
 * setsockopt answers 0 or a negative errno.
 *
 * Two stacks, 4 KiB buffers: B is the server (port 80), A the client.
 */
#include "fixture.h"

static int sock_opt(struct fixture *f, int h, int reuseaddr, int reuseport)
{
	int fd = fx_socket_4k(f, h, 0);
	if (reuseaddr)
		fx_setint(f, h, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, 1);
	if (reuseport)
		fx_setint(f, h, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEPORT, 1);
	return fd;
}

static int bind_port(struct fixture *f, int h, int fd, uint16_t port)
{
	struct utcp_sockaddr a = {0, port};
	return utcp_bind(fx_stack(f, h), fd, &a);
}

/* The server B (listener with SO_REUSEADDR or not) serves one connection
 * and closes it first, then closes the listener: its side of the
 * connection sits in TIME_WAIT on port 80. */
static void server_closes_first(struct fixture *f, int reuseaddr)
{
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int lfd = sock_opt(f, FX_B, reuseaddr, 0);
	REQUIRE_EQ(bind_port(f, FX_B, lfd, 80), 0);
	REQUIRE_EQ(utcp_listen(b, lfd, 8), 0);
	int cfd = fx_connect(f, FX_A, 80, 0);
	fx_run(f, UTCP_MS(50));
	int sfd = utcp_accept(b, lfd, NULL);
	REQUIRE(sfd >= 0);
	REQUIRE_EQ(utcp_close(b, sfd), 0);
	fx_run(f, UTCP_MS(50));
	char buf[4];
	REQUIRE_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 0);
	REQUIRE_EQ(utcp_close(a, cfd), 0);
	fx_run(f, UTCP_MS(50));
	REQUIRE_EQ(utcp_close(b, lfd), 0); /* the server stops */
	fx_run(f, UTCP_MS(1));
	REQUIRE_EQ(fx_count(f, FX_B, UTCP_TIME_WAIT), 1);
	REQUIRE_EQ(fx_count(f, FX_B, UTCP_LISTEN), 0);
	REQUIRE_EQ(fx_sockets_alive(f, FX_A), 0); /* the client closed second: no wait */
}

TEST(lesson_l7_restart_without_reuseaddr_eaddrinuse)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *b = fx_stack(f, FX_B);
	server_closes_first(f, 0);
	int fd = sock_opt(f, FX_B, 0, 0);
	CHECK_EQ(bind_port(f, FX_B, fd, 80), -EADDRINUSE);
	/* SO_REUSEADDR on the new socket alone is not enough (Linux: both). */
	int fd2 = sock_opt(f, FX_B, 1, 0);
	CHECK_EQ(bind_port(f, FX_B, fd2, 80), -EADDRINUSE);
	CHECK_EQ(bind_port(f, FX_B, fd2, 81), 0); /* another port is free */
	/* Once TIME_WAIT is over (2*MSL) the port is free. */
	fx_run(f, UTCP_SEC(60));
	CHECK_EQ(fx_count(f, FX_B, UTCP_TIME_WAIT), 0);
	CHECK_EQ(bind_port(f, FX_B, fd, 80), 0);
	CHECK_EQ(utcp_listen(b, fd, 8), 0);
	utcp_close(b, fd);
	utcp_close(b, fd2);
	FX_END(f, FX_TIME_WAIT_OVER);
}

TEST(lesson_l7_restart_with_reuseaddr_binds_and_serves)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	server_closes_first(f, 1);
	int plain = sock_opt(f, FX_B, 0, 0);
	CHECK_EQ(bind_port(f, FX_B, plain, 80), -EADDRINUSE); /* the new one needs it too */
	int lfd = sock_opt(f, FX_B, 1, 0);
	REQUIRE_EQ(bind_port(f, FX_B, lfd, 80), 0);
	REQUIRE_EQ(utcp_listen(b, lfd, 8), 0);
	CHECK_EQ(fx_count(f, FX_B, UTCP_TIME_WAIT), 1); /* the old wait goes on */
	/* The restarted server serves. */
	int cfd = fx_connect(f, FX_A, 80, 0);
	fx_run(f, UTCP_MS(50));
	int sfd = utcp_accept(b, lfd, NULL);
	REQUIRE(sfd >= 0);
	REQUIRE_EQ(utcp_send(a, cfd, "hi", 2, 0), 2);
	fx_run(f, UTCP_MS(50));
	char buf[4];
	CHECK_EQ(utcp_recv(b, sfd, buf, sizeof(buf), 0), 2);
	utcp_close(a, cfd);
	fx_run(f, UTCP_MS(50));
	utcp_close(b, sfd);
	utcp_close(b, lfd);
	utcp_close(b, plain);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* Two SO_REUSEADDR sockets may share a port, but not both listen. */
TEST(lesson_l7_reuseaddr_two_listeners_refused)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *b = fx_stack(f, FX_B);
	/* One listens first: the other cannot even bind. */
	int s1 = sock_opt(f, FX_B, 1, 0), s2 = sock_opt(f, FX_B, 1, 0);
	REQUIRE_EQ(bind_port(f, FX_B, s1, 80), 0);
	REQUIRE_EQ(utcp_listen(b, s1, 8), 0);
	CHECK_EQ(bind_port(f, FX_B, s2, 80), -EADDRINUSE);
	/* Both bound before either listens: the bind works, the second
	 * listen does not. */
	int s3 = sock_opt(f, FX_B, 1, 0), s4 = sock_opt(f, FX_B, 1, 0);
	REQUIRE_EQ(bind_port(f, FX_B, s3, 81), 0);
	REQUIRE_EQ(bind_port(f, FX_B, s4, 81), 0);
	REQUIRE_EQ(utcp_listen(b, s3, 8), 0);
	CHECK_EQ(utcp_listen(b, s4, 8), -EADDRINUSE);
	/* Without SO_REUSEADDR on one of them, even the bind fails. */
	int s5 = sock_opt(f, FX_B, 0, 0), s6 = sock_opt(f, FX_B, 1, 0);
	REQUIRE_EQ(bind_port(f, FX_B, s5, 82), 0);
	CHECK_EQ(bind_port(f, FX_B, s6, 82), -EADDRINUSE);
	int fds[] = {s1, s2, s3, s4, s5, s6};
	for (size_t i = 0; i < 6; i++)
		utcp_close(b, fds[i]);
	FX_END(f, FX_TIME_WAIT_OVER);
}

/* SO_REUSEPORT on both: both listen on port 80 and both get connections
 * (by four-tuple hash); a socket without it is refused the port. */
TEST(lesson_l7_reuseport_two_listeners_share)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	int l1 = sock_opt(f, FX_B, 0, 1), l2 = sock_opt(f, FX_B, 0, 1);
	REQUIRE_EQ(bind_port(f, FX_B, l1, 80), 0);
	REQUIRE_EQ(bind_port(f, FX_B, l2, 80), 0);
	REQUIRE_EQ(utcp_listen(b, l1, 16), 0);
	REQUIRE_EQ(utcp_listen(b, l2, 16), 0);
	CHECK_EQ(fx_count(f, FX_B, UTCP_LISTEN), 2);
	int other = sock_opt(f, FX_B, 1, 0);
	CHECK_EQ(bind_port(f, FX_B, other, 80), -EADDRINUSE);

	enum { N = 12 };
	int cfd[N], n1 = 0, n2 = 0;
	for (int i = 0; i < N; i++)
		cfd[i] = fx_connect(f, FX_A, 80, 0);
	fx_run(f, UTCP_MS(50));
	int sfd;
	while ((sfd = utcp_accept(b, l1, NULL)) >= 0) {
		n1++;
		utcp_close(b, sfd);
	}
	while ((sfd = utcp_accept(b, l2, NULL)) >= 0) {
		n2++;
		utcp_close(b, sfd);
	}
	CHECK_EQ(n1 + n2, N);
	CHECK(n1 > 0);
	CHECK(n2 > 0);
	/* With one listener gone, the other takes every new connection. */
	utcp_close(b, l1);
	int more[4];
	for (int i = 0; i < 4; i++)
		more[i] = fx_connect(f, FX_A, 80, 0);
	fx_run(f, UTCP_MS(50));
	int n = 0;
	while ((sfd = utcp_accept(b, l2, NULL)) >= 0) {
		n++;
		utcp_close(b, sfd);
	}
	CHECK_EQ(n, 4);
	for (int i = 0; i < N; i++)
		utcp_close(a, cfd[i]);
	for (int i = 0; i < 4; i++)
		utcp_close(a, more[i]);
	utcp_close(b, l2);
	utcp_close(b, other);
	FX_END(f, FX_TIME_WAIT_OVER);
}

static int get_int(struct fixture *f, int fd, int level, int name)
{
	int v = -12345;
	size_t len = sizeof(v);
	REQUIRE_EQ(utcp_getsockopt(fx_stack(f, FX_A), fd, level, name, &v, &len), 0);
	CHECK_EQ(len, sizeof(int));
	return v;
}

TEST(lesson_l7_sockopt_read_back_and_errors)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int fd = utcp_socket(a);
	REQUIRE(fd >= 0);
	static const struct {
		int level, name, def, set;
	} ints[] = {
		{UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, 0, 1},
		{UTCP_SOL_SOCKET, UTCP_SO_REUSEPORT, 0, 1},
		{UTCP_SOL_SOCKET, UTCP_SO_KEEPALIVE, 0, 1},
		{UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 4 << 20, 8192},
		{UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 4 << 20, 16384},
		{UTCP_SOL_TCP, UTCP_TCP_NODELAY, 0, 1},
		{UTCP_SOL_TCP, UTCP_TCP_KEEPIDLE, 7200, 60},
		{UTCP_SOL_TCP, UTCP_TCP_KEEPINTVL, 75, 5},
		{UTCP_SOL_TCP, UTCP_TCP_KEEPCNT, 9, 4},
		{UTCP_SOL_TCP, UTCP_TCP_USER_TIMEOUT, 0, 30000},
		{UTCP_SOL_UTCP, UTCP_UTCP_TTL, 64, 7},
	};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		CHECK_EQ(get_int(f, fd, ints[i].level, ints[i].name), ints[i].def);
		int v = ints[i].set;
		CHECK_EQ(utcp_setsockopt(a, fd, ints[i].level, ints[i].name, &v, sizeof(v)), 0);
		CHECK_EQ(get_int(f, fd, ints[i].level, ints[i].name), ints[i].set);
	}
	/* Setting 0 turns a flag off again. */
	fx_setint(f, FX_A, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, 0);
	CHECK_EQ(get_int(f, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR), 0);
	/* Structures and strings. */
	struct utcp_linger lg = {1, 0}, lg2 = {-1, -1};
	size_t len = sizeof(lg2);
	CHECK_EQ(utcp_setsockopt(a, fd, UTCP_SOL_SOCKET, UTCP_SO_LINGER, &lg, sizeof(lg)), 0);
	CHECK_EQ(utcp_getsockopt(a, fd, UTCP_SOL_SOCKET, UTCP_SO_LINGER, &lg2, &len), 0);
	CHECK_EQ(lg2.l_onoff, 1);
	CHECK_EQ(lg2.l_linger, 0);
	char cc[16] = {0};
	len = sizeof(cc);
	CHECK_EQ(utcp_getsockopt(a, fd, UTCP_SOL_TCP, UTCP_TCP_CONGESTION, cc, &len), 0);
	CHECK_STR(cc, "reno");
	CHECK_EQ(utcp_setsockopt(a, fd, UTCP_SOL_TCP, UTCP_TCP_CONGESTION, "nosuch", 6), -ENOENT);
	/* Read-only ones. */
	CHECK_EQ(get_int(f, fd, UTCP_SOL_SOCKET, UTCP_SO_ERROR), 0);
	CHECK_EQ(get_int(f, fd, UTCP_SOL_SOCKET, UTCP_SO_ACCEPTCONN), 0);
	CHECK_EQ(get_int(f, fd, UTCP_SOL_SOCKET, UTCP_SO_TYPE), 1);
	int one = 1;
	CHECK_EQ(utcp_setsockopt(a, fd, UTCP_SOL_SOCKET, UTCP_SO_ERROR, &one, sizeof(one)),
		 -ENOPROTOOPT);
	/* Errors: unknown option or level, wrong size, bad value, bad fd. */
	CHECK_EQ(utcp_setsockopt(a, fd, UTCP_SOL_SOCKET, 999, &one, sizeof(one)), -ENOPROTOOPT);
	CHECK_EQ(utcp_setsockopt(a, fd, UTCP_SOL_TCP, 999, &one, sizeof(one)), -ENOPROTOOPT);
	CHECK_EQ(utcp_setsockopt(a, fd, 12345, UTCP_SO_REUSEADDR, &one, sizeof(one)),
		 -ENOPROTOOPT);
	CHECK_EQ(utcp_setsockopt(a, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, &one, 2), -EINVAL);
	CHECK_EQ(utcp_setsockopt(a, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, NULL, 4), -EINVAL);
	CHECK_EQ(utcp_setsockopt(a, fd, UTCP_SOL_SOCKET, UTCP_SO_LINGER, &lg, 4), -EINVAL);
	int zero = 0;
	CHECK_EQ(utcp_setsockopt(a, fd, UTCP_SOL_TCP, UTCP_TCP_KEEPCNT, &zero, sizeof(zero)),
		 -EINVAL);
	CHECK_EQ(get_int(f, fd, UTCP_SOL_TCP, UTCP_TCP_KEEPCNT), 4); /* unchanged */
	CHECK_EQ(utcp_setsockopt(a, 999, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, &one, sizeof(one)),
		 -EBADF);
	int v;
	len = sizeof(v);
	CHECK_EQ(utcp_getsockopt(a, fd, UTCP_SOL_SOCKET, 999, &v, &len), -ENOPROTOOPT);
	CHECK_EQ(utcp_getsockopt(a, fd, 12345, UTCP_SO_REUSEADDR, &v, &len), -ENOPROTOOPT);
	/* A listener says so. */
	struct utcp_sockaddr any = {0, 80};
	REQUIRE_EQ(utcp_bind(a, fd, &any), 0);
	REQUIRE_EQ(utcp_listen(a, fd, 4), 0);
	CHECK_EQ(get_int(f, fd, UTCP_SOL_SOCKET, UTCP_SO_ACCEPTCONN), 1);
	utcp_close(a, fd);
	FX_END(f, FX_TIME_WAIT_OVER);
}
