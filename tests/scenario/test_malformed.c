/*
 * Every kind of malformed packet, injected into a running stack in the
 * middle of a connection: each is dropped, counted under its own name,
 * answered by nothing, and the connection carries on.
 */
#include "fixture.h"

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

/* P's side of a connection to A:80, established by hand. */
struct mf_conn {
	struct fixture *f;
	int lfd, sfd;
	uint32_t p_seq; /* P's next sequence number */
	uint32_t a_seq; /* A's next sequence number (what P acks) */
};

static void mf_establish(struct mf_conn *m)
{
	struct fx_opts o = {.raw_peer = true};
	m->f = fx_new(&o);
	m->lfd = fx_listen(m->f, FX_A, 80, 5000);
	struct utcp_tcp_opts syn = {.has_mss = true, .mss = 1460};
	fx_raw_send(m->f, 4000, 80, UTCP_TH_SYN, 1000, 0, 65535, NULL, 0, &syn);
	fx_run(m->f, UTCP_MS(30));
	/* P offered no window scale, so A uses none (RFC 7323 2.2). */
	FX_RAW_EXPECT(m->f, "SYN 5000(0) ack 1001 win 65535 <mss 1460>");
	fx_raw_send(m->f, 4000, 80, UTCP_TH_ACK, 1001, 5001, 65535, NULL, 0, NULL);
	fx_run(m->f, UTCP_MS(30));
	m->sfd = utcp_accept(fx_stack(m->f, FX_A), m->lfd, NULL);
	REQUIRE(m->sfd >= 0);
	m->p_seq = 1001;
	m->a_seq = 5001;
}

/* A valid data segment from P: A must take it and deliver it. */
static void mf_check_alive(struct mf_conn *m, const char *what)
{
	struct utcp_stack *a = fx_stack(m->f, FX_A);
	fx_raw_send(m->f, 4000, 80, UTCP_TH_ACK | UTCP_TH_PSH, m->p_seq, m->a_seq, 65535, "ping",
		    4, NULL);
	m->p_seq += 4;
	fx_run(m->f, UTCP_MS(100));
	char buf[8];
	if (utcp_recv(a, m->sfd, buf, sizeof(buf), 0) != 4 || memcmp(buf, "ping", 4) != 0)
		test_fail_at(__FILE__, __LINE__, "after %s the connection no longer delivers", what);
	const struct fx_raw_seg *s;
	while ((s = fx_raw_next(m->f)) != NULL) /* A's (delayed) ACK of the ping */
		if (s->h.ack != m->p_seq)
			test_fail_at(__FILE__, __LINE__, "after %s A acked %u, not %u", what, s->h.ack,
				     m->p_seq);
}

static uint64_t stat_of(struct utcp_stack *s, size_t offset)
{
	struct utcp_stats st;
	utcp_stack_stats(s, &st);
	uint64_t v;
	memcpy(&v, (const uint8_t *)&st + offset, sizeof(v));
	return v;
}

#define STAT_OFF(name) offsetof(struct utcp_stats, name)

/* A valid IPv4+TCP packet from P to A carrying one data byte at p_seq. */
static size_t mf_build(const struct mf_conn *m, uint8_t *pkt)
{
	struct tcp_hdr h = {.sport = 4000, .dport = 80, .seq = m->p_seq, .ack = m->a_seq,
			    .flags = UTCP_TH_ACK, .wnd = 65535};
	uint8_t *seg = pkt + IPV4_HDR_LEN;
	size_t hl = tcp_emit(seg, &h);
	seg[hl] = 'x';
	tcp_fill_checksum(seg, hl + 1, FX_ADDR_B, FX_ADDR_A);
	struct ipv4_hdr ip = {.total_len = (uint16_t)(IPV4_HDR_LEN + hl + 1), .ttl = 64,
			      .proto = IPV4_PROTO_TCP, .src = FX_ADDR_B, .dst = FX_ADDR_A};
	ipv4_emit(pkt, &ip);
	return ip.total_len;
}

static void fix_ip_csum(uint8_t *pkt)
{
	size_t ihl = (size_t)(pkt[0] & 15) * 4;
	store_be16(pkt + 10, 0);
	store_be16(pkt + 10, csum_buf(pkt, ihl));
}

static void fix_tcp_csum(uint8_t *pkt, size_t len)
{
	store_be16(pkt + IPV4_HDR_LEN + 16, 0);
	tcp_fill_checksum(pkt + IPV4_HDR_LEN, len - IPV4_HDR_LEN, load_be32(pkt + 12),
			  load_be32(pkt + 16));
}

