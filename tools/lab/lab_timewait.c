/*
 * Lesson L6: TIME_WAIT and 2MSL. The active closer waits 2 MSL; when its
 * last ACK is lost the peer's FIN comes again, is ACKed again, and the
 * wait starts over. Short connections leave TIME_WAITs that pin the
 * client's ports until connect() fails with EADDRNOTAVAIL; then each
 * remedy the lesson names, run: waiting, TIME_WAIT reuse, a shorter MSL,
 * one connection for many requests. And netstat's count by state.
 */
#include "lab.h"

#include <string.h>

#define WAIT UTCP_SEC(600)
#define PORT_LO 50000

struct tw {
	struct lab_world lw;
	int lfd, a, b;
};

/* Two hosts; the client's ephemeral ports are PORT_LO .. +ports-1. */
static int tw_open(struct tw *r, const struct lab_opts *o, const char *stem, uint32_t ports,
		   bool tw_reuse, bool listener)
{
	struct lab_world_cfg c;
	lab_world_cfg_init(&c, o);
	c.cfg[LAB_A].port_lo = PORT_LO;
	c.cfg[LAB_A].port_hi = (uint16_t)(PORT_LO + ports - 1);
	c.cfg[LAB_A].tw_reuse = tw_reuse;
	int err = lab_world_open(&r->lw, &c, o, stem);
	if (err || !listener)
		return err;
	r->lfd = lab_socket(&r->lw, LAB_B, 0, 4096, 4096, false, 0);
	if (r->lfd < 0)
		return r->lfd;
	return lab_listen(&r->lw, LAB_B, r->lfd, 80);
}

/* One short connection: connect, the client closes first, the server
 * second. Returns the client's port, or the negative errno of connect()
 * (-EADDRNOTAVAIL when no port is free). msl: per-socket MSL, 0: default. */
static int short_conn(struct tw *r, utcp_time_us msl)
{
	struct lab_world *lw = &r->lw;
	struct utcp_stack *a = lw->s[LAB_A], *b = lw->s[LAB_B];
	int fd = lab_socket(lw, LAB_A, 0, 4096, 4096, false, 0);
	if (fd < 0)
		return fd;
	if (msl)
		utcp_setsockopt(a, fd, UTCP_SOL_UTCP, UTCP_UTCP_MSL, &msl, sizeof(msl));
	int err = lab_connect(lw, LAB_A, fd, 0, 80);
	if (err) {
		utcp_close(a, fd);
		return err;
	}
	if (!lab_run_until_ready(lw, LAB_B, r->lfd, UTCP_POLLIN, WAIT))
		return -ETIMEDOUT;
	int sfd = utcp_accept(b, r->lfd, NULL);
	struct utcp_sockaddr me = {0, 0};
	utcp_getsockname(a, fd, &me);
	utcp_close(a, fd);
	lab_run_until_ready(lw, LAB_B, sfd, UTCP_POLLIN, WAIT);
	utcp_close(b, sfd);
	lab_run_for(lw, UTCP_MS(50));
	return me.port;
}

/* "TIME_WAIT 10  LISTEN 1": netstat | awk '{++S[$NF]}' for one host. */
static void tw_count(char *buf, size_t len, struct lab_world *lw, int h)
{
	uint32_t n[UTCP_NUM_STATES];
	utcp_count_by_state(lw->s[h], n);
	size_t used = 0;
	buf[0] = 0;
	for (int s = 0; s < UTCP_NUM_STATES && used < len; s++)
		if (n[s])
			used += (size_t)snprintf(buf + used, len - used, "%s%s %u", used ? "  " : "",
						 utcp_state_name((enum utcp_tcp_state)s), n[s]);
	if (!used)
		snprintf(buf, len, "-");
}

/* The first time host h's connection `conn` entered, and left, TIME_WAIT. */
static void tw_times(const struct lab_world *lw, int h, uint32_t conn, utcp_time_us *in,
		     utcp_time_us *out)
{
	*in = *out = UTCP_TIME_NEVER;
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host != h || e->ev.type != UTCP_TR_STATE || e->ev.conn_id != conn)
			continue;
		if (e->ev.u.state.to == UTCP_TIME_WAIT && *in == UTCP_TIME_NEVER)
			*in = e->ev.at;
		if (e->ev.u.state.from == UTCP_TIME_WAIT)
			*out = e->ev.at;
	}
}

