/*
 * Lesson L1: connection timing. The client (ISN 100) connects to the
 * server (ISN 800), both announcing MSS 1024; the client sends 20 bytes,
 * the server answers with 10 (its ACK riding on them), both close. Then
 * a SYN to a port where nothing listens (RST, ECONNREFUSED), and a lost
 * data segment sent again after the retransmission timeout.
 *
 * The applications react to what arrives (not to fixed times), so --rtt,
 * --loss and the rest change the run and the diagram follows.
 */
#include "lab.h"

#include <string.h>

#define L1_PORT 80
#define L1_CLOSED_PORT 6666 /* the lesson's example of a port nobody uses */
#define WAIT UTCP_SEC(600)  /* patience for any one step, even with --loss */

struct l1 {
	uint32_t cisn, sisn, mss;
	struct lab_world lw;
	int lfd, cfd, sfd;
};

/* Listener and client socket as the lesson sets them up: 4 KiB buffers
 * (so no window scaling), MSS and ISNs pinned; the client connects. */
static int l1_open(struct l1 *r, const struct lab_opts *o, const char *stem, uint16_t port)
{
	struct lab_world_cfg c;
	lab_world_cfg_init(&c, o);
	int err = lab_world_open(&r->lw, &c, o, stem);
	if (err)
		return err;
	r->lfd = lab_socket(&r->lw, LAB_B, r->mss, 4096, 4096, true, r->sisn);
	if (r->lfd < 0 || (err = lab_listen(&r->lw, LAB_B, r->lfd, L1_PORT)) != 0)
		return r->lfd < 0 ? r->lfd : err;
	r->cfd = lab_socket(&r->lw, LAB_A, r->mss, 4096, 4096, true, r->cisn);
	if (r->cfd < 0)
		return r->cfd;
	return lab_connect(&r->lw, LAB_A, r->cfd, 0, port);
}

/* The handshake, then the data both ways. Returns 0 or -errno. */
static int l1_exchange(struct l1 *r)
{
	struct lab_world *lw = &r->lw;
	char buf[64];
	if (!lab_run_until_ready(lw, LAB_A, r->cfd, UTCP_POLLOUT | UTCP_POLLERR, WAIT) ||
	    !lab_run_until_ready(lw, LAB_B, r->lfd, UTCP_POLLIN, WAIT))
		return -ETIMEDOUT;
	if ((r->sfd = utcp_accept(lw->s[LAB_B], r->lfd, NULL)) < 0)
		return r->sfd;
	lab_run_for(lw, UTCP_MS(10)); /* the client's application thinks */
	if (utcp_send(lw->s[LAB_A], r->cfd, "twenty bytes of data", 20, 0) != 20)
		return -EIO;
	/* The server answers 5 ms after the data arrives: within its
	 * delayed-ACK time (40 ms), so the ACK rides on the answer. */
	if (!lab_run_until_ready(lw, LAB_B, r->sfd, UTCP_POLLIN, WAIT))
		return -ETIMEDOUT;
	lab_run_for(lw, UTCP_MS(5));
	if (utcp_recv(lw->s[LAB_B], r->sfd, buf, sizeof(buf), 0) != 20 ||
	    utcp_send(lw->s[LAB_B], r->sfd, "ten bytes!", 10, 0) != 10)
		return -EIO;
	if (!lab_run_until_ready(lw, LAB_A, r->cfd, UTCP_POLLIN, WAIT))
		return -ETIMEDOUT;
	return utcp_recv(lw->s[LAB_A], r->cfd, buf, sizeof(buf), 0) == 10 ? 0 : -EIO;
}

static bool all_closed(void *ctx)
{
	struct lab_world *lw = ctx;
	return lab_count(lw, LAB_A, UTCP_TIME_WAIT) == 0 &&
	       lab_count(lw, LAB_B, UTCP_LAST_ACK) == 0;
}

/* The four-way close: the client first (100 ms after reading, so that its
 * delayed ACK of the 10 bytes left alone), the server 100 ms after it
 * sees the end of the stream; then TIME_WAIT runs out. */
static int l1_close(struct l1 *r)
{
	struct lab_world *lw = &r->lw;
	lab_run_for(lw, UTCP_MS(100));
	if (lab_close_eof(lw, r->cfd, r->sfd) != 0)
		return -EIO;
	lab_run_for(lw, UTCP_MS(100));
	utcp_close(lw->s[LAB_B], r->sfd);
	utcp_sim_run_while(lw->w, all_closed, lw, lab_now(lw) + WAIT);
	return all_closed(lw) ? 0 : -ETIMEDOUT;
}

