/*
 * Lesson L7: port reuse, with the semantics Linux gives the options. A
 * server that closed first keeps its side of an old connection in
 * TIME_WAIT on its port; restarted, it cannot bind the port (EADDRINUSE)
 * unless SO_REUSEADDR was set on the old and the new socket. SO_REUSEPORT
 * lets several listeners share a port; SO_REUSEADDR does not. Every call
 * is made on the stack and its real return value shown.
 */
#include "lab.h"

#include <stdlib.h>
#include <string.h>

#define WAIT UTCP_SEC(600)

struct ru {
	struct lab_world lw;
	struct lab_doc *d;
	const struct lab_opts *o;
	char *steps[32];
	size_t n_steps;
	uint32_t n_socks, n_clients; /* sockets made so far: their ISNs */
};

/* A call and its result (0, a descriptor, or -ERRNO), and why. */
static void ru_step(struct ru *r, const char *call, long res, const char *why)
{
	char t[24], v[48];
	if (res < 0)
		snprintf(v, sizeof(v), "-%s", lab_errname((int)res));
	else
		snprintf(v, sizeof(v), "%ld", res);
	if (r->n_steps < sizeof(r->steps) / sizeof(r->steps[0]))
		r->steps[r->n_steps++] =
			lab_strf(TR(r->o, "t = %s ms, server: `%s` = `%s`. %s", "t = %s ms，服务器：`%s` = `%s`。%s"),
				 lab_ms(lab_now(&r->lw), t, sizeof(t)), call, v, why);
}

static void ru_flush(struct ru *r)
{
	lab_doc_steps_begin(r->d);
	for (size_t i = 0; i < r->n_steps; i++) {
		lab_doc_step(r->d, "%s", r->steps[i]);
		free(r->steps[i]);
	}
	r->n_steps = 0;
}

/* A server socket with the options given, bound to port (0: not bound).
 * Returns the descriptor; the bind's result in *bound. */
static int ru_sock(struct ru *r, bool reuseaddr, bool reuseport, uint16_t port, int *bound)
{
	struct lab_world *lw = &r->lw;
	/* ISNs pinned (800, 900, ...) so that the diagrams read easily */
	int fd = lab_socket(lw, LAB_B, 0, 4096, 4096, true, 800 + 100 * r->n_socks++);
	if (fd < 0)
		return fd;
	if (reuseaddr)
		lab_setint(lw, LAB_B, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, 1);
	if (reuseport)
		lab_setint(lw, LAB_B, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEPORT, 1);
	struct utcp_sockaddr a = {0, port};
	*bound = port ? utcp_bind(lw->s[LAB_B], fd, &a) : 0;
	return fd;
}

/* The old server: listens on 80 (SO_REUSEADDR or not), serves one
 * connection, closes it first, and stops: its side waits in TIME_WAIT. */
static int ru_old_server(struct ru *r, bool reuseaddr)
{
	struct lab_world *lw = &r->lw;
	struct utcp_stack *a = lw->s[LAB_A], *b = lw->s[LAB_B];
	const struct lab_opts *o = r->o;
	int bound, lfd = ru_sock(r, reuseaddr, false, 80, &bound);
	ru_step(r, reuseaddr ? "setsockopt(SO_REUSEADDR, 1); bind(0.0.0.0:80)" : "bind(0.0.0.0:80)", bound,
		TR(o, "The first server starts.", "第一个服务器启动。"));
	if (bound || utcp_listen(b, lfd, 8))
		return -EIO;
	int cfd = lab_socket(lw, LAB_A, 0, 4096, 4096, true, 100 + 200 * r->n_clients++);
	if (cfd < 0 || lab_connect(lw, LAB_A, cfd, 0, 80) ||
	    !lab_run_until_ready(lw, LAB_B, lfd, UTCP_POLLIN, WAIT))
		return -EIO;
	int sfd = utcp_accept(b, lfd, NULL);
	lab_run_for(lw, UTCP_MS(50));
	utcp_close(b, sfd);
	lab_run_until_ready(lw, LAB_A, cfd, UTCP_POLLIN, WAIT);
	utcp_close(a, cfd);
	lab_run_for(lw, UTCP_MS(50));
	ru_step(r, "close(listening socket)", utcp_close(b, lfd),
		TR(o, "The server served one client, closed that connection first, and stops. Its side of the connection is in TIME_WAIT, on port 80.",
		   "服务器为一个客户端服务，先关闭了该连接，然后停止。它这一端的连接处于 TIME_WAIT，占用 80 端口。"));
	lab_run_for(lw, UTCP_MS(1));
	return lab_count(lw, LAB_B, UTCP_TIME_WAIT) == 1 ? 0 : -EIO;
}

