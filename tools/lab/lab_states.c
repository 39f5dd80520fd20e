/*
 * Lesson L4: the state machine. Short runs that between them take every
 * transition of the RFC 9293 diagram utcp has: active and passive open
 * and close, simultaneous open and close, FIN and ACK in one segment
 * (FIN_WAIT_1 -> TIME_WAIT), close in SYN_RCVD, a RST back to LISTEN, a
 * connect timeout, a reset from a synchronized state. Each run is drawn;
 * the state diagram at the end marks the transitions they took.
 */
#include "lab.h"

#include <string.h>

#define WAIT UTCP_SEC(600)

struct st {
	struct lab_world lw;
	int lfd, a, b; /* listener (B), A's and B's connection */
	const struct lab_opts *o;
	char what[512]; /* the narration, when it carries a number from the run */
};

static int st_open(struct st *r, const struct lab_opts *o, const char *stem)
{
	struct lab_world_cfg c;
	lab_world_cfg_init(&c, o);
	r->lfd = r->a = r->b = -1;
	r->o = o;
	r->what[0] = '\0';
	return lab_world_open(&r->lw, &c, o, stem);
}

static bool quiet(void *ctx)
{
	struct lab_world *lw = ctx;
	for (int h = 0; h < 2; h++) {
		uint32_t n[UTCP_NUM_STATES];
		utcp_count_by_state(lw->s[h], n);
		for (int s = 0; s < UTCP_NUM_STATES; s++)
			if (n[s] && s != UTCP_LISTEN)
				return false;
	}
	return true;
}

/* Run until no connection is left but listeners (TIME_WAIT included). */
static void st_drain(struct st *r)
{
	utcp_sim_run_while(r->lw.w, quiet, &r->lw, lab_now(&r->lw) + WAIT);
}

/* Each connection's states, one line each, in the order they appeared. */
static void st_states(struct lab_doc *d, const struct lab_world *lw, const struct lab_opts *o)
{
	uint32_t seen[2][16] = {{0}};
	size_t n[2] = {0, 0};
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->ev.type != UTCP_TR_STATE)
			continue;
		bool dup = false;
		for (size_t k = 0; k < n[e->host]; k++)
			dup |= seen[e->host][k] == e->ev.conn_id;
		if (dup || n[e->host] == 16)
			continue;
		seen[e->host][n[e->host]++] = e->ev.conn_id;
		char st[256], who[48];
		lab_states(lw, e->host, e->ev.conn_id, st, sizeof(st));
		bool listener = e->ev.u.state.to == UTCP_LISTEN && e->ev.u.state.from == UTCP_CLOSED;
		snprintf(who, sizeof(who), "%s%s", lw->name[e->host],
			 listener ? TR(o, " (listening)", "（监听）") : "");
		lab_doc_states(d, who, st);
	}
}

/* The report every run shares: heading, what it shows, the diagram, the
 * transitions it took, each connection's states; and the transitions go
 * into the lesson's state diagram. */
static void st_report(struct lab_doc *d, struct st *r, const char *id, const char *title,
		      const char *what, struct lab_fsm *fsm)
{
	const struct lab_opts *o = r->o;
	lab_doc_head(d, "%s", title);
	lab_doc_para(d, "%s", what);
	struct lab_seq *s = lab_seq_build(&r->lw, 0, 0, LAB_LBL_OPTS, NULL);
	lab_doc_seq(d, id, s);
	lab_doc_transitions(d, s, o);
	st_states(d, &r->lw, o);
	lab_doc_files(d, &r->lw);
	lab_fsm_add_world(fsm, &r->lw);
	lab_world_close(&r->lw);
}

/* How a run begins, before its own moves. */
enum st_start {
	ST_BARE,     /* nothing: the run makes its own sockets */
	ST_LISTEN,   /* lab_pair() without accepting: A's SYN is on its way */
	ST_ACCEPTED, /* lab_pair() up to B's accept() */
	ST_CROSSED,  /* A (port 1000, ISN 100) and B (port 2000, ISN 300)
		      * connect to each other at the same moment */
};

static int st_cross(struct st *r)
{
	struct lab_world *lw = &r->lw;
	struct utcp_sockaddr la = {0, 1000}, lb = {0, 2000};
	int err = 0;
	r->a = lab_socket(lw, LAB_A, 0, 4096, 4096, true, 100);
	r->b = lab_socket(lw, LAB_B, 0, 4096, 4096, true, 300);
	if (r->a < 0 || r->b < 0)
		return r->a < 0 ? r->a : r->b;
	if ((err = utcp_bind(lw->s[LAB_A], r->a, &la)) ||
	    (err = utcp_bind(lw->s[LAB_B], r->b, &lb)))
		return err;
	if ((err = lab_connect(lw, LAB_A, r->a, 0, 2000)))
		return err;
	return lab_connect(lw, LAB_B, r->b, 0, 1000);
}