/* The client closes, the server 100 ms after it sees the end; with
 * lose_ack the client's ACK of the server's FIN is lost. Then until the
 * client's TIME_WAIT is over. */
static int tw_close(struct tw *r, bool lose_ack)
{
	struct lab_world *lw = &r->lw;
	if (lab_close_eof(lw, r->a, r->b) != 0)
		return -EIO;
	lab_run_for(lw, UTCP_MS(100));
	if (lose_ack)
		utcp_sim_drop_nth(lw->w, lw->ch[0], UTCP_SIM_TCP_PURE_ACK, 1, 1);
	utcp_close(lw->s[LAB_B], r->b);
	utcp_close(lw->s[LAB_B], r->lfd);
	for (int i = 0; i < 1000 && lab_count(lw, LAB_A, UTCP_TIME_WAIT) + lab_count(lw, LAB_A, UTCP_FIN_WAIT_2) +
					    lab_count(lw, LAB_B, UTCP_LAST_ACK); i++)
		lab_run_for(lw, UTCP_SEC(1));
	return 0;
}

static void tw_states(struct lab_doc *d, const struct lab_world *lw)
{
	char st[256];
	lab_doc_states(d, "client", lab_states(lw, LAB_A, lab_conn_entering(lw, LAB_A, UTCP_SYN_SENT, 0), st, sizeof(st)));
	lab_doc_states(d, "server", lab_states(lw, LAB_B, lab_conn_entering(lw, LAB_B, UTCP_SYN_RCVD, 0), st, sizeof(st)));
}

/* Run 1: exactly 2 MSL. */
static int tw_2msl(const struct lab_opts *o, struct lab_doc *d, struct lab_fsm *fsm)
{
	struct tw r;
	int err = tw_open(&r, o, "time-wait", 1, false, false);
	if (!err)
		err = lab_pair(&r.lw, true, &r.lfd, &r.a, &r.b);
	if (!err)
		err = tw_close(&r, false);
	if (err) {
		lab_world_close(&r.lw);
		return lab_fail("time-wait", "the 2MSL run failed", err);
	}
	struct lab_world *lw = &r.lw;
	utcp_time_us in, out, msl = lab_dur(o->msl, UTCP_SEC(30));
	tw_times(lw, LAB_A, lab_conn_entering(lw, LAB_A, UTCP_SYN_SENT, 0), &in, &out);
	char t[4][24];
	lab_doc_head(d, "%s", TR(o, "The active closer waits 2 MSL", "主动关闭方等待 2MSL"));
	lab_doc_para(d, TR(o, "The client closes first, so it is the one that waits. MSL (the longest a segment may live in the network) is %s here.",
			   "客户端先关闭，所以由它等待。这里的 MSL（报文段在网络中的最长生存时间）为 %s。"),
		     lab_human(msl, t[0], 24));
	lab_doc_seq(d, "seq", lab_seq_build(lw, 0, 0, 0, NULL));
	lab_doc_steps_begin(d);
	if (in != UTCP_TIME_NEVER && out != UTCP_TIME_NEVER)
		lab_doc_step(d, TR(o, "The client acknowledges the server's FIN and enters TIME_WAIT at %s ms; it leaves it at %s ms: %s later, exactly 2 x MSL. Meanwhile its port and the four-tuple stay taken, so that (a) a retransmitted FIN can still be acknowledged and (b) old duplicates of this connection die out before the same four-tuple carries a new one.",
				   "客户端确认服务器的 FIN，在 %s ms 进入 TIME_WAIT；在 %s ms 离开：%s 之后，正好是 2 x MSL。在此期间它的端口和四元组一直被占用，以便 (a) 仍能确认重传的 FIN，(b) 让本连接的旧报文段在同一四元组承载新连接之前从网络中消失。"),
			     lab_ms(in, t[1], 24), lab_ms(out, t[2], 24), lab_human(out - in, t[3], 24));
	tw_states(d, lw);
	lab_doc_files(d, lw);
	lab_fsm_add_world(fsm, lw);
	lab_world_close(lw);
	return 0;
}

