/* ICMP parse and emit (RFC 792); see icmp.h. */
#include "wire/icmp.h"

#include "wire/bytes.h"
#include "wire/checksum.h"

#include <string.h>

enum icmp_parse_result icmp_parse(const uint8_t *p, size_t len, struct icmp_msg *m)
{
	if (len < ICMP_HDR_LEN)
		return ICMP_ERR_SHORT;
	if (csum_finish(csum_add(0, p, len, 0)) != 0)
		return ICMP_ERR_CHECKSUM; /* a correct message sums to zero */
	memset(m, 0, sizeof(*m));
	m->type = p[0];
	m->code = p[1];
	m->id = load_be16(p + 4);
	m->seq = load_be16(p + 6);
	if (m->type == ICMP_DEST_UNREACH && m->code == ICMP_UNREACH_NEEDFRAG)
		m->next_mtu = load_be16(p + 6); /* RFC 1191 section 4 */
	m->body = p + ICMP_HDR_LEN;
	m->body_len = len - ICMP_HDR_LEN;
	return ICMP_OK;
}

int icmp_is_error(uint8_t type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH ||
	       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAM_PROBLEM;
}

size_t icmp_emit_echo_reply(uint8_t *out, const struct icmp_msg *m)
{
	out[0] = ICMP_ECHO_REPLY;
	out[1] = 0;
	store_be16(out + 2, 0);
	store_be16(out + 4, m->id);
	store_be16(out + 6, m->seq);
	memcpy(out + ICMP_HDR_LEN, m->body, m->body_len);
	size_t len = ICMP_HDR_LEN + m->body_len;
	store_be16(out + 2, csum_finish(csum_add(0, out, len, 0)));
	return len;
}

size_t icmp_emit_error(uint8_t *out, uint8_t type, uint8_t code, const uint8_t *quoted,
		       size_t quoted_len)
{
	out[0] = type;
	out[1] = code;
	store_be16(out + 2, 0);
	store_be32(out + 4, 0); /* unused (RFC 792) */
	memcpy(out + ICMP_HDR_LEN, quoted, quoted_len);
	size_t len = ICMP_HDR_LEN + quoted_len;
	store_be16(out + 2, csum_finish(csum_add(0, out, len, 0)));
	return len;
}