static int ru_open(struct ru *r, const char *stem)
{
	struct lab_world_cfg c;
	lab_world_cfg_init(&c, r->o);
	return lab_world_open(&r->lw, &c, r->o, stem);
}

static void ru_close(struct ru *r)
{
	for (size_t i = 0; i < r->n_steps; i++)
		free(r->steps[i]);
	r->n_steps = 0;
	lab_world_close(&r->lw);
}

/* 1 and 2: restart the server while its old connection is in TIME_WAIT. */
static int ru_restart(struct ru *r, bool reuseaddr)
{
	const struct lab_opts *o = r->o;
	int err = ru_open(r, reuseaddr ? "reuse-addr" : "reuse-none");
	if (!err)
		err = ru_old_server(r, reuseaddr);
	if (err)
		return err;
	struct lab_world *lw = &r->lw;
	int bound;
	if (!reuseaddr) {
		int fd = ru_sock(r, false, false, 80, &bound);
		ru_step(r, "bind(0.0.0.0:80)", bound,
			TR(o, "The restarted server cannot have its port: the old connection in TIME_WAIT holds it.",
			   "重启的服务器拿不到它的端口：处于 TIME_WAIT 的旧连接占着它。"));
		int fd2 = ru_sock(r, true, false, 80, &bound);
		ru_step(r, "setsockopt(SO_REUSEADDR, 1); bind(0.0.0.0:80)", bound,
			TR(o, "Not even with SO_REUSEADDR on the new socket alone: Linux wants it on the old socket too.",
			   "只在新套接字上设置 SO_REUSEADDR 也不行：Linux 要求旧套接字也设置了它。"));
		lab_run_for(lw, 2 * lab_dur(o->msl, UTCP_SEC(30)));
		struct utcp_sockaddr a = {0, 80};
		ru_step(r, "bind(0.0.0.0:80)", utcp_bind(lw->s[LAB_B], fd, &a),
			TR(o, "2 MSL later the TIME_WAIT is over and the port is free.", "2MSL 之后 TIME_WAIT 结束，端口空闲了。"));
		utcp_close(lw->s[LAB_B], fd);
		utcp_close(lw->s[LAB_B], fd2);
		return 0;
	}
	int fd = ru_sock(r, true, false, 80, &bound);
	ru_step(r, "setsockopt(SO_REUSEADDR, 1); bind(0.0.0.0:80)", bound,
		TR(o, "With SO_REUSEADDR on both, the restarted server binds while the old connection still waits.",
		   "新旧套接字都设置了 SO_REUSEADDR，重启的服务器在旧连接仍在等待时就能绑定端口。"));
	ru_step(r, "listen(fd, 8)", utcp_listen(lw->s[LAB_B], fd, 8),
		TR(o, "It listens; the old TIME_WAIT goes on, untouched.", "它开始监听；旧的 TIME_WAIT 继续，不受影响。"));
	int cfd = lab_socket(lw, LAB_A, 0, 4096, 4096, true, 100 + 200 * r->n_clients++);
	lab_connect(lw, LAB_A, cfd, 0, 80);
	lab_run_until_ready(lw, LAB_B, fd, UTCP_POLLIN, WAIT);
	int sfd = utcp_accept(lw->s[LAB_B], fd, NULL);
	ru_step(r, "accept(fd)", sfd, TR(o, "And it serves a new client.", "并为新的客户端服务。"));
	lab_run_for(lw, UTCP_MS(50));
	utcp_close(lw->s[LAB_A], cfd);
	lab_run_for(lw, UTCP_MS(50));
	utcp_close(lw->s[LAB_B], sfd);
	utcp_close(lw->s[LAB_B], fd);
	lab_run_for(lw, UTCP_MS(50));
	return sfd >= 0 ? 0 : sfd;
}

