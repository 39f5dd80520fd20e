/* Unit tests of IPv4 header parse/emit (RFC 791), the address classes of
 * RFC 1122 3.2.1.3 and the dotted-quad text functions. */
#include "../harness.h"

#include "utcp/types.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

#include <errno.h>

/* 10.0.0.1 -> 10.0.0.2, id 0x1234, DF, TTL 64, TCP, total length 60: the
 * IP header of a SYN; header checksum 0x1486 computed independently. */
static const uint8_t syn_packet[60] = {
    0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x14, 0x86, 0x0a, 0x00, 0x00,
    0x01, 0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00,
    0x00, 0x00, 0xa0, 0x02, 0x18, 0x00, 0x7c, 0xd5, 0x00, 0x00, 0x02, 0x04, 0x04, 0x00, 0x04,
    0x02, 0x08, 0x0a, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

/* Recompute the header checksum after editing a header of hdr_len bytes. */
static void fix_checksum(uint8_t *p, size_t hdr_len)
{
	store_be16(p + 10, 0);
	store_be16(p + 10, csum_buf(p, hdr_len));
}

TEST(wire_ipv4_parse_valid_header)
{
	struct ipv4_hdr h;
	REQUIRE_EQ(ipv4_parse(syn_packet, sizeof(syn_packet), &h), IPV4_OK);
	CHECK_EQ(h.hdr_len, 20);
	CHECK_EQ(h.tos, 0);
	CHECK_EQ(h.total_len, 60);
	CHECK_EQ(h.id, 0x1234);
	CHECK_EQ(h.frag, IPV4_FLAG_DF);
	CHECK_EQ(h.ttl, 64);
	CHECK_EQ(h.proto, IPV4_PROTO_TCP);
	CHECK_EQ(h.src, utcp_ipv4(10, 0, 0, 1));
	CHECK_EQ(h.dst, utcp_ipv4(10, 0, 0, 2));
	CHECK(!ipv4_is_fragment(&h));
}

TEST(wire_ipv4_parse_ignores_link_padding)
{
	uint8_t p[70];
	memcpy(p, syn_packet, 60);
	memset(p + 60, 0xee, 10);
	struct ipv4_hdr h;
	REQUIRE_EQ(ipv4_parse(p, sizeof(p), &h), IPV4_OK);
	CHECK_EQ(h.total_len, 60);
}

TEST(wire_ipv4_parse_short)
{
	struct ipv4_hdr h;
	for (size_t len = 0; len < IPV4_HDR_LEN; len++)
		CHECK_EQ(ipv4_parse(syn_packet, len, &h), IPV4_ERR_SHORT);
}

TEST(wire_ipv4_parse_version)
{
	uint8_t p[60];
	struct ipv4_hdr h;
	for (unsigned v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		memcpy(p, syn_packet, 60);
		p[0] = (uint8_t)(v << 4 | 5);
		fix_checksum(p, 20);
		CHECK_EQ(ipv4_parse(p, 60, &h), IPV4_ERR_VERSION);
	}
}

TEST(wire_ipv4_parse_header_length)
{
	uint8_t p[60];
	struct ipv4_hdr h;
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		memcpy(p, syn_packet, 60);
		p[0] = (uint8_t)(0x40 | ihl);
		CHECK_EQ(ipv4_parse(p, 60, &h), IPV4_ERR_HDR_LEN);
	}
	/* IHL 15 (60 bytes) past a 40-byte buffer. */
	memcpy(p, syn_packet, 60);
	p[0] = 0x4f;
	store_be16(p + 2, 40);
	CHECK_EQ(ipv4_parse(p, 40, &h), IPV4_ERR_HDR_LEN);
	/* IHL 6 (24 bytes) past a total length of 22. */
	memcpy(p, syn_packet, 60);
	p[0] = 0x46;
	store_be16(p + 2, 22);
	fix_checksum(p, 24);
	CHECK_EQ(ipv4_parse(p, 60, &h), IPV4_ERR_HDR_LEN);
}

TEST(wire_ipv4_parse_total_length)
{
	uint8_t p[60];
	struct ipv4_hdr h;
	memcpy(p, syn_packet, 60);
	store_be16(p + 2, 61);
	fix_checksum(p, 20);
	CHECK_EQ(ipv4_parse(p, 60, &h), IPV4_ERR_TOTAL_LEN);
	/* The unchanged datagram, cut one byte short by the link. */
	CHECK_EQ(ipv4_parse(syn_packet, 59, &h), IPV4_ERR_TOTAL_LEN);
	/* A header-only datagram (total length 20) is fine. */
	store_be16(p + 2, 20);
	fix_checksum(p, 20);
	REQUIRE_EQ(ipv4_parse(p, 60, &h), IPV4_OK);
	CHECK_EQ(h.total_len, 20);
}

