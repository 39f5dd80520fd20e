/* The raw-peer helpers of the review tests; see review_peer.h. */
#include "review_peer.h"

/* A with SACK and timestamps as asked (4 MiB buffers: it offers window
 * scaling, P does not, so no scaling is used). P opens from ISN p_isn. */
void peer_open(struct peer *p, bool sack, bool ts, uint32_t a_isn, uint32_t p_isn)
{
	struct fx_opts o = {.has_cfg = true, .raw_peer = true};
	fx_default_cfg(&o.cfg_a);
	o.cfg_a.sack = sack;
	o.cfg_a.timestamps = ts;
	fx_default_cfg(&o.cfg_b);
	memset(p, 0, sizeof(*p));
	p->f = fx_new(&o);
	p->a = fx_stack(p->f, FX_A);
	p->ts = ts;
	p->ts_p = 1000;
	p->wnd = 65535;
	p->lfd = fx_listen(p->f, FX_A, 80, a_isn);
	struct utcp_tcp_opts so = {.has_mss = true,
				   .mss = 1460,
				   .sack_permitted = sack,
				   .has_ts = ts,
				   .ts_val = p->ts_p++};
	fx_raw_send(p->f, 4000, 80, UTCP_TH_SYN, p_isn, 0, p->wnd, NULL, 0, &so);
	fx_run(p->f, UTCP_MS(20));
	const struct fx_raw_seg *sa = fx_raw_next(p->f);
	REQUIRE(sa != NULL);
	REQUIRE_EQ(sa->h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
	REQUIRE_EQ(sa->h.opts.sack_permitted, sack);
	REQUIRE_EQ(sa->h.opts.has_ts, ts);
	p->a_iss = sa->h.seq;
	p->ts_a = sa->h.opts.ts_val;
	p->p_nxt = p_isn + 1;
	struct utcp_tcp_opts ao = {.has_ts = ts, .ts_val = p->ts_p++, .ts_ecr = p->ts_a};
	fx_raw_send(p->f, 4000, 80, UTCP_TH_ACK, p->p_nxt, p->a_iss + 1, p->wnd, NULL, 0, &ao);
	fx_run(p->f, UTCP_MS(20));
	p->fd = utcp_accept(p->a, p->lfd, NULL);
	REQUIRE(p->fd >= 0);
}

/* P sends a segment (with its timestamp when negotiated) and up to three
 * SACK blocks given as left,right pairs. */
void peer_seg(struct peer *p, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	      uint32_t len, unsigned nblocks, const uint32_t *blocks)
{
	struct utcp_tcp_opts o = {.has_ts = p->ts, .ts_val = p->ts_p++, .ts_ecr = p->ts_a};
	o.sack_count = (uint8_t)nblocks;
	for (unsigned i = 0; i < nblocks; i++) {
		o.sack[i].left = blocks[2 * i];
		o.sack[i].right = blocks[2 * i + 1];
	}
	fx_raw_send(p->f, 4000, 80, flags, seq, ack, p->wnd, data, len, &o);
}

/* A pure ACK from P with SACK blocks. */
void peer_ack(struct peer *p, uint32_t ack, unsigned nblocks, const uint32_t *blocks)
{
	peer_seg(p, UTCP_TH_ACK, p->p_nxt, ack, NULL, 0, nblocks, blocks);
}

/* Read what A sent; returns the number of segments (up to max kept). */
size_t peer_drain(struct peer *p, const struct fx_raw_seg **out, size_t max)
{
	size_t n = 0;
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(p->f)) != NULL) {
		if (s->h.opts.has_ts)
			p->ts_a = s->h.opts.ts_val;
		if (n < max && out)
			out[n] = s;
		n++;
	}
	return n;
}

void peer_close(struct peer *p)
{
	fx_abort(p->f, FX_A, p->fd);
	utcp_close(p->a, p->lfd);
	fx_run(p->f, UTCP_SEC(1));
	CHECK_EQ(fx_sockets_alive(p->f, FX_A), 0);
	fx_free(p->f);
}

struct utcp_tcp_info review_info(struct utcp_stack *s, int fd)
{
	struct utcp_tcp_info info;
	size_t len = sizeof(info);
	REQUIRE_EQ(utcp_getsockopt(s, fd, UTCP_SOL_TCP, UTCP_TCP_INFO, &info, &len), 0);
	return info;
}

struct utcp_tcp_info peer_info(struct peer *p)
{
	return review_info(p->a, p->fd);
}

/* A sends ten 1460-byte segments 1001..15601 (initial window). */
void ten_segments(struct peer *p, uint32_t total)
{
	static uint8_t data[65536];
	REQUIRE(total <= sizeof(data));
	REQUIRE_EQ(utcp_send(p->a, p->fd, data, total, 0), (long)total);
	fx_run(p->f, UTCP_MS(15));
	const struct fx_raw_seg *s[16];
	REQUIRE_EQ(peer_drain(p, s, 16), 10);
	REQUIRE_EQ(s[0]->h.seq, 1001);
	REQUIRE_EQ(s[9]->h.seq, 1001 + 9 * 1460);
}

/* An IPv4 datagram from P:4000 to A:80 (no options), for utcp_stack_input. */
size_t review_dgram(uint8_t *pkt, size_t cap, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct fx_dgram d = {.len = 0};
	d.h = (struct tcp_hdr){
	    .sport = 4000, .dport = 80, .seq = seq, .ack = ack, .flags = flags, .wnd = 65535};
	return fx_dgram_build(&d, pkt, cap);
}
