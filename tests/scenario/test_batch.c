/*
 * RFC 9293 MUST-58 and MUST-59: when several segments are there to be
 * processed at once, process them all before sending any ACK, and send one.
 * A link driver hands a burst over between utcp_stack_batch_begin/end.
 */
#include "fixture.h"

/* An IPv4 datagram carrying a segment from P:4000 to A:80, written into
 * pkt (cap bytes); returns its length. */
static size_t build(uint8_t *pkt, size_t cap, uint32_t seq, uint32_t ack, const char *data,
		    uint32_t len)
{
	struct fx_dgram d = {.data = data, .len = len};
	d.h = (struct tcp_hdr){.sport = 4000, .dport = 80, .seq = seq, .ack = ack,
			       .flags = UTCP_TH_ACK, .wnd = 65535};
	return fx_dgram_build(&d, pkt, cap);
}

/* A listens (ACKing every segment at once: quick ACKs), P connects.
 * A's buffer is large, so its window stays at the unscaled maximum. */
static struct fixture *establish(int *sfd, int *lfd)
{
	struct fixture *f = fx_new_raw(NULL);
	*lfd = fx_listen(f, FX_A, 80, 5000);
	fx_setint(f, FX_A, *lfd, UTCP_SOL_TCP, UTCP_TCP_QUICKACK, 1);
	fx_raw_send(f, 4000, 80, UTCP_TH_SYN, 1000, 0, 65535, NULL, 0, NULL);
	fx_run(f, UTCP_MS(30));
	FX_RAW_EXPECT(f, "SYN 5000(0) ack 1001 win 65535 <mss 1460>");
	fx_raw_send(f, 4000, 80, UTCP_TH_ACK, 1001, 5001, 65535, NULL, 0, NULL);
	fx_run(f, UTCP_MS(30));
	*sfd = utcp_accept(fx_stack(f, FX_A), *lfd, NULL);
	REQUIRE(*sfd >= 0);
	return f;
}

/* The two datagrams handed to A as one burst. */
static void input_batch(struct fixture *f, const uint8_t *p1, size_t n1, const uint8_t *p2,
			size_t n2)
{
	struct utcp_stack *a = fx_stack(f, FX_A);
	utcp_time_us t = fx_now(f);
	utcp_stack_batch_begin(a, t);
	utcp_stack_input(a, 0, p1, n1, t);
	utcp_stack_input(a, 0, p2, n2, t);
	utcp_stack_batch_end(a);
}

TEST(batch_two_segments_one_ack)
{
	int sfd, lfd;
	struct fixture *f = establish(&sfd, &lfd);
	struct utcp_stack *a = fx_stack(f, FX_A);
	uint8_t p1[128], p2[128];
	size_t n1 = build(p1, sizeof(p1), 1001, 5001, "hello ", 6);
	size_t n2 = build(p2, sizeof(p2), 1007, 5001, "world", 5);
	input_batch(f, p1, n1, p2, n2);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "5001(0) ack 1012 win 65535"); /* one ACK for both */
	FX_RAW_EXPECT_NONE(f);
	char buf[16];
	CHECK_EQ(utcp_recv(a, sfd, buf, sizeof(buf), 0), 11);
	/* The same two segments one after the other: an ACK each. */
	n1 = build(p1, sizeof(p1), 1012, 5001, "hello ", 6);
	n2 = build(p2, sizeof(p2), 1018, 5001, "world", 5);
	utcp_time_us t = fx_now(f);
	utcp_stack_input(a, 0, p1, n1, t);
	utcp_stack_input(a, 0, p2, n2, t);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "5001(0) ack 1018 win 65535");
	FX_RAW_EXPECT(f, "5001(0) ack 1023 win 65535");
	utcp_close(a, sfd);
	utcp_close(a, lfd);
	fx_free(f);
}

/* A RST sends a listener's child in SYN_RCVD back to LISTEN, that is,
 * away; a new SYN from the same port later in the same burst is the
 * listener's (not dropped on the child's way out). */
TEST(batch_rst_then_syn_from_the_same_port_is_answered)
{
	struct fixture *f = fx_new_raw(NULL);
	struct utcp_stack *a = fx_stack(f, FX_A);
	int lfd = fx_listen(f, FX_A, 80, 5000);
	fx_raw_send(f, 4000, 80, UTCP_TH_SYN, 1000, 0, 65535, NULL, 0, NULL);
	fx_run(f, UTCP_MS(30));
	FX_RAW_EXPECT(f, "SYN 5000(0) ack 1001 win 65535 <mss 1460>");
	uint8_t p1[128], p2[128];
	struct fx_dgram d = {0};
	d.h = (struct tcp_hdr){.sport = 4000, .dport = 80, .seq = 1001, .flags = UTCP_TH_RST};
	size_t n1 = fx_dgram_build(&d, p1, sizeof(p1));
	d.h = (struct tcp_hdr){.sport = 4000, .dport = 80, .seq = 3000, .flags = UTCP_TH_SYN,
			       .wnd = 65535};
	size_t n2 = fx_dgram_build(&d, p2, sizeof(p2));
	input_batch(f, p1, n1, p2, n2);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "SYN 5000(0) ack 3001 win 65535 <mss 1460>");
	FX_RAW_EXPECT_NONE(f);
	CHECK_EQ(fx_count(f, FX_A, UTCP_SYN_RCVD), 1);
	CHECK_EQ(fx_stats(f, FX_A).tcp_rst_in, 1);
	utcp_close(a, lfd);
	FX_END(f, UTCP_MS(1));
}
