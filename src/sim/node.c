/*
 * The nodes of a simulated world and the links between them.
 *
 * A host owns a utcp stack with one interface whose output goes into the
 * channel leaving the host. A raw node has no stack: a test sends datagrams
 * from it by hand and sees what reaches it through a callback. A router
 * forwards each datagram, unchanged, out of the channel of its longest
 * matching route: it decrements no TTL and sends no ICMP, so a routing loop
 * circulates a packet until a channel drops it.
 */
#include "sim/sim_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The node with id `id`, or NULL. */
struct sim_node *sim_node(const struct utcp_sim *w, int id)
{
	if (id < 0 || (size_t)id >= w->n_nodes)
		return NULL;
	return w->nodes[id];
}

/* Free n and its stack, without running anything. */
void sim_node_free(struct sim_node *n)
{
	if (!n)
		return;
	if (n->stack)
		utcp_stack_free(n->stack);
	free(n->routes);
	free(n->name);
	free(n);
}

/* Append a node with a copy of name (NULL: "node<id>"). Returns it, or
 * NULL when out of memory or out of ids. */
static struct sim_node *node_new(struct utcp_sim *w, enum sim_node_kind kind, const char *name,
				 uint32_t addr)
{
	if (w->n_nodes >= INT32_MAX)
		return NULL;
	void *p = sim_grow(w->nodes, &w->cap_nodes, w->n_nodes + 1, sizeof(*w->nodes));
	if (!p)
		return NULL;
	w->nodes = p;
	char dflt[32];
	if (!name) {
		snprintf(dflt, sizeof(dflt), "node%zu", w->n_nodes);
		name = dflt;
	}
	struct sim_node *n = calloc(1, sizeof(*n));
	size_t name_len = strlen(name) + 1;
	char *copy = malloc(name_len);
	if (!n || !copy) {
		free(n);
		free(copy);
		return NULL;
	}
	memcpy(copy, name, name_len);
	n->w = w;
	n->id = (int)w->n_nodes;
	n->kind = kind;
	n->name = copy;
	n->addr = addr;
	n->out_ch = -1;
	n->iface = -1;
	n->timer_at = UTCP_TIME_NEVER;
	w->nodes[w->n_nodes++] = n;
	return n;
}

/* The link output of a host: offer the datagram to its channel. Returns 0,
 * -ENETUNREACH while the host is unconnected, -EMSGSIZE for more than an
 * IPv4 datagram can hold, -ENOMEM. */
static int host_output(void *link_ctx, const uint8_t *pkt, size_t len)
{
	struct sim_node *n = link_ctx;
	if (n->out_ch < 0)
		return -ENETUNREACH;
	if (len > SIM_MAX_PACKET)
		return -EMSGSIZE;
	return sim_channel_send(n->w, n->out_ch, pkt, len);
}

static const struct utcp_link_ops host_link_ops = {.output = host_output};

/* A host's secret, when its configuration has none: two splitmix64 outputs
 * of the node's stream, so that runs with the same seed are identical. */
static void fill_secret(uint64_t seed, int node, uint8_t secret[16])
{
	for (int i = 0; i < 16; i++)
		if (secret[i])
			return;
	uint64_t st = sim_stream_state(seed, SIM_STREAM_SECRET(node));
	for (int half = 0; half < 2; half++) {
		uint64_t x = splitmix64_next(&st);
		for (int i = 0; i < 8; i++)
			secret[half * 8 + i] = (uint8_t)(x >> (8 * i));
	}
}

/* Create a host's stack and interface. Returns 0 or the stack's -errno. */
static int host_start(struct sim_node *n, uint8_t prefix_len, uint16_t mtu)
{
	int err = utcp_stack_new(&n->cfg, &n->stack);
	if (err)
		return err;
	struct utcp_iface_config ic = {
	    .name = n->name,
	    .addr = n->addr,
	    .prefix_len = prefix_len,
	    .mtu = mtu ? mtu : 1500,
	    .ops = &host_link_ops,
	    .link_ctx = n,
	};
	n->iface = utcp_iface_add(n->stack, &ic);
	return n->iface < 0 ? n->iface : 0;
}

/* Add a host. Returns its id, or -EINVAL (bad prefix length, or the stack
 * refused cfg), -ENOMEM. On failure the world is as before. */
int utcp_sim_host_add(struct utcp_sim *w, const char *name, uint32_t addr, uint8_t prefix_len,
		      uint16_t mtu, const struct utcp_stack_config *cfg)
{
	if (prefix_len > 32)
		return -EINVAL;
	struct sim_node *n = node_new(w, SIM_NODE_HOST, name, addr);
	if (!n)
		return -ENOMEM;
	if (cfg)
		n->cfg = *cfg;
	else
		utcp_stack_config_default(&n->cfg);
	fill_secret(w->seed, n->id, n->cfg.secret);
	int err = host_start(n, prefix_len, mtu);
	if (err) {
		w->n_nodes--;
		sim_node_free(n);
		return err;
	}
	return n->id;
}

/* Add a raw node (rx may be NULL: arrivals are then discarded). Returns
 * its id or -ENOMEM. */
int utcp_sim_raw_add(struct utcp_sim *w, const char *name, uint32_t addr, utcp_sim_rx_fn rx,
		     void *ctx)
{
	struct sim_node *n = node_new(w, SIM_NODE_RAW, name, addr);
	if (!n)
		return -ENOMEM;
	n->rx = rx;
	n->rx_ctx = ctx;
	return n->id;
}