TEST(wire_ipv4_parse_error_order)
{
	uint8_t p[60];
	struct ipv4_hdr h;
	/* SHORT before VERSION. */
	memcpy(p, syn_packet, 60);
	p[0] = 0x65;
	CHECK_EQ(ipv4_parse(p, 19, &h), IPV4_ERR_SHORT);
	/* VERSION before HDR_LEN and CHECKSUM. */
	p[0] = 0x61;
	CHECK_EQ(ipv4_parse(p, 60, &h), IPV4_ERR_VERSION);
	/* HDR_LEN before TOTAL_LEN and CHECKSUM (checksum left stale). */
	memcpy(p, syn_packet, 60);
	p[0] = 0x44;
	store_be16(p + 2, 100);
	CHECK_EQ(ipv4_parse(p, 60, &h), IPV4_ERR_HDR_LEN);
	/* TOTAL_LEN before CHECKSUM. */
	p[0] = 0x45;
	CHECK_EQ(ipv4_parse(p, 60, &h), IPV4_ERR_TOTAL_LEN);
}

TEST(wire_ipv4_parse_rejects_every_single_bit_flip)
{
	uint8_t p[60];
	struct ipv4_hdr h;
	for (size_t byte = 0; byte < IPV4_HDR_LEN; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(p, syn_packet, 60);
			p[byte] ^= (uint8_t)(1u << bit);
			enum ipv4_parse_result r = ipv4_parse(p, 60, &h);
			REQUIRE(r != IPV4_OK);
			/* Outside the version, IHL and total length fields the
			 * checksum is what catches it. */
			if (byte != 0 && byte != 2 && byte != 3)
				REQUIRE_EQ(r, IPV4_ERR_CHECKSUM);
		}
	}
}

TEST(wire_ipv4_parse_skips_options)
{
	/* IHL 6: one word of options (NOP NOP NOP EOL), then the payload. */
	uint8_t p[64];
	memcpy(p, syn_packet, 20);
	p[0] = 0x46;
	store_be16(p + 2, 64);
	p[20] = 1;
	p[21] = 1;
	p[22] = 1;
	p[23] = 0;
	memcpy(p + 24, syn_packet + 20, 40);
	fix_checksum(p, 24);
	struct ipv4_hdr h;
	REQUIRE_EQ(ipv4_parse(p, sizeof(p), &h), IPV4_OK);
	CHECK_EQ(h.hdr_len, 24);
	CHECK_EQ(h.total_len, 64);
	CHECK_EQ(h.proto, IPV4_PROTO_TCP);
}

TEST(wire_ipv4_emit_exact_bytes)
{
	struct ipv4_hdr h = {.hdr_len = 99, /* ignored */
			     .tos = 0,
			     .total_len = 60,
			     .id = 0x1234,
			     .frag = IPV4_FLAG_DF,
			     .ttl = 64,
			     .proto = IPV4_PROTO_TCP,
			     .src = utcp_ipv4(10, 0, 0, 1),
			     .dst = utcp_ipv4(10, 0, 0, 2)};
	uint8_t p[IPV4_HDR_LEN];
	memset(p, 0xaa, sizeof(p));
	ipv4_emit(p, &h);
	CHECK_EQ(memcmp(p, syn_packet, IPV4_HDR_LEN), 0);
	CHECK_EQ(load_be16(p + 10), 0x1486);
}

TEST(wire_ipv4_emit_parse_round_trip)
{
	struct ipv4_hdr in = {.tos = 0xb8,
			      .total_len = 1500,
			      .id = 0xfffe,
			      .frag = IPV4_FLAG_MF | 0x0123,
			      .ttl = 1,
			      .proto = IPV4_PROTO_ICMP,
			      .src = 0xfffffffeu,
			      .dst = 0x01020304};
	uint8_t p[1500] = {0};
	ipv4_emit(p, &in);
	struct ipv4_hdr out;
	REQUIRE_EQ(ipv4_parse(p, sizeof(p), &out), IPV4_OK);
	CHECK_EQ(out.hdr_len, 20);
	CHECK_EQ(out.tos, in.tos);
	CHECK_EQ(out.total_len, in.total_len);
	CHECK_EQ(out.id, in.id);
	CHECK_EQ(out.frag, in.frag);
	CHECK_EQ(out.ttl, in.ttl);
	CHECK_EQ(out.proto, in.proto);
	CHECK_EQ(out.src, in.src);
	CHECK_EQ(out.dst, in.dst);
	CHECK(ipv4_is_fragment(&out));
}

TEST(wire_ipv4_fragment_detection)
{
	struct ipv4_hdr h = {0};
	h.frag = IPV4_FLAG_DF;
	CHECK(!ipv4_is_fragment(&h));
	h.frag = IPV4_FLAG_MF;
	CHECK(ipv4_is_fragment(&h));
	h.frag = 1; /* offset 8 bytes, last fragment */
	CHECK(ipv4_is_fragment(&h));
	h.frag = IPV4_FLAG_DF | IPV4_FRAG_OFFSET_MASK;
	CHECK(ipv4_is_fragment(&h));
	h.frag = 0x8000; /* the reserved bit alone */
	CHECK(!ipv4_is_fragment(&h));
}

