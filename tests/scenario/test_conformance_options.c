/*
 * RFC 9293 conformance, TCP options (section 3.1, 3.2; docs/CONFORMANCE.md):
 * EOL, NOP and MSS understood (MUST-4), options taken on any segment
 * (MUST-5), unknown ones skipped (MUST-6), options at any alignment
 * (MUST-64), and option lists that break the rules (a missing or illegal
 * length: MUST-68, MUST-7) survived. Every test puts the option bytes on
 * the wire by hand (fx_raw_send_dgram), as a peer might send them.
 *
 * A listens on port 80 with ISS 1000 (4 KiB buffers unless a test says
 * otherwise); the raw peer P connects from port 4000 with ISN 5000.
 */
#include "fixture.h"

#include "wire/ipv4.h"

/* P sends a segment carrying the raw option bytes opts (n a multiple of 4). */
static void send_opts(struct fixture *f, uint8_t flags, uint32_t seq, uint32_t ack,
		      const uint8_t *opts, size_t n, const char *data)
{
	struct fx_dgram d = {.tcp_opts = opts, .tcp_opts_len = n, .data = data,
			     .len = data ? strlen(data) : 0};
	d.h = (struct tcp_hdr){.sport = FX_PP, .dport = 80, .seq = seq, .ack = ack, .flags = flags,
			       .wnd = 8192};
	fx_raw_send_dgram(f, &d);
}

/* P's SYN carries exactly these option bytes; A answers with `want`; P
 * completes the handshake. Returns A's accepted descriptor. */
static int accept_with_opts(struct fixture *f, int lfd, const uint8_t *opts, size_t n,
			    const char *want)
{
	send_opts(f, UTCP_TH_SYN, 5000, 0, opts, n, NULL);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *sa = FX_RAW_EXPECT(f, want);
	REQUIRE(sa != NULL);
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, sa->h.seq + 1, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	int fd = utcp_accept(fx_stack(f, FX_A), lfd, NULL);
	REQUIRE(fd >= 0);
	return fd;
}

/* Send n bytes from A and return the sizes of the data segments A sent
 * (at most max), P acknowledging nothing (so Nagle holds a last runt). */
static size_t data_sizes(struct fixture *f, int fd, size_t n, uint32_t *sizes, size_t max)
{
	static char buf[4096];
	REQUIRE(n <= sizeof(buf));
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, buf, n, 0), (long)n);
	fx_run(f, UTCP_MS(10));
	size_t k = 0;
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(f)) != NULL)
		if (s->len > 0 && k < max)
			sizes[k++] = s->len;
	return k;
}

/* MUST-4 and MUST-64: a SYN whose options are NOP, then MSS 1000 starting
 * at an odd offset, then End of Option List and zero padding opens the
 * connection, and the MSS is used. */
TEST(rfc9293_must4_syn_with_nop_mss_eol_opens_and_mss_is_used)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	static const uint8_t o[] = {TCP_OPT_NOP, TCP_OPT_MSS, 4, 0x03, 0xe8, TCP_OPT_EOL, 0, 0};
	int fd = accept_with_opts(f, lfd, o, sizeof(o), "SYN 1000(0) ack 5001 win 4096 <mss 1460>");
	CHECK_EQ(fx_info(f, FX_A, fd).snd_mss, 1000);
	uint32_t sz[8];
	REQUIRE_EQ(data_sizes(f, fd, 2000, sz, 8), 2);
	CHECK_EQ(sz[0], 1000);
	CHECK_EQ(sz[1], 1000);
	FX_RAW_END(f, fd, lfd);
}

/* MUST-64: options need not start on a word boundary: window scale at
 * offset 3 and MSS at offset 6, behind three NOPs. A (4 MiB buffers)
 * takes both. */
TEST(rfc9293_must64_unaligned_options_parsed_on_the_wire)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd = fx_listen(f, FX_A, 80, 1000);
	static const uint8_t o[] = {TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_WSCALE,
				    3, 5, TCP_OPT_MSS, 4, 0x02, 0x18, TCP_OPT_EOL, 0};
	int fd = accept_with_opts(f, lfd, o, sizeof(o),
				  "SYN 1000(0) ack 5001 win 65535 <mss 1460,wscale 7>");
	struct utcp_tcp_info info = fx_info(f, FX_A, fd);
	CHECK_EQ(info.snd_mss, 536);
	CHECK_EQ(info.snd_wscale, 5);
	CHECK_EQ(info.rcv_wscale, 7);
	CHECK_EQ(info.snd_wnd, 8192u << 5); /* the ACK's window, scaled by 2^5 */
	FX_RAW_END(f, fd, lfd);
}

/* MUST-6: options of kinds we do not know are skipped by their length,
 * in a SYN and in a data segment; what follows them is still read. */