/* 3: SO_REUSEPORT shares a port between listeners; SO_REUSEADDR does not. */
static int ru_port(struct ru *r, int *n1, int *n2)
{
	const struct lab_opts *o = r->o;
	int err = ru_open(r, "reuse-port");
	if (err)
		return err;
	struct lab_world *lw = &r->lw;
	struct utcp_stack *b = lw->s[LAB_B];
	int b1, b2, b3, l1 = ru_sock(r, false, true, 80, &b1), l2 = ru_sock(r, false, true, 80, &b2);
	ru_step(r, "setsockopt(SO_REUSEPORT, 1); bind(0.0.0.0:80)", b1, TR(o, "A first listener.", "第一个监听套接字。"));
	ru_step(r, "setsockopt(SO_REUSEPORT, 1); bind(0.0.0.0:80)", b2, TR(o, "A second one on the same port.", "同一端口上的第二个。"));
	ru_step(r, "listen(first); listen(second)", utcp_listen(b, l1, 16) | utcp_listen(b, l2, 16),
		TR(o, "Both listen.", "两个都开始监听。"));
	int other = ru_sock(r, true, false, 80, &b3);
	ru_step(r, "setsockopt(SO_REUSEADDR, 1); bind(0.0.0.0:80)", b3,
		TR(o, "A socket without SO_REUSEPORT is refused the port.", "没有设置 SO_REUSEPORT 的套接字拿不到这个端口。"));
	enum { N = 12 };
	int cfd[N], fd;
	*n1 = *n2 = 0;
	for (int i = 0; i < N; i++) {
		cfd[i] = lab_socket(lw, LAB_A, 0, 4096, 4096, false, 0);
		lab_connect(lw, LAB_A, cfd[i], 0, 80);
	}
	lab_run_for(lw, UTCP_MS(50));
	while ((fd = utcp_accept(b, l1, NULL)) >= 0 && ++*n1)
		utcp_close(b, fd);
	while ((fd = utcp_accept(b, l2, NULL)) >= 0 && ++*n2)
		utcp_close(b, fd);
	char what[160];
	snprintf(what, sizeof(what),
		 TR(o, "The connections are spread over both listeners by a hash of their four-tuple: %d and %d.",
		    "连接按四元组的哈希分配到两个监听套接字上：%d 个和 %d 个。"),
		 *n1, *n2);
	ru_step(r, "12 x connect(); accept(first) ...; accept(second) ...", *n1 + *n2, what);
	int s3 = ru_sock(r, true, false, 81, &b1), s4 = ru_sock(r, true, false, 81, &b2);
	ru_step(r, "SO_REUSEADDR on both; bind(:81); bind(:81)", b1 | b2,
		TR(o, "Two SO_REUSEADDR sockets may both bind a port...", "两个设置了 SO_REUSEADDR 的套接字都可以绑定同一端口……"));
	ru_step(r, "listen(first); listen(second)", utcp_listen(b, s3, 8) ? -1 : utcp_listen(b, s4, 8),
		TR(o, "...but not both listen on it: that is what SO_REUSEPORT is for.", "……但不能都在上面监听：这正是 SO_REUSEPORT 的用途。"));
	int v = -1;
	size_t len = sizeof(v);
	ru_step(r, "getsockopt(first, SO_REUSEPORT)", utcp_getsockopt(b, l1, UTCP_SOL_SOCKET, UTCP_SO_REUSEPORT, &v, &len) ? -1 : v,
		TR(o, "getsockopt reads the option back (1: on).", "getsockopt 读回选项的值（1：打开）。"));
	int one = 1;
	ru_step(r, "setsockopt(fd, SOL_SOCKET, 999, &one)", utcp_setsockopt(b, s3, UTCP_SOL_SOCKET, 999, &one, sizeof(one)),
		TR(o, "setsockopt returns 0 on success; an unknown option fails (the C library returns -1 with errno ENOPROTOOPT).",
		   "setsockopt 成功时返回 0；未知选项失败（C 库返回 -1，errno 为 ENOPROTOOPT）。"));
	for (int i = 0; i < N; i++)
		utcp_close(lw->s[LAB_A], cfd[i]);
	int all[] = {l1, l2, other, s3, s4};
	for (size_t i = 0; i < 5; i++)
		utcp_close(b, all[i]);
	lab_run_for(lw, UTCP_MS(100));
	return *n1 + *n2 == N ? 0 : -EIO;
}

