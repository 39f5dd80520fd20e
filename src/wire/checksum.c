/*
 * The Internet checksum (RFC 1071) and the TCP pseudo-header
 * (RFC 9293 3.1).
 *
 * Partial sums are carried in 32 bits and only folded at the end, so a
 * checksum can be built from several buffers (pseudo-header, header,
 * payload in two ring pieces). RFC 1071 2(B): the sum is independent of
 * byte order and of where it is split, as long as every byte keeps its
 * position (high or low) within its 16-bit word; `odd` carries that
 * position across buffer boundaries.
 */
#include "wire/checksum.h"

/* Fold a 64-bit accumulator into 32 bits with end-around carry. RFC 1071
 * 2(C): deferring the carries and adding them back later gives the same
 * ones' complement sum. */
static uint32_t fold32(uint64_t acc)
{
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len, int odd)
{
	uint64_t acc = sum;

	/* An odd number of bytes came before p: p[0] completes a word whose
	 * high byte was the previous buffer's last byte. */
	if (odd && len > 0) {
		acc += p[0];
		p++;
		len--;
	}
	/* Each word adds at most 0xffff: the 64-bit accumulator cannot
	 * overflow for any buffer that fits in memory, so fold once. */
	while (len >= 2) {
		acc += (uint32_t)((p[0] << 8) | p[1]);
		p += 2;
		len -= 2;
	}
	/* RFC 1071 4.1: a trailing byte is the high half of a zero-padded
	 * word. */
	if (len == 1)
		acc += (uint32_t)p[0] << 8;
	return fold32(acc);
}

uint16_t csum_finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	/* RFC 9293 3.1: source, destination, zero, PTCL, TCP length; the
	 * zero byte and the protocol form one 16-bit word. */
	uint64_t acc = (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu);
	acc += proto;
	acc += len;
	return fold32(acc);
}

uint16_t csum_buf(const uint8_t *p, size_t len)
{
	return csum_finish(csum_add(0, p, len, 0));
}