TEST(rfc9293_must6_unknown_options_skipped)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	static const uint8_t syn[] = {
	    30, 4, 0xde, 0xad,   /* unknown kind 30 */
	    254, 2,              /* experimental kind, no data */
	    6, 3, 0xff,          /* obsolete echo, odd length */
	    TCP_OPT_MSS, 4, 0x04, 0xb0, /* MSS 1200, after all of them */
	    TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_NOP};
	int fd = accept_with_opts(f, lfd, syn, sizeof(syn),
				  "SYN 1000(0) ack 5001 win 4096 <mss 1460>");
	CHECK_EQ(fx_info(f, FX_A, fd).snd_mss, 1200);
	static const uint8_t data[] = {99, 6, 1, 2, 3, 4, 77, 2, TCP_OPT_EOL, 0, 0, 0};
	send_opts(f, UTCP_TH_ACK, 5001, 1001, data, sizeof(data), "hello");
	fx_run(f, UTCP_MS(100));
	char buf[16];
	REQUIRE_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	FX_RAW_EXPECT(f, "1001(0) ack 5006 win 4091");
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_options, 0);
	FX_RAW_END(f, fd, lfd);
}

/* MUST-5: options may come on any segment, not only the SYN: data, a pure
 * ACK and a FIN with options are all taken. An MSS option on a segment
 * other than a SYN means nothing and changes nothing. */
TEST(rfc9293_must5_options_accepted_on_any_segment)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd, fd = fx_raw_established(f, &lfd, 8192);
	/* Data with a timestamp option (we did not agree to timestamps: it is
	 * ignored, not refused) and an MSS option. */
	static const uint8_t o1[] = {TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_TS, 10, 0, 0, 0, 1,
				     0, 0, 0, 0, TCP_OPT_MSS, 4, 0, 100};
	send_opts(f, UTCP_TH_ACK, 5001, 1001, o1, sizeof(o1), "abc");
	fx_run(f, UTCP_MS(100));
	FX_RAW_EXPECT(f, "1001(0) ack 5004 win 4093");
	CHECK_EQ(fx_info(f, FX_A, fd).snd_mss, 1460); /* not 100 */
	/* A pure ACK with options acknowledges A's data. */
	REQUIRE_EQ(utcp_send(a, fd, "xyz", 3, 0), 3);
	fx_run(f, UTCP_MS(10));
	FX_RAW_EXPECT(f, "1001(3) ack 5004 win 4093");
	static const uint8_t o2[] = {TCP_OPT_NOP, 30, 3, 0};
	send_opts(f, UTCP_TH_ACK, 5004, 1004, o2, sizeof(o2), NULL);
	fx_run(f, UTCP_MS(20));
	CHECK_EQ(fx_info(f, FX_A, fd).unacked, 0);
	/* A FIN with options ends the stream. */
	send_opts(f, UTCP_TH_ACK | UTCP_TH_FIN, 5004, 1004, o2, sizeof(o2), NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "1004(0) ack 5005 win 4093");
	char buf[8];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 3);
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 0);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_CLOSE_WAIT);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_options, 0);
	FX_RAW_END(f, fd, lfd);
}

/* MUST-68: every option but EOL and NOP has a length byte. A list whose
 * last option has no room for it is malformed: the segment is dropped
 * and counted, and nothing else happens. */
TEST(rfc9293_must68_option_without_length_byte_dropped)
{
	struct fixture *f = fx_new_raw(NULL);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	static const uint8_t bad1[] = {TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_NOP, 30};
	static const uint8_t bad2[] = {TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_MSS};
	send_opts(f, UTCP_TH_SYN, 5000, 0, bad1, sizeof(bad1), NULL);
	send_opts(f, UTCP_TH_SYN, 5000, 0, bad2, sizeof(bad2), NULL);
	fx_run(f, UTCP_MS(50));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_options, 2);
	CHECK_EQ(fx_sockets_alive(f, FX_A), 1); /* no child */
	/* With the length byte, the same kinds are fine. */
	static const uint8_t good[] = {TCP_OPT_NOP, TCP_OPT_NOP, 30, 2};
	int fd = accept_with_opts(f, lfd, good, sizeof(good), "SYN 1000(0) ack 5001 win 4096 <mss 1460>");
	CHECK_EQ(fx_info(f, FX_A, fd).snd_mss, 536); /* no MSS option: MUST-15 */
	FX_RAW_END(f, fd, lfd);
}

/* MUST-7: an illegal option length (zero, one, past the header, the wrong
 * length for a known kind) must not harm the stack. utcp drops such a
 * segment and counts it (rather than resetting, which the RFC suggests:
 * a forged segment could then kill a connection); the listener and an
 * established connection carry on. */