/* The lesson's ten segments, found in the run by what they are. */
struct l1_segs {
	const struct lab_arrow *syn, *sa, *ack, *data, *reply, *dack, *fin1, *fack, *fin2, *last;
};

static bool l1_find(const struct lab_seq *s, struct l1_segs *g)
{
	size_t p = 0, q = 0;
	g->syn = lab_seq_find(s, &p, LAB_A, UTCP_TH_SYN, 0, -1, false);
	g->sa = lab_seq_find(s, &p, LAB_B, UTCP_TH_SYN | UTCP_TH_ACK, 0, -1, false);
	g->ack = lab_seq_find(s, &p, LAB_A, UTCP_TH_ACK, UTCP_TH_SYN, 0, false);
	g->data = lab_seq_find(s, &q, LAB_A, 0, 0, 1, false);
	g->reply = lab_seq_find(s, &q, LAB_B, 0, 0, 1, false);
	g->dack = lab_seq_find(s, &q, LAB_A, UTCP_TH_ACK, UTCP_TH_FIN, 0, false);
	g->fin1 = lab_seq_find(s, &q, LAB_A, UTCP_TH_FIN, 0, -1, false);
	size_t q2 = q;
	g->fack = lab_seq_find(s, &q, LAB_B, UTCP_TH_ACK, UTCP_TH_FIN, 0, false);
	g->fin2 = lab_seq_find(s, &q2, LAB_B, UTCP_TH_FIN, 0, -1, false);
	g->last = g->fin2 ? lab_seq_find(s, &q2, LAB_A, UTCP_TH_ACK, UTCP_TH_FIN, 0, true) : NULL;
	return g->syn && g->sa && g->ack && g->data && g->reply && g->dack && g->fin1 && g->fack &&
	       g->fin2 && g->last;
}

/* Steps 1-6: the handshake and the data. */
static void l1_narrate_open(struct lab_doc *d, const struct lab_seq *s, const struct l1_segs *g,
			    const struct lab_opts *o)
{
	char t[4][24];
	const struct lab_arrow *syn = g->syn, *sa = g->sa, *ack = g->ack, *data = g->data,
			       *reply = g->reply, *dack = g->dack;
	uint32_t mss = syn->seg.opts.mss;
	lab_doc_steps_begin(d);
	lab_doc_step(d, TR(o, "t = %s ms: the client calls connect(): CLOSED -> SYN_SENT. It sends `%s`: the SYN flag, its initial sequence number %u, no data, and the largest segment it accepts (MSS %u).",
			   "t = %s ms：客户端调用 connect()，CLOSED -> SYN_SENT，发出 `%s`：SYN 标志，初始序号 %u，不带数据，并声明最大报文段长度 MSS %u。"),
		     lab_ms(syn->t_send - s->t0, t[0], 24), syn->label, syn->seg.seq, mss);
	lab_doc_step(d, TR(o, "t = %s ms: the server, in LISTEN, takes the SYN (-> SYN_RCVD) and answers `%s`: its own ISN %u, SYN and ACK in one segment; ack %u = %u + 1 because a SYN takes one sequence number.",
			   "t = %s ms：处于 LISTEN 的服务器收到 SYN（-> SYN_RCVD），应答 `%s`：自己的初始序号 %u，SYN 与 ACK 在同一个报文段中；确认号 %u = %u + 1，因为 SYN 占一个序号。"),
		     lab_ms(sa->t_send - s->t0, t[1], 24), sa->label, sa->seg.seq, sa->seg.ack, syn->seg.seq);
	lab_doc_step(d, TR(o, "t = %s ms: the client is ESTABLISHED and sends the handshake's third segment, `%s`; at %s ms it reaches the server, which is ESTABLISHED too. Three segments: the three-way handshake.",
			   "t = %s ms：客户端进入 ESTABLISHED，发出三次握手的第三个报文段 `%s`；%s ms 时它到达服务器，服务器也进入 ESTABLISHED。"),
		     lab_ms(ack->t_send - s->t0, t[2], 24), ack->label, lab_ms(ack->t_recv - s->t0, t[3], 24));
	lab_doc_step(d, TR(o, "t = %s ms: the client sends %u bytes, `%s`: sequence numbers %u to %u.",
			   "t = %s ms：客户端发送 %u 字节数据 `%s`：序号 %u 到 %u。"),
		     lab_ms(data->t_send - s->t0, t[0], 24), data->seg.len, data->label, data->seg.seq, data->seg.seq + data->seg.len - 1);
	lab_doc_step(d, TR(o, "t = %s ms: the server sends `%s`: ack %u says it has every byte before %u and waits for %u; in the same segment it sends %u bytes of its own (%u to %u). The ACK rides on the data.",
			   "t = %s ms：服务器发出 `%s`：确认号 %u 表示它已收到 %u 之前的全部字节，期待 %u；同一报文段还带有自己的 %u 字节数据（%u 到 %u）。应答搭载在数据上。"),
		     lab_ms(reply->t_send - s->t0, t[1], 24), reply->label, reply->seg.ack, reply->seg.ack, reply->seg.ack, reply->seg.len, reply->seg.seq, reply->seg.seq + reply->seg.len - 1);
	lab_doc_step(d, TR(o, "t = %s ms: the client acknowledges them, `%s`, %s ms after they arrived: its delayed-ACK timer, waiting in case data could carry the ACK.",
			   "t = %s ms：客户端发出 `%s` 确认这些数据，在数据到达 %s ms 之后：这是延迟确认定时器，它在等待是否有数据可以捎带这个 ACK。"),
		     lab_ms(dack->t_send - s->t0, t[2], 24), dack->label, lab_ms(dack->t_send - reply->t_recv, t[3], 24));
}