static int st_start(struct st *r, enum st_start how)
{
	switch (how) {
	case ST_LISTEN:
		return lab_pair(&r->lw, false, &r->lfd, &r->a, &r->b);
	case ST_ACCEPTED:
		return lab_pair(&r->lw, true, &r->lfd, &r->a, &r->b);
	case ST_CROSSED:
		return st_cross(r);
	case ST_BARE:
		break;
	}
	return 0;
}

/* `after` later the server closes its connection, 100 ms on its listener. */
static void st_server_closes(struct st *r, utcp_time_us after)
{
	struct lab_world *lw = &r->lw;
	lab_run_for(lw, after);
	utcp_close(lw->s[LAB_B], r->b);
	lab_run_for(lw, UTCP_MS(100));
	utcp_close(lw->s[LAB_B], r->lfd);
}

/* A run's own moves, after its start. Returns 0 or -errno. Where the
 * narration carries a number from the run, the moves write it into
 * r->what; otherwise the run's table entry has it. */
typedef int st_moves_fn(struct st *r);

/* Active open, data-less close by the client, passive close. */
static int st_normal(struct st *r)
{
	int err = lab_close_eof(&r->lw, r->a, r->b);
	if (!err)
		st_server_closes(r, UTCP_MS(100));
	return err;
}

/* Both ends opened at once (bound ports); they close at once too. */
static int st_simultaneous(struct st *r)
{
	lab_run_for(&r->lw, UTCP_MS(100));
	utcp_close(r->lw.s[LAB_A], r->a);
	utcp_close(r->lw.s[LAB_B], r->b);
	return 0;
}

/* The server's ACK of the client's FIN is lost; its own FIN, sent soon
 * after, acknowledges the client's too: FIN_WAIT_1 -> TIME_WAIT. */
static int st_finack(struct st *r)
{
	struct lab_world *lw = &r->lw;
	utcp_sim_drop_nth(lw->w, lw->ch[1], UTCP_SIM_TCP_PURE_ACK, 1, 1);
	int err = lab_close_eof(lw, r->a, r->b);
	if (!err)
		st_server_closes(r, UTCP_MS(20)); /* well within the client's RTO */
	return err;
}

/* A simultaneous open, and one end closes while in SYN_RCVD. */
static int st_synrcvd_close(struct st *r)
{
	struct lab_world *lw = &r->lw;
	char buf[8];
	lab_run_until(lw, lw->delay); /* the SYNs have crossed (inclusive) */
	utcp_close(lw->s[LAB_A], r->a);
	lab_run_for(lw, UTCP_MS(100));
	utcp_recv(lw->s[LAB_B], r->b, buf, sizeof(buf), 0);
	utcp_close(lw->s[LAB_B], r->b);
	return 0;
}

/* The client gives up before the SYN,ACK arrives; its stack answers that
 * with RST, which sends the server's half-open connection back. */
static int st_rst_listen(struct st *r)
{
	struct lab_world *lw = &r->lw;
	lab_run_for(lw, UTCP_MS(5));
	utcp_close(lw->s[LAB_A], r->a);
	lab_run_for(lw, UTCP_MS(100));
	utcp_close(lw->s[LAB_B], r->lfd);
	return 0;
}

/* Nobody answers the SYN: retries with a doubling timer, then ETIMEDOUT. */
static int st_timeout(struct st *r)
{
	struct lab_world *lw = &r->lw;
	int err = 0;
	r->a = lab_socket(lw, LAB_A, 0, 4096, 4096, true, 100);
	if (r->a < 0)
		return r->a;
	/* 10.0.0.9: no host has it; the server's IP drops what reaches it */
	if ((err = lab_connect(lw, LAB_A, r->a, utcp_ipv4(10, 0, 0, 9), 80)))
		return err;
	lab_run_until_ready(lw, LAB_A, r->a, UTCP_POLLERR | UTCP_POLLOUT, UTCP_SEC(3600));
	snprintf(r->what, sizeof(r->what),
		 TR(r->o, "The client connects to 10.0.0.9, where no host answers. Its SYN is sent again each time the retransmission timer expires, the timer doubling from 1 s (RFC 6298), for more than three minutes (RFC 9293 MUST-23); then connect() fails with %s: SYN_SENT -> CLOSED.",
		    "客户端连接 10.0.0.9，那里没有主机应答。每次重传定时器超时就重发 SYN，定时器从 1 s 开始加倍（RFC 6298），持续三分钟以上（RFC 9293 MUST-23）；然后 connect() 以 %s 失败：SYN_SENT -> CLOSED。"),
		 lab_errname(lab_so_error(lw, LAB_A, r->a)));
	return 0;
}

