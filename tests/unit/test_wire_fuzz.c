/*
 * Deterministic fuzzing of the wire parsers: random bytes, structured
 * option lists and mutations of valid packets, fed to ipv4_parse,
 * tcp_parse and tcp_parse_options. Every input is copied into a heap block
 * of exactly its length, so AddressSanitizer reports any read past it.
 * Whatever parses is checked for its invariants and, for TCP, re-emitted
 * and parsed again to the same header and options.
 */
#include "../harness.h"

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <stdlib.h>

#define FUZZ_ITERATIONS 200000

/* Fixed-seed xorshift64: the same inputs on every run. */
static uint64_t fuzz_state;

static uint32_t fuzz_rand(void)
{
	uint64_t x = fuzz_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	fuzz_state = x;
	return (uint32_t)(x >> 32);
}

static uint32_t fuzz_below(uint32_t n)
{
	return n ? fuzz_rand() % n : 0;
}

/* The options as tcp_emit will carry them: SACK blocks may be cut to what
 * fits in 40 bytes, so the re-parsed list must be a prefix, cut only if one
 * more block could not have fitted. */
static int same_options(const struct utcp_tcp_opts *a, const struct utcp_tcp_opts *b)
{
	if (a->has_mss != b->has_mss || (a->has_mss && a->mss != b->mss))
		return 0;
	if (a->has_wscale != b->has_wscale || (a->has_wscale && a->wscale != b->wscale))
		return 0;
	if (a->sack_permitted != b->sack_permitted || a->has_ts != b->has_ts)
		return 0;
	if (a->has_ts && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr))
		return 0;
	if (b->sack_count > a->sack_count)
		return 0;
	if (b->sack_count < a->sack_count && tcp_options_len(b) + 8 + (b->sack_count ? 0 : 4) <= 40)
		return 0;
	for (unsigned i = 0; i < b->sack_count; i++) {
		if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
			return 0;
	}
	return 1;
}

/* Checks on one TCP segment; returns 1 if it parsed. */
static int check_tcp(const uint8_t *p, size_t len)
{
	struct tcp_hdr h;
	if (tcp_parse(p, len, &h) != TCP_OK)
		return 0;
	REQUIRE(h.hdr_len >= TCP_HDR_LEN && h.hdr_len <= len && h.hdr_len % 4 == 0);
	REQUIRE(!((h.flags & UTCP_TH_SYN) && (h.flags & (UTCP_TH_FIN | UTCP_TH_RST))));
	REQUIRE(h.opts.wscale <= TCP_MAX_WSCALE);
	REQUIRE(h.opts.sack_count <= UTCP_MAX_SACK);

	uint8_t out[TCP_MAX_HDR_LEN];
	size_t hl = tcp_emit(out, &h);
	REQUIRE_EQ(hl, TCP_HDR_LEN + tcp_options_len(&h.opts));
	struct tcp_hdr back;
	REQUIRE_EQ(tcp_parse(out, hl, &back), TCP_OK);
	REQUIRE(back.sport == h.sport && back.dport == h.dport && back.seq == h.seq &&
		back.ack == h.ack && back.flags == h.flags && back.wnd == h.wnd &&
		back.urp == h.urp && back.hdr_len == hl);
	REQUIRE(same_options(&h.opts, &back.opts));

	char text[48];
	tcp_format(text, sizeof(text), &h, (uint32_t)(len - h.hdr_len));
	REQUIRE(strlen(text) < sizeof(text));
	return 1;
}

/* Checks on one option list; returns 1 if it parsed. */
static int check_options(const uint8_t *p, size_t len)
{
	struct utcp_tcp_opts o;
	if (tcp_parse_options(p, len, &o) != TCP_OK)
		return 0;
	REQUIRE(o.wscale <= TCP_MAX_WSCALE && o.sack_count <= UTCP_MAX_SACK);
	struct tcp_hdr h = {.opts = o};
	uint8_t out[TCP_MAX_HDR_LEN];
	size_t hl = tcp_emit(out, &h);
	struct utcp_tcp_opts back;
	REQUIRE_EQ(tcp_parse_options(out + TCP_HDR_LEN, hl - TCP_HDR_LEN, &back), TCP_OK);
	REQUIRE(same_options(&o, &back));
	return 1;
}

/* Checks on one IPv4 datagram, and on its TCP payload if it parsed. */
static int check_ipv4(const uint8_t *p, size_t len)
{
	struct ipv4_hdr h;
	if (ipv4_parse(p, len, &h) != IPV4_OK)
		return 0;
	REQUIRE((p[0] >> 4) == 4);
	REQUIRE(h.hdr_len >= IPV4_HDR_LEN && h.hdr_len % 4 == 0);
	REQUIRE(h.hdr_len <= h.total_len && h.total_len <= len);
	REQUIRE_EQ(csum_buf(p, h.hdr_len), 0);
	check_tcp(p + h.hdr_len, h.total_len - h.hdr_len);
	(void)tcp_checksum_ok(p + h.hdr_len, h.total_len - h.hdr_len, h.src, h.dst);
	return 1;
}

/* Feed one input, copied to a block of exactly len bytes. */
static void feed(const uint8_t *src, size_t len, int *parsed)
{
	uint8_t *p = malloc(len ? len : 1);
	REQUIRE(p != NULL);
	if (len)
		memcpy(p, src, len);
	parsed[0] += check_ipv4(p, len);
	parsed[1] += check_tcp(p, len);
	parsed[2] += check_options(p, len < 40 ? len : 40);
	free(p);
}

