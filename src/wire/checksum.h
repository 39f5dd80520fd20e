/*
 * The Internet checksum (RFC 1071): ones' complement sum of 16-bit words.
 * Sums are kept as 32-bit partial sums so that a pseudo-header, a header and
 * a payload in separate buffers (even at odd offsets) can be combined.
 */
#ifndef UTCP_WIRE_CHECKSUM_H
#define UTCP_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes at p to a partial sum. `odd` says whether an odd number of
 * bytes precede p in the checksummed stream (so p[0] is a low-order byte).
 * Returns the new partial sum (not yet folded). */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len, int odd);

/* Fold a partial sum to 16 bits and complement it: the value to store in a
 * checksum field (host order; store with store_be16). */
uint16_t csum_finish(uint32_t sum);

/* Partial sum of the IPv4 pseudo-header (RFC 9293 3.1): source,
 * destination (host order), protocol and the TCP length. */
uint32_t csum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t proto,
			  uint16_t len);

/* Checksum of a whole buffer (an IPv4 header, say): csum_finish(csum_add). */
uint16_t csum_buf(const uint8_t *p, size_t len);

#endif