/* Run 2: the last ACK is lost; the FIN comes again and is ACKed again. */
static int tw_lost_ack(const struct lab_opts *o, struct lab_doc *d, struct lab_fsm *fsm)
{
	struct tw r;
	int err = tw_open(&r, o, "time-wait-lost-ack", 1, false, false);
	if (!err)
		err = lab_pair(&r.lw, true, &r.lfd, &r.a, &r.b);
	if (!err)
		err = tw_close(&r, true);
	if (err) {
		lab_world_close(&r.lw);
		return lab_fail("time-wait", "the lost-ACK run failed", err);
	}
	struct lab_world *lw = &r.lw;
	struct lab_seq *s = lab_seq_build(lw, 0, 0, 0, NULL);
	utcp_time_us arm[2] = {UTCP_TIME_NEVER, UTCP_TIME_NEVER}, in, out;
	size_t n_arm = 0;
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host == LAB_A && e->ev.type == UTCP_TR_TIMER && e->ev.u.timer.kind == UTCP_TIMER_TIME_WAIT &&
		    e->ev.u.timer.action == UTCP_TIMER_ARM && n_arm < 2)
			arm[n_arm++] = e->ev.at;
	}
	tw_times(lw, LAB_A, lab_conn_entering(lw, LAB_A, UTCP_SYN_SENT, 0), &in, &out);
	lab_doc_head(d, "%s", TR(o, "The last ACK is lost", "最后一个 ACK 丢失"));
	lab_doc_para(d, "%s", TR(o, "The same close, but the network loses the client's ACK of the server's FIN. The server, in LAST_ACK, does not know whether its FIN arrived, and sends it again when its retransmission timer expires.",
				 "同样的关闭过程，但网络丢失了客户端对服务器 FIN 的确认。处于 LAST_ACK 的服务器不知道它的 FIN 是否到达，于是在重传定时器超时后再次发送。"));
	lab_doc_seq(d, "lost-ack", s);
	lab_doc_steps_begin(d);
	lab_doc_losses(d, lw, s, o);
	char t[4][24];
	if (n_arm == 2 && out != UTCP_TIME_NEVER)
		lab_doc_step(d, TR(o, "The client, still in TIME_WAIT, acknowledges the FIN again and starts its 2 MSL over: the wait began at %s ms, restarted at %s ms, and ended at %s ms (%s after the restart). Had it gone straight to CLOSED, the FIN would have met a RST and the server would have seen an error.",
				   "仍处于 TIME_WAIT 的客户端再次确认 FIN，并重新开始 2MSL 计时：等待从 %s ms 开始，在 %s ms 重新开始，在 %s ms 结束（重新开始后 %s）。如果客户端直接进入 CLOSED，这个 FIN 会收到 RST，服务器就会看到一个错误。"),
			     lab_ms(arm[0], t[0], 24), lab_ms(arm[1], t[1], 24), lab_ms(out, t[2], 24),
			     lab_human(out - arm[1], t[3], 24));
	tw_states(d, lw);
	lab_doc_files(d, lw);
	lab_fsm_add_world(fsm, lw);
	lab_world_close(lw);
	return 0;
}

struct tw_ex {
	uint32_t ports;
	utcp_time_us msl;
	char wait_what[160], wait_res[160]; /* remedy (a), run with the exhaustion */
	struct lab_series *pile, *short_msl; /* TIME_WAITs after each connection */
	struct lab_doc *d; /* the remedies are steps of its narration */
};

/* A remedy and how its run went, as a step of the narration. */
static void tw_remedy(struct tw_ex *x, const char *name, const char *what, const char *res)
{
	lab_doc_step(x->d, "%s: %s \xe2\x80\x94 %s.", name, what, res);
}

static const char *result(int port, char *buf, size_t len)
{
	if (port < 0)
		snprintf(buf, len, "connect() = -%s", lab_errname(port));
	else
		snprintf(buf, len, "port %d", port);
	return buf;
}

