/*
 * An adversarial review of the TCP core (src/tcp), part 1: path MTU with
 * timestamps (RFC 1191, RFC 7323), reassembly and FIN (RFC 9293
 * 3.10.7.4), window scaling and the receive buffer (RFC 7323 appendix F),
 * outdated timestamps (RFC 7323 5.5), keep-alive on a half-closed
 * connection (RFC 9293 3.8.4), and, passing and kept, sequence numbers
 * across 2^32 with SACK, timestamps and losses. Loss recovery is in
 * test_review_recovery.c; the raw peer in review_peer.h.
 *
 * Each test here first failed on the code it reviewed; all now pass.
 */
#include "review_peer.h"

#include "app/bulk.h"
#include "stack/stack_internal.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#include <stdlib.h>

/* --- RFC 1191 with RFC 7323: the path MTU counts the timestamp option --- */

/* P (a router on the path, as far as A can tell) sends "fragmentation
 * needed" quoting A's segment with sequence number quote_seq. */
static void peer_icmp_needfrag(struct peer *p, uint16_t mtu, uint32_t quote_seq)
{
	uint8_t icmp[8 + 28];
	memset(icmp, 0, sizeof(icmp));
	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = ICMP_UNREACH_NEEDFRAG;
	store_be16(icmp + 6, mtu);
	struct ipv4_hdr q = {.total_len = 1500,
			     .ttl = 64,
			     .proto = IPV4_PROTO_TCP,
			     .src = FX_ADDR_A,
			     .dst = FX_ADDR_B,
			     .frag = IPV4_FLAG_DF};
	ipv4_emit(icmp + 8, &q);
	store_be16(icmp + 28, 80);
	store_be16(icmp + 30, 4000);
	store_be32(icmp + 32, quote_seq);
	store_be16(icmp + 2, csum_buf(icmp, sizeof(icmp)));
	uint8_t pkt[IPV4_HDR_LEN + sizeof(icmp)];
	struct ipv4_hdr ip = {.total_len = sizeof(pkt),
			      .ttl = 64,
			      .proto = IPV4_PROTO_ICMP,
			      .src = FX_ADDR_B,
			      .dst = FX_ADDR_A};
	ipv4_emit(pkt, &ip);
	memcpy(pkt + IPV4_HDR_LEN, icmp, sizeof(icmp));
	REQUIRE_EQ(utcp_sim_send(p->f->w, p->f->node[FX_B], pkt, sizeof(pkt)), 0);
}

/* The IPv4 datagram that carried a raw segment (A sends no IP options). */
static uint32_t dgram_len(const struct fx_raw_seg *s)
{
	return IPV4_HDR_LEN + s->h.hdr_len + s->len;
}

TEST(review_pmtu_with_timestamps_datagrams_fit_the_reported_mtu)
{
	struct peer p;
	peer_open(&p, false, true, 5000, 1000);
	static uint8_t data[3000];
	REQUIRE_EQ(utcp_send(p.a, p.fd, data, sizeof(data), 0), 3000);
	fx_run(p.f, UTCP_MS(15));
	const struct fx_raw_seg *s[16];
	REQUIRE_EQ(peer_drain(&p, s, 16), 2); /* 2 x 1448 (Nagle holds 104) */
	CHECK_EQ(s[0]->len, 1448);
	CHECK_EQ(dgram_len(s[0]), 1500);
	/* A router: 1000 bytes is all the next link takes. */
	peer_icmp_needfrag(&p, 1000, 5001);
	fx_run(p.f, UTCP_MS(25));
	size_t n = peer_drain(&p, s, 16);
	REQUIRE(n >= 3);
	/* RFC 1191 section 3: no datagram larger than the path MTU. */
	for (size_t i = 0; i < n && i < 16; i++)
		CHECK(dgram_len(s[i]) <= 1000);
	CHECK_EQ(s[0]->len, 1000 - 20 - 20 - 12); /* 948 payload + 12 option bytes */
	CHECK_EQ(peer_info(&p).snd_mss, 948);
	peer_close(&p);
}

/* The same with a path that really drops what does not fit: the
 * connection must still deliver everything. */
