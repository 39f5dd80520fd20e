/* ARP packet parse and emit (RFC 826, "Packet format"); see arp.h. */
#include "wire/arp.h"

#include "wire/bytes.h"

#include <string.h>

#define ARP_PRO_IPV4 ETH_TYPE_IPV4 /* RFC 826: ar$pro uses the EtherType space */

enum arp_parse_result arp_parse(const uint8_t *p, size_t len, struct arp_pkt *a)
{
	if (len < ARP_LEN)
		return ARP_ERR_SHORT;
	/* ar$hrd, ar$pro, ar$hln, ar$pln: RFC 826's reception algorithm
	 * first checks that it speaks this hardware and protocol. */
	if (load_be16(p) != ARP_HRD_ETHER || load_be16(p + 2) != ARP_PRO_IPV4 ||
	    p[4] != ETH_ADDR_LEN || p[5] != 4)
		return ARP_ERR_FORMAT;
	uint16_t op = load_be16(p + 6);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return ARP_ERR_OP;
	a->op = op;
	memcpy(a->sha, p + 8, ETH_ADDR_LEN);
	a->spa = load_be32(p + 14);
	memcpy(a->tha, p + 18, ETH_ADDR_LEN);
	a->tpa = load_be32(p + 24);
	return ARP_OK;
}

void arp_emit(uint8_t *p, const struct arp_pkt *a)
{
	store_be16(p, ARP_HRD_ETHER);
	store_be16(p + 2, ARP_PRO_IPV4);
	p[4] = ETH_ADDR_LEN;
	p[5] = 4;
	store_be16(p + 6, a->op);
	memcpy(p + 8, a->sha, ETH_ADDR_LEN);
	store_be32(p + 14, a->spa);
	memcpy(p + 18, a->tha, ETH_ADDR_LEN);
	store_be32(p + 24, a->tpa);
}
