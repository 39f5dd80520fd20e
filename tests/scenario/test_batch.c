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

TEST(batch_two_segments_one_ack)
{
	int sfd, lfd;
	struct fixture *f = establish(&sfd, &lfd);
	struct utcp_stack *a = fx_stack(f, FX_A);
	uint8_t p1[128], p2[128];
	size_t n1 = build(p1, sizeof(p1), 1001, 5001, "hello ", 6);
	size_t n2 = build(p2, sizeof(p2), 1007, 5001, "world", 5);
	utcp_time_us t = fx_now(f);
	utcp_stack_batch_begin(a, t);
	utcp_stack_input(a, 0, p1, n1, t);
	utcp_stack_input(a, 0, p2, n2, t);
	utcp_stack_batch_end(a);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "5001(0) ack 1012 win 65535"); /* one ACK for both */
	FX_RAW_EXPECT_NONE(f);
	char buf[16];
	CHECK_EQ(utcp_recv(a, sfd, buf, sizeof(buf), 0), 11);
	/* The same two segments one after the other: an ACK each. */
	n1 = build(p1, sizeof(p1), 1012, 5001, "hello ", 6);
	n2 = build(p2, sizeof(p2), 1018, 5001, "world", 5);
	t = fx_now(f);
	utcp_stack_input(a, 0, p1, n1, t);
	utcp_stack_input(a, 0, p2, n2, t);
	fx_run(f, UTCP_MS(20));
	FX_RAW_EXPECT(f, "5001(0) ack 1018 win 65535");
	FX_RAW_EXPECT(f, "5001(0) ack 1023 win 65535");
	utcp_close(a, sfd);
	utcp_close(a, lfd);
	fx_free(f);
}
