/*
 * ICMP (RFC 792, RFC 1122 3.2.2): answer echo requests, and hand errors
 * about our TCP segments to the connection they concern (MUST-54), found
 * from the headers the error quotes; which errors abort and which are only
 * reported is the protocol layer's business (tcp_icmp_error).
 */
#include "stack/stack_internal.h"

#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#include <errno.h>

/* What TCP does with an error of this type and code, and which errno. */
static enum tcp_icmp_kind classify(const struct icmp_msg *m, int *err)
{
	*err = EHOSTUNREACH;
	switch (m->type) {
	case ICMP_SOURCE_QUENCH:
		return TCP_ICMP_QUENCH;
	case ICMP_TIME_EXCEEDED:
		return TCP_ICMP_SOFT;
	case ICMP_PARAM_PROBLEM:
		*err = EPROTO;
		return TCP_ICMP_SOFT;
	default: /* destination unreachable */
		break;
	}
	switch (m->code) {
	case ICMP_UNREACH_NET:
		*err = ENETUNREACH;
		return TCP_ICMP_SOFT;
	case ICMP_UNREACH_PROTOCOL:
	case ICMP_UNREACH_PORT:
		*err = ECONNREFUSED;
		return TCP_ICMP_HARD;
	case ICMP_UNREACH_NEEDFRAG:
		*err = EMSGSIZE;
		return TCP_ICMP_PMTU;
	default: /* host unreachable, source route failed, and the rest */
		return TCP_ICMP_SOFT;
	}
}

/* An error quoting one of our datagrams: find the TCP connection. */
static void icmp_error(struct utcp_stack *s, const struct icmp_msg *m)
{
	/* The quoted IPv4 header (it may be cut short: no checksum check)
	 * and at least the first 8 bytes of the TCP header. */
	if (m->body_len < IPV4_HDR_LEN + 8 || (m->body[0] >> 4) != 4) {
		STAT(s, icmp_error_ignored);
		return;
	}
	size_t ihl = (size_t)(m->body[0] & 15) * 4;
	if (ihl < IPV4_HDR_LEN || m->body_len < ihl + 8 || m->body[9] != IPV4_PROTO_TCP) {
		STAT(s, icmp_error_ignored);
		return;
	}
	uint32_t osrc = load_be32(m->body + 12), odst = load_be32(m->body + 16);
	const uint8_t *th = m->body + ihl;
	struct usock *u = conn_table_lookup(s, osrc, load_be16(th), odst, load_be16(th + 2));
	int err;
	enum tcp_icmp_kind kind = classify(m, &err);
	if (!u || !tcp_icmp_error(&u->tcp, kind, err, load_be32(th + 4), m->next_mtu, s->now)) {
		STAT(s, icmp_error_ignored);
		return;
	}
	STAT(s, icmp_error_in);
	conn_sync(u);
}

void icmp_input(struct utcp_stack *s, uint32_t src, uint32_t dst, const uint8_t *p,
		size_t len)
{
	STAT(s, icmp_in);
	struct icmp_msg m;
	switch (icmp_parse(p, len, &m)) {
	case ICMP_OK:
		break;
	case ICMP_ERR_SHORT:
		STAT(s, icmp_drop_short);
		return;
	default:
		STAT(s, icmp_drop_checksum);
		return;
	}
	if (m.type == ICMP_ECHO_REQUEST) {
		/* RFC 1122 3.2.2.6: reply with the same data, from the address
		 * the request went to. */
		uint8_t *out = s->txbuf + sizeof(s->txbuf) / 2;
		if (len > sizeof(s->txbuf) / 2 - STACK_HEADROOM - IPV4_HDR_LEN) {
			STAT(s, ip_drop_too_big);
			return;
		}
		size_t n = icmp_emit_echo_reply(out, &m);
		STAT(s, icmp_echo_reply);
		ip_send(s, IPV4_PROTO_ICMP, dst, src, 0, out, n);
		return;
	}
	if (icmp_is_error(m.type))
		icmp_error(s, &m);
	else
		STAT(s, icmp_drop_other);
}