TEST(review_pmtu_with_timestamps_transfer_completes)
{
	struct peer p;
	peer_open(&p, false, true, 5000, 1000);
	static uint8_t data[20000];
	REQUIRE_EQ(utcp_send(p.a, p.fd, data, sizeof(data), 0), 20000);
	fx_run(p.f, UTCP_MS(15));
	peer_drain(&p, NULL, 0);
	peer_icmp_needfrag(&p, 1000, 5001);
	/* From now on P plays a router that drops (and reports) anything
	 * over 1000 bytes and a receiver that ACKs what fits. */
	uint32_t rcv_nxt = 5001;
	for (int round = 0; round < 40 && rcv_nxt != 5001 + 20000; round++) {
		fx_run(p.f, UTCP_MS(50));
		const struct fx_raw_seg *s;
		bool too_big = false;
		while ((s = fx_raw_next(p.f)) != NULL) {
			if (s->h.opts.has_ts)
				p.ts_a = s->h.opts.ts_val;
			if (dgram_len(s) > 1000) {
				too_big = true;
				continue;
			}
			if (s->h.seq == rcv_nxt)
				rcv_nxt += s->len;
		}
		if (too_big)
			peer_icmp_needfrag(&p, 1000, rcv_nxt);
		peer_ack(&p, rcv_nxt, 0, NULL);
	}
	CHECK_EQ(rcv_nxt, 5001 + 20000);
	peer_close(&p);
}

/* --- RFC 9293 3.10.7.4: reassembly --- */