/* Steps 7-11: the four-way close and TIME_WAIT. */
static void l1_narrate_close(struct lab_doc *d, const struct lab_seq *s, const struct l1_segs *g,
			     const struct lab_opts *o)
{
	char t[7][24];
	const struct lab_arrow *fin1 = g->fin1, *fack = g->fack, *fin2 = g->fin2, *last = g->last;
	lab_doc_step(d, TR(o, "t = %s ms: the client calls close(): ESTABLISHED -> FIN_WAIT_1, `%s`. The FIN takes sequence number %u; nothing more will come from the client.",
			   "t = %s ms：客户端调用 close()：ESTABLISHED -> FIN_WAIT_1，发出 `%s`。FIN 占序号 %u；客户端不会再发送数据。"),
		     lab_ms(fin1->t_send - s->t0, t[0], 24), fin1->label, fin1->seg.seq);
	lab_doc_step(d, TR(o, "t = %s ms: the server acknowledges the FIN, `%s` (ack %u = %u + 1), and is in CLOSE_WAIT: half closed, it could still send. The client, acknowledged, is in FIN_WAIT_2.",
			   "t = %s ms：服务器确认 FIN，发出 `%s`（确认号 %u = %u + 1），进入 CLOSE_WAIT：半关闭，它仍可以发送数据。客户端收到确认后进入 FIN_WAIT_2。"),
		     lab_ms(fack->t_send - s->t0, t[1], 24), fack->label, fack->seg.ack, fin1->seg.seq);
	lab_doc_step(d, TR(o, "t = %s ms: the server's application has read the end of the stream and closes too: CLOSE_WAIT -> LAST_ACK, `%s`.",
			   "t = %s ms：服务器的应用程序读到数据流结束后也关闭：CLOSE_WAIT -> LAST_ACK，发出 `%s`。"),
		     lab_ms(fin2->t_send - s->t0, t[2], 24), fin2->label);
	if (last->lost)
		lab_doc_step(d, TR(o, "t = %s ms: the client acknowledges it, `%s`, and enters TIME_WAIT; but this ACK is lost (see below). Four segments: the four-way close.",
				   "t = %s ms：客户端发出 `%s` 确认，进入 TIME_WAIT；但这个 ACK 丢失了（见下文）。四个报文段：四次挥手。"),
			     lab_ms(last->t_send - s->t0, t[3], 24), last->label);
	else
		lab_doc_step(d, TR(o, "t = %s ms: the client acknowledges it, `%s`, and enters TIME_WAIT; the ACK reaches the server at %s ms, which is CLOSED. Four segments: the four-way close.",
				   "t = %s ms：客户端发出 `%s` 确认，进入 TIME_WAIT；该 ACK 在 %s ms 到达服务器，服务器进入 CLOSED。四个报文段：四次挥手。"),
			     lab_ms(last->t_send - s->t0, t[3], 24), last->label, lab_ms(last->t_recv - s->t0, t[4], 24));
	/* TIME_WAIT lasts 2 MSL from the client's last ACK: a FIN sent
	 * again (when that ACK was lost) starts the wait over. */
	utcp_time_us closed = UTCP_TIME_NEVER, ack_at = UTCP_TIME_NEVER;
	for (size_t i = 0; i < s->n_m; i++)
		if (s->m[i].host == LAB_A && s->m[i].from == UTCP_TIME_WAIT)
			closed = s->m[i].t;
	for (size_t i = 0; i < s->n_a; i++)
		if (s->a[i].from == LAB_A && closed != UTCP_TIME_NEVER && s->a[i].t_send < closed)
			ack_at = s->a[i].t_send;
	if (closed != UTCP_TIME_NEVER && ack_at != UTCP_TIME_NEVER)
		lab_doc_step(d, TR(o, "t = %s ms: %s (2 MSL) after its last ACK, the client's connection leaves TIME_WAIT: CLOSED.",
				   "t = %s ms：最后一个 ACK 发出 %s（2MSL）之后，客户端连接离开 TIME_WAIT，进入 CLOSED。"),
			     lab_ms(closed - s->t0, t[5], 24), lab_human(closed - ack_at, t[6], 24));
}

