/*
 * IPv4 source route options (RFC 791 3.1, RFC 1122 3.2.1.8): finding one in
 * a received header, reversing a completed one for the return path, and
 * writing one. Pure: no state, never reads past the header.
 */
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

#include <string.h>

/* Parse one LSRR/SSRR option at o (olen bytes, the length byte checked). */
static enum ipv4_srr_result parse_one(const uint8_t *o, uint8_t olen, struct ipv4_srr *srr)
{
	/* Length: type, length, pointer, then whole addresses; the pointer
	 * names an address slot, or one past the end when the route is done. */
	if (olen < 7 || (olen - 3) % 4 != 0)
		return IPV4_SRR_MALFORMED;
	uint8_t ptr = o[2];
	if (ptr < 4 || (ptr - 4) % 4 != 0 || ptr > olen + 1)
		return IPV4_SRR_MALFORMED;
	srr->type = o[0];
	srr->n = (uint8_t)((olen - 3) / 4);
	srr->ptr = ptr;
	for (unsigned i = 0; i < srr->n; i++)
		srr->addr[i] = load_be32(o + 3 + 4 * i);
	return IPV4_SRR_FOUND;
}

enum ipv4_srr_result ipv4_find_srr(const uint8_t *p, const struct ipv4_hdr *h,
				   struct ipv4_srr *srr)
{
	const uint8_t *o = p + IPV4_HDR_LEN;
	size_t len = h->hdr_len - IPV4_HDR_LEN, i = 0;
	enum ipv4_srr_result found = IPV4_SRR_NONE;
	while (i < len) {
		uint8_t type = o[i];
		if (type == IPV4_OPT_EOL)
			break;
		if (type == IPV4_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			break; /* a broken option we do not use: skipped (MUST-50) */
		if (type == IPV4_OPT_LSRR || type == IPV4_OPT_SSRR) {
			/* RFC 791: a source route appears at most once. */
			if (found != IPV4_SRR_NONE)
				return IPV4_SRR_MALFORMED;
			found = parse_one(o + i, o[i + 1], srr);
			if (found == IPV4_SRR_MALFORMED)
				return found;
		}
		i += o[i + 1];
	}
	return found;
}

int ipv4_srr_reverse(const struct ipv4_srr *in, uint32_t src, struct ipv4_srr *out,
		     uint32_t *first_hop)
{
	if (in->n == 0)
		return -1;
	/* Recorded hops h1..hn (hn the last router before us): the reply
	 * goes to hn first, then hn-1 .. h1, then the original source. */
	*first_hop = in->addr[in->n - 1];
	out->type = in->type;
	out->n = in->n;
	out->ptr = 4;
	for (unsigned i = 0; i + 1 < in->n; i++)
		out->addr[i] = in->addr[in->n - 2 - i];
	out->addr[in->n - 1] = src;
	return 0;
}

size_t ipv4_emit_srr(uint8_t *out, const struct ipv4_srr *srr)
{
	size_t olen = 3 + 4u * srr->n;
	size_t pad = (4 - olen % 4) % 4;
	memset(out, IPV4_OPT_NOP, pad);
	uint8_t *o = out + pad;
	o[0] = srr->type;
	o[1] = (uint8_t)olen;
	o[2] = srr->ptr;
	for (unsigned i = 0; i < srr->n; i++)
		store_be32(o + 3 + 4 * i, srr->addr[i]);
	return pad + olen;
}

void ipv4_emit_opts(uint8_t *p, const struct ipv4_hdr *h, const uint8_t *opts, size_t optlen)
{
	size_t padded = (optlen + 3) & ~(size_t)3;
	ipv4_emit(p, h);
	memcpy(p + IPV4_HDR_LEN, opts, optlen);
	memset(p + IPV4_HDR_LEN + optlen, IPV4_OPT_EOL, padded - optlen);
	p[0] = (uint8_t)(0x40 | ((IPV4_HDR_LEN + padded) / 4));
	store_be16(p + 10, 0);
	store_be16(p + 10, csum_buf(p, IPV4_HDR_LEN + padded));
}
