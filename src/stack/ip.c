/*
 * IPv4 for TCP (RFC 791, RFC 1122 3.2): validate what arrives and hand TCP
 * segments on; build the IPv4 header around what TCP sends and pick the
 * interface. Every drop has its own counter. Fragments are dropped and
 * counted (we send with DF and advertise an MSS that fits the MTU).
 */
#include "stack/stack_internal.h"

#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <string.h>

const struct iface *route_lookup(const struct utcp_stack *s, uint32_t dst)
{
	for (int i = 0; i < s->n_ifaces; i++)
		if ((dst & s->ifaces[i].mask) == (s->ifaces[i].addr & s->ifaces[i].mask))
			return &s->ifaces[i];
	return s->n_ifaces ? &s->ifaces[0] : NULL; /* the default route */
}

bool addr_is_ours(const struct utcp_stack *s, uint32_t addr)
{
	for (int i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].addr == addr)
			return true;
	return false;
}

static void copy_span(uint8_t *dst, const struct ring_span *sp)
{
	if (sp->n1)
		memcpy(dst, sp->p1, sp->n1);
	if (sp->n2)
		memcpy(dst + sp->n1, sp->p2, sp->n2);
}

void ip_send_tcp(struct utcp_stack *s, const struct tcp_tx *tx, struct usock *u)
{
	const struct iface *ifc = route_lookup(s, tx->dst);
	if (!ifc) {
		STAT(s, ip_drop_no_route);
		return;
	}
	uint8_t *pkt = s->txbuf;
	uint8_t *seg = pkt + IPV4_HDR_LEN;
	size_t hlen = tcp_emit(seg, &tx->h);
	size_t tcp_len = hlen + tx->len;
	size_t total = IPV4_HDR_LEN + tcp_len;
	if (total > ifc->mtu) {
		STAT(s, ip_drop_too_big);
		return;
	}
	copy_span(seg + hlen, &tx->data);
	tcp_fill_checksum(seg, tcp_len, tx->src, tx->dst);
	struct ipv4_hdr ip = {
		.tos = tx->tos,
		.total_len = (uint16_t)total,
		.id = s->ip_id++,
		.frag = IPV4_FLAG_DF,
		.ttl = tx->ttl ? tx->ttl : s->cfg.ttl,
		.proto = IPV4_PROTO_TCP,
		.src = tx->src,
		.dst = tx->dst,
	};
	ipv4_emit(pkt, &ip);
	STAT(s, tcp_out);
	if (s->cfg.trace)
		trace_seg(s, UTCP_TR_SEG_OUT, u, &tx->h, tx->src, tx->dst, tx->len,
			  tx->retransmit);
	STAT(s, ip_out);
	if (ifc->ops->output(ifc->link_ctx, pkt, total) < 0)
		STAT(s, ip_out_link_drop);
}

void ip_send(struct utcp_stack *s, uint8_t proto, uint32_t src, uint32_t dst, uint8_t tos,
	     const uint8_t *body, size_t len)
{
	const struct iface *ifc = route_lookup(s, dst);
	if (!ifc) {
		STAT(s, ip_drop_no_route);
		return;
	}
	size_t total = IPV4_HDR_LEN + len;
	if (total > ifc->mtu || total > sizeof(s->txbuf)) {
		STAT(s, ip_drop_too_big);
		return;
	}
	memcpy(s->txbuf + IPV4_HDR_LEN, body, len);
	struct ipv4_hdr ip = {.tos = tos, .total_len = (uint16_t)total, .id = s->ip_id++,
			      .ttl = s->cfg.ttl, .proto = proto, .src = src, .dst = dst};
	ipv4_emit(s->txbuf, &ip);
	STAT(s, ip_out);
	if (ifc->ops->output(ifc->link_ctx, s->txbuf, total) < 0)
		STAT(s, ip_out_link_drop);
}

static void ip_drop(struct utcp_stack *s, uint64_t *counter, const char *reason)
{
	(*counter)++;
	if (s->cfg.trace)
		trace_drop(s, reason, NULL);
}

#define IP_DROP(s, name) ip_drop((s), &(s)->stats.name, #name)

void ip_input(struct utcp_stack *s, int iface, const uint8_t *pkt, size_t len)
{
	(void)iface;
	STAT(s, ip_in);
	struct ipv4_hdr h;
	switch (ipv4_parse(pkt, len, &h)) {
	case IPV4_OK:
		break;
	case IPV4_ERR_SHORT:
		IP_DROP(s, ip_drop_short);
		return;
	case IPV4_ERR_VERSION:
		IP_DROP(s, ip_drop_version);
		return;
	case IPV4_ERR_HDR_LEN:
		IP_DROP(s, ip_drop_hdr_len);
		return;
	case IPV4_ERR_TOTAL_LEN:
		IP_DROP(s, ip_drop_total_len);
		return;
	default:
		IP_DROP(s, ip_drop_checksum);
		return;
	}
	if (ipv4_is_fragment(&h)) {
		IP_DROP(s, ip_drop_fragment);
		return;
	}
	if (!addr_is_ours(s, h.dst)) {
		/* Includes broadcast and multicast (MUST-57). */
		IP_DROP(s, ip_drop_not_ours);
		return;
	}
	if (ipv4_addr_is_martian_src(h.src) || ipv4_addr_is_multicast_or_broadcast(h.src)) {
		IP_DROP(s, ip_drop_bad_src); /* MUST-63 */
		return;
	}
	if (h.proto == IPV4_PROTO_ICMP) {
		icmp_input(s, h.src, h.dst, pkt + h.hdr_len, h.total_len - h.hdr_len);
		return;
	}
	if (h.proto != IPV4_PROTO_TCP) {
		IP_DROP(s, ip_drop_proto);
		return;
	}
	tcp_demux(s, pkt + h.hdr_len, h.total_len - h.hdr_len, h.src, h.dst);
}
