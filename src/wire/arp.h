/*
 * ARP packets for IPv4 over Ethernet (RFC 826). Pure: no state, never
 * reads past the buffer. Parsing accepts only hardware type 1 (Ethernet)
 * with 6-byte addresses and protocol type 0x0800 with 4-byte addresses;
 * everything else is someone else's ARP and is rejected with a reason.
 */
#ifndef UTCP_WIRE_ARP_H
#define UTCP_WIRE_ARP_H

#include "wire/eth.h"

#include <stddef.h>
#include <stdint.h>

#define ARP_LEN 28 /* Ethernet/IPv4 */
#define ARP_HRD_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* RFC 826's packet, field names as the RFC gives them; addresses of the
 * protocol (IPv4) in host order. */
struct arp_pkt {
	uint16_t op;
	uint8_t sha[ETH_ADDR_LEN]; /* sender hardware address */
	uint32_t spa;              /* sender protocol address */
	uint8_t tha[ETH_ADDR_LEN]; /* target hardware address */
	uint32_t tpa;              /* target protocol address */
};

enum arp_parse_result {
	ARP_OK = 0,
	ARP_ERR_SHORT,  /* fewer than 28 bytes */
	ARP_ERR_FORMAT, /* not Ethernet/IPv4: hrd, pro, hln or pln */
	ARP_ERR_OP,     /* neither request nor reply */
};

/* Parse the ARP packet at p[0..len) (bytes past 28, Ethernet padding,
 * are ignored). */
enum arp_parse_result arp_parse(const uint8_t *p, size_t len, struct arp_pkt *a);

/* Write a 28-byte Ethernet/IPv4 ARP packet into p. */
void arp_emit(uint8_t *p, const struct arp_pkt *a);

#endif