TEST(wire_ipv4_martian_sources)
{
	CHECK(ipv4_addr_is_martian_src(utcp_ipv4(0, 0, 0, 0)));
	CHECK(ipv4_addr_is_martian_src(utcp_ipv4(0, 1, 2, 3)));
	CHECK(ipv4_addr_is_martian_src(utcp_ipv4(127, 0, 0, 1)));
	CHECK(ipv4_addr_is_martian_src(utcp_ipv4(127, 255, 255, 255)));
	CHECK(ipv4_addr_is_martian_src(utcp_ipv4(224, 0, 0, 1)));
	CHECK(ipv4_addr_is_martian_src(utcp_ipv4(239, 255, 255, 255)));
	CHECK(ipv4_addr_is_martian_src(utcp_ipv4(240, 0, 0, 1)));
	CHECK(ipv4_addr_is_martian_src(utcp_ipv4(255, 255, 255, 255)));
	CHECK(!ipv4_addr_is_martian_src(utcp_ipv4(1, 0, 0, 0)));
	CHECK(!ipv4_addr_is_martian_src(utcp_ipv4(10, 0, 0, 1)));
	CHECK(!ipv4_addr_is_martian_src(utcp_ipv4(126, 255, 255, 255)));
	CHECK(!ipv4_addr_is_martian_src(utcp_ipv4(128, 0, 0, 0)));
	CHECK(!ipv4_addr_is_martian_src(utcp_ipv4(223, 255, 255, 255)));
}

TEST(wire_ipv4_multicast_or_broadcast)
{
	CHECK(ipv4_addr_is_multicast_or_broadcast(utcp_ipv4(224, 0, 0, 0)));
	CHECK(ipv4_addr_is_multicast_or_broadcast(utcp_ipv4(239, 1, 2, 3)));
	CHECK(ipv4_addr_is_multicast_or_broadcast(utcp_ipv4(255, 255, 255, 255)));
	CHECK(!ipv4_addr_is_multicast_or_broadcast(utcp_ipv4(223, 255, 255, 255)));
	CHECK(!ipv4_addr_is_multicast_or_broadcast(utcp_ipv4(240, 0, 0, 1)));
	CHECK(!ipv4_addr_is_multicast_or_broadcast(utcp_ipv4(10, 0, 0, 255)));
	CHECK(!ipv4_addr_is_multicast_or_broadcast(utcp_ipv4(127, 0, 0, 1)));
}

TEST(wire_ipv4_addr_parse_valid)
{
	uint32_t a = 0;
	CHECK_EQ(utcp_ipv4_parse("10.0.0.1", &a), 0);
	CHECK_EQ(a, 0x0a000001);
	CHECK_EQ(utcp_ipv4_parse("255.255.255.255", &a), 0);
	CHECK_EQ(a, 0xffffffffu);
	CHECK_EQ(utcp_ipv4_parse("0.0.0.0", &a), 0);
	CHECK_EQ(a, 0);
	CHECK_EQ(utcp_ipv4_parse("192.168.100.200", &a), 0);
	CHECK_EQ(a, utcp_ipv4(192, 168, 100, 200));
}

TEST(wire_ipv4_addr_parse_rejects)
{
	static const char *const bad[] = {
	    "",		  "1.2.3",	"1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4",
	    "01.2.3.4",	  "1..2.3",	"1.2.3.",    ".1.2.3",	  "a.b.c.d",  "1.2.3.-4",
	    "1.2.3.1000", "1.2.3.0004", "1.2.3.00",  "1,2,3,4",	  "+1.2.3.4", "1.2.3.4\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t a = 0xdeadbeef;
		if (utcp_ipv4_parse(bad[i], &a) != -EINVAL)
			test_fail_at(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		CHECK_EQ(a, 0xdeadbeef);
	}
	uint32_t a;
	CHECK_EQ(utcp_ipv4_parse(NULL, &a), -EINVAL);
}

TEST(wire_ipv4_addr_format)
{
	char buf[16];
	CHECK_STR(utcp_ipv4_format(utcp_ipv4(10, 0, 0, 1), buf, sizeof(buf)), "10.0.0.1");
	CHECK_STR(utcp_ipv4_format(0xffffffffu, buf, sizeof(buf)), "255.255.255.255");
	CHECK_STR(utcp_ipv4_format(0, buf, sizeof(buf)), "0.0.0.0");
	char small[6];
	CHECK_STR(utcp_ipv4_format(utcp_ipv4(192, 168, 1, 1), small, sizeof(small)), "192.1");
	/* Text round trip. */
	uint32_t a;
	REQUIRE_EQ(utcp_ipv4_parse(utcp_ipv4_format(0xc0a80a0b, buf, sizeof(buf)), &a), 0);
	CHECK_EQ(a, 0xc0a80a0b);
}
