/*
 * Lesson L5: half-close. shutdown(SHUT_WR) sends a FIN and ends sending
 * (EPIPE), yet the end still receives until the peer closes; SHUT_RD
 * discards what arrives later; close() drops one reference (a dup'ed
 * descriptor keeps the connection), shutdown() acts on the connection
 * whatever the references. Every call below is made on the stack and its
 * real return value printed.
 */
#include "lab.h"

#include <stdlib.h>
#include <string.h>

struct hc {
	struct lab_world lw;
	int lfd, a, b;
	struct lab_doc *d;
	const struct lab_opts *o;
	char *steps[32]; /* the calls as they happen; shown after the diagram */
	size_t n_steps;
};

static int hc_open(struct hc *h, const char *stem)
{
	struct lab_world_cfg c;
	lab_world_cfg_init(&c, h->o);
	int err = lab_world_open(&h->lw, &c, h->o, stem);
	if (err)
		return err;
	return lab_pair(&h->lw, true, &h->lfd, &h->a, &h->b);
}

/* A step of the narration: a call, its result, why. */
static void hc_step(struct hc *h, int who, const char *call, long result, const char *why)
{
	char t[24], res[48];
	if (result < 0)
		snprintf(res, sizeof(res), "-%s", lab_errname((int)result));
	else
		snprintf(res, sizeof(res), "%ld", result);
	if (h->n_steps < sizeof(h->steps) / sizeof(h->steps[0]))
		h->steps[h->n_steps++] =
			lab_strf(TR(h->o, "t = %s ms, %s: `%s` = `%s`. %s", "t = %s ms，%s：`%s` = `%s`。%s"),
				 lab_ms(lab_now(&h->lw), t, sizeof(t)), h->lw.name[who], call, res, why);
}

/* The run's report: what it shows, the diagram, the calls, the states. */
static void hc_end(struct hc *h, const char *id, const char *title, const char *what,
		   struct lab_fsm *fsm)
{
	char st[256];
	struct lab_world *lw = &h->lw;
	lab_doc_head(h->d, "%s", title);
	lab_doc_para(h->d, "%s", what);
	lab_doc_seq(h->d, id, lab_seq_build(lw, 0, 0, 0, NULL));
	lab_doc_steps_begin(h->d);
	for (size_t i = 0; i < h->n_steps; i++) {
		lab_doc_step(h->d, "%s", h->steps[i]);
		free(h->steps[i]);
	}
	h->n_steps = 0;
	lab_doc_states(h->d, "client", lab_states(lw, LAB_A, lab_conn_entering(lw, LAB_A, UTCP_SYN_SENT, 0), st, sizeof(st)));
	lab_doc_states(h->d, "server", lab_states(lw, LAB_B, lab_conn_entering(lw, LAB_B, UTCP_SYN_RCVD, 0), st, sizeof(st)));
	lab_doc_files(h->d, lw);
	lab_fsm_add_world(fsm, lw);
	lab_world_close(lw);
}

static long recv_all(struct hc *h, int host, int fd)
{
	char buf[4096];
	long total = 0;
	ssize_t n;
	while ((n = utcp_recv(h->lw.s[host], fd, buf, sizeof(buf), 0)) > 0)
		total += n;
	return total ? total : n;
}

/* A's segments so far (to show that a call sent nothing). */
static size_t a_sent(const struct hc *h)
{
	size_t n = 0;
	for (size_t i = 0; i < h->lw.n_ev; i++)
		n += h->lw.ev[i].host == LAB_A && h->lw.ev[i].ev.type == UTCP_TR_SEG_OUT;
	return n;
}

/* 1: shutdown(SHUT_WR): no more sending, still receiving. */
static int hc_shut_wr(struct hc *h, struct lab_fsm *fsm)
{
	int err = hc_open(h, "half-close-shut-wr");
	if (err)
		return err;
	struct lab_world *lw = &h->lw;
	struct utcp_stack *a = lw->s[LAB_A], *b = lw->s[LAB_B];
	const struct lab_opts *o = h->o;
	static char data[3000];
	memset(data, 'x', sizeof(data));
	hc_step(h, LAB_A, "shutdown(fd, SHUT_WR)", utcp_shutdown(a, h->a, UTCP_SHUT_WR),
		TR(o, "A FIN goes out: the client will send nothing more.", "发出 FIN：客户端不再发送数据。"));
	hc_step(h, LAB_A, "send(fd, \"more\", 4)", (long)utcp_send(a, h->a, "more", 4, 0),
		TR(o, "Sending after SHUT_WR is an error.", "SHUT_WR 之后发送是错误。"));
	lab_run_for(lw, UTCP_MS(50));
	hc_step(h, LAB_B, "recv(fd, buf, 4096)", recv_all(h, LAB_B, h->b),
		TR(o, "The server sees the end of the client's stream (0), in CLOSE_WAIT; it may still send.",
		   "服务器读到客户端数据流的结束（0），处于 CLOSE_WAIT；它仍可以发送。"));
	hc_step(h, LAB_B, "send(fd, buf, 3000)", (long)utcp_send(b, h->b, data, sizeof(data), 0),
		TR(o, "The server goes on sending.", "服务器继续发送。"));
	lab_run_for(lw, UTCP_MS(100));
	hc_step(h, LAB_A, "recv(fd, buf, 4096) ...", recv_all(h, LAB_A, h->a),
		TR(o, "The half-closed client receives every byte.", "半关闭的客户端收到了全部字节。"));
	hc_step(h, LAB_B, "close(fd)", utcp_close(b, h->b), TR(o, "The server closes too.", "服务器也关闭。"));
	lab_run_for(lw, UTCP_MS(50));
	hc_step(h, LAB_A, "recv(fd, buf, 4096)", recv_all(h, LAB_A, h->a),
		TR(o, "End of stream for the client, now in TIME_WAIT.", "客户端读到数据流结束，此时处于 TIME_WAIT。"));
	utcp_close(a, h->a);
	hc_end(h, "shut-wr", TR(o, "shutdown(SHUT_WR): stop sending, keep receiving", "shutdown(SHUT_WR)：停止发送，继续接收"),
	       TR(o, "The client half-closes its side; the server, in CLOSE_WAIT, sends 3000 bytes before it closes.",
		  "客户端关闭自己的发送方向；处于 CLOSE_WAIT 的服务器在关闭之前又发送了 3000 字节。"),
	       fsm);
	return 0;
}

