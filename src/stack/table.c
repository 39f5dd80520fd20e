/*
 * The demultiplexing tables: connections by four-tuple (O(1): a chained
 * hash that doubles when its load passes 1) and listeners by port. The
 * hash is keyed by the stack's secret so that outsiders cannot aim
 * segments at one chain.
 */
#include "stack/stack_internal.h"

#include <errno.h>

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: a cheap, well-spread 64-bit mix */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint32_t tuple_hash(const struct utcp_stack *s, uint32_t laddr, uint16_t lport,
		    uint32_t raddr, uint16_t rport)
{
	uint64_t a = ((uint64_t)laddr << 32 | raddr) ^ s->hash_seed[0];
	uint64_t b = ((uint64_t)lport << 16 | rport) ^ s->hash_seed[1];
	return (uint32_t)mix64(mix64(a) ^ b);
}

static uint32_t conn_slot(const struct utcp_stack *s, const struct usock *u)
{
	return tuple_hash(s, u->tcp.laddr, u->tcp.lport, u->tcp.raddr, u->tcp.rport) &
	       (s->conn_tab_size - 1);
}

/* Double the table (or create it), rehashing every entry. */
static int conn_table_grow(struct utcp_stack *s)
{
	uint32_t n = s->conn_tab_size ? s->conn_tab_size * 2 : 256;
	struct usock **t = ualloc_zalloc(&s->alloc, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	struct usock **old = s->conn_tab;
	uint32_t old_n = s->conn_tab_size;
	s->conn_tab = t;
	s->conn_tab_size = n;
	for (uint32_t i = 0; i < old_n; i++) {
		struct usock *u = old[i];
		while (u) {
			struct usock *next = u->hash_next;
			uint32_t h = conn_slot(s, u);
			u->hash_next = t[h];
			t[h] = u;
			u = next;
		}
	}
	ualloc_free(&s->alloc, old, old_n * sizeof(*old));
	return 0;
}

int conn_table_insert(struct utcp_stack *s, struct usock *u)
{
	if (s->conn_count >= s->conn_tab_size) {
		int err = conn_table_grow(s);
		if (err && s->conn_tab_size == 0)
			return err; /* a full table still works, only slower */
	}
	uint32_t h = conn_slot(s, u);
	u->hash_next = s->conn_tab[h];
	s->conn_tab[h] = u;
	u->hashed = true;
	s->conn_count++;
	return 0;
}

void conn_table_remove(struct utcp_stack *s, struct usock *u)
{
	struct usock **pp = &s->conn_tab[conn_slot(s, u)];
	while (*pp && *pp != u)
		pp = &(*pp)->hash_next;
	if (*pp) {
		*pp = u->hash_next;
		s->conn_count--;
	}
	u->hashed = false;
	u->hash_next = NULL;
}

struct usock *conn_table_lookup(const struct utcp_stack *s, uint32_t laddr,
				uint16_t lport, uint32_t raddr, uint16_t rport)
{
	if (!s->conn_tab_size)
		return NULL;
	uint32_t h = tuple_hash(s, laddr, lport, raddr, rport) & (s->conn_tab_size - 1);
	for (struct usock *u = s->conn_tab[h]; u; u = u->hash_next) {
		const struct tcp_conn *c = &u->tcp;
		if (c->lport == lport && c->rport == rport && c->laddr == laddr &&
		    c->raddr == raddr)
			return u;
	}
	return NULL;
}

static uint32_t lis_slot(const struct utcp_stack *s, uint16_t port)
{
	return (uint32_t)mix64(port ^ s->hash_seed[0]) & (s->lis_tab_size - 1);
}

int listener_insert(struct utcp_stack *s, struct usock *u)
{
	if (!s->lis_tab_size) {
		s->lis_tab = ualloc_zalloc(&s->alloc, 64 * sizeof(*s->lis_tab));
		if (!s->lis_tab)
			return -ENOMEM;
		s->lis_tab_size = 64;
	}
	uint32_t h = lis_slot(s, u->tcp.lport);
	/* Append, so that a SO_REUSEPORT group keeps its order. */
	struct usock **pp = &s->lis_tab[h];
	while (*pp)
		pp = &(*pp)->lhash_next;
	u->lhash_next = NULL;
	*pp = u;
	return 0;
}

void listener_remove(struct utcp_stack *s, struct usock *u)
{
	if (!s->lis_tab_size)
		return;
	struct usock **pp = &s->lis_tab[lis_slot(s, u->tcp.lport)];
	while (*pp && *pp != u)
		pp = &(*pp)->lhash_next;
	if (*pp)
		*pp = u->lhash_next;
	u->lhash_next = NULL;
}

struct usock *listener_lookup(const struct utcp_stack *s, uint32_t laddr,
			      uint16_t lport, uint32_t raddr, uint16_t rport)
{
	if (!s->lis_tab_size)
		return NULL;
	struct usock *group[64];
	unsigned n = 0;
	uint32_t best_addr = 1; /* no match yet */
	for (struct usock *u = s->lis_tab[lis_slot(s, lport)]; u; u = u->lhash_next) {
		if (u->tcp.lport != lport || u->tcp.state != UTCP_LISTEN)
			continue;
		uint32_t a = u->tcp.laddr;
		if (a != laddr && a != 0)
			continue;
		if (n > 0 && best_addr == laddr && a == 0)
			continue; /* an exact-address listener beats the wildcard */
		if (n == 0 || (a == laddr && best_addr != laddr)) {
			n = 0;
			best_addr = a;
		}
		if (n < 64)
			group[n++] = u;
	}
	if (n <= 1 || !group[0]->reuseport)
		return n ? group[0] : NULL;
	/* SO_REUSEPORT: spread connections over the group by four-tuple. */
	return group[tuple_hash(s, laddr, lport, raddr, rport) % n];
}
