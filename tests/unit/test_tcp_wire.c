/* Unit tests of the TCP header and options (RFC 9293 3.1/3.2, RFC 7323,
 * RFC 2018): parsing rules, the emitted layout byte for byte, checksums
 * and the lesson notation. */
#include "../harness.h"

#include "wire/bytes.h"
#include "wire/tcp.h"

static const uint32_t addr_a = 0x0a000001; /* 10.0.0.1 */
static const uint32_t addr_b = 0x0a000002; /* 10.0.0.2 */

/* The TCP part of a SYN 10.0.0.1:40000 -> 10.0.0.2:80, seq 100, window 6144,
 * <mss 1024, sackOK, ts 1000 0, wscale 7> in Linux's layout. Checksum
 * 0x7cd5 computed independently of this code. */
static const uint8_t syn_seg[40] = {0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00,
				    0x00, 0x00, 0xa0, 0x02, 0x18, 0x00, 0x7c, 0xd5, 0x00, 0x00,
				    0x02, 0x04, 0x04, 0x00, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00,
				    0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

/* smoltcp's test segment (192.168.1.1 -> 192.168.1.2): FIN+RST+ACK+URG,
 * <wscale 12> then NOP, 4 payload bytes, checksum 0x01b6. */
static const uint8_t smoltcp_seg[28] = {0xbf, 0x00, 0x00, 0x50, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
					0xcd, 0xef, 0x60, 0x35, 0x01, 0x23, 0x01, 0xb6, 0x02, 0x01,
					0x03, 0x03, 0x0c, 0x01, 0xaa, 0x00, 0x00, 0xff};

/* 10.0.0.2:80 -> 10.0.0.1:40000, seq 801, ack 121, ACK+PSH, window 4096,
 * payload "hello world" (odd length); checksum 0x59c6. */
static size_t build_data_seg(uint8_t *p)
{
	struct tcp_hdr h = {.sport = 80,
			    .dport = 40000,
			    .seq = 801,
			    .ack = 121,
			    .flags = UTCP_TH_ACK | UTCP_TH_PSH,
			    .wnd = 4096};
	size_t hl = tcp_emit(p, &h);
	memcpy(p + hl, "hello world", 11);
	return hl + 11;
}

/* ---- header parse ------------------------------------------------------ */

TEST(wire_tcp_parse_syn_segment)
{
	struct tcp_hdr h;
	REQUIRE_EQ(tcp_parse(syn_seg, sizeof(syn_seg), &h), TCP_OK);
	CHECK_EQ(h.sport, 40000);
	CHECK_EQ(h.dport, 80);
	CHECK_EQ(h.seq, 100);
	CHECK_EQ(h.ack, 0);
	CHECK_EQ(h.hdr_len, 40);
	CHECK_EQ(h.flags, UTCP_TH_SYN);
	CHECK_EQ(h.wnd, 6144);
	CHECK_EQ(h.csum, 0x7cd5);
	CHECK_EQ(h.urp, 0);
	CHECK(h.opts.has_mss);
	CHECK_EQ(h.opts.mss, 1024);
	CHECK(h.opts.sack_permitted);
	CHECK(h.opts.has_ts);
	CHECK_EQ(h.opts.ts_val, 1000);
	CHECK_EQ(h.opts.ts_ecr, 0);
	CHECK(h.opts.has_wscale);
	CHECK_EQ(h.opts.wscale, 7);
	CHECK_EQ(h.opts.sack_count, 0);
	CHECK(tcp_checksum_ok(syn_seg, sizeof(syn_seg), addr_a, addr_b));
	/* The pseudo-header matters: other addresses, or swapped ones with
	 * a different sum, fail. */
	CHECK(!tcp_checksum_ok(syn_seg, sizeof(syn_seg), addr_a, 0x0a000003));
}

TEST(wire_tcp_parse_smoltcp_vector)
{
	struct tcp_hdr h;
	REQUIRE_EQ(tcp_parse(smoltcp_seg, sizeof(smoltcp_seg), &h), TCP_OK);
	CHECK_EQ(h.sport, 48896);
	CHECK_EQ(h.dport, 80);
	CHECK_EQ(h.seq, 0x01234567);
	CHECK_EQ(h.ack, 0x89abcdef);
	CHECK_EQ(h.hdr_len, 24);
	CHECK_EQ(h.flags, UTCP_TH_FIN | UTCP_TH_RST | UTCP_TH_ACK | UTCP_TH_URG);
	CHECK_EQ(h.wnd, 0x0123);
	CHECK_EQ(h.csum, 0x01b6);
	CHECK_EQ(h.urp, 0x0201);
	CHECK(h.opts.has_wscale);
	CHECK_EQ(h.opts.wscale, 12);
	CHECK(!h.opts.has_mss && !h.opts.has_ts && !h.opts.sack_permitted);
	CHECK(tcp_checksum_ok(smoltcp_seg, sizeof(smoltcp_seg), 0xc0a80101, 0xc0a80102));
}

TEST(wire_tcp_parse_short)
{
	struct tcp_hdr h;
	for (size_t len = 0; len < TCP_HDR_LEN; len++)
		CHECK_EQ(tcp_parse(syn_seg, len, &h), TCP_ERR_SHORT);
}

TEST(wire_tcp_parse_data_offset)
{
	uint8_t p[60];
	struct tcp_hdr h;
	memcpy(p, syn_seg, 40);
	for (unsigned off = 0; off < 5; off++) {
		p[12] = (uint8_t)(off << 4);
		CHECK_EQ(tcp_parse(p, 40, &h), TCP_ERR_DATA_OFFSET);
	}
	p[12] = 0xa0; /* 40 bytes of header in a 39-byte segment */
	CHECK_EQ(tcp_parse(p, 39, &h), TCP_ERR_DATA_OFFSET);
	p[12] = 0x60;
	CHECK_EQ(tcp_parse(p, 20, &h), TCP_ERR_DATA_OFFSET);
	/* The largest header, 40 option bytes of NOP, exactly fits. */
	memset(p + 20, TCP_OPT_NOP, 40);
	p[12] = 0xf0;
	CHECK_EQ(tcp_parse(p, 59, &h), TCP_ERR_DATA_OFFSET);
	REQUIRE_EQ(tcp_parse(p, 60, &h), TCP_OK);
	CHECK_EQ(h.hdr_len, 60);
	/* The reserved bits beside the offset are ignored. */
	p[12] = 0x5f;
	REQUIRE_EQ(tcp_parse(p, 60, &h), TCP_OK);
	CHECK_EQ(h.hdr_len, 20);
}

TEST(wire_tcp_parse_illegal_flags)
{
	uint8_t p[40];
	struct tcp_hdr h;
	memcpy(p, syn_seg, 40);
	static const uint8_t bad[] = {
	    UTCP_TH_SYN | UTCP_TH_FIN,
	    UTCP_TH_SYN | UTCP_TH_RST,
	    UTCP_TH_SYN | UTCP_TH_FIN | UTCP_TH_RST,
	    UTCP_TH_SYN | UTCP_TH_RST | UTCP_TH_ACK,
	    0xff,
	};
	for (size_t i = 0; i < sizeof(bad); i++) {
		p[13] = bad[i];
		CHECK_EQ(tcp_parse(p, 40, &h), TCP_ERR_FLAGS);
	}
	static const uint8_t good[] = {
	    UTCP_TH_SYN | UTCP_TH_ACK,
	    UTCP_TH_FIN | UTCP_TH_RST, /* odd, but not TCP_ERR_FLAGS's business */
	    UTCP_TH_RST | UTCP_TH_ACK,
	    UTCP_TH_SYN | UTCP_TH_ECE | UTCP_TH_CWR,
	    0,
	};
	for (size_t i = 0; i < sizeof(good); i++) {
		p[13] = good[i];
		REQUIRE_EQ(tcp_parse(p, 40, &h), TCP_OK);
		CHECK_EQ(h.flags, good[i]);
	}
}

TEST(wire_tcp_parse_bad_options_fail_the_segment)
{
	uint8_t p[24];
	struct tcp_hdr h;
	memcpy(p, syn_seg, 20);
	p[12] = 0x60;
	static const uint8_t opts[] = {TCP_OPT_MSS, 3, 0, 0};
	memcpy(p + 20, opts, 4);
	CHECK_EQ(tcp_parse(p, 24, &h), TCP_ERR_OPTIONS);
	/* An option running past the data offset into the payload is
	 * malformed even though the buffer holds the bytes. */
	uint8_t q[28];
	memcpy(q, syn_seg, 20);
	q[12] = 0x60;
	q[20] = TCP_OPT_NOP;
	q[21] = TCP_OPT_NOP;
	q[22] = TCP_OPT_MSS;
	q[23] = 4;
	memset(q + 24, 0, 4);
	CHECK_EQ(tcp_parse(q, sizeof(q), &h), TCP_ERR_OPTIONS);
}

/* ---- options parse ----------------------------------------------------- */

TEST(wire_tcp_options_empty_and_eol)
{
	struct utcp_tcp_opts o;
	memset(&o, 0xa5, sizeof(o));
	REQUIRE_EQ(tcp_parse_options(NULL, 0, &o), TCP_OK);
	CHECK(!o.has_mss && !o.has_wscale && !o.sack_permitted && !o.has_ts);
	CHECK_EQ(o.sack_count, 0);
	/* EOL ends the list: what follows is not parsed, even garbage. */
	static const uint8_t a[] = {TCP_OPT_MSS, 4, 0x05, 0xb4, TCP_OPT_EOL, 0xff, 0x00, 0x07};
	REQUIRE_EQ(tcp_parse_options(a, sizeof(a), &o), TCP_OK);
	CHECK(o.has_mss);
	CHECK_EQ(o.mss, 1460);
	CHECK(!o.has_wscale && !o.has_ts);
	static const uint8_t b[] = {TCP_OPT_EOL, TCP_OPT_MSS, 4, 1, 1};
	REQUIRE_EQ(tcp_parse_options(b, sizeof(b), &o), TCP_OK);
	CHECK(!o.has_mss);
}

TEST(wire_tcp_options_unaligned)
{
	/* MUST-64: options at any offset. */
	static const uint8_t a[] = {
	    TCP_OPT_NOP,		       /* the next option starts at offset 1 */
	    TCP_OPT_WSCALE,    3,  5,	       /* wscale 5 */
	    TCP_OPT_MSS,       4,  0x02, 0x18, /* mss 536 */
	    TCP_OPT_SACK_PERM, 2,	       /* sackOK */
	    TCP_OPT_TS,	       10, 0,	 0,    0, 9, 0, 0, 0, 8, /* ts 9 8 */
	    TCP_OPT_NOP,
	};
	struct utcp_tcp_opts o;
	REQUIRE_EQ(tcp_parse_options(a, sizeof(a), &o), TCP_OK);
	CHECK(o.has_wscale);
	CHECK_EQ(o.wscale, 5);
	CHECK(o.has_mss);
	CHECK_EQ(o.mss, 536);
	CHECK(o.sack_permitted);
	CHECK(o.has_ts);
	CHECK_EQ(o.ts_val, 9);
	CHECK_EQ(o.ts_ecr, 8);
}

TEST(wire_tcp_options_malformed_lengths)
{
	struct utcp_tcp_opts o;
	static const struct {
		uint8_t len;
		uint8_t b[8];
	} bad[] = {
	    {4, {TCP_OPT_MSS, 0, 0, 0}},  /* zero length */
	    {4, {99, 0, 0, 0}},		  /* zero length, unknown kind */
	    {4, {99, 1, 0, 0}},		  /* length 1 */
	    {4, {99, 5, 0, 0}},		  /* overlong */
	    {4, {TCP_OPT_NOP, 99, 4, 0}}, /* overlong after a NOP */
	    {1, {99}},			  /* no length byte */
	    {4, {TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_MSS}},
	    {3, {TCP_OPT_MSS, 4, 5}}, /* truncated body */
	    {8, {TCP_OPT_TS, 10, 0, 0, 0, 0, 0, 0}},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tcp_parse_options(bad[i].b, bad[i].len, &o) != TCP_ERR_OPTIONS)
			test_fail_at(__FILE__, __LINE__, "bad option list %zu accepted", i);
	}
}