/* Append one option, well-formed or nearly so, at p; returns its length. */
static size_t random_option(uint8_t *p, size_t room)
{
	static const uint8_t kinds[] = {
	    TCP_OPT_EOL,       TCP_OPT_NOP,  TCP_OPT_MSS, TCP_OPT_WSCALE,
	    TCP_OPT_SACK_PERM, TCP_OPT_SACK, TCP_OPT_TS,  30};
	static const uint8_t lens[] = {1, 1, 4, 3, 2, 10, 10, 6};
	if (room == 0)
		return 0;
	uint32_t k = fuzz_below(sizeof(kinds));
	size_t olen = lens[k];
	if (kinds[k] == TCP_OPT_SACK)
		olen = 2 + 8 * (1 + fuzz_below(4));
	if (fuzz_below(16) == 0)
		olen = fuzz_below(12); /* a wrong length now and then */
	if (olen > room)
		olen = room;
	p[0] = kinds[k];
	if (olen > 1) {
		p[1] = (uint8_t)olen;
		for (size_t i = 2; i < olen; i++)
			p[i] = (uint8_t)fuzz_rand();
	}
	return olen ? olen : 1;
}

/* A TCP segment with a random header and a random option list. */
static size_t random_segment(uint8_t *p, size_t room)
{
	size_t opt_space = 4 * fuzz_below(11);
	for (size_t i = 0; i < TCP_HDR_LEN; i++)
		p[i] = (uint8_t)fuzz_rand();
	p[12] = (uint8_t)(((TCP_HDR_LEN + opt_space) / 4) << 4);
	p[13] &= (uint8_t)~UTCP_TH_SYN;
	size_t used = 0;
	while (used < opt_space)
		used += random_option(p + TCP_HDR_LEN + used, opt_space - used);
	size_t len = TCP_HDR_LEN + opt_space + fuzz_below(8);
	for (size_t i = TCP_HDR_LEN + opt_space; i < len && i < room; i++)
		p[i] = (uint8_t)fuzz_rand();
	return len < room ? len : room;
}

/* An IPv4 datagram around a random segment, checksummed. */
static size_t random_datagram(uint8_t *p, size_t room)
{
	size_t seg = random_segment(p + IPV4_HDR_LEN, room - IPV4_HDR_LEN);
	struct ipv4_hdr h = {.total_len = (uint16_t)(IPV4_HDR_LEN + seg),
			     .ttl = 64,
			     .proto = IPV4_PROTO_TCP,
			     .src = fuzz_rand(),
			     .dst = fuzz_rand()};
	ipv4_emit(p, &h);
	tcp_fill_checksum(p + IPV4_HDR_LEN, seg, h.src, h.dst);
	return IPV4_HDR_LEN + seg;
}

/* Flip a few bits or bytes, sometimes cut the end, sometimes repair the
 * IPv4 checksum so that the mutation reaches the TCP parser. */
static size_t mutate(uint8_t *p, size_t len)
{
	unsigned edits = 1 + fuzz_below(4);
	for (unsigned e = 0; e < edits && len; e++) {
		size_t at = fuzz_below((uint32_t)len);
		if (fuzz_below(2))
			p[at] ^= (uint8_t)(1u << fuzz_below(8));
		else
			p[at] = (uint8_t)fuzz_rand();
	}
	if (fuzz_below(8) == 0 && len)
		len = fuzz_below((uint32_t)len + 1);
	if (fuzz_below(2) && len >= IPV4_HDR_LEN) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;
		if (ihl >= IPV4_HDR_LEN && ihl <= len) {
			store_be16(p + 10, 0);
			store_be16(p + 10, csum_buf(p, ihl));
		}
	}
	return len;
}

TEST(wire_fuzz_parsers_total_and_round_trip)
{
	uint8_t buf[128];
	int parsed[3] = {0, 0, 0};
	fuzz_state = 0x2545f4914f6cdd1dull;
	for (int it = 0; it < FUZZ_ITERATIONS; it++) {
		size_t len;
		switch (it % 4) {
		case 0: /* raw random bytes */
			len = fuzz_below(90);
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)fuzz_rand();
			break;
		case 1: /* a structured segment, mutated half the time */
			len = random_segment(buf, sizeof(buf));
			if (fuzz_below(2))
				len = mutate(buf, len);
			break;
		case 2: /* a valid datagram, mutated */
			len = mutate(buf, random_datagram(buf, sizeof(buf)));
			break;
		default: /* a bare option list */
			len = 0;
			while (len < 40 && fuzz_below(8))
				len += random_option(buf + len, 40 - len);
			break;
		}
		feed(buf, len, parsed);
	}
	/* The generators must reach the deep paths, not only the errors. */
	CHECK(parsed[0] > FUZZ_ITERATIONS / 40);
	CHECK(parsed[1] > FUZZ_ITERATIONS / 20);
	CHECK(parsed[2] > FUZZ_ITERATIONS / 10);
}

/* Every prefix of valid packets, so that each length check is hit at
 * each boundary. */
TEST(wire_fuzz_every_truncation)
{
	uint8_t buf[128];
	int parsed[3] = {0, 0, 0};
	fuzz_state = 0x9e3779b97f4a7c15ull;
	for (int it = 0; it < 500; it++) {
		size_t len = random_datagram(buf, sizeof(buf));
		for (size_t cut = 0; cut <= len; cut++) {
			feed(buf, cut, parsed);
			feed(buf + IPV4_HDR_LEN, cut > IPV4_HDR_LEN ? cut - IPV4_HDR_LEN : 0,
			     parsed);
		}
	}
	CHECK(parsed[0] > 0 && parsed[1] > 0 && parsed[2] > 0);
}
