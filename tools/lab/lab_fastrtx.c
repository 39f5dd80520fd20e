/*
 * Lesson L3, fast retransmit: A sends six segments M1 ... M6; M3 is lost.
 * B acknowledges M1 and M2, then answers each of M4, M5, M6 at once with
 * a duplicate ACK for M2; on the third duplicate A sends M3 again without
 * waiting for its retransmission timer. --drop N loses another segment
 * (with --drop 5 or 6 too few duplicates come, and the timer must fire).
 */
#include "lab.h"

#include <string.h>

#define FR_PORT 80
#define FR_SEGS 6
#define WAIT UTCP_SEC(600)

struct fr {
	struct lab_world lw;
	int lfd, afd, bfd;
	uint32_t mss, drop;
};

static int fr_run(struct fr *r, const struct lab_opts *o)
{
	struct lab_world_cfg c;
	lab_world_cfg_init(&c, o);
	c.names[0] = "A";
	c.names[1] = "B";
	struct lab_world *lw = &r->lw;
	int err = lab_world_open(lw, &c, o, "fast-retransmit");
	if (err)
		return err;
	utcp_sim_drop_nth(lw->w, lw->ch[0], UTCP_SIM_TCP_DATA, r->drop, 1);
	r->lfd = lab_socket(lw, LAB_B, r->mss, 16384, 16384, true, 800);
	if (r->lfd < 0)
		return r->lfd;
	/* The lesson's receiver acknowledges M1 and M2 each: no delayed ACKs. */
	lab_setint(lw, LAB_B, r->lfd, UTCP_SOL_TCP, UTCP_TCP_QUICKACK, 1);
	if ((err = lab_listen(lw, LAB_B, r->lfd, FR_PORT)) != 0)
		return err;
	r->afd = lab_socket(lw, LAB_A, r->mss, 16384, 16384, true, 100);
	if (r->afd < 0 || (err = lab_connect(lw, LAB_A, r->afd, 0, FR_PORT)) != 0)
		return r->afd < 0 ? r->afd : err;
	if (!lab_run_until_ready(lw, LAB_A, r->afd, UTCP_POLLOUT | UTCP_POLLERR, WAIT) ||
	    !lab_run_until_ready(lw, LAB_B, r->lfd, UTCP_POLLIN, WAIT))
		return -ETIMEDOUT;
	if ((r->bfd = utcp_accept(lw->s[LAB_B], r->lfd, NULL)) < 0)
		return r->bfd;
	lab_run_for(lw, UTCP_MS(10));
	static uint8_t data[FR_SEGS * 1460];
	if (utcp_send(lw->s[LAB_A], r->afd, data, FR_SEGS * r->mss, 0) != (ssize_t)(FR_SEGS * r->mss))
		return -EIO;
	/* until B has all six */
	struct utcp_tcp_info i;
	for (int k = 0; k < 200; k++) {
		size_t len = sizeof(i);
		lab_run_for(lw, UTCP_MS(50));
		if (utcp_getsockopt(lw->s[LAB_A], r->afd, UTCP_SOL_TCP, UTCP_TCP_INFO, &i, &len) == 0 &&
		    i.unacked == 0 && i.send_queue == 0)
			return 0;
	}
	return -ETIMEDOUT;
}

/* "M3" for a data segment of A, from its sequence number. */
static int m_of(const struct lab_arrow *a, uint32_t first_seq, uint32_t mss)
{
	return a->from == LAB_A && a->seg.len ? (int)((a->seg.seq - first_seq) / mss) + 1 : 0;
}

/* When A's retransmission timer, armed as `a` left, would have fired. */
static utcp_time_us rtx_deadline(const struct lab_world *lw, const struct lab_arrow *a)
{
	utcp_time_us exp = UTCP_TIME_NEVER;
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host == LAB_A && e->ev.type == UTCP_TR_TIMER && e->ev.at == a->t_send &&
		    e->ev.u.timer.kind == UTCP_TIMER_RTX && e->ev.u.timer.action == UTCP_TIMER_ARM)
			exp = e->ev.u.timer.expires_at;
	}
	return exp;
}

