/*
 * IPv4 for TCP (RFC 791, RFC 1122 3.2): validate what arrives and hand TCP
 * segments on; build the IPv4 header around what TCP sends and pick the
 * interface. Every drop has its own counter. Fragments of datagrams for
 * us are reassembled (frag.c); TCP never needs fragmenting (we send with
 * DF and an MSS that fits the MTU), but other datagrams larger than the
 * MTU (an echo reply to a large ping) are fragmented as RFC 791 3.2 says.
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

/* The directed broadcast address of a subnet we are on (RFC 1122
 * 3.2.1.3 (c)): not one host, so never a TCP peer. /31 and /32 have none
 * (RFC 3021). */
bool addr_is_subnet_broadcast(const struct utcp_stack *s, uint32_t addr)
{
	for (int i = 0; i < s->n_ifaces; i++) {
		uint32_t mask = s->ifaces[i].mask;
		if (mask < 0xfffffffeu && (addr & mask) == (s->ifaces[i].addr & mask) &&
		    (addr | mask) == 0xffffffffu)
			return true;
	}
	return false;
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
	/* With a source route the datagram goes to its first hop, carrying
	 * the rest of the route; TCP's checksum still covers the final
	 * destination (RFC 9293 3.1: the pseudo-header's address). */
	uint8_t opts[40];
	size_t optlen = u && u->has_route ? ipv4_emit_srr(opts, &u->route) : 0;
	uint32_t ip_dst = optlen ? u->route_hop : tx->dst;
	const struct iface *ifc = route_lookup(s, ip_dst);
	if (!ifc) {
		STAT(s, ip_drop_no_route);
		return;
	}
	uint8_t *pkt = stack_txpkt(s);
	size_t iphl = IPV4_HDR_LEN + optlen;
	uint8_t *seg = pkt + iphl;
	size_t hlen = tcp_emit(seg, &tx->h);
	size_t tcp_len = hlen + tx->len;
	size_t total = iphl + tcp_len;
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
		.dst = ip_dst,
	};
	if (optlen)
		ipv4_emit_opts(pkt, &ip, opts, optlen);
	else
		ipv4_emit(pkt, &ip);
	STAT(s, tcp_out);
	if (s->cfg.trace)
		trace_seg(s, UTCP_TR_SEG_OUT, u, &tx->h, tx->src, tx->dst, tx->len,
			  tx->retransmit, ipv4_ecn_of(tx->tos));
	link_send(s, ifc, ip_dst, pkt, total);
}

/* RFC 791 3.2, "fragmentation": the payload in pieces of a multiple of 8
 * bytes that fit the MTU, each with a copy of the header, the offset in
 * 8-byte units and MF on all but the last. Each fragment's header is
 * written just before its piece, over bytes of the piece before, which has
 * already gone. */
static void send_fragments(struct utcp_stack *s, const struct iface *ifc, struct ipv4_hdr *ip,
			   uint8_t *payload, size_t len)
{
	size_t piece = ((size_t)ifc->mtu - IPV4_HDR_LEN) & ~(size_t)7;
	for (size_t off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;
		ip->total_len = (uint16_t)(IPV4_HDR_LEN + n);
		ip->frag = (uint16_t)((off / 8) | (off + n < len ? IPV4_FLAG_MF : 0));
		uint8_t *pkt = payload + off - IPV4_HDR_LEN;
		ipv4_emit(pkt, ip);
		STAT(s, frag_out);
		link_send(s, ifc, ip->dst, pkt, IPV4_HDR_LEN + n);
	}
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
	if (total > 65535 || total > STACK_TXBUF) {
		STAT(s, ip_drop_too_big);
		return;
	}
	uint8_t *pkt = stack_txpkt(s);
	memmove(pkt + IPV4_HDR_LEN, body, len);
	struct ipv4_hdr ip = {.tos = tos, .total_len = (uint16_t)total, .id = s->ip_id++,
			      .ttl = s->cfg.ttl, .proto = proto, .src = src, .dst = dst};
	if (total > ifc->mtu) {
		send_fragments(s, ifc, &ip, pkt + IPV4_HDR_LEN, len);
		return;
	}
	ipv4_emit(pkt, &ip);
	link_send(s, ifc, dst, pkt, total);
}

static void ip_drop(struct utcp_stack *s, uint64_t *counter, const char *reason)
{
	(*counter)++;
	if (s->cfg.trace)
		trace_drop(s, reason, NULL);
}

#define IP_DROP(s, name) ip_drop((s), &(s)->stats.name, #name)

/* A whole datagram for us: to ICMP or TCP. */
/* A source-routed datagram (RFC 791 3.1) reaches TCP only when the stack
 * accepts source routes and the route is complete (we do not forward).
 * Returns false when it was dropped; *srr is NULL when there is none. */
static bool check_source_route(struct utcp_stack *s, const struct ipv4_hdr *h,
			       const uint8_t *pkt, struct ipv4_srr *buf,
			       const struct ipv4_srr **srr)
{
	*srr = NULL;
	if (h->hdr_len == IPV4_HDR_LEN)
		return true;
	switch (ipv4_find_srr(pkt, h, buf)) {
	case IPV4_SRR_NONE:
		return true;
	case IPV4_SRR_FOUND:
		if (s->cfg.accept_source_route && ipv4_srr_complete(buf)) {
			*srr = buf;
			return true;
		}
		break;
	default:
		break;
	}
	IP_DROP(s, ip_drop_source_route);
	return false;
}

static void ip_deliver(struct utcp_stack *s, const struct ipv4_hdr *h, const uint8_t *pkt)
{
	struct ipv4_srr buf;
	const struct ipv4_srr *srr;
	if (!check_source_route(s, h, pkt, &buf, &srr))
		return;
	if (h->proto == IPV4_PROTO_ICMP) {
		icmp_input(s, h->src, h->dst, pkt + h->hdr_len, h->total_len - h->hdr_len);
		return;
	}
	if (h->proto != IPV4_PROTO_TCP) {
		IP_DROP(s, ip_drop_proto);
		return;
	}
	tcp_demux(s, pkt + h->hdr_len, h->total_len - h->hdr_len, h->src, h->dst,
		  ipv4_ecn_of(h->tos), srr);
}

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
	if (!addr_is_ours(s, h.dst)) {
		/* Includes broadcast and multicast (MUST-57). */
		IP_DROP(s, ip_drop_not_ours);
		return;
	}
	if (ipv4_addr_is_martian_src(h.src) || ipv4_addr_is_multicast_or_broadcast(h.src) ||
	    addr_is_subnet_broadcast(s, h.src)) {
		IP_DROP(s, ip_drop_bad_src); /* MUST-63 */
		return;
	}
	if (!ipv4_is_fragment(&h)) {
		ip_deliver(s, &h, pkt);
		return;
	}
	/* Only datagrams for us are reassembled: others' fragments must not
	 * take our memory. */
	size_t n;
	const uint8_t *whole = frag_input(s, &h, pkt, &n);
	if (!whole)
		return;
	if (ipv4_parse(whole, n, &h) == IPV4_OK)
		ip_deliver(s, &h, whole);
	frag_release(s, whole);
}