/* A known option with each length other than its own is an error. */
TEST(wire_tcp_options_known_kinds_need_their_length)
{
	static const struct {
		uint8_t kind, good_len;
	} known[] = {
	    {TCP_OPT_MSS, 4}, {TCP_OPT_WSCALE, 3}, {TCP_OPT_SACK_PERM, 2}, {TCP_OPT_TS, 10}};
	uint8_t b[40];
	struct utcp_tcp_opts o;
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		for (uint8_t len = 2; len <= 40; len++) {
			memset(b, 0, sizeof(b));
			b[0] = known[k].kind;
			b[1] = len;
			enum tcp_parse_result want =
			    len == known[k].good_len ? TCP_OK : TCP_ERR_OPTIONS;
			REQUIRE_EQ(tcp_parse_options(b, len, &o), want);
		}
	}
	/* SACK: 2 + 8n with 1 <= n <= 4. */
	uint8_t s[48] = {0};
	for (uint8_t len = 2; len <= 48; len++) {
		s[0] = TCP_OPT_SACK;
		s[1] = len;
		int ok = len >= 10 && len <= 34 && (len - 2) % 8 == 0;
		REQUIRE_EQ(tcp_parse_options(s, len, &o), ok ? TCP_OK : TCP_ERR_OPTIONS);
		if (ok)
			CHECK_EQ(o.sack_count, (len - 2) / 8);
	}
}