TEST(rfc9293_must7_illegal_option_lengths_survived)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	static const uint8_t bad[][8] = {
	    {30, 0, 0, 0, 0, 0, 0, 0},                      /* zero length */
	    {30, 1, 0, 0, 0, 0, 0, 0},                      /* length 1 */
	    {TCP_OPT_NOP, 30, 9, 0, 0, 0, 0, 0},            /* past the header */
	    {TCP_OPT_MSS, 5, 0, 100, 0, 0, 0, 0},           /* MSS of length 5 */
	    {TCP_OPT_WSCALE, 4, 7, 0, 0, 0, 0, 0},          /* wscale of length 4 */
	    {TCP_OPT_MSS, 4, 0x05, 0xb4, TCP_OPT_TS, 0, 0, 0}, /* good, then zero */
	};
	size_t n = sizeof(bad) / sizeof(bad[0]);
	for (size_t i = 0; i < n; i++)
		send_opts(f, UTCP_TH_SYN, 5000, 0, bad[i], 8, NULL);
	fx_run(f, UTCP_MS(50));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_options, n);
	CHECK_EQ(fx_sockets_alive(f, FX_A), 1);
	uint32_t iss;
	int fd = fx_raw_accept(f, lfd, FX_PP, 80, 5000, 8192, &iss);
	for (size_t i = 0; i < n; i++)
		send_opts(f, UTCP_TH_ACK, 5001, 1001, bad[i], 8, "lost");
	fx_run(f, UTCP_MS(100));
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_stats(f, FX_A).tcp_drop_options, 2 * n);
	char buf[8];
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), -EAGAIN);
	CHECK_EQ(fx_state(f, FX_A, fd), UTCP_ESTABLISHED);
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, 1001, 8192, "fine", 4, NULL);
	fx_run(f, UTCP_MS(100));
	CHECK_EQ(utcp_recv(a, fd, buf, sizeof(buf), 0), 4);
	FX_RAW_END(f, fd, lfd);
}

/* ---- MSS (3.7.1) ---- */

/* MUST-14 (sending), SHLD-5, MAY-3: every SYN and SYN,ACK we send carries
 * our MSS, retransmissions too; MUST-65: no other segment ever does, in a
 * whole connection between two stacks (data both ways, window updates,
 * FINs, a RST for a closed port). */
TEST(rfc9293_must65_mss_option_on_syn_segments_only)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	struct utcp_stack *a = fx_stack(f, FX_A), *b = fx_stack(f, FX_B);
	/* The first SYN is lost: its retransmission must carry the MSS too. */
	REQUIRE_EQ(utcp_sim_drop_nth(f->w, f->ch_ab, UTCP_SIM_TCP_SYN, 1, 1), 0);
	int lfd, cfd, sfd;
	lfd = fx_listen_4k(f, FX_B, 80, 800);
	cfd = fx_socket_4k(f, FX_A, 100);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, cfd, &to), -EINPROGRESS);
	fx_run(f, UTCP_SEC(2));
	sfd = utcp_accept(b, lfd, NULL);
	REQUIRE(sfd >= 0);
	static char data[10000];
	size_t sent = 0, got = 0;
	char buf[4096];
	for (int i = 0; i < 100 && got < sizeof(data); i++) {
		long r = utcp_send(a, cfd, data + sent, sizeof(data) - sent, 0);
		if (r > 0)
			sent += (size_t)r;
		fx_run(f, UTCP_MS(50));
		while ((r = utcp_recv(b, sfd, buf, sizeof(buf), 0)) > 0)
			got += (size_t)r;
	}
	REQUIRE_EQ(got, sizeof(data));
	REQUIRE_EQ(utcp_send(b, sfd, "reply", 5, 0), 5);
	fx_run(f, UTCP_MS(100));
	REQUIRE_EQ(utcp_recv(a, cfd, buf, sizeof(buf), 0), 5);
	int rfd = fx_connect(f, FX_A, 9, 0); /* a closed port: B answers RST */
	fx_run(f, UTCP_MS(100));
	utcp_close(a, rfd);
	utcp_close(a, cfd);
	fx_run(f, UTCP_MS(100));
	utcp_close(b, sfd);
	utcp_close(b, lfd);
	fx_run(f, UTCP_SEC(61));
	unsigned syns = 0, others = 0;
	for (size_t i = 0; i < f->n_ev; i++) {
		const struct utcp_trace_event *e = &f->ev[i].ev;
		if (e->type != UTCP_TR_SEG_OUT)
			continue;
		bool syn = (e->u.seg.flags & UTCP_TH_SYN) != 0;
		if (syn) {
			syns++;
			CHECK(e->u.seg.opts.has_mss);
			CHECK_EQ(e->u.seg.opts.mss, 1460);
		} else {
			others++;
			if (e->u.seg.opts.has_mss)
				test_fail_at(__FILE__, __LINE__, "host %c: MSS on a non-SYN segment",
					     "AB"[f->ev[i].host]);
		}
	}
	CHECK_EQ(syns, 4); /* SYN, its retransmission, SYN,ACK, the SYN to port 9 */
	CHECK(others > 10);
	FX_END(f, 0);
}