/* Short connections until the ports run out; then (a): wait. */
static int tw_exhaust(const struct lab_opts *o, struct lab_doc *d, struct tw_ex *x)
{
	struct tw r;
	int err = tw_open(&r, o, "time-wait-ports", x->ports, false, true);
	if (err) {
		lab_world_close(&r.lw);
		return lab_fail("time-wait", "setting up the ports run failed", err);
	}
	struct lab_world *lw = &r.lw;
	struct lab_table *t = lab_doc_table(d, 4, LAB_COL(0) | LAB_COL(1) | LAB_COL(3));
	lab_table_row(t, "#", "t (ms)", TR(o, "client's connect()", "客户端的 connect()"),
		      TR(o, "client's TIME_WAITs", "客户端的 TIME_WAIT 数"));
	int port = 0;
	utcp_time_us first_at = lab_now(lw);
	for (uint32_t i = 0; i <= x->ports; i++) {
		char c[4][48];
		lab_ms(lab_now(lw), c[1], 48);
		port = short_conn(&r, 0);
		snprintf(c[0], 48, "%u", i + 1);
		snprintf(c[3], 48, "%u", lab_count(lw, LAB_A, UTCP_TIME_WAIT));
		lab_table_row(t, c[0], c[1], result(port, c[2], 48), c[3]);
		lab_series_add(x->pile, i + 1, lab_count(lw, LAB_A, UTCP_TIME_WAIT));
		if (port < 0)
			break;
	}
	char a[96], b[96];
	tw_count(a, sizeof(a), lw, LAB_A);
	tw_count(b, sizeof(b), lw, LAB_B);
	lab_doc_para(d, "%s", TR(o, "Counting connections by state, as `netstat -n | awk '/^tcp/ {++S[$NF]} END {for(a in S) print a, S[a]}'` does for a kernel:",
				 "按状态统计连接数，就像 `netstat -n | awk '/^tcp/ {++S[$NF]} END {for(a in S) print a, S[a]}'` 对内核所做的那样："));
	lab_doc_code(d, "client:  %s\nserver:  %s", a, b);
	if (port != -EADDRNOTAVAIL) {
		lab_world_close(lw);
		return lab_fail("time-wait", "the ports did not run out", port);
	}
	/* (a) wait until the first TIME_WAIT is over */
	lab_run_until(lw, first_at + 2 * x->msl + UTCP_MS(200));
	int again = short_conn(&r, 0);
	snprintf(x->wait_what, sizeof(x->wait_what),
		 TR(o, "wait 2 MSL (%s): the oldest TIME_WAIT ends", "等待 2MSL（%s）：最早的 TIME_WAIT 结束"),
		 lab_human(2 * x->msl, a, sizeof(a)));
	if (again > 0)
		snprintf(x->wait_res, sizeof(x->wait_res),
			 TR(o, "works: connect() succeeds, from port %d again", "有效：connect() 成功，再次使用端口 %d"), again);
	else
		snprintf(x->wait_res, sizeof(x->wait_res), TR(o, "does not work: %s", "无效：%s"),
			 result(again, b, sizeof(b)));
	lab_doc_files(d, lw);
	lab_world_close(lw);
	return again > 0 ? 0 : lab_fail("time-wait", "waiting did not free a port", again);
}

/* Fill every port with a TIME_WAIT; returns 0 or the failing connect's error. */
static int tw_fill(struct tw *r, uint32_t ports)
{
	for (uint32_t i = 0; i < ports; i++) {
		int p = short_conn(r, 0);
		if (p < 0)
			return p;
	}
	return 0;
}