/* One malformed kind: how to spoil a valid packet, and the counter. */
struct mf_kind {
	const char *name;
	size_t counter;
	size_t (*spoil)(uint8_t *pkt, size_t len);
};

static size_t spoil_short(uint8_t *p, size_t n) { (void)p; (void)n; return 12; }
static size_t spoil_version(uint8_t *p, size_t n) { p[0] = 0x65; fix_ip_csum(p); return n; }
static size_t spoil_ihl(uint8_t *p, size_t n) { p[0] = 0x44; return n; }
static size_t spoil_total_len(uint8_t *p, size_t n)
{
	store_be16(p + 2, (uint16_t)(n + 100));
	fix_ip_csum(p);
	return n;
}
static size_t spoil_ip_csum(uint8_t *p, size_t n) { p[10] ^= 0x40; return n; }
static size_t spoil_fragment(uint8_t *p, size_t n)
{
	store_be16(p + 6, IPV4_FLAG_MF);
	fix_ip_csum(p);
	return n;
}
static size_t spoil_not_ours(uint8_t *p, size_t n)
{
	store_be32(p + 16, 0x0a000063); /* 10.0.0.99 */
	fix_ip_csum(p);
	fix_tcp_csum(p, n);
	return n;
}
static size_t spoil_multicast_src(uint8_t *p, size_t n)
{
	store_be32(p + 12, 0xe0000001); /* 224.0.0.1 */
	fix_ip_csum(p);
	fix_tcp_csum(p, n);
	return n;
}
static size_t spoil_proto(uint8_t *p, size_t n) { p[9] = 17; fix_ip_csum(p); return n; }
static size_t spoil_tcp_short(uint8_t *p, size_t n)
{
	(void)n;
	store_be16(p + 2, IPV4_HDR_LEN + 12);
	fix_ip_csum(p);
	return IPV4_HDR_LEN + 12;
}
static size_t spoil_doff_small(uint8_t *p, size_t n)
{
	p[IPV4_HDR_LEN + 12] = 0x40; /* 4 words */
	fix_tcp_csum(p, n);
	return n;
}
static size_t spoil_doff_large(uint8_t *p, size_t n)
{
	p[IPV4_HDR_LEN + 12] = 0xf0; /* 60 bytes: past the segment */
	fix_tcp_csum(p, n);
	return n;
}
/* An option list with a zero length: grow the header by 4 bytes. */
static size_t spoil_option_len(uint8_t *p, size_t n)
{
	uint8_t *seg = p + IPV4_HDR_LEN;
	memmove(seg + 24, seg + 20, n - IPV4_HDR_LEN - 20);
	seg[20] = 8; /* timestamps */
	seg[21] = 0; /* zero length */
	seg[22] = seg[23] = 1;
	seg[12] = 0x60;
	n += 4;
	store_be16(p + 2, (uint16_t)n);
	fix_ip_csum(p);
	fix_tcp_csum(p, n);
	return n;
}
static size_t spoil_tcp_csum(uint8_t *p, size_t n) { p[IPV4_HDR_LEN + 17] ^= 1; return n; }
static size_t spoil_syn_fin(uint8_t *p, size_t n)
{
	p[IPV4_HDR_LEN + 13] = UTCP_TH_SYN | UTCP_TH_FIN;
	fix_tcp_csum(p, n);
	return n;
}
static size_t spoil_syn_rst(uint8_t *p, size_t n)
{
	p[IPV4_HDR_LEN + 13] = UTCP_TH_SYN | UTCP_TH_RST;
	fix_tcp_csum(p, n);
	return n;
}
static size_t spoil_port_zero(uint8_t *p, size_t n)
{
	store_be16(p + IPV4_HDR_LEN, 0);
	fix_tcp_csum(p, n);
	return n;
}