static void fr_table(struct lab_doc *d, const struct lab_seq *s, uint32_t first, uint32_t mss,
		     const struct lab_opts *o)
{
	struct lab_table *t = lab_doc_table(d, 5, LAB_COL(0) | LAB_COL(1));
	t->mono = LAB_COL(3);
	lab_table_row(t, "#", "t (ms)", TR(o, "from -> to", "方向"), TR(o, "segment", "报文段"),
		      TR(o, "what it is", "说明"));
	uint32_t last_ack = 0;
	int dups = 0;
	for (size_t i = 0; i < s->n_a; i++) {
		const struct lab_arrow *a = &s->a[i];
		char num[24], tm[24], dir[40], what[80] = "";
		int m = m_of(a, first, mss);
		if (m)
			snprintf(what, sizeof(what), "M%d%s%s", m,
				 a->rtx ? TR(o, " again", " 重传") : "", a->lost ? TR(o, ": lost", "：丢失") : "");
		else if (a->from == LAB_B && (a->seg.flags & UTCP_TH_ACK) && !(a->seg.flags & UTCP_TH_SYN)) {
			if (a->seg.ack == last_ack)
				snprintf(what, sizeof(what), TR(o, "duplicate ACK %d", "第 %d 个重复确认"), ++dups);
			else if (a->seg.ack > first)
				snprintf(what, sizeof(what), TR(o, "ACK of M%u", "确认 M%u"),
					 (a->seg.ack - first) / mss);
			last_ack = a->seg.ack;
		}
		snprintf(num, sizeof(num), "%zu", i + 1);
		snprintf(dir, sizeof(dir), "%s -> %s", s->name[a->from], s->name[1 - a->from]);
		lab_table_row(t, num, lab_ms(a->t_send - s->t0, tm, sizeof(tm)), dir, a->label, what);
	}
}

static void fr_narrate(struct lab_doc *d, const struct lab_world *lw, const struct lab_seq *s,
		       uint32_t first, uint32_t mss, const struct lab_opts *o)
{
	char t[3][24];
	const struct lab_arrow *lost = NULL, *again = NULL;
	for (size_t i = 0; i < s->n_a; i++) {
		if (s->a[i].lost && m_of(&s->a[i], first, mss) && !lost)
			lost = &s->a[i];
		if (lost && s->a[i].rtx && s->a[i].seg.seq == lost->seg.seq && !again)
			again = &s->a[i];
	}
	lab_doc_steps_begin(d);
	lab_doc_step(d, TR(o, "A's window allows all six segments at once: M1 ... M6 leave at %s ms, sequence numbers %u to %u, %u bytes each.",
			   "A 的窗口允许一次发出全部六个报文段：M1 … M6 在 %s ms 发出，序号 %u 到 %u，每段 %u 字节。"),
		     lab_ms(0, t[0], 24), first, first + FR_SEGS * mss - 1, mss);
	if (!lost) {
		lab_doc_step(d, "%s", TR(o, "Nothing was lost this time.", "这次没有丢包。"));
		return;
	}
	int m = m_of(lost, first, mss), dups = 0;
	uint32_t hole = lost->seg.seq;
	for (size_t i = 0; i < s->n_a; i++)
		dups += s->a[i].from == LAB_B && s->a[i].seg.ack == hole && !s->a[i].lost;
	lab_doc_step(d, TR(o, "M%d is lost. B takes the segments before it in order and acknowledges each; its ACK number then stays at %u, the first byte it is missing.",
			   "M%d 丢失。B 按序收下它之前的报文段并逐个确认；之后它的确认号停在 %u，即它缺少的第一个字节。"),
		     m, hole);
	lab_doc_step(d, TR(o, "Each segment after the hole arrives out of order, and B answers it at once with a duplicate ACK, `ack %u` again (RFC 5681 4.2): %d times in all acknowledge the same byte, %d of them duplicates.",
			   "洞之后的每个报文段都是失序到达的，B 立即用一个重复确认应答，再次发送 `ack %u`（RFC 5681 4.2）：同一个字节共被确认 %d 次，其中 %d 次是重复确认。"),
		     hole, dups, dups > 0 ? dups - 1 : 0);
	utcp_time_us deadline = rtx_deadline(lw, lost);
	if (again && dups - 1 >= 3)
		lab_doc_step(d, TR(o, "On the third duplicate A sends M%d again at %s ms, %s after it first left, without waiting for its retransmission timer, which would have fired at %s ms: fast retransmit.",
				   "收到第三个重复确认时，A 重传 M%d，时间 %s ms（首次发送后 %s），不等重传定时器（它本应在 %s ms 超时）：这就是快重传。"),
			     m, lab_ms(again->t_send - s->t0, t[1], 24),
			     lab_human(again->t_send - lost->t_send, t[2], 24),
			     deadline == UTCP_TIME_NEVER ? "?" : lab_ms(deadline - s->t0, t[0], 24));
	else if (again)
		lab_doc_step(d, TR(o, "Only %d duplicate ACK(s) came, fewer than three: A had to wait for its retransmission timer and sent M%d again at %s ms.",
				   "只来了 %d 个重复确认，不足三个：A 只能等待重传定时器，重传 M%d 的时间是 %s ms。"),
			     dups > 0 ? dups - 1 : 0, m, lab_ms(again->t_send - s->t0, t[1], 24));
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host == LAB_A && e->ev.type == UTCP_TR_CC && e->ev.u.cc.why == UTCP_CC_FAST_RETRANSMIT)
			lab_doc_step(d, TR(o, "Fast recovery: ssthresh = half of the %u bytes in flight = %u, cwnd = ssthresh + 3 segments = %u (not 1 segment, as after a timeout): the three duplicates say three segments have left the network.",
					   "快恢复：ssthresh = 在途 %u 字节的一半 = %u，cwnd = ssthresh + 3 个报文段 = %u（而不是超时后的 1 个报文段）：三个重复确认说明已有三个报文段离开了网络。"),
				     e->ev.u.cc.flight, e->ev.u.cc.ssthresh, e->ev.u.cc.cwnd);
	}
	size_t p = again ? (size_t)(again - s->a) : s->n_a;
	const struct lab_arrow *full = lab_seq_find(s, &p, LAB_B, UTCP_TH_ACK, 0, 0, false);
	if (full)
		lab_doc_step(d, TR(o, "M%d fills the hole: B acknowledges everything it holds at once, `%s`.",
				   "M%d 填上了空洞：B 立即确认它持有的全部数据，`%s`。"),
			     m, full->label);
}