/* An abort (SO_LINGER 0) resets an established connection. */
static int st_reset(struct st *r)
{
	struct lab_world *lw = &r->lw;
	struct utcp_linger lg = {1, 0};
	char buf[8];
	utcp_setsockopt(lw->s[LAB_A], r->a, UTCP_SOL_SOCKET, UTCP_SO_LINGER, &lg, sizeof(lg));
	utcp_close(lw->s[LAB_A], r->a);
	lab_run_for(lw, UTCP_MS(50));
	ssize_t got = utcp_recv(lw->s[LAB_B], r->b, buf, sizeof(buf), 0);
	utcp_close(lw->s[LAB_B], r->b);
	utcp_close(lw->s[LAB_B], r->lfd);
	snprintf(r->what, sizeof(r->what),
		 TR(r->o, "The client aborts: close() with SO_LINGER {1, 0} sends RST instead of FIN and keeps no state. The server's connection, ESTABLISHED, goes to CLOSED at once; its recv() returns %s (connection reset). A reset leaves no TIME_WAIT.",
		    "客户端中止连接：SO_LINGER 为 {1, 0} 的 close() 发出 RST 而不是 FIN，不保留任何状态。服务器处于 ESTABLISHED 的连接立即进入 CLOSED；它的 recv() 返回 %s（连接被重置）。复位不会留下 TIME_WAIT。"),
		 got < 0 ? lab_errname((int)got) : "0");
	return 0;
}

struct st_run {
	const char *stem, *id; /* its files (DIR/stem.pcap), its diagram */
	const char *failed;    /* for stderr, when it fails */
	enum st_start start;
	st_moves_fn *moves;
	const char *title_en, *title_zh;
	const char *what_en, *what_zh; /* NULL: the moves write it */
};

/* The runs, in the order the lesson shows them. */
static const struct st_run st_runs[] = {
	{"states-normal", "normal", "the open-close run failed",
	 ST_ACCEPTED, st_normal,
	 "Open, close, wait", "打开、关闭、等待",
	 "The everyday path: the server listens, the client opens actively and closes first (FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT), the server closes passively (CLOSE_WAIT, LAST_ACK), then stops listening.",
	 "最常见的路径：服务器监听，客户端主动打开并先关闭（FIN_WAIT_1、FIN_WAIT_2、TIME_WAIT），服务器被动关闭（CLOSE_WAIT、LAST_ACK），然后停止监听。"},
	{"states-simultaneous", "simultaneous", "the simultaneous run failed",
	 ST_CROSSED, st_simultaneous,
	 "Simultaneous open, simultaneous close", "同时打开，同时关闭",
	 "Both ends call connect() to each other at the same moment, from fixed ports: the SYNs cross, each end goes SYN_SENT -> SYN_RCVD and answers with SYN,ACK. Later both close at the same moment: the FINs cross, each end goes FIN_WAIT_1 -> CLOSING, and both wait in TIME_WAIT.",
	 "两端在同一时刻从固定端口互相调用 connect()：两个 SYN 交叉而过，每一端都经历 SYN_SENT -> SYN_RCVD 并用 SYN,ACK 应答。之后双方同时关闭：两个 FIN 交叉，每一端经历 FIN_WAIT_1 -> CLOSING，双方都进入 TIME_WAIT。"},
	{"states-finack", "finack", "the FIN,ACK run failed",
	 ST_ACCEPTED, st_finack,
	 "FIN and ACK in one segment", "FIN 与 ACK 在同一个报文段中",
	 "The client closes; the server's ACK of that FIN is lost, and the server closes 20 ms later. Its FIN carries the ACK of the client's FIN, so the client, still in FIN_WAIT_1, goes straight to TIME_WAIT.",
	 "客户端关闭；服务器对该 FIN 的确认丢失了，20 ms 后服务器也关闭。服务器的 FIN 同时确认了客户端的 FIN，所以仍处于 FIN_WAIT_1 的客户端直接进入 TIME_WAIT。"},
	{"states-synrcvd", "synrcvd", "the SYN_RCVD close run failed",
	 ST_CROSSED, st_synrcvd_close,
	 "Close in SYN_RCVD", "在 SYN_RCVD 中关闭",
	 "A simultaneous open again, but the client closes just after the SYNs crossed, while in SYN_RCVD. RFC 9293 (3.10.4) has it send a FIN at once and enter FIN_WAIT_1; see below what utcp does.",
	 "再次同时打开，但客户端在两个 SYN 交叉之后、处于 SYN_RCVD 时立即关闭。RFC 9293（3.10.4）要求立即发送 FIN 并进入 FIN_WAIT_1；utcp 的实际行为见下。"},
	{"states-rst", "rst", "the RST run failed",
	 ST_LISTEN, st_rst_listen,
	 "A RST in SYN_RCVD: back to LISTEN", "SYN_RCVD 中收到 RST：回到 LISTEN",
	 "The client calls connect() and closes the socket 5 ms later, before the SYN,ACK arrives (SYN_SENT -> CLOSED). When it arrives, the client has no such connection and answers with RST; the server's half-open connection, in SYN_RCVD, goes back to LISTEN: it is gone, the listener stays.",
	 "客户端调用 connect()，5 ms 后在 SYN,ACK 到达之前关闭套接字（SYN_SENT -> CLOSED）。SYN,ACK 到达时客户端已没有这个连接，于是用 RST 应答；服务器处于 SYN_RCVD 的半打开连接回到 LISTEN：这个连接消失，监听套接字仍在。"},
	{"states-timeout", "timeout", "the timeout run failed",
	 ST_BARE, st_timeout,
	 "Connect timeout", "连接超时", NULL, NULL},
	{"states-reset", "reset", "the reset run failed",
	 ST_ACCEPTED, st_reset,
	 "Reset from a synchronized state", "已同步状态下的复位", NULL, NULL},
};

