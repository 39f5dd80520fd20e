/*
 * IP source routes for TCP connections (RFC 9293 3.9.2.1, RFC 1122
 * 3.2.1.8): the application may give one for an active open (MUST-51) and
 * then it is used for every datagram (MUST-52: a received route does not
 * replace it); a passive open takes the reverse of the route its SYN
 * arrived by (MUST-53), and a later received route replaces it (SHLD-24).
 * Received routes are honoured only when the stack is configured to
 * (accept_source_route); otherwise ip_input drops such datagrams, as RFC
 * 7126 advises and Linux does by default.
 */
#include "stack/stack_internal.h"

size_t route_opt_len(const struct usock *u)
{
	if (!u->has_route)
		return 0;
	uint8_t tmp[40];
	return ipv4_emit_srr(tmp, &u->route);
}

uint16_t route_mss(const struct usock *u, const struct iface *ifc)
{
	if (!ifc)
		return 536; /* MUST-15's default */
	size_t overhead = 40 + route_opt_len(u);
	if (ifc->mtu < overhead + TCP_MIN_MSS)
		return TCP_MIN_MSS;
	return (uint16_t)(ifc->mtu - overhead);
}

void route_take_app(struct usock *u, uint32_t raddr)
{
	const struct utcp_source_route *r = &u->app_route;
	if (r->n == 0)
		return;
	/* The first hop is the IP destination; the option lists the other
	 * hops and then the peer, its pointer at the first of them. */
	u->route.type = r->strict ? IPV4_OPT_SSRR : IPV4_OPT_LSRR;
	u->route.n = r->n;
	u->route.ptr = 4;
	for (unsigned i = 1; i < r->n; i++)
		u->route.addr[i - 1] = r->hop[i];
	u->route.addr[r->n - 1] = raddr;
	u->route_hop = r->hop[0];
	u->has_route = u->route_from_app = true;
}

bool route_take_received(struct usock *u, const struct ipv4_srr *srr, uint32_t src)
{
	if (u->route_from_app)
		return true; /* MUST-52 */
	struct ipv4_srr back;
	uint32_t hop;
	if (ipv4_srr_reverse(srr, src, &back, &hop) != 0)
		return false;
	size_t before = route_opt_len(u);
	struct ipv4_srr old = u->route;
	uint32_t old_hop = u->route_hop;
	bool had = u->has_route;
	u->route = back;
	u->route_hop = hop;
	u->has_route = true;
	if (had && route_opt_len(u) > before) {
		/* A longer option would push full segments past the MTU the
		 * MSS was chosen for: keep the route we have. */
		u->route = old;
		u->route_hop = old_hop;
		return false;
	}
	return true;
}