/* 2: close() on one of two descriptors sends nothing. */
static int hc_dup_close(struct hc *h, struct lab_fsm *fsm)
{
	int err = hc_open(h, "half-close-dup");
	if (err)
		return err;
	struct lab_world *lw = &h->lw;
	struct utcp_stack *a = lw->s[LAB_A];
	const struct lab_opts *o = h->o;
	int fd2 = utcp_dup(a, h->a);
	hc_step(h, LAB_A, "fd2 = dup(fd)", fd2, TR(o, "Two descriptors, one connection.", "两个描述符，同一个连接。"));
	size_t before = a_sent(h);
	hc_step(h, LAB_A, "close(fd)", utcp_close(a, h->a),
		TR(o, "Only a reference goes: the connection lives on.", "只是少了一个引用：连接继续存在。"));
	lab_run_for(lw, UTCP_MS(100));
	char what[160];
	snprintf(what, sizeof(what), TR(o, "In 100 ms the client sent %zu segments: no FIN.", "100 ms 内客户端发送了 %zu 个报文段：没有 FIN。"),
		 a_sent(h) - before);
	hc_step(h, LAB_A, "send(fd2, \"via dup\", 7)", (long)utcp_send(a, fd2, "via dup", 7, 0), what);
	lab_run_for(lw, UTCP_MS(100));
	hc_step(h, LAB_B, "recv(fd, buf, 4096)", recv_all(h, LAB_B, h->b),
		TR(o, "The data sent through the second descriptor arrives.", "通过第二个描述符发送的数据到达。"));
	hc_step(h, LAB_A, "close(fd2)", utcp_close(a, fd2),
		TR(o, "The last reference: now the FIN goes.", "最后一个引用：现在才发出 FIN。"));
	lab_run_for(lw, UTCP_MS(100));
	utcp_close(lw->s[LAB_B], h->b);
	lab_run_for(lw, UTCP_MS(100));
	hc_end(h, "dup", TR(o, "close() drops one reference", "close() 只减少一个引用"),
	       TR(o, "The client duplicates its descriptor and closes one copy: nothing happens on the wire until the last one is closed.",
		  "客户端复制描述符并关闭其中一个：直到最后一个被关闭之前，线路上什么也不发生。"),
	       fsm);
	return 0;
}

/* 3: shutdown() acts on the connection, whatever the references. */
static int hc_dup_shutdown(struct hc *h, struct lab_fsm *fsm)
{
	int err = hc_open(h, "half-close-shutdown");
	if (err)
		return err;
	struct lab_world *lw = &h->lw;
	struct utcp_stack *a = lw->s[LAB_A], *b = lw->s[LAB_B];
	const struct lab_opts *o = h->o;
	int fd2 = utcp_dup(a, h->a);
	hc_step(h, LAB_A, "fd2 = dup(fd)", fd2, TR(o, "Two descriptors again.", "又是两个描述符。"));
	hc_step(h, LAB_A, "shutdown(fd, SHUT_WR)", utcp_shutdown(a, h->a, UTCP_SHUT_WR),
		TR(o, "The FIN goes at once, although fd2 is still open.", "虽然 fd2 仍然打开，FIN 立即发出。"));
	hc_step(h, LAB_A, "send(fd2, \"x\", 1)", (long)utcp_send(a, fd2, "x", 1, 0),
		TR(o, "The other descriptor cannot send either: the connection's sending side is shut.",
		   "另一个描述符也不能发送：连接的发送方向已经关闭。"));
	lab_run_for(lw, UTCP_MS(50));
	hc_step(h, LAB_B, "send(fd, \"to dup\", 6)", (long)utcp_send(b, h->b, "to dup", 6, 0),
		TR(o, "The server answers.", "服务器应答。"));
	lab_run_for(lw, UTCP_MS(100));
	hc_step(h, LAB_A, "recv(fd2, buf, 4096)", recv_all(h, LAB_A, fd2),
		TR(o, "Reading goes on through either descriptor.", "通过任一描述符都可以继续读取。"));
	utcp_close(a, h->a);
	utcp_close(a, fd2);
	utcp_close(b, h->b);
	lab_run_for(lw, UTCP_MS(100));
	hc_end(h, "shutdown", TR(o, "shutdown() acts on the connection", "shutdown() 作用于连接本身"),
	       TR(o, "The same two descriptors, but shutdown() instead of close(): the lesson's \"one process's shutdown stops the others too\".",
		  "同样是两个描述符，但调用 shutdown() 而不是 close()：正如课文所说，一个进程调用 shutdown 后其他进程也无法通信。"),
	       fsm);
	return 0;
}