/* Add a router with no routes. Returns its id or -ENOMEM. */
int utcp_sim_router_add(struct utcp_sim *w, const char *name)
{
	struct sim_node *n = node_new(w, SIM_NODE_ROUTER, name, 0);
	return n ? n->id : -ENOMEM;
}

struct utcp_stack *utcp_sim_stack(struct utcp_sim *w, int node)
{
	struct sim_node *n = sim_node(w, node);
	return n ? n->stack : NULL;
}

/* The node's name, or NULL for a bad id. */
const char *utcp_sim_node_name(const struct utcp_sim *w, int node)
{
	const struct sim_node *n = sim_node(w, node);
	return n ? n->name : NULL;
}

/* Send from a raw node now. Returns 0 (also when the channel then drops
 * the packet), -EINVAL (not a connected raw node), -EMSGSIZE, -ENOMEM. */
int utcp_sim_send(struct utcp_sim *w, int node, const uint8_t *pkt, size_t len)
{
	struct sim_node *n = sim_node(w, node);
	if (!n || n->kind != SIM_NODE_RAW || n->out_ch < 0 || (!pkt && len))
		return -EINVAL;
	if (len > SIM_MAX_PACKET)
		return -EMSGSIZE;
	return sim_channel_send(w, n->out_ch, pkt, len);
}

/* Connect a and b with a channel each way. Returns 0, -EINVAL (bad ids,
 * a == b, bad configuration), -EBUSY (a host or raw node already has its
 * one interface connected), -ENOMEM. On failure nothing is created. */
int utcp_sim_connect(struct utcp_sim *w, int a, int b, const struct utcp_sim_channel_config *ab,
		     const struct utcp_sim_channel_config *ba, int *ch_ab, int *ch_ba)
{
	struct sim_node *na = sim_node(w, a), *nb = sim_node(w, b);
	if (!na || !nb || a == b || sim_channel_config_check(ab) || sim_channel_config_check(ba))
		return -EINVAL;
	if ((na->kind != SIM_NODE_ROUTER && na->out_ch >= 0) ||
	    (nb->kind != SIM_NODE_ROUTER && nb->out_ch >= 0))
		return -EBUSY;
	int cab = sim_channel_new(w, a, b, ab);
	if (cab < 0)
		return cab;
	int cba = sim_channel_new(w, b, a, ba);
	if (cba < 0) {
		sim_channel_free(w->chans[--w->n_chans]);
		return cba;
	}
	if (na->kind != SIM_NODE_ROUTER)
		na->out_ch = cab;
	if (nb->kind != SIM_NODE_ROUTER)
		nb->out_ch = cba;
	if (ch_ab)
		*ch_ab = cab;
	if (ch_ba)
		*ch_ba = cba;
	return 0;
}

static uint32_t prefix_mask(uint8_t len)
{
	return len ? ~(uint32_t)0 << (32 - len) : 0;
}

/* Add a route to a router. Returns 0, -EINVAL (not a router, len > 32, or
 * ch_out does not leave this router), -EEXIST (the same prefix and length
 * is already routed), -ENOMEM. */
int utcp_sim_route_add(struct utcp_sim *w, int router, uint32_t prefix, uint8_t len, int ch_out)
{
	struct sim_node *n = sim_node(w, router);
	struct sim_channel *c = sim_channel(w, ch_out);
	if (!n || n->kind != SIM_NODE_ROUTER || !c || c->from != router || len > 32)
		return -EINVAL;
	prefix &= prefix_mask(len);
	for (size_t i = 0; i < n->n_routes; i++)
		if (n->routes[i].prefix == prefix && n->routes[i].len == len)
			return -EEXIST;
	void *p = sim_grow(n->routes, &n->cap_routes, n->n_routes + 1, sizeof(*n->routes));
	if (!p)
		return -ENOMEM;
	n->routes = p;
	n->routes[n->n_routes++] = (struct sim_route){.prefix = prefix, .len = len, .ch = ch_out};
	return 0;
}

/* Forward a datagram that reached router n out of the channel of its
 * longest matching route; count and drop it when none matches. */
static void router_forward(struct utcp_sim *w, struct sim_node *n, const uint8_t *pkt, size_t len)
{
	if (len < 20 || (pkt[0] >> 4) != 4) {
		n->drop_malformed++;
		return;
	}
	uint32_t dst = ((uint32_t)pkt[16] << 24) | ((uint32_t)pkt[17] << 16) |
		       ((uint32_t)pkt[18] << 8) | pkt[19];
	const struct sim_route *best = NULL;
	for (size_t i = 0; i < n->n_routes; i++) {
		const struct sim_route *r = &n->routes[i];
		if ((dst & prefix_mask(r->len)) == r->prefix && (!best || r->len > best->len))
			best = r;
	}
	if (!best) {
		n->drop_no_route++;
		return;
	}
	(void)sim_channel_send(w, best->ch, pkt, len);
}

/* Hand a datagram that arrived at `at` to node `id`. */
void sim_node_receive(struct utcp_sim *w, int id, const uint8_t *pkt, size_t len, utcp_time_us at)
{
	struct sim_node *n = sim_node(w, id);
	switch (n->kind) {
	case SIM_NODE_HOST:
		utcp_stack_input(n->stack, n->iface, pkt, len, at);
		break;
	case SIM_NODE_RAW:
		if (n->rx)
			n->rx(n->rx_ctx, at, pkt, len);
		break;
	case SIM_NODE_ROUTER:
		router_forward(w, n, pkt, len);
		break;
	}
}

uint64_t sim_router_drops_no_route(const struct utcp_sim *w, int router)
{
	const struct sim_node *n = sim_node(w, router);
	return n ? n->drop_no_route : 0;
}