int lab_fast_retransmit(const struct lab_opts *o, struct lab_doc *d)
{
	struct fr r = {.mss = lab_u32(o->mss, 1000), .drop = lab_u32(o->drop, 3)};
	lab_doc_intro(d, "%s", TR(o, "A receiver that gets a segment out of order says so at once, with a duplicate ACK; three of them tell the sender a segment is lost, long before its retransmission timer would.",
				  "接收方收到失序的报文段时立即用重复确认告知发送方；三个重复确认让发送方知道有报文段丢失，远早于重传定时器超时。"));
	int err = fr_run(&r, o);
	if (err) {
		lab_world_close(&r.lw);
		return lab_fail("fast-retransmit", "the transfer did not complete", err);
	}
	struct lab_world *lw = &r.lw;
	size_t from = 0;
	for (; from < lw->n_ev; from++)
		if (lw->ev[from].host == LAB_A && lw->ev[from].ev.type == UTCP_TR_SEG_OUT &&
		    lw->ev[from].ev.u.seg.len)
			break;
	uint32_t first = from < lw->n_ev ? lw->ev[from].ev.u.seg.seq : 0;
	struct lab_seq *s = lab_seq_build(lw, from, 0, 0, NULL);
	char t[24];
	lab_doc_head(d, TR(o, "M1 ... M6, M%u lost", "M1 … M6，M%u 丢失"), r.drop);
	lab_doc_para(d, TR(o, "After the handshake (not drawn), A sends six segments of %u bytes to B over a path with a round-trip time of %s; the network loses M%u. Times are counted from the first data segment.",
			   "握手之后（图中未画出），A 向 B 发送六个 %u 字节的报文段，路径往返时间 %s；网络丢失了 M%u。时间从第一个数据报文段算起。"),
		     r.mss, lab_human(2 * lw->delay, t, sizeof(t)), r.drop);
	lab_doc_seq(d, "seq", s);
	fr_narrate(d, lw, s, first, r.mss, o);
	fr_table(d, s, first, r.mss, o);
	lab_doc_note(d, "%s", TR(o, "The lesson quotes about 20% more throughput with fast retransmit than without. Here the lost segment is repaired one round trip after the duplicates begin instead of one retransmission timeout (at least 200 ms) after it was sent.",
				 "课文提到，采用快重传比不采用时吞吐量约提高 20%。在这里，丢失的报文段在重复确认开始后一个往返时间内就被修复，而不必等到发送后一个重传超时（至少 200 ms）。"));
	lab_doc_files(d, lw);
	lab_world_close(lw);
	return 0;
}