/* One run: its world, start and moves; then, once only listeners are
 * left, its report. Returns 0, or 1 when it failed (said on stderr). */
static int st_run(const struct st_run *run, const struct lab_opts *o, struct lab_doc *d,
		  struct lab_fsm *fsm)
{
	struct st r;
	int err = st_open(&r, o, run->stem);
	if (!err)
		err = st_start(&r, run->start);
	if (!err)
		err = run->moves(&r);
	if (err) {
		lab_world_close(&r.lw);
		return lab_fail("states", run->failed, err);
	}
	st_drain(&r);
	st_report(d, &r, run->id, TR(o, run->title_en, run->title_zh),
		  run->what_en ? TR(o, run->what_en, run->what_zh) : r.what, fsm);
	return 0;
}

int lab_states_lesson(const struct lab_opts *o, struct lab_doc *d)
{
	struct lab_fsm fsm = {0};
	lab_doc_intro(d, "%s", TR(o, "The eleven states of a TCP connection and the transitions between them (RFC 9293 section 3.3.2). Each run below takes some of them; the state diagram at the end marks every transition the runs took.",
				  "TCP 连接的十一个状态以及它们之间的转换（RFC 9293 3.3.2 节）。下面每次运行经过其中一部分；最后的状态图标出了这些运行走过的每一条转换。"));
	int st = 0;
	for (size_t i = 0; i < sizeof(st_runs) / sizeof(st_runs[0]); i++)
		st |= st_run(&st_runs[i], o, d, &fsm);
	lab_doc_head(d, "%s", TR(o, "The state diagram, with the transitions taken", "状态图，标出走过的转换"));
	lab_doc_fsm(d, "fsm", &fsm);
	lab_doc_note(d, "%s", TR(o, "LISTEN -> SYN_SENT (a listening socket that sends data) is in the RFC's diagram, but the socket API has no way to ask for it: no stack that offers sockets takes it.",
				 "LISTEN -> SYN_SENT（监听套接字发送数据）出现在 RFC 的图中，但套接字 API 无法请求它：提供套接字接口的协议栈都不会走这条转换。"));
	if (!lab_fsm_taken(&fsm, UTCP_SYN_RCVD, UTCP_FIN_WAIT_1))
		lab_doc_note(d, "%s", TR(o, "SYN_RCVD -> FIN_WAIT_1 was not taken: utcp keeps a close() made in SYN_RCVD until the handshake completes, then goes ESTABLISHED -> FIN_WAIT_1 (as the run above shows), where RFC 9293 3.10.4 says to send the FIN and enter FIN_WAIT_1 at once. The lab shows what the stack does.",
					 "SYN_RCVD -> FIN_WAIT_1 没有出现：utcp 把在 SYN_RCVD 中调用的 close() 推迟到握手完成之后，再经 ESTABLISHED -> FIN_WAIT_1（如上面的运行所示），而 RFC 9293 3.10.4 要求立即发送 FIN 并进入 FIN_WAIT_1。实验显示的是协议栈的实际行为。"));
	return st;
}
