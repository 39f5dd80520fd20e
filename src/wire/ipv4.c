/*
 * IPv4 header parse and emit (RFC 791 3.1), the receiver's header checks
 * (RFC 1122 3.2.1) and the address classes TCP must refuse
 * (RFC 1122 3.2.1.3, RFC 9293 3.9.2.3).
 */
#include "wire/ipv4.h"

#include "wire/bytes.h"
#include "wire/checksum.h"

enum ipv4_parse_result ipv4_parse(const uint8_t *p, size_t len, struct ipv4_hdr *h)
{
	if (len < IPV4_HDR_LEN)
		return IPV4_ERR_SHORT;
	/* RFC 1122 3.2.1.1: a datagram whose version is not 4 is dropped. */
	if ((p[0] >> 4) != 4)
		return IPV4_ERR_VERSION;

	/* RFC 791 3.1: IHL counts 32-bit words, minimum 5. The header must
	 * lie inside both the buffer and the datagram's own total length. */
	size_t hdr_len = (size_t)(p[0] & 0x0f) * 4;
	size_t total_len = load_be16(p + 2);
	if (hdr_len < IPV4_HDR_LEN || hdr_len > len || hdr_len > total_len)
		return IPV4_ERR_HDR_LEN;
	/* Bytes past total_len (link padding) are allowed; a datagram that
	 * claims more than the link delivered is truncated and dropped. */
	if (total_len > len)
		return IPV4_ERR_TOTAL_LEN;
	/* RFC 1122 3.2.1.2: drop a datagram whose header checksum fails. A
	 * correct header, checksum field included, sums to 0xffff. */
	if (csum_buf(p, hdr_len) != 0)
		return IPV4_ERR_CHECKSUM;

	h->hdr_len = (uint8_t)hdr_len;
	h->tos = p[1];
	h->total_len = (uint16_t)total_len;
	h->id = load_be16(p + 4);
	h->frag = load_be16(p + 6);
	h->ttl = p[8];
	h->proto = p[9];
	h->src = load_be32(p + 12);
	h->dst = load_be32(p + 16);
	return IPV4_OK;
}

void ipv4_emit(uint8_t *p, const struct ipv4_hdr *h)
{
	p[0] = 0x45; /* version 4, IHL 5: we never send IP options */
	p[1] = h->tos;
	store_be16(p + 2, h->total_len);
	store_be16(p + 4, h->id);
	store_be16(p + 6, h->frag);
	p[8] = h->ttl;
	p[9] = h->proto;
	store_be16(p + 10, 0); /* RFC 791: checksum computed with field zero */
	store_be32(p + 12, h->src);
	store_be32(p + 16, h->dst);
	store_be16(p + 10, csum_buf(p, IPV4_HDR_LEN));
}

bool ipv4_mark_ce(uint8_t *p, size_t len)
{
	if (len < IPV4_HDR_LEN || (p[0] >> 4) != 4)
		return false;
	enum ipv4_ecn ecn = ipv4_ecn_of(p[1]);
	if (ecn != IPV4_ECN_ECT0 && ecn != IPV4_ECN_ECT1)
		return false;
	uint16_t m = load_be16(p);
	p[1] = ipv4_tos_with_ecn(p[1], IPV4_ECN_CE);
	uint16_t m2 = load_be16(p);
	/* RFC 1624 equation 3: HC' = ~(~HC + ~m + m'), in ones' complement
	 * arithmetic; the header's other 16-bit words are unchanged. */
	uint32_t sum = (uint16_t)~load_be16(p + 10) + (uint32_t)(uint16_t)~m + m2;
	store_be16(p + 10, csum_finish(sum));
	return true;
}

int ipv4_addr_is_multicast_or_broadcast(uint32_t a)
{
	/* RFC 1112 4: class D, 224.0.0.0/4, is multicast; RFC 919 7:
	 * 255.255.255.255 is the limited broadcast. (A subnet's directed
	 * broadcast depends on the interface and is the stack's check.) */
	return (a >> 28) == 0xe || a == 0xffffffffu;
}

int ipv4_addr_is_martian_src(uint32_t a)
{
	uint32_t first = a >> 24;

	/* RFC 1122 3.2.1.3: {0, *} means "this network" and may not be a
	 * source on the wire; {127, *} is loopback and must never appear
	 * outside a host; class D and E (224/4, 240/4, which includes the
	 * limited broadcast) are not unicast sources. RFC 9293 3.9.2.3
	 * (MUST-63): a SYN from such an address is ignored. */
	return first == 0 || first == 127 || first >= 224;
}