/* (b) connect() may take over a TIME_WAIT four-tuple (Linux's tw_reuse). */
static int tw_reuse(const struct lab_opts *o, struct tw_ex *x)
{
	struct tw r;
	int err = tw_open(&r, o, "time-wait-reuse", x->ports, true, true);
	if (!err)
		err = tw_fill(&r, x->ports);
	int port = err ? err : short_conn(&r, 0);
	char res[160], b[64];
	if (port > 0)
		snprintf(res, sizeof(res), TR(o, "works: with all %u ports in TIME_WAIT, connect() takes one over (port %d)",
					      "有效：%u 个端口都处于 TIME_WAIT 时，connect() 接管其中一个（端口 %d）"),
			 x->ports, port);
	else
		snprintf(res, sizeof(res), TR(o, "does not work: %s", "无效：%s"), result(port, b, sizeof(b)));
	tw_remedy(x, TR(o, "(b) reuse TIME_WAIT", "(b) 重用 TIME_WAIT"),
		      TR(o, "the client's stack may reuse a four-tuple in TIME_WAIT (tw_reuse)", "客户端协议栈允许重用处于 TIME_WAIT 的四元组（tw_reuse）"),
		      res);
	lab_world_close(&r.lw);
	return port > 0 ? 0 : lab_fail("time-wait", "TIME_WAIT reuse did not work", port);
}

/* (c) a shorter MSL (1 s): three times as many connections as ports, one
 * every 300 ms, or slower when there are so few ports that the 2 s
 * TIME_WAITs would still fill them. */
static int tw_short_msl(const struct lab_opts *o, struct tw_ex *x)
{
	struct tw r;
	int err = tw_open(&r, o, "time-wait-msl", x->ports, false, true);
	utcp_time_us every = x->ports > 1 ? UTCP_SEC(2) / (x->ports - 1) + UTCP_MS(50) : UTCP_MS(2200);
	every = every > UTCP_MS(300) ? every : UTCP_MS(300);
	uint32_t most = 0, done = 0;
	for (uint32_t i = 0; !err && i < 3 * x->ports; i++) {
		utcp_time_us t0 = lab_now(&r.lw);
		int p = short_conn(&r, UTCP_SEC(1));
		if (p < 0) {
			err = p;
			break;
		}
		uint32_t n = lab_count(&r.lw, LAB_A, UTCP_TIME_WAIT);
		most = n > most ? n : most;
		lab_series_add(x->short_msl, i + 1, n);
		done++;
		lab_run_until(&r.lw, t0 + every);
	}
	char res[200], b[64];
	if (!err)
		snprintf(res, sizeof(res), TR(o, "works: %u connections through %u ports, never more than %u in TIME_WAIT",
					      "有效：%u 个连接用 %u 个端口完成，TIME_WAIT 从不超过 %u 个"),
			 done, x->ports, most);
	else
		snprintf(res, sizeof(res), TR(o, "does not work: %s", "无效：%s"), result(err, b, sizeof(b)));
	char what[160], t[24];
	snprintf(what, sizeof(what),
		 TR(o, "MSL 1 s per socket (UTCP_MSL): TIME_WAIT lasts 2 s; a connection every %s",
		    "每个套接字 MSL 设为 1 s（UTCP_MSL）：TIME_WAIT 持续 2 s；每 %s 一个连接"),
		 lab_human(every, t, sizeof(t)));
	tw_remedy(x, TR(o, "(c) shorter MSL", "(c) 缩短 MSL"), what, res);
	lab_world_close(&r.lw);
	return err ? lab_fail("time-wait", "the shorter MSL did not work", err) : 0;
}