TEST(review_ooo_in_order_segment_ending_inside_a_parked_range)
{
	struct peer p;
	peer_open(&p, false, false, 1000, 5000);
	static uint8_t d[600];
	for (unsigned i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 7 + 1);
	/* Two islands beyond RCV.NXT = 5001: [5201, 5301) and [5501, 5601). */
	peer_seg(&p, UTCP_TH_ACK, 5201, 1001, d + 200, 100, 0, NULL);
	peer_seg(&p, UTCP_TH_ACK, 5501, 1001, d + 500, 100, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	peer_drain(&p, NULL, 0);
	/* A retransmission cut differently (a smaller MSS after a PMTU
	 * change, SACK blocks taking option room): [5001, 5551) covers the
	 * first island and ends inside the second. */
	peer_seg(&p, UTCP_TH_ACK, 5001, 1001, d, 550, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	const struct fx_raw_seg *s = fx_raw_next(p.f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.ack, 5601); /* everything up to the end of the second island */
	uint8_t buf[1000];
	long r = utcp_recv(p.a, p.fd, buf, sizeof(buf), 0);
	CHECK_EQ(r, 600);
	if (r == 600)
		CHECK(memcmp(buf, d, 600) == 0);
	peer_close(&p);
}

TEST(review_ooo_fin_on_a_duplicate_of_parked_data_is_kept)
{
	struct peer p;
	peer_open(&p, false, false, 1000, 5000);
	static uint8_t d[200];
	/* Segment 2 arrives ahead of segment 1; then its retransmission
	 * (go-back-N after a timeout), now carrying the FIN; then segment 1. */
	peer_seg(&p, UTCP_TH_ACK, 5101, 1001, d + 100, 100, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	peer_seg(&p, UTCP_TH_ACK | UTCP_TH_FIN, 5101, 1001, d + 100, 100, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	peer_drain(&p, NULL, 0);
	peer_seg(&p, UTCP_TH_ACK, 5001, 1001, d, 100, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	const struct fx_raw_seg *s = fx_raw_next(p.f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.ack, 5202); /* the data and the FIN */
	CHECK_EQ(fx_state(p.f, FX_A, p.fd), UTCP_CLOSE_WAIT);
	peer_close(&p);
}

/* --- RFC 7323 appendix F: window scaling and the receive buffer --- */

TEST(review_scaled_window_rounding_lets_no_peer_overfill_the_buffer)
{
	struct fx_opts o = {.raw_peer = true};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen(f, FX_A, 80, 5000);
	/* P offers window scaling (shift 0): A scales its window by 7 (its
	 * 4 MiB buffer), then the application shrinks SO_RCVBUF to 64 KiB
	 * before any data (the shift stays 7) and reads nothing. */
	struct utcp_tcp_opts so = {.has_mss = true, .mss = 1460, .has_wscale = true, .wscale = 0};
	fx_raw_send(f, 4000, 80, UTCP_TH_SYN, 1000, 0, 65535, NULL, 0, &so);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *sa = fx_raw_next(f);
	REQUIRE(sa != NULL);
	REQUIRE_EQ(sa->h.opts.wscale, 7);
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 1001, 5001, 65535, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	int fd = utcp_accept(a, lfd, NULL);
	REQUIRE(fd >= 0);
	fx_setint(f, FX_A, fd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 65536);
	/* P fills whatever window A offers, then keeps offering 100-byte
	 * segments, one per ACK, as long as the window lets it. */
	static uint8_t d[1000];
	uint32_t seq = 1001, right = 1001 + 65535;
	for (int i = 0; i < 600; i++) {
		uint32_t room = seq_lt(seq, right) ? right - seq : 0;
		uint32_t n = room >= 1000 ? 1000 : room >= 100 ? 100 : 0;
		if (n == 0)
			break;
		fx_raw_send(f, 4000, 80, UTCP_TH_ACK, seq, 5001, 65535, d, n, NULL);
		seq += n;
		fx_run(f, n == 1000 ? UTCP_MS(1) : UTCP_MS(60));
		const struct fx_raw_seg *s;
		while ((s = fx_raw_next(f)) != NULL)
			right = s->h.ack + ((uint32_t)s->h.wnd << 7);
	}
	fx_run(f, UTCP_MS(100));
	/* RFC 7323 appendix F: the window may shrink by the rounding of the
	 * scale rather than grow past the buffer; at most one scale unit
	 * (128 bytes) of slack is tolerable. */
	struct utcp_tcp_info info;
	size_t len = sizeof(info);
	REQUIRE_EQ(utcp_getsockopt(a, fd, UTCP_SOL_TCP, UTCP_TCP_INFO, &info, &len), 0);
	if (info.recv_queue > 65536 + 127)
		test_fail_at(__FILE__, __LINE__,
			     "A holds %u unread bytes with SO_RCVBUF 65536 (window still %u)",
			     info.recv_queue, info.rcv_wnd);
	fx_abort(f, FX_A, fd);
	utcp_close(a, lfd);
	fx_run(f, UTCP_SEC(1));
	CHECK_EQ(fx_sockets_alive(f, FX_A), 0);
	fx_free(f);
}

/* --- RFC 7323 5.5: outdated timestamps after 24 days of silence --- */

TEST(review_ts_recent_is_resynchronised_after_24_days_idle)
{
	struct peer p;
	peer_open(&p, false, true, 1000, 5000);
	peer_seg(&p, UTCP_TH_ACK, p.p_nxt, 1001, "a", 1, 0, NULL);
	p.p_nxt += 1;
	fx_run(p.f, UTCP_MS(100));
	peer_drain(&p, NULL, 0);
	/* 25 days of silence: P's millisecond clock moves past 2^31. */
	fx_run(p.f, UTCP_SEC(25ll * 24 * 3600));
	p.ts_p += (uint32_t)(25ull * 24 * 3600 * 1000);
	uint32_t fresh = p.ts_p;
	peer_seg(&p, UTCP_TH_ACK, p.p_nxt, 1001, "b", 1, 0, NULL);
	p.p_nxt += 1;
	fx_run(p.f, UTCP_MS(100));
	/* TS.Recent was invalid: the segment is taken and rule R3 makes its
	 * TSval the new TS.Recent, which the ACK echoes. */
	const struct fx_raw_seg *s = fx_raw_next(p.f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.ack, p.p_nxt);
	CHECK_EQ(s->h.opts.ts_ecr, fresh);
	p.ts_a = s->h.opts.ts_val;
	/* So an old duplicate from before the fresh timestamp is refused by
	 * PAWS again. */
	uint64_t paws = fx_stats(p.f, FX_A).tcp_drop_paws;
	struct utcp_tcp_opts o = {.has_ts = true, .ts_val = fresh - 500, .ts_ecr = p.ts_a};
	fx_raw_send(p.f, 4000, 80, UTCP_TH_ACK, p.p_nxt, 1001, p.wnd, "c", 1, &o);
	fx_run(p.f, UTCP_MS(100));
	CHECK_EQ(fx_stats(p.f, FX_A).tcp_drop_paws, paws + 1);
	char buf[8];
	CHECK_EQ(utcp_recv(p.a, p.fd, buf, sizeof(buf), 0), 2); /* "ab", not "abc" */
	peer_close(&p);
}

/* --- coverage that passes: sequence numbers across 2^32 with SACK --- */

/* Two stacks with SACK and timestamps; A and B pin their ISNs just below
 * 2^32 so that both directions wrap early in the transfer. */
struct wrap_pair {
	struct fixture *f;
	int lfd, cfd, sfd;
	uint64_t a_sent, a_got, b_sent, b_got;
	bool corrupt;
};

static void wrap_pump(struct wrap_pair *w, uint64_t total)
{
	static uint8_t buf[16384], want[16384];
	struct utcp_stack *a = fx_stack(w->f, FX_A), *b = fx_stack(w->f, FX_B);
	struct {
		struct utcp_stack *s;
		int fd;
		uint64_t *sent, *got, seed_out, seed_in;
	} end[2] = {{a, w->cfd, &w->a_sent, &w->a_got, 11, 22},
		    {b, w->sfd, &w->b_sent, &w->b_got, 22, 11}};
	for (int i = 0; i < 2; i++) {
		while (*end[i].sent < total) {
			uint64_t left = total - *end[i].sent;
			size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
			bulk_stream_fill(end[i].seed_out, *end[i].sent, buf, n);
			long r = utcp_send(end[i].s, end[i].fd, buf, n, 0);
			if (r <= 0)
				break;
			*end[i].sent += (uint64_t)r;
		}
		long r;
		while ((r = utcp_recv(end[i].s, end[i].fd, buf, sizeof(buf), 0)) > 0) {
			bulk_stream_fill(end[i].seed_in, *end[i].got, want, (size_t)r);
			if (memcmp(buf, want, (size_t)r) != 0)
				w->corrupt = true;
			*end[i].got += (uint64_t)r;
		}
	}
}

TEST(review_wrap_both_directions_sack_ts_with_losses)
{
	struct fx_opts o = {.has_cfg = true};
	utcp_stack_config_default(&o.cfg_a);
	utcp_stack_config_default(&o.cfg_b);
	struct fixture *f = fx_new(&o);
	struct wrap_pair w = {.f = f};
	/* A's data wraps after 2000 bytes, B's after 5000. */
	w.lfd = fx_listen(f, FX_B, 80, 0xFFFFFFFFu - 5000);
	w.cfd = fx_connect(f, FX_A, 80, 0xFFFFFFFFu - 2000);
	/* Losses in both directions around the wrap: data segments 2, 3, 5
	 * (A's 2nd segment straddles 2^32) and 11 of A's, 3 and 4 of B's,
	 * and two of B's ACKs. */
	static const uint32_t a_drops[] = {2, 3, 5, 11};
	for (unsigned i = 0; i < 4; i++)
		REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_DATA, a_drops[i], 1), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ba, UTCP_SIM_TCP_DATA, 3, 2), 0);
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ba, UTCP_SIM_TCP_PURE_ACK, 6, 2), 0);
	fx_run(f, UTCP_MS(50));
	w.sfd = utcp_accept(fx_stack(f, FX_B), w.lfd, NULL);
	REQUIRE(w.sfd >= 0);
	const uint64_t total = 300000;
	for (int i = 0; i < 5000 && (w.a_got < total || w.b_got < total); i++) {
		fx_run(f, UTCP_MS(2));
		wrap_pump(&w, total);
	}
	CHECK_EQ(w.a_got, total);
	CHECK_EQ(w.b_got, total);
	CHECK(!w.corrupt);
	fx_run(f, UTCP_SEC(1));
	/* Both ends wrapped: SND.UNA is far past 2^32 from the ISN. */
	CHECK_EQ(review_info(fx_stack(f, FX_A), w.cfd).snd_una, total + 1);
	CHECK_EQ(review_info(fx_stack(f, FX_B), w.sfd).snd_una, total + 1);
	/* SACK recovery repaired the losses (an RTO may add to it, but the
	 * scoreboard must have been used across the wrap). */
	CHECK(fx_stats(f, FX_A).tcp_fast_retransmit >= 1);
	CHECK(fx_stats(f, FX_B).tcp_fast_retransmit >= 1);
	utcp_close(fx_stack(f, FX_A), w.cfd);
	utcp_close(fx_stack(f, FX_B), w.sfd);
	utcp_close(fx_stack(f, FX_B), w.lfd);
	fx_run(f, UTCP_SEC(70));
	CHECK_EQ(fx_sockets_alive(f, FX_A) + fx_sockets_alive(f, FX_B), 0);
	fx_free(f);
}