TEST(wire_tcp_options_unknown_kinds_skipped)
{
	static const uint8_t a[] = {
	    30,		 4, 0xde, 0xad, /* unknown kind 30 */
	    254,	 2,		/* experimental kind, empty */
	    TCP_OPT_MSS, 4, 0x04, 0x00, /* mss 1024 */
	    6,		 3, 0xff,	/* obsolete echo, odd length */
	    TCP_OPT_NOP,
	};
	struct utcp_tcp_opts o;
	REQUIRE_EQ(tcp_parse_options(a, sizeof(a), &o), TCP_OK);
	CHECK(o.has_mss);
	CHECK_EQ(o.mss, 1024);
	CHECK(!o.has_ts && !o.has_wscale && !o.sack_permitted);
}

TEST(wire_tcp_options_wscale_clamped)
{
	/* RFC 7323 2.3: shifts above 14 are used as 14. */
	static const uint8_t shifts[][2] = {{0, 0}, {7, 7}, {14, 14}, {15, 14}, {255, 14}};
	for (size_t i = 0; i < 5; i++) {
		uint8_t b[3] = {TCP_OPT_WSCALE, 3, shifts[i][0]};
		struct utcp_tcp_opts o;
		REQUIRE_EQ(tcp_parse_options(b, 3, &o), TCP_OK);
		CHECK(o.has_wscale);
		CHECK_EQ(o.wscale, shifts[i][1]);
	}
}