int lab_reuse(const struct lab_opts *o, struct lab_doc *d)
{
	lab_doc_intro(d, "%s", TR(o, "A server restarted while its old connections wait in TIME_WAIT finds its port taken. SO_REUSEADDR lets it bind anyway; SO_REUSEPORT lets several sockets listen on one port. utcp gives both options the semantics Linux gives them.",
				  "服务器重启时，若旧连接仍在 TIME_WAIT 中等待，它会发现端口被占用。SO_REUSEADDR 让它仍然可以绑定；SO_REUSEPORT 让多个套接字在同一端口上监听。utcp 按 Linux 的语义实现这两个选项。"));
	static const struct {
		bool reuseaddr;
		const char *id;
	} restarts[] = {{false, "none"}, {true, "addr"}};
	for (size_t i = 0; i < 2; i++) {
		struct ru r = {.d = d, .o = o};
		int err = ru_restart(&r, restarts[i].reuseaddr);
		if (err) {
			ru_close(&r);
			return lab_fail("reuse", "a restart run failed", err);
		}
		if (!restarts[i].reuseaddr)
			lab_doc_head(d, "%s", TR(o, "Restart without SO_REUSEADDR: EADDRINUSE", "不设置 SO_REUSEADDR 重启：EADDRINUSE"));
		else
			lab_doc_head(d, "%s", TR(o, "Restart with SO_REUSEADDR", "设置 SO_REUSEADDR 后重启"));
		lab_doc_seq(d, restarts[i].id, lab_seq_build(&r.lw, 0, 0, 0, NULL));
		ru_flush(&r);
		lab_doc_files(d, &r.lw);
		ru_close(&r);
	}
	struct ru r = {.d = d, .o = o};
	int n1, n2, err = ru_port(&r, &n1, &n2);
	lab_doc_head(d, "%s", TR(o, "SO_REUSEPORT: several listeners on one port", "SO_REUSEPORT：一个端口上的多个监听套接字"));
	ru_flush(&r);
	lab_doc_files(d, &r.lw);
	ru_close(&r);
	if (err)
		return lab_fail("reuse", "the SO_REUSEPORT run failed", err);
	lab_doc_note(d, "%s", TR(o, "The lesson's text says SO_REUSEADDR while its code sets SO_REUSEPORT. They differ: SO_REUSEADDR (on the old and the new socket) lets a server bind a port that connections in TIME_WAIT still use; SO_REUSEPORT lets several sockets, all with the option, listen on the same port at once.",
				 "课文正文说的是 SO_REUSEADDR，而代码中设置的是 SO_REUSEPORT。两者不同：SO_REUSEADDR（新旧套接字都设置）让服务器可以绑定仍被 TIME_WAIT 连接使用的端口；SO_REUSEPORT 让多个都设置了该选项的套接字同时在同一端口上监听。"));
	return 0;
}