/* The numbered narration, from the segments of the run. */
static void l1_narrate(struct lab_doc *d, const struct lab_seq *s, const struct lab_opts *o)
{
	struct l1_segs g;
	if (!l1_find(s, &g)) {
		lab_doc_para(d, "%s", TR(o, "(The run did not have the lesson's shape; the diagram above shows what happened.)",
					 "（这次运行与课文的形状不同；上图是实际发生的情况。）"));
		return;
	}
	l1_narrate_open(d, s, &g, o);
	l1_narrate_close(d, s, &g, o);
}

/* Run 1: the lesson's connection, start to end. */
static int l1_main(const struct lab_opts *o, struct lab_doc *d, struct l1 *r, struct lab_fsm *fsm)
{
	int err = l1_open(r, o, "handshake", L1_PORT);
	if (!err)
		err = l1_exchange(r);
	if (!err)
		err = l1_close(r);
	if (err) {
		lab_world_close(&r->lw);
		return lab_fail("handshake", "the connection did not complete", err);
	}
	struct lab_world *lw = &r->lw;
	struct lab_seq *s = lab_seq_build(lw, 0, 0, LAB_LBL_OPTS, NULL);
	char st[256];
	lab_doc_head(d, "%s", TR(o, "Three-way handshake, data, four-way close",
				 "三次握手、数据传输、四次挥手"));
	lab_doc_para(d, TR(o, "Client 10.0.0.1 (ISN %u) connects to server 10.0.0.2 port %u (ISN %u); both announce MSS %u. One-way delay %s. Time runs down; each arrow is one segment, leaving one end and arriving at the other later.",
			   "客户端 10.0.0.1（初始序号 %u）连接服务器 10.0.0.2 的 %u 端口（初始序号 %u）；双方都声明 MSS %u。单向时延 %s。时间自上而下；每个箭头是一个报文段，从一端发出，稍后到达另一端。"),
		     r->cisn, L1_PORT, r->sisn, r->mss, lab_human(lw->delay, st, sizeof(st)));
	lab_doc_seq(d, "seq", s);
	l1_narrate(d, s, o);
	lab_doc_losses(d, lw, s, o);
	lab_doc_segments(d, s, o);
	uint32_t scid = lab_conn_entering(lw, LAB_B, UTCP_SYN_RCVD, 0);
	lab_doc_states(d, "client", lab_states(lw, LAB_A, lab_conn_entering(lw, LAB_A, UTCP_SYN_SENT, 0), st, sizeof(st)));
	lab_doc_states(d, "server", lab_states(lw, LAB_B, scid, st, sizeof(st)));
	lab_doc_note(d, "%s", TR(o, "The lesson numbers these segments 2-7 and 10-13 (1, 8, 9 and 14 are the applications' calls). Each segment is written `flags seq(length) ack n <options>`, as the lesson writes it.",
				 "课文中这些报文段编号为 2-7 和 10-13（1、8、9、14 是应用程序的调用）。报文段写作 `标志 序号(长度) ack 确认号 <选项>`，与课文相同。"));
	lab_doc_files(d, lw);
	lab_fsm_add_world(fsm, lw);
	lab_world_close(lw);
	return 0;
}