TEST(wire_tcp_options_repeated_last_wins)
{
	/* clang-format off */
	static const uint8_t a[] = {
		TCP_OPT_MSS, 4, 0x05, 0xb4,			/* mss 1460 */
		TCP_OPT_MSS, 4, 0x02, 0x18,			/* mss 536 */
		TCP_OPT_SACK, 18, 0, 0, 0, 1, 0, 0, 0, 2,	/* sack 1-2 */
		0, 0, 0, 3, 0, 0, 0, 4,				/* and 3-4 */
		TCP_OPT_SACK, 10, 0, 0, 0, 9, 0, 0, 0, 10,	/* sack 9-10 */
	};
	/* clang-format on */
	struct utcp_tcp_opts o;
	REQUIRE_EQ(tcp_parse_options(a, sizeof(a), &o), TCP_OK);
	CHECK_EQ(o.mss, 536);
	CHECK_EQ(o.sack_count, 1);
	CHECK_EQ(o.sack[0].left, 9);
	CHECK_EQ(o.sack[0].right, 10);
}

TEST(wire_tcp_options_sack_blocks)
{
	uint8_t b[34] = {TCP_OPT_SACK, 34};
	for (int i = 0; i < 4; i++) {
		store_be32(b + 2 + 8 * i, 0xfffffff0u + (uint32_t)i * 0x100);
		store_be32(b + 6 + 8 * i, 0xfffffff8u + (uint32_t)i * 0x100);
	}
	struct utcp_tcp_opts o;
	REQUIRE_EQ(tcp_parse_options(b, sizeof(b), &o), TCP_OK);
	REQUIRE_EQ(o.sack_count, 4);
	CHECK_EQ(o.sack[0].left, 0xfffffff0u);
	CHECK_EQ(o.sack[0].right, 0xfffffff8u);
	CHECK_EQ(o.sack[3].left, 0x2f0);
	CHECK_EQ(o.sack[3].right, 0x2f8);
}

