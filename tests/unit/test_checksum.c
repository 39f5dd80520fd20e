/* Unit tests of the Internet checksum (RFC 1071) and the TCP pseudo-header
 * sum (RFC 9293 3.1): known vectors, odd lengths, odd split offsets. */
#include "../harness.h"

#include "wire/bytes.h"
#include "wire/checksum.h"

/* The fold that csum_finish complements, for checking partial sums. */
static uint16_t fold16(uint32_t sum)
{
	return (uint16_t)~csum_finish(sum);
}

TEST(wire_csum_rfc1071_example)
{
	/* RFC 1071 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 once the
	 * carries are folded in; the checksum is its complement. */
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	CHECK_EQ(fold16(csum_add(0, b, sizeof(b), 0)), 0xddf2);
	CHECK_EQ(csum_buf(b, sizeof(b)), 0x220d);
	/* RFC 1071 2(B): with every byte shifted one position (odd start),
	 * the same bytes sum to the byte-swapped value. */
	CHECK_EQ(fold16(csum_add(0, b, sizeof(b), 1)), 0xf2dd);
}

TEST(wire_csum_ipv4_header_vector)
{
	/* A widely published IPv4 header whose checksum field is 0xb861. */
	uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	CHECK_EQ(csum_buf(h, sizeof(h)), 0xb861);
	store_be16(h + 10, 0xb861);
	CHECK_EQ(csum_buf(h, sizeof(h)), 0);
}

TEST(wire_csum_odd_length_pads_with_zero)
{
	static const uint8_t b[] = {0x01, 0x02, 0x03};
	/* 0x0102 + 0x0300 (the last byte is the high half of a word). */
	CHECK_EQ(fold16(csum_add(0, b, 3, 0)), 0x0402);
	CHECK_EQ(csum_buf(b, 3), 0xfbfd);
	CHECK_EQ(csum_buf(b, 1), (uint16_t)~0x0100);
	CHECK_EQ(csum_buf(b, 0), 0xffff);
}

TEST(wire_csum_finish_folds_carries)
{
	CHECK_EQ(csum_finish(0), 0xffff);
	CHECK_EQ(csum_finish(0xffff), 0);
	CHECK_EQ(csum_finish(0x0001ffff), 0xfffe); /* 0xffff + 1 -> 0x0001 */
	CHECK_EQ(csum_finish(0xffffffffu), 0);	   /* 0xffff + 0xffff -> 0xffff */
	CHECK_EQ(csum_finish(0x00012345), (uint16_t)~0x2346);
}

/* Every split of a buffer into two or three pieces, with the `odd` flag
 * derived from each piece's offset, gives the checksum of the whole. */
TEST(wire_csum_split_at_every_offset)
{
	uint8_t b[101];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(b); i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 16);
	}
	for (size_t len = 0; len <= sizeof(b); len++) {
		uint16_t whole = csum_buf(b, len);
		for (size_t k = 0; k <= len; k++) {
			uint32_t s = csum_add(0, b, k, 0);
			s = csum_add(s, b + k, len - k, (int)(k & 1));
			REQUIRE_EQ(csum_finish(s), whole);
		}
	}
	for (size_t k = 0; k <= sizeof(b); k++) {
		for (size_t m = k; m <= sizeof(b); m++) {
			uint32_t s = csum_add(0, b, k, 0);
			s = csum_add(s, b + k, m - k, (int)(k & 1));
			s = csum_add(s, b + m, sizeof(b) - m, (int)(m & 1));
			REQUIRE_EQ(csum_finish(s), csum_buf(b, sizeof(b)));
		}
	}
}

TEST(wire_csum_continues_from_partial_sum)
{
	/* A non-zero starting sum is added, not replaced. */
	static const uint8_t b[] = {0x12, 0x34};
	CHECK_EQ(fold16(csum_add(0x00010000u, b, 2, 0)), 0x1235);
	CHECK_EQ(fold16(csum_add(0xffffffffu, b, 2, 0)), 0x1234);
}

TEST(wire_csum_pseudo_header_matches_bytes)
{
	/* RFC 9293 3.1: src, dst, zero, PTCL, TCP length as 12 bytes. */
	uint32_t src = 0xc0a80001, dst = 0x0a000002;
	uint8_t ph[12] = {0};
	store_be32(ph, src);
	store_be32(ph + 4, dst);
	ph[9] = 6;
	store_be16(ph + 10, 1480);
	CHECK_EQ(fold16(csum_pseudo_ipv4(src, dst, 6, 1480)), fold16(csum_add(0, ph, 12, 0)));
	/* 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 20 */
	CHECK_EQ(fold16(csum_pseudo_ipv4(0x0a000001, 0x0a000002, 6, 20)), 0x141d);
	/* Carries fold: 255.255.255.255 twice. */
	CHECK_EQ(fold16(csum_pseudo_ipv4(0xffffffffu, 0xffffffffu, 0, 0)), 0xffff);
}

TEST(wire_csum_large_buffer_carries)
{
	static uint8_t b[65537];
	memset(b, 0xff, sizeof(b));
	/* 32768 words of 0xffff sum to 0xffff (ones' complement zero)... */
	CHECK_EQ(csum_buf(b, 65536), 0);
	/* ...and the odd last byte adds 0xff00. */
	CHECK_EQ(csum_buf(b, 65537), 0x00ff);
}