static const struct mf_kind kinds[] = {
	{"ip too short", STAT_OFF(ip_drop_short), spoil_short},
	{"ip version 6", STAT_OFF(ip_drop_version), spoil_version},
	{"ip header length 16", STAT_OFF(ip_drop_hdr_len), spoil_ihl},
	{"ip total length past the packet", STAT_OFF(ip_drop_total_len), spoil_total_len},
	{"ip bad checksum", STAT_OFF(ip_drop_checksum), spoil_ip_csum},
	{"ip fragment (held for reassembly)", STAT_OFF(frag_in), spoil_fragment},
	{"ip not addressed to us", STAT_OFF(ip_drop_not_ours), spoil_not_ours},
	{"ip multicast source", STAT_OFF(ip_drop_bad_src), spoil_multicast_src},
	{"ip protocol UDP", STAT_OFF(ip_drop_proto), spoil_proto},
	{"tcp shorter than a header", STAT_OFF(tcp_drop_short), spoil_tcp_short},
	{"tcp data offset 4", STAT_OFF(tcp_drop_data_offset), spoil_doff_small},
	{"tcp data offset past the end", STAT_OFF(tcp_drop_data_offset), spoil_doff_large},
	{"tcp option of length 0", STAT_OFF(tcp_drop_options), spoil_option_len},
	{"tcp bad checksum", STAT_OFF(tcp_drop_checksum), spoil_tcp_csum},
	{"tcp SYN+FIN", STAT_OFF(tcp_drop_flags), spoil_syn_fin},
	{"tcp SYN+RST", STAT_OFF(tcp_drop_flags), spoil_syn_rst},
	{"tcp source port 0", STAT_OFF(tcp_drop_port_zero), spoil_port_zero},
};

TEST(malformed_each_kind_dropped_counted_connection_unharmed)
{
	struct mf_conn m;
	mf_establish(&m);
	struct utcp_stack *a = fx_stack(m.f, FX_A);
	mf_check_alive(&m, "the handshake");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint8_t pkt[256];
		size_t n = mf_build(&m, pkt);
		n = kinds[k].spoil(pkt, n);
		uint64_t before = stat_of(a, kinds[k].counter);
		struct utcp_stats all_before, all_after;
		utcp_stack_stats(a, &all_before);
		REQUIRE_EQ(utcp_sim_send(m.f->w, m.f->node[FX_B], pkt, n), 0);
		fx_run(m.f, UTCP_MS(30));
		if (stat_of(a, kinds[k].counter) != before + 1)
			test_fail_at(__FILE__, __LINE__, "%s: its counter did not count it",
				     kinds[k].name);
		utcp_stack_stats(a, &all_after);
		CHECK_EQ(all_after.tcp_rst_out, all_before.tcp_rst_out);
		const struct fx_raw_seg *reply = fx_raw_next(m.f);
		if (reply)
			test_fail_at(__FILE__, __LINE__, "%s: A answered it", kinds[k].name);
		/* The byte it carried must not have been taken either. */
		char c;
		CHECK_EQ(utcp_recv(a, m.sfd, &c, 1, 0), -EAGAIN);
		mf_check_alive(&m, kinds[k].name);
	}
	REQUIRE_EQ(utcp_close(a, m.sfd), 0);
	REQUIRE_EQ(utcp_close(a, m.lfd), 0);
	fx_run(m.f, UTCP_SEC(1000)); /* A's FIN goes unanswered: it gives up */
	CHECK_EQ(fx_sockets_alive(m.f, FX_A), 0);
	fx_free(m.f);
}

/* Damaged packets of every length: nothing crashes, nothing is taken. One
 * flipped bit per packet: the Internet checksum detects every single-bit
 * error, but two flips of the same bit in different words can cancel, and
 * then the packet is, as far as any TCP can tell, valid. */
TEST(malformed_random_garbage_never_harms)
{
	struct mf_conn m;
	mf_establish(&m);
	struct utcp_stack *a = fx_stack(m.f, FX_A);
	uint64_t x = 12345;
	for (int i = 0; i < 2000; i++) {
		uint8_t pkt[128];
		size_t n = mf_build(&m, pkt);
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (i % 7 == 0)
			n = x % n; /* truncated */
		else
			pkt[x % n] ^= (uint8_t)(1u << ((x >> 8) % 8));
		utcp_sim_send(m.f->w, m.f->node[FX_B], pkt, n);
	}
	fx_run(m.f, UTCP_MS(50));
	while (fx_raw_next(m.f)) /* replies to flips that left a valid RST/ACK */
		;
	/* Every damaged packet fails a checksum or a length check, so none
	 * may have touched the connection. */
	CHECK_EQ(utcp_poll_events(a, m.sfd) & UTCP_POLLERR, 0);
	char buf[64];
	CHECK_EQ(utcp_recv(a, m.sfd, buf, sizeof(buf), 0), -EAGAIN);
	mf_check_alive(&m, "random garbage");
	utcp_close(a, m.sfd);
	utcp_close(a, m.lfd);
	fx_run(m.f, UTCP_SEC(1000));
	CHECK_EQ(fx_sockets_alive(m.f, FX_A), 0);
	fx_free(m.f);
}