/* ---- emit -------------------------------------------------------------- */

/* Emit a header with options o and compare the option bytes. */
static void check_emitted_options(const struct utcp_tcp_opts *o, const uint8_t *want,
				  size_t want_len, int line)
{
	struct tcp_hdr h = {.opts = *o};
	uint8_t p[TCP_MAX_HDR_LEN + 4];
	memset(p, 0xcc, sizeof(p));
	size_t hl = tcp_emit(p, &h);
	if (hl != TCP_HDR_LEN + want_len || tcp_options_len(o) != want_len ||
	    (want_len && memcmp(p + TCP_HDR_LEN, want, want_len) != 0) || p[hl] != 0xcc)
		test_fail_at(__FILE__, line, "emitted options differ (hdr_len %zu)", hl);
}

TEST(wire_tcp_emit_option_layouts)
{
	struct utcp_tcp_opts o = {0};
	check_emitted_options(&o, NULL, 0, __LINE__);

	o = (struct utcp_tcp_opts){.has_mss = true, .mss = 1024};
	static const uint8_t mss[] = {2, 4, 0x04, 0x00};
	check_emitted_options(&o, mss, sizeof(mss), __LINE__);

	o = (struct utcp_tcp_opts){.sack_permitted = true};
	static const uint8_t sp[] = {1, 1, 4, 2};
	check_emitted_options(&o, sp, sizeof(sp), __LINE__);

	o = (struct utcp_tcp_opts){.has_ts = true, .ts_val = 0x01020304, .ts_ecr = 0xa0b0c0d0};
	static const uint8_t ts[] = {1, 1, 8, 10, 1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0};
	check_emitted_options(&o, ts, sizeof(ts), __LINE__);

	o = (struct utcp_tcp_opts){.has_wscale = true, .wscale = 7};
	static const uint8_t ws[] = {1, 3, 3, 7};
	check_emitted_options(&o, ws, sizeof(ws), __LINE__);

	o = (struct utcp_tcp_opts){.has_wscale = true, .wscale = 200}; /* never sent above 14 */
	static const uint8_t ws14[] = {1, 3, 3, 14};
	check_emitted_options(&o, ws14, sizeof(ws14), __LINE__);

	o = (struct utcp_tcp_opts){.sack_count = 1, .sack = {{1000, 2000}}};
	static const uint8_t sack[] = {1, 1, 5, 10, 0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0};
	check_emitted_options(&o, sack, sizeof(sack), __LINE__);

	/* SYN without timestamps: MSS, NOP NOP SACK_PERM, NOP WSCALE. */
	o = (struct utcp_tcp_opts){
	    .has_mss = true, .mss = 1460, .sack_permitted = true, .has_wscale = true, .wscale = 2};
	static const uint8_t syn[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 2};
	check_emitted_options(&o, syn, sizeof(syn), __LINE__);
}

TEST(wire_tcp_emit_syn_exact_bytes)
{
	struct tcp_hdr h = {.sport = 40000,
			    .dport = 80,
			    .seq = 100,
			    .ack = 0,
			    .hdr_len = 7, /* ignored */
			    .flags = UTCP_TH_SYN,
			    .wnd = 6144,
			    .csum = 0xffff, /* ignored */
			    .urp = 0,
			    .opts = {.has_mss = true,
				     .mss = 1024,
				     .sack_permitted = true,
				     .has_ts = true,
				     .ts_val = 1000,
				     .ts_ecr = 0,
				     .has_wscale = true,
				     .wscale = 7}};
	uint8_t p[60];
	memset(p, 0xee, sizeof(p));
	REQUIRE_EQ(tcp_emit(p, &h), 40);
	CHECK_EQ(load_be16(p + 16), 0); /* checksum written as 0 */
	tcp_fill_checksum(p, 40, addr_a, addr_b);
	CHECK_EQ(memcmp(p, syn_seg, 40), 0);
	CHECK_EQ(load_be16(p + 16), 0x7cd5);
}