/* (d) keep the connection: many requests on one. */
static int tw_keepalive(const struct lab_opts *o, struct tw_ex *x)
{
	struct tw r;
	int err = tw_open(&r, o, "time-wait-keepalive", x->ports, false, false);
	if (!err)
		err = lab_pair(&r.lw, true, &r.lfd, &r.a, &r.b);
	struct lab_world *lw = &r.lw;
	int answered = 0;
	for (int i = 0; !err && i < 100; i++) {
		char req[16], buf[64];
		int n = snprintf(req, sizeof(req), "GET %d", i);
		utcp_send(lw->s[LAB_A], r.a, req, (size_t)n, 0);
		if (!lab_run_until_ready(lw, LAB_B, r.b, UTCP_POLLIN, WAIT))
			break;
		utcp_recv(lw->s[LAB_B], r.b, buf, sizeof(buf), 0);
		utcp_send(lw->s[LAB_B], r.b, "OK", 2, 0);
		if (!lab_run_until_ready(lw, LAB_A, r.a, UTCP_POLLIN, WAIT))
			break;
		answered += utcp_recv(lw->s[LAB_A], r.a, buf, sizeof(buf), 0) == 2;
	}
	if (!err)
		err = tw_close(&r, false);
	struct utcp_stats st;
	utcp_stack_stats(lw->s[LAB_A], &st);
	char res[200];
	snprintf(res, sizeof(res), TR(o, "%s: %d requests answered over %llu connection, one port, one TIME_WAIT at the end",
				      "%s：%d 个请求通过 %llu 个连接得到应答，一个端口，最后一个 TIME_WAIT"),
		 answered == 100 ? TR(o, "works", "有效") : TR(o, "does not work", "无效"), answered,
		 (unsigned long long)st.tcp_active_open);
	tw_remedy(x, TR(o, "(d) keep-alive", "(d) 保持连接"),
		      TR(o, "one connection for many requests (HTTP keep-alive)", "多个请求共用一个连接（HTTP keep-alive）"), res);
	lab_world_close(lw);
	return !err && answered == 100 ? 0 : lab_fail("time-wait", "keep-alive did not work", err);
}

int lab_time_wait(const struct lab_opts *o, struct lab_doc *d)
{
	struct lab_fsm fsm = {0};
	struct tw_ex x = {.ports = lab_u32(o->ports, 10), .msl = lab_dur(o->msl, UTCP_SEC(30))};
	lab_doc_intro(d, "%s", TR(o, "The end that closes first waits in TIME_WAIT for twice the maximum segment lifetime (2 MSL) before the connection is gone. Why, and what it costs when connections are short and many.",
				  "先关闭的一端要在 TIME_WAIT 中等待两倍的最长报文段寿命（2MSL），连接才真正消失。为什么要等，以及短连接很多时它的代价。"));
	int st = tw_2msl(o, d, &fsm);
	st |= tw_lost_ack(o, d, &fsm);
	if (st)
		return st;
	char t[24];
	lab_doc_head(d, "%s", TR(o, "Short connections run out of ports", "短连接耗尽端口"));
	lab_doc_para(d, TR(o, "Each TIME_WAIT pins the client's local port for 2 MSL. Here the client has %u ephemeral ports (%u to %u) and opens one short connection after another (the client closes first), with MSL %s:",
			   "每个 TIME_WAIT 都会在 2MSL 内占用客户端的一个本地端口。这里客户端有 %u 个临时端口（%u 到 %u），一个接一个地建立短连接（客户端先关闭），MSL 为 %s："),
		     x.ports, PORT_LO, PORT_LO + x.ports - 1, lab_human(x.msl, t, sizeof(t)));
	struct lab_plot *p = lab_plot_new(TR(o, "TIME_WAITs on the client after each short connection", "每个短连接之后客户端的 TIME_WAIT 数"),
					  TR(o, "connections opened", "已建立的连接数"), "TIME_WAIT");
	x.pile = lab_plot_series(p, TR(o, "MSL as configured: they pile up, then connect() fails", "配置的 MSL：不断累积，然后 connect() 失败"), LAB_POINTS, 1);
	x.short_msl = lab_plot_series(p, TR(o, "MSL 1 s: they level off", "MSL 1 s：保持平稳"), LAB_POINTS, 2);
	st = tw_exhaust(o, d, &x);
	if (!st) {
		lab_doc_para(d, TR(o, "Connection %u finds no free port: connect() fails with EADDRNOTAVAIL (\"address already in use\" in the lesson). The remedies the lesson names, each run:",
				   "第 %u 个连接找不到空闲端口：connect() 以 EADDRNOTAVAIL 失败（课文中的 \"address already in use\"）。课文列出的解决办法，逐一运行："),
			     x.ports + 1);
		x.d = d;
		lab_doc_steps_begin(d);
		tw_remedy(&x, TR(o, "(a) wait", "(a) 等待"), x.wait_what, x.wait_res);
		st |= tw_reuse(o, &x);
		st |= tw_short_msl(o, &x);
		st |= tw_keepalive(o, &x);
	}
	lab_doc_plot(d, "pile", p);
	return st;
}