/* Run 2: a SYN to a port where nothing listens. */
static int l1_refused(const struct lab_opts *o, struct lab_doc *d, struct l1 *r)
{
	int err = l1_open(r, o, "handshake-refused", L1_CLOSED_PORT);
	if (err) {
		lab_world_close(&r->lw);
		return lab_fail("handshake", "setting up the refused connection failed", err);
	}
	struct lab_world *lw = &r->lw;
	lab_run_until_ready(lw, LAB_A, r->cfd, UTCP_POLLERR | UTCP_POLLOUT, WAIT);
	int so = lab_so_error(lw, LAB_A, r->cfd);
	struct lab_seq *s = lab_seq_build(lw, 0, 0, LAB_LBL_OPTS, NULL);
	char st[256], t[1][24];
	size_t p = 0;
	const struct lab_arrow *syn = lab_seq_find(s, &p, LAB_A, UTCP_TH_SYN, 0, -1, false);
	const struct lab_arrow *rst = lab_seq_find(s, &p, LAB_B, UTCP_TH_RST, 0, -1, false);
	lab_doc_head(d, "%s", TR(o, "A SYN to a closed port", "向没有监听的端口发送 SYN"));
	lab_doc_seq(d, "refused", s);
	lab_doc_steps_begin(d);
	if (syn && rst) {
		lab_doc_step(d, TR(o, "t = %s ms: the client sends `%s` to port %u, where no program listens.",
				   "t = %s ms：客户端发送 `%s`，目标端口 %u 上没有任何程序在监听。"),
			     lab_ms(syn->t_send - s->t0, t[0], 24), syn->label, L1_CLOSED_PORT);
		lab_doc_step(d, TR(o, "The server has no connection and no listener for it, so it answers `%s`: RST with ack %u, the SYN's sequence number + 1 (RFC 9293 3.10.7.1).",
				   "服务器既没有这个连接也没有监听者，于是应答 `%s`：带 RST 标志，确认号 %u 即 SYN 的序号加 1（RFC 9293 3.10.7.1）。"),
			     rst->label, rst->seg.ack);
	}
	lab_doc_step(d, TR(o, "The client's connect() fails: SO_ERROR is %s, \"connection refused\". Its states: %s.",
			   "客户端的 connect() 失败：SO_ERROR 为 %s，即“连接被拒绝”。其状态：%s。"),
		     lab_errname(so), lab_states(lw, LAB_A, lab_conn_entering(lw, LAB_A, UTCP_SYN_SENT, 0), st, sizeof(st)));
	lab_doc_files(d, lw);
	lab_world_close(lw);
	return so == ECONNREFUSED ? 0 : lab_fail("handshake", "the SYN to a closed port was not refused", so);
}

/* Run 3: the client's data segment is lost once; the retransmission
 * timer sends it again. The run stops when it has been acknowledged. */
static int l1_lost(const struct lab_opts *o, struct lab_doc *d, struct l1 *r)
{
	int err = l1_open(r, o, "handshake-lost", L1_PORT);
	if (!err)
		err = utcp_sim_drop_nth(r->lw.w, r->lw.ch[0], UTCP_SIM_TCP_DATA, 1, 1);
	if (!err)
		err = l1_exchange(r);
	if (err) {
		lab_world_close(&r->lw);
		return lab_fail("handshake", "the run with a lost segment did not complete", err);
	}
	struct lab_world *lw = &r->lw;
	lab_run_for(lw, UTCP_MS(100)); /* the client's ACK of the answer */
	struct lab_seq *s = lab_seq_build(lw, 0, 0, LAB_LBL_OPTS, NULL);
	lab_doc_head(d, "%s", TR(o, "A lost segment is sent again", "丢失的报文段被重传"));
	lab_doc_para(d, "%s", TR(o, "The same connection, but the network loses the client's first data segment. The client keeps the data until it is acknowledged; when no ACK comes within the retransmission timeout (RTO: at least 200 ms, more when the round trip is long), it sends the data again.",
				 "同样的连接，但网络丢失了客户端的第一个数据报文段。客户端在数据被确认之前一直保留它；在重传超时（RTO，至少 200 ms，往返时间长时更长）之内没有收到确认，就再次发送。"));
	lab_doc_seq(d, "lost", s);
	lab_doc_steps_begin(d);
	lab_doc_losses(d, lw, s, o);
	lab_doc_files(d, lw);
	lab_world_close(lw);
	return 0;
}

int lab_handshake(const struct lab_opts *o, struct lab_doc *d)
{
	struct l1 r = {.cisn = lab_u32(o->client_isn, 100), .sisn = lab_u32(o->server_isn, 800),
		       .mss = lab_u32(o->mss, 1024)};
	struct lab_fsm fsm = {0};
	lab_doc_intro(d, "%s", TR(o, "How a TCP connection is opened, used and closed, segment by segment: the time-sequence diagram of the lesson, from a real run of two utcp stacks on a simulated link.",
				  "一个 TCP 连接如何逐个报文段地建立、使用和关闭：课文中的时序图，由两个 utcp 协议栈在模拟链路上的真实运行生成。"));
	int st = l1_main(o, d, &r, &fsm);
	st |= l1_refused(o, d, &r);
	st |= l1_lost(o, d, &r);
	return st;
}