TEST(wire_tcp_emit_header_fields)
{
	struct tcp_hdr h = {.sport = 0xfedc,
			    .dport = 0x0102,
			    .seq = 0xdeadbeef,
			    .ack = 0x01234567,
			    .flags = 0xff & ~(UTCP_TH_SYN), /* every other bit, ECE and CWR too */
			    .wnd = 0xabcd,
			    .urp = 0x7788};
	uint8_t p[20];
	REQUIRE_EQ(tcp_emit(p, &h), 20);
	static const uint8_t want[20] = {0xfe, 0xdc, 0x01, 0x02, 0xde, 0xad, 0xbe,
					 0xef, 0x01, 0x23, 0x45, 0x67, 0x50, 0xfd,
					 0xab, 0xcd, 0x00, 0x00, 0x77, 0x88};
	CHECK_EQ(memcmp(p, want, 20), 0);
}

/* RFC 2018 3: SACK blocks that do not fit in 40 bytes are left out. */
TEST(wire_tcp_emit_sack_blocks_capped_at_40_bytes)
{
	struct utcp_tcp_opts o = {.sack_count = 4};
	for (int i = 0; i < 4; i++) {
		o.sack[i].left = 100u * (uint32_t)i + 1;
		o.sack[i].right = 100u * (uint32_t)i + 50;
	}
	CHECK_EQ(tcp_options_len(&o), 36); /* 4 blocks alone fit */
	o.has_ts = true;
	CHECK_EQ(tcp_options_len(&o), 40); /* 12 + 4 + 3 * 8 */
	o.sack_permitted = o.has_mss = o.has_wscale = true;
	CHECK_EQ(tcp_options_len(&o), 40); /* 24 + 4 + 2 * 8 */

	struct tcp_hdr h = {.opts = o};
	uint8_t p[60];
	REQUIRE_EQ(tcp_emit(p, &h), 60);
	struct tcp_hdr back;
	REQUIRE_EQ(tcp_parse(p, 60, &back), TCP_OK);
	REQUIRE_EQ(back.opts.sack_count, 2);
	CHECK_EQ(back.opts.sack[0].left, 1);
	CHECK_EQ(back.opts.sack[1].right, 150);

	/* A count above the array is treated as the array's size. */
	struct utcp_tcp_opts big = o;
	big.has_ts = big.sack_permitted = big.has_mss = big.has_wscale = false;
	big.sack_count = 200;
	CHECK_EQ(tcp_options_len(&big), 36);
}

/* Every combination of options: tcp_options_len agrees with tcp_emit, the
 * result is word-aligned and at most 40 bytes, and parses back to the
 * same options (SACK blocks possibly cut to what fit). */
TEST(wire_tcp_emit_all_combinations_round_trip)
{
	for (unsigned mask = 0; mask < 16; mask++) {
		for (uint8_t n = 0; n <= UTCP_MAX_SACK; n++) {
			struct tcp_hdr h = {.seq = mask, .flags = UTCP_TH_ACK, .wnd = 1000};
			struct utcp_tcp_opts *o = &h.opts;
			o->has_mss = mask & 1;
			o->mss = 1400 + (uint16_t)mask;
			o->sack_permitted = (mask >> 1) & 1;
			o->has_ts = (mask >> 2) & 1;
			o->ts_val = 0x11111111u * mask;
			o->ts_ecr = ~o->ts_val;
			o->has_wscale = (mask >> 3) & 1;
			o->wscale = (uint8_t)(mask % 15);
			o->sack_count = n;
			for (uint8_t i = 0; i < n; i++) {
				o->sack[i].left = 0xffffff00u + 64u * i;
				o->sack[i].right = o->sack[i].left + 32;
			}
			uint8_t p[60];
			size_t hl = tcp_emit(p, &h);
			REQUIRE_EQ(hl, TCP_HDR_LEN + tcp_options_len(o));
			REQUIRE(hl % 4 == 0 && hl <= TCP_MAX_HDR_LEN);
			struct tcp_hdr b;
			REQUIRE_EQ(tcp_parse(p, hl, &b), TCP_OK);
			REQUIRE_EQ(b.hdr_len, hl);
			CHECK_EQ(b.opts.has_mss, o->has_mss);
			if (o->has_mss)
				CHECK_EQ(b.opts.mss, o->mss);
			CHECK_EQ(b.opts.sack_permitted, o->sack_permitted);
			CHECK_EQ(b.opts.has_ts, o->has_ts);
			if (o->has_ts) {
				CHECK_EQ(b.opts.ts_val, o->ts_val);
				CHECK_EQ(b.opts.ts_ecr, o->ts_ecr);
			}
			CHECK_EQ(b.opts.has_wscale, o->has_wscale);
			if (o->has_wscale)
				CHECK_EQ(b.opts.wscale, o->wscale);
			REQUIRE(b.opts.sack_count <= n);
			/* A block was dropped only if one more would not fit. */
			if (b.opts.sack_count < n)
				CHECK(hl - TCP_HDR_LEN + 8 + (b.opts.sack_count ? 0 : 4) > 40);
			for (uint8_t i = 0; i < b.opts.sack_count; i++) {
				CHECK_EQ(b.opts.sack[i].left, o->sack[i].left);
				CHECK_EQ(b.opts.sack[i].right, o->sack[i].right);
			}
		}
	}
}