/* MUST-15: no MSS option in the peer's SYN means a send MSS of 536, on the
 * passive side (a SYN without options) and on the active side (a SYN,ACK
 * without options). */
TEST(rfc9293_must15_no_mss_option_means_536)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen_4k(f, FX_A, 80, 1000);
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN, 5000, 0, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 1000(0) ack 5001 win 4096 <mss 1460>");
	fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, 1001, 8192, NULL, 0, NULL);
	fx_run(f, UTCP_MS(20));
	int fd = utcp_accept(a, lfd, NULL);
	REQUIRE(fd >= 0);
	CHECK_EQ(fx_info(f, FX_A, fd).snd_mss, 536);
	uint32_t sz[8];
	REQUIRE_EQ(data_sizes(f, fd, 1072, sz, 8), 2);
	CHECK_EQ(sz[0], 536);
	CHECK_EQ(sz[1], 536);
	fx_abort(f, FX_A, fd);
	fx_run(f, UTCP_MS(20));
	while (fx_raw_next(f))
		;
	/* Active side. */
	int cfd = fx_socket_4k(f, FX_A, 100);
	struct utcp_sockaddr to = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(a, cfd, &to), -EINPROGRESS);
	fx_run(f, UTCP_MS(10));
	const struct fx_raw_seg *syn = FX_RAW_EXPECT(f, "SYN 100(0) win 4096 <mss 1460>");
	REQUIRE(syn != NULL);
	fx_raw_send(f, 80, syn->h.sport, UTCP_TH_SYN | UTCP_TH_ACK, 7000, 101, 8192, NULL, 0,
		    NULL);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "101(0) ack 7001 win 4096");
	CHECK_EQ(fx_info(f, FX_A, cfd).snd_mss, 536);
	REQUIRE_EQ(data_sizes(f, cfd, 1072, sz, 8), 2);
	CHECK_EQ(sz[0], 536);
	CHECK_EQ(sz[1], 536);
	FX_RAW_END(f, cfd, lfd);
}

/* MUST-16: the effective send MSS is the smaller of the peer's MSS and
 * what our path allows (interface MTU 1500 - 40, or less with TCP_MAXSEG),
 * and a segment's data and TCP options together never exceed it. */
TEST(rfc9293_must16_effective_send_mss_is_the_smaller)
{
	static const struct {
		uint16_t peer_mss;
		int maxseg; /* 0: not set */
		uint32_t want;
	} cases[] = {{500, 0, 500}, {9000, 0, 1460}, {1460, 1000, 1000}, {800, 1000, 800}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *f = fx_new_raw(NULL);
		int lfd = fx_listen_4k(f, FX_A, 80, 1000);
		if (cases[i].maxseg)
			fx_setint(f, FX_A, lfd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, cases[i].maxseg);
		struct utcp_tcp_opts o = {.has_mss = true, .mss = cases[i].peer_mss};
		fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN, 5000, 0, 8192, NULL, 0, &o);
		fx_run(f, UTCP_MS(20));
		const struct fx_raw_seg *sa = fx_raw_next(f);
		REQUIRE(sa != NULL);
		fx_raw_send(f, FX_PP, 80, UTCP_TH_ACK, 5001, sa->h.seq + 1, 8192, NULL, 0, NULL);
		fx_run(f, UTCP_MS(20));
		int fd = utcp_accept(fx_stack(f, FX_A), lfd, NULL);
		REQUIRE(fd >= 0);
		CHECK_EQ(fx_info(f, FX_A, fd).snd_mss, cases[i].want);
		static char data[4000];
		REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), fd, data, sizeof(data), 0), 4000);
		fx_run(f, UTCP_MS(10));
		uint32_t largest = 0, total = 0;
		const struct fx_raw_seg *s;
		while ((s = fx_raw_next(f)) != NULL) {
			uint32_t opt_len = s->h.hdr_len - TCP_HDR_LEN;
			if (s->len + opt_len > cases[i].want)
				test_fail_at(__FILE__, __LINE__,
					     "peer MSS %u, TCP_MAXSEG %d: %u data + %u option bytes",
					     cases[i].peer_mss, cases[i].maxseg, s->len, opt_len);
			CHECK(IPV4_HDR_LEN + s->h.hdr_len + s->len <= 1500u);
			if (s->len > largest)
				largest = s->len;
			total += s->len;
		}
		CHECK_EQ(largest, cases[i].want); /* full-sized segments (SHLD-28) */
		CHECK(total > 0);
		FX_RAW_END(f, fd, lfd);
	}
}
