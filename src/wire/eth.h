/*
 * Ethernet II framing (IEEE 802.3 with an EtherType, RFC 894 for IPv4).
 * Pure: no state, never reads past the buffer. The frame check sequence
 * is not part of what a TAP device or a capture carries, so it is absent
 * here too.
 */
#ifndef UTCP_WIRE_ETH_H
#define UTCP_WIRE_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_ADDR_LEN 6
#define ETH_HDR_LEN 14
#define ETH_MIN_FRAME 60 /* RFC 894: shorter frames are padded (FCS excluded) */
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_MIN 0x0600 /* below this the field is an 802.3 length */

struct eth_hdr {
	uint8_t dst[ETH_ADDR_LEN];
	uint8_t src[ETH_ADDR_LEN];
	uint16_t type; /* EtherType, host order */
};

enum eth_parse_result {
	ETH_OK = 0,
	ETH_ERR_SHORT, /* fewer than 14 bytes */
};

/* Parse the header at p[0..len). The payload is p[14..len), padding
 * included: the protocol inside knows its own length. */
enum eth_parse_result eth_parse(const uint8_t *p, size_t len, struct eth_hdr *h);

/* Write the 14-byte header into p. */
void eth_emit(uint8_t *p, const struct eth_hdr *h);

extern const uint8_t eth_broadcast[ETH_ADDR_LEN];

/* Group addresses (multicast, broadcast) have the I/G bit set. */
static inline bool eth_addr_is_group(const uint8_t *a)
{
	return (a[0] & 1) != 0;
}

bool eth_addr_is_zero(const uint8_t *a);

/* "02:75:0a:00:00:02" into buf (at least 18 bytes). */
const char *eth_addr_format(const uint8_t *a, char *buf, size_t len);

/* Parse "aa:bb:cc:dd:ee:ff". Returns 0, or -1 when it is not one. */
int eth_addr_parse(const char *text, uint8_t out[ETH_ADDR_LEN]);

#endif
