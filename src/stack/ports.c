/*
 * Local ports: which sockets use each port (buckets), the bind rules of
 * SO_REUSEADDR and SO_REUSEPORT with the semantics Linux gives them
 * (LESSONS L7), and ephemeral port selection for connect() as Linux does
 * it (RFC 6056 section 3.3.4, algorithm 4: a keyed hash of the destination
 * plus a perturbation table, so each destination walks the range from its
 * own offset, and a port is shared by connections to different peers).
 */
#include "stack/stack_internal.h"

#include "util/siphash.h"

#include <errno.h>

static uint32_t port_slot(const struct utcp_stack *s, uint16_t port)
{
	return (uint32_t)((port * 0x9e3779b1u) ^ (uint32_t)s->hash_seed[1]) &
	       (s->port_tab_size - 1);
}

static struct port_bucket *bucket_find(const struct utcp_stack *s, uint16_t port)
{
	if (!s->port_tab_size)
		return NULL;
	for (struct port_bucket *b = s->port_tab[port_slot(s, port)]; b; b = b->next)
		if (b->port == port)
			return b;
	return NULL;
}

static int port_tab_grow(struct utcp_stack *s)
{
	uint32_t n = s->port_tab_size ? s->port_tab_size * 2 : 256;
	struct port_bucket **t = ualloc_zalloc(&s->alloc, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	struct port_bucket **old = s->port_tab;
	uint32_t old_n = s->port_tab_size;
	s->port_tab = t;
	s->port_tab_size = n;
	for (uint32_t i = 0; i < old_n; i++) {
		struct port_bucket *b = old[i];
		while (b) {
			struct port_bucket *next = b->next;
			uint32_t h = port_slot(s, b->port);
			b->next = t[h];
			t[h] = b;
			b = next;
		}
	}
	ualloc_free(&s->alloc, old, old_n * sizeof(*old));
	return 0;
}

int port_attach(struct usock *u, uint16_t port, bool by_bind)
{
	struct utcp_stack *s = u->stack;
	struct port_bucket *b = bucket_find(s, port);
	if (!b) {
		if (s->port_count >= s->port_tab_size && port_tab_grow(s) != 0 &&
		    s->port_tab_size == 0)
			return -ENOMEM;
		b = ualloc_zalloc(&s->alloc, sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->port = port;
		uint32_t h = port_slot(s, port);
		b->next = s->port_tab[h];
		s->port_tab[h] = b;
		s->port_count++;
	}
	u->bucket = b;
	u->bind_prev = NULL;
	u->bind_next = b->socks;
	if (b->socks)
		b->socks->bind_prev = u;
	b->socks = u;
	b->n_socks++;
	u->bound = by_bind;
	if (by_bind)
		b->n_bound++;
	u->tcp.lport = port;
	return 0;
}

void port_detach(struct usock *u)
{
	struct utcp_stack *s = u->stack;
	struct port_bucket *b = u->bucket;
	if (u->bind_prev)
		u->bind_prev->bind_next = u->bind_next;
	else
		b->socks = u->bind_next;
	if (u->bind_next)
		u->bind_next->bind_prev = u->bind_prev;
	b->n_socks--;
	if (u->bound)
		b->n_bound--;
	u->bucket = NULL;
	u->bind_next = u->bind_prev = NULL;
	if (b->n_socks > 0)
		return;
	struct port_bucket **pp = &s->port_tab[port_slot(s, b->port)];
	while (*pp != b)
		pp = &(*pp)->next;
	*pp = b->next;
	s->port_count--;
	ualloc_free(&s->alloc, b, sizeof(*b));
}

/* Linux inet_bind_conflict(): the other socket u2 on the port blocks u
 * unless their addresses differ, or both set SO_REUSEADDR and u2 does not
 * listen, or both set SO_REUSEPORT. */
static bool conflicts_with(const struct usock *u, uint32_t addr, bool as_listener,
			   const struct usock *u2)
{
	(void)as_listener;
	uint32_t a2 = u2->tcp.laddr;
	if (addr != 0 && a2 != 0 && addr != a2)
		return false;
	if (u->reuseaddr && u2->reuseaddr && u2->tcp.state != UTCP_LISTEN)
		return false;
	if (u->reuseport && u2->reuseport)
		return false;
	return true;
}

bool port_conflict(const struct utcp_stack *s, const struct usock *u, uint32_t addr,
		   uint16_t port, bool as_listener)
{
	const struct port_bucket *b = bucket_find(s, port);
	if (!b)
		return false;
	for (const struct usock *u2 = b->socks; u2; u2 = u2->bind_next)
		if (u2 != u && conflicts_with(u, addr, as_listener, u2))
			return true;
	return false;
}

uint16_t port_pick_for_bind(struct utcp_stack *s, const struct usock *u, uint32_t addr)
{
	uint32_t lo = s->cfg.port_lo, range = s->cfg.port_hi - lo + 1;
	uint32_t key[2] = {addr, s->next_id};
	uint32_t offset = (uint32_t)siphash24(s->cfg.secret, key, sizeof(key));
	/* Linux prefers odd ports for bind(0), leaving even ones to connect. */
	for (uint32_t pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < range; i += 2) {
			uint16_t port = (uint16_t)(lo + ((offset & ~1u) + i + 1 - pass) % range);
			if (!bucket_find(s, port) && !port_conflict(s, u, addr, port, false))
				return port;
		}
	}
	return 0;
}

bool tuple_take(struct utcp_stack *s, uint32_t laddr, uint16_t port, uint32_t raddr,
		uint16_t rport)
{
	struct usock *u = conn_table_lookup(s, laddr, port, raddr, rport);
	if (!u)
		return true;
	if (u->tcp.state == UTCP_TIME_WAIT && s->cfg.tw_reuse && u->refs == 0) {
		tcp_close_with(&u->tcp, 0);
		conn_sync(u);
		return true;
	}
	return false;
}

/* May a connection from the ephemeral port `port` be made? Not from a
 * port bind() owns; otherwise as tuple_take says. */
static bool tuple_free(struct utcp_stack *s, uint32_t laddr, uint16_t port,
		       uint32_t raddr, uint16_t rport)
{
	const struct port_bucket *b = bucket_find(s, port);
	if (b && b->n_bound > 0)
		return false; /* bind() owns this port */
	return tuple_take(s, laddr, port, raddr, rport);
}

uint16_t port_pick_for_connect(struct utcp_stack *s, uint32_t laddr, uint32_t raddr,
			       uint16_t rport)
{
	uint32_t lo = s->cfg.port_lo, range = s->cfg.port_hi - lo + 1;
	uint32_t key[3] = {laddr, raddr, rport};
	uint32_t hash = (uint32_t)siphash24(s->cfg.secret, key, sizeof(key));
	uint32_t *perturb = &s->port_perturb[hash & 255];
	uint32_t offset = hash + *perturb;
	/* One port after another from the keyed offset (RFC 6056 3.3.4).
	 * Linux tries even ports first, which makes every connect scan half
	 * the range once the even ones are taken; in order, the perturbation
	 * moves the next search past the ports just used, so a busy range
	 * still costs O(1) per connect until it is truly exhausted. */
	for (uint32_t i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(lo + (offset + i) % range);
		if (tuple_free(s, laddr, port, raddr, rport)) {
			*perturb += i + 1;
			return port;
		}
	}
	return 0;
}
