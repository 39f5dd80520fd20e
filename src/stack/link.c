/*
 * The link layer as the stack sees it: an IP interface (TUN, the
 * simulator) passes datagrams straight through; an Ethernet interface
 * (TAP) wraps each datagram in an Ethernet II frame (RFC 894) whose
 * destination ARP finds (arp.c), and unwraps what arrives into IPv4 and
 * ARP. Frames for other stations and other protocols are dropped and
 * counted.
 */
#include "stack/stack_internal.h"

#include "wire/eth.h"

#include <string.h>

static void link_drop(struct utcp_stack *s, uint64_t *counter, const char *reason)
{
	(*counter)++;
	if (s->cfg.trace)
		trace_drop(s, reason, NULL);
}

#define LINK_DROP(s, name) link_drop((s), &(s)->stats.name, #name)

static void eth_input(struct utcp_stack *s, int iface, const uint8_t *p, size_t len)
{
	const struct iface *ifc = &s->ifaces[iface];
	STAT(s, eth_in);
	struct eth_hdr h;
	if (eth_parse(p, len, &h) != ETH_OK) {
		LINK_DROP(s, eth_drop_short);
		return;
	}
	/* We join no multicast group: only our address and broadcast. */
	if (memcmp(h.dst, ifc->mac, ETH_ADDR_LEN) != 0 &&
	    memcmp(h.dst, eth_broadcast, ETH_ADDR_LEN) != 0) {
		LINK_DROP(s, eth_drop_not_ours);
		return;
	}
	switch (h.type) {
	case ETH_TYPE_IPV4:
		ip_input(s, iface, p + ETH_HDR_LEN, len - ETH_HDR_LEN);
		return;
	case ETH_TYPE_ARP:
		arp_input(s, ifc, p + ETH_HDR_LEN, len - ETH_HDR_LEN);
		return;
	default: /* IPv6, VLAN tags, 802.3 length fields, ... */
		LINK_DROP(s, eth_drop_ethertype);
		return;
	}
}

void link_input(struct utcp_stack *s, int iface, const uint8_t *p, size_t len)
{
	if (iface >= 0 && iface < s->n_ifaces && s->ifaces[iface].kind == UTCP_IFACE_ETHERNET)
		eth_input(s, iface, p, len);
	else
		ip_input(s, iface, p, len);
}

void link_output(struct utcp_stack *s, const struct iface *ifc, const uint8_t *p, size_t len)
{
	if (ifc->ops->output(ifc->link_ctx, p, len) < 0)
		STAT(s, ip_out_link_drop);
}

/* RFC 1122 3.3.1.1: on the subnet, the destination itself; beyond it, the
 * gateway (without one, ask for the destination: a proxy-ARP network). */
static uint32_t next_hop(const struct iface *ifc, uint32_t dst)
{
	bool on_link = (dst & ifc->mask) == (ifc->addr & ifc->mask);
	return on_link || ifc->gateway == 0 ? dst : ifc->gateway;
}

void link_negative_advice(struct utcp_stack *s, uint32_t dst)
{
	const struct iface *ifc = route_lookup(s, dst);
	if (ifc && ifc->kind == UTCP_IFACE_ETHERNET)
		arp_suspect(s, ifc, next_hop(ifc, dst));
}

void link_send(struct utcp_stack *s, const struct iface *ifc, uint32_t dst, uint8_t *pkt,
	       size_t len)
{
	STAT(s, ip_out);
	if (ifc->kind == UTCP_IFACE_IP) {
		link_output(s, ifc, pkt, len);
		return;
	}
	uint8_t *frame = pkt - ETH_HDR_LEN; /* in the headroom */
	struct eth_hdr h = {.type = ETH_TYPE_IPV4};
	memcpy(h.src, ifc->mac, ETH_ADDR_LEN); /* dst: ARP's business */
	eth_emit(frame, &h);
	size_t flen = len + ETH_HDR_LEN;
	if (flen < ETH_MIN_FRAME) {
		memset(frame + flen, 0, ETH_MIN_FRAME - flen); /* RFC 894 padding */
		flen = ETH_MIN_FRAME;
	}
	arp_output(s, ifc, next_hop(ifc, dst), frame, flen);
}