/* 4: SHUT_RD: what arrives later is acknowledged and thrown away. */
static int hc_shut_rd(struct hc *h, struct lab_fsm *fsm)
{
	int err = hc_open(h, "half-close-shut-rd");
	if (err)
		return err;
	struct lab_world *lw = &h->lw;
	struct utcp_stack *a = lw->s[LAB_A], *b = lw->s[LAB_B];
	const struct lab_opts *o = h->o;
	hc_step(h, LAB_B, "send(fd, \"early\", 5)", (long)utcp_send(b, h->b, "early", 5, 0),
		TR(o, "Five bytes the client will never read.", "客户端永远不会读取的 5 个字节。"));
	lab_run_for(lw, UTCP_MS(100));
	hc_step(h, LAB_A, "shutdown(fd, SHUT_RD)", utcp_shutdown(a, h->a, UTCP_SHUT_RD),
		TR(o, "Nothing is sent: SHUT_RD concerns this end only.", "不发送任何报文：SHUT_RD 只影响本端。"));
	hc_step(h, LAB_A, "recv(fd, buf, 4096)", recv_all(h, LAB_A, h->a),
		TR(o, "End of stream at once; the unread bytes are gone.", "立即读到数据流结束；未读的字节被丢弃。"));
	hc_step(h, LAB_B, "send(fd, \"late data\", 9)", (long)utcp_send(b, h->b, "late data", 9, 0),
		TR(o, "The server sends more.", "服务器继续发送。"));
	lab_run_for(lw, UTCP_MS(100));
	hc_step(h, LAB_A, "recv(fd, buf, 4096)", recv_all(h, LAB_A, h->a),
		TR(o, "Acknowledged (see the diagram) so the server is not stuck, but discarded.",
		   "已被确认（见时序图），所以服务器不会卡住，但数据被丢弃。"));
	hc_step(h, LAB_A, "send(fd, \"still\", 5)", (long)utcp_send(a, h->a, "still", 5, 0),
		TR(o, "Sending still works.", "仍然可以发送。"));
	lab_run_for(lw, UTCP_MS(100));
	hc_step(h, LAB_B, "recv(fd, buf, 4096)", recv_all(h, LAB_B, h->b),
		TR(o, "The server gets it.", "服务器收到了。"));
	utcp_close(a, h->a);
	lab_run_for(lw, UTCP_MS(100));
	utcp_close(b, h->b);
	lab_run_for(lw, UTCP_MS(100));
	hc_end(h, "shut-rd", TR(o, "shutdown(SHUT_RD): stop reading", "shutdown(SHUT_RD)：停止读取"),
	       TR(o, "SHUT_RD closes the reading side: unread data and whatever arrives later is discarded; SHUT_RDWR would be SHUT_RD and SHUT_WR together.",
		  "SHUT_RD 关闭读方向：未读的数据以及之后到达的数据都被丢弃；SHUT_RDWR 相当于同时执行 SHUT_RD 和 SHUT_WR。"),
	       fsm);
	return 0;
}

int lab_half_close(const struct lab_opts *o, struct lab_doc *d)
{
	struct lab_fsm fsm = {0};
	lab_doc_intro(d, "%s", TR(o, "A TCP connection has two directions, and each can be closed alone. close() gives up a descriptor (the connection ends when the last one goes); shutdown() acts on the connection itself.",
				  "TCP 连接有两个方向，每个方向都可以单独关闭。close() 放弃一个描述符（最后一个描述符关闭时连接才结束）；shutdown() 直接作用于连接本身。"));
	int (*const runs[])(struct hc *, struct lab_fsm *) = {hc_shut_wr, hc_dup_close,
							       hc_dup_shutdown, hc_shut_rd};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct hc h = {.d = d, .o = o};
		int err = runs[i](&h, &fsm);
		if (err) {
			for (size_t k = 0; k < h.n_steps; k++)
				free(h.steps[k]);
			lab_world_close(&h.lw);
			return lab_fail("half-close", "a run failed", err);
		}
	}
	return 0;
}