/* ---- checksum ---------------------------------------------------------- */

TEST(wire_tcp_checksum_known_value)
{
	uint8_t p[64];
	size_t len = build_data_seg(p);
	REQUIRE_EQ(len, 31);
	tcp_fill_checksum(p, len, addr_b, addr_a);
	CHECK_EQ(load_be16(p + 16), 0x59c6);
	CHECK(tcp_checksum_ok(p, len, addr_b, addr_a));
	/* Filling again over a non-zero field gives the same value. */
	tcp_fill_checksum(p, len, addr_b, addr_a);
	CHECK_EQ(load_be16(p + 16), 0x59c6);
}

TEST(wire_tcp_checksum_rejects_every_single_bit_flip)
{
	uint8_t p[64];
	size_t len = build_data_seg(p);
	tcp_fill_checksum(p, len, addr_b, addr_a);
	REQUIRE(tcp_checksum_ok(p, len, addr_b, addr_a));
	for (size_t byte = 0; byte < len; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			p[byte] ^= (uint8_t)(1u << bit);
			if (tcp_checksum_ok(p, len, addr_b, addr_a))
				test_fail_at(__FILE__, __LINE__, "flip of byte %zu bit %d accepted",
					     byte, bit);
			p[byte] ^= (uint8_t)(1u << bit);
		}
	}
	for (int bit = 0; bit < 32; bit++) {
		CHECK(!tcp_checksum_ok(p, len, addr_b ^ (1u << bit), addr_a));
		CHECK(!tcp_checksum_ok(p, len, addr_b, addr_a ^ (1u << bit)));
	}
	/* Length is in the pseudo-header and covers the payload. */
	CHECK(!tcp_checksum_ok(p, len - 1, addr_b, addr_a));
	CHECK(!tcp_checksum_ok(p, 10, addr_b, addr_a));
	CHECK(tcp_checksum_ok(p, len, addr_b, addr_a));
}

TEST(wire_tcp_checksum_split_matches_contiguous)
{
	uint8_t seg[24 + 37];
	struct tcp_hdr h = {.sport = 1,
			    .dport = 2,
			    .seq = 3,
			    .ack = 4,
			    .flags = UTCP_TH_ACK,
			    .wnd = 5,
			    .opts = {.has_mss = true, .mss = 1}};
	size_t hl = tcp_emit(seg, &h);
	REQUIRE_EQ(hl, 24);
	for (size_t i = 0; i < 37; i++)
		seg[hl + i] = (uint8_t)(0x9b * (i + 1));
	tcp_fill_checksum(seg, sizeof(seg), addr_a, addr_b);
	uint16_t want = load_be16(seg + 16);

	for (size_t k = 0; k <= 37; k++) {
		uint8_t hdr[24];
		memcpy(hdr, seg, hl);
		store_be16(hdr + 16, 0x1234); /* overwritten */
		tcp_fill_checksum_split(hdr, hl, seg + hl, k, seg + hl + k, 37 - k, addr_a, addr_b);
		REQUIRE_EQ(load_be16(hdr + 16), want);
	}
}

/* ---- the lesson notation ----------------------------------------------- */

static const char *fmt(char *buf, size_t len, uint8_t flags, uint32_t seq, uint32_t ack,
		       uint16_t wnd, uint32_t payload, const struct utcp_tcp_opts *o)
{
	struct tcp_hdr h = {.seq = seq, .ack = ack, .flags = flags, .wnd = wnd};
	if (o)
		h.opts = *o;
	return tcp_format(buf, len, &h, payload);
}

