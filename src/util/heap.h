/*
 * A binary min-heap of timer nodes keyed by absolute time: O(log n) insert,
 * remove and re-key, O(1) earliest. The node lives inside its owner (a
 * connection) and remembers its slot, so removal needs no search. Ties are
 * broken by an insertion sequence number, so the order is deterministic.
 */
#ifndef UTCP_UTIL_HEAP_H
#define UTCP_UTIL_HEAP_H

#include "util/alloc.h"
#include "utcp/types.h"

#include <stdbool.h>
#include <stdint.h>

struct heap_node {
	utcp_time_us at;
	uint64_t seq;   /* tie-break, set on insert/update */
	uint32_t slot;  /* 1-based position in the heap; 0 = not in the heap */
};

struct heap {
	struct heap_node **a; /* a[0..n) */
	uint32_t n, cap;
	uint64_t next_seq;
};

void heap_init(struct heap *h);
/* Free the heap's array; the nodes (owned elsewhere) are not touched. */
void heap_free(struct heap *h, struct ualloc *a);

static inline bool heap_node_queued(const struct heap_node *n)
{
	return n->slot != 0;
}

/* Make room for n nodes, so that inserting up to n never fails.
 * Returns 0 or -ENOMEM (the heap is unchanged and still usable). */
int heap_reserve(struct heap *h, struct ualloc *a, uint32_t n);

/* Insert node (not queued) with key at. Returns 0 or -ENOMEM (never when
 * room was reserved). */
int heap_insert(struct heap *h, struct ualloc *a, struct heap_node *node,
		utcp_time_us at);

/* Change the key of a queued node. */
void heap_update(struct heap *h, struct heap_node *node, utcp_time_us at);

/* Remove a queued node. */
void heap_remove(struct heap *h, struct heap_node *node);

/* The earliest node, or NULL. */
static inline struct heap_node *heap_top(const struct heap *h)
{
	return h->n ? h->a[0] : NULL;
}

#endif