TEST(review_wrap_receiver_sack_blocks_straddle_2_32)
{
	struct peer p;
	/* P's data starts at 0xFFFFFF01: 255 bytes before the wrap. */
	peer_open(&p, true, false, 1000, 0xFFFFFF00u);
	REQUIRE_EQ(p.p_nxt, 0xFFFFFF01u);
	static uint8_t d[1200];
	for (unsigned i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 13 + 5);
	/* Segments [0, 200) lost; [200, 500) straddles the wrap (0xFFFFFFC9
	 * to 0x000000F5); [700, 900) beyond a second gap. */
	peer_seg(&p, UTCP_TH_ACK, p.p_nxt + 200, 1001, d + 200, 300, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	const struct fx_raw_seg *s = fx_raw_next(p.f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.ack, 0xFFFFFF01u);
	REQUIRE_EQ(s->h.opts.sack_count, 1);
	CHECK_EQ(s->h.opts.sack[0].left, 0xFFFFFFC9u);
	CHECK_EQ(s->h.opts.sack[0].right, 0x000000F5u);
	peer_seg(&p, UTCP_TH_ACK, p.p_nxt + 700, 1001, d + 700, 200, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	s = fx_raw_next(p.f);
	REQUIRE(s != NULL);
	/* RFC 2018 4: the newest island first, then the other. */
	REQUIRE_EQ(s->h.opts.sack_count, 2);
	CHECK_EQ(s->h.opts.sack[0].left, p.p_nxt + 700);
	CHECK_EQ(s->h.opts.sack[0].right, p.p_nxt + 900);
	CHECK_EQ(s->h.opts.sack[1].left, 0xFFFFFFC9u);
	/* The first gap fills: RCV.NXT jumps over the wrap to the second
	 * gap, and only the far island is still reported. */
	peer_seg(&p, UTCP_TH_ACK, p.p_nxt, 1001, d, 200, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	s = fx_raw_next(p.f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.ack, p.p_nxt + 500);
	REQUIRE_EQ(s->h.opts.sack_count, 1);
	CHECK_EQ(s->h.opts.sack[0].left, p.p_nxt + 700);
	peer_seg(&p, UTCP_TH_ACK, p.p_nxt + 500, 1001, d + 500, 200, 0, NULL);
	fx_run(p.f, UTCP_MS(25));
	s = fx_raw_next(p.f);
	REQUIRE(s != NULL);
	CHECK_EQ(s->h.ack, p.p_nxt + 900);
	CHECK_EQ(s->h.opts.sack_count, 0);
	uint8_t buf[1200];
	CHECK_EQ(utcp_recv(p.a, p.fd, buf, sizeof(buf), 0), 900);
	CHECK(memcmp(buf, d, 900) == 0);
	peer_close(&p);
}

/* --- RFC 9293 3.8.4: keep-alives on a half-closed connection --- */

TEST(review_keepalive_probes_a_silent_peer_in_fin_wait_2)
{
	struct peer p;
	peer_open(&p, false, false, 1000, 5000);
	fx_setint(p.f, FX_A, p.fd, UTCP_SOL_SOCKET, UTCP_SO_KEEPALIVE, 1);
	fx_setint(p.f, FX_A, p.fd, UTCP_SOL_TCP, UTCP_TCP_KEEPIDLE, 10);
	fx_setint(p.f, FX_A, p.fd, UTCP_SOL_TCP, UTCP_TCP_KEEPINTVL, 2);
	fx_setint(p.f, FX_A, p.fd, UTCP_SOL_TCP, UTCP_TCP_KEEPCNT, 3);
	/* The application has sent all it had: SHUT_WR. P ACKs the FIN
	 * (A: FIN_WAIT_2, still reading), then P's host dies. */
	REQUIRE_EQ(utcp_shutdown(p.a, p.fd, UTCP_SHUT_WR), 0);
	fx_run(p.f, UTCP_MS(15));
	FX_RAW_EXPECT(p.f, "FIN 1001(0) ack 5001 win 65535");
	peer_ack(&p, 1002, 0, NULL);
	fx_run(p.f, UTCP_MS(15));
	REQUIRE_EQ(fx_state(p.f, FX_A, p.fd), UTCP_FIN_WAIT_2);
	fx_run(p.f, UTCP_SEC(30));
	/* Keep-alives after 10 s idle, every 2 s, then the connection is
	 * given up (as Linux does in FIN_WAIT2 for a socket still open). */
	const struct fx_raw_seg *s[16];
	size_t n = peer_drain(&p, s, 16);
	CHECK(n >= 3);
	if (n >= 1)
		CHECK_EQ(s[0]->h.seq, 1001); /* SND.NXT - 1 */
	CHECK_EQ(fx_so_error(p.f, FX_A, p.fd), ETIMEDOUT);
	utcp_close(p.a, p.fd);
	utcp_close(p.a, p.lfd);
	fx_run(p.f, UTCP_SEC(1));
	CHECK_EQ(fx_sockets_alive(p.f, FX_A), 0);
	fx_free(p.f);
}