TEST(wire_tcp_format_lesson_examples)
{
	char b[160];
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1024};
	CHECK_STR(fmt(b, sizeof(b), UTCP_TH_SYN, 100, 0, 6144, 0, &mss),
		  "SYN 100(0) win 6144 <mss 1024>");
	CHECK_STR(fmt(b, sizeof(b), UTCP_TH_SYN | UTCP_TH_ACK, 800, 101, 6144, 0, &mss),
		  "SYN 800(0) ack 101 win 6144 <mss 1024>");
	CHECK_STR(fmt(b, sizeof(b), UTCP_TH_ACK | UTCP_TH_PSH, 801, 121, 4096, 10, NULL),
		  "801(10) ack 121 win 4096");
	CHECK_STR(fmt(b, sizeof(b), UTCP_TH_FIN | UTCP_TH_ACK, 121, 811, 4096, 0, NULL),
		  "FIN 121(0) ack 811 win 4096");
	CHECK_STR(fmt(b, sizeof(b), UTCP_TH_RST | UTCP_TH_ACK, 0, 101, 0, 0, NULL),
		  "RST 0(0) ack 101 win 0");
}

TEST(wire_tcp_format_flags_and_urgent)
{
	char b[160];
	struct tcp_hdr h = {.seq = 4294967295u, .ack = 7, .flags = 0xff, .wnd = 65535, .urp = 12};
	CHECK_STR(tcp_format(b, sizeof(b), &h, 3),
		  "SYN,FIN,RST,URG,ECE,CWR 4294967295(3) ack 7 win 65535 urp 12");
	/* Without URG the urgent pointer is not shown. */
	h.flags = UTCP_TH_PSH;
	CHECK_STR(tcp_format(b, sizeof(b), &h, 0), "4294967295(0) win 65535");
}

TEST(wire_tcp_format_options)
{
	char b[200];
	struct utcp_tcp_opts o = {.has_mss = true,
				  .mss = 1460,
				  .sack_permitted = true,
				  .has_ts = true,
				  .ts_val = 123,
				  .ts_ecr = 456,
				  .has_wscale = true,
				  .wscale = 7,
				  .sack_count = 2,
				  .sack = {{10, 20}, {30, 40}}};
	CHECK_STR(fmt(b, sizeof(b), UTCP_TH_SYN, 1, 0, 2, 0, &o),
		  "SYN 1(0) win 2 <mss 1460,sackOK,ts 123 456,wscale 7,sack 10-20 30-40>");
	struct utcp_tcp_opts s = {.sack_count = 1, .sack = {{5, 9}}};
	CHECK_STR(fmt(b, sizeof(b), UTCP_TH_ACK, 1, 5, 2, 0, &s), "1(0) ack 5 win 2 <sack 5-9>");
	struct utcp_tcp_opts t = {
	    .has_ts = true, .ts_val = 4294967295u, .ts_ecr = 0, .has_wscale = true, .wscale = 14};
	CHECK_STR(fmt(b, sizeof(b), UTCP_TH_ACK, 1, 5, 2, 0, &t),
		  "1(0) ack 5 win 2 <ts 4294967295 0,wscale 14>");
}

TEST(wire_tcp_format_truncates)
{
	char b[8];
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1024};
	CHECK_STR(fmt(b, sizeof(b), UTCP_TH_SYN, 100, 0, 6144, 0, &mss), "SYN 100");
	char one[1] = {'x'};
	CHECK_STR(fmt(one, 1, UTCP_TH_SYN, 100, 0, 6144, 0, &mss), "");
	char none[1] = {'x'};
	fmt(none, 0, UTCP_TH_SYN, 100, 0, 6144, 0, &mss);
	CHECK_EQ(none[0], 'x');
	/* Every length gives a prefix of the full text. */
	char full[64], part[64];
	fmt(full, sizeof(full), UTCP_TH_SYN | UTCP_TH_ACK, 800, 101, 6144, 0, &mss);
	for (size_t len = 1; len <= strlen(full) + 1; len++) {
		fmt(part, len, UTCP_TH_SYN | UTCP_TH_ACK, 800, 101, 6144, 0, &mss);
		REQUIRE_EQ(strlen(part), len - 1 < strlen(full) ? len - 1 : strlen(full));
		REQUIRE(strncmp(part, full, strlen(part)) == 0);
	}
}
