/*
 * The timer heap (see heap.h): a binary min-heap of pointers to nodes that
 * live inside their owners. Each node stores its 1-based slot, so update
 * and remove start from the node, not from a search. Keys are (at, seq):
 * equal deadlines fire in the order they were set, whatever the history
 * of the heap, which keeps simulated runs reproducible.
 *
 * The array grows by doubling and never shrinks: once a stack has seen its
 * peak number of timers, arming one allocates nothing.
 */
#include "util/heap.h"

#include <assert.h>
#include <errno.h>

#define HEAP_INITIAL_CAP 16

void heap_init(struct heap *h)
{
	h->a = NULL;
	h->n = h->cap = 0;
	h->next_seq = 0;
}

/* Frees the array only: the nodes belong to their owners, which may
 * already be gone, so they are not touched. */
void heap_free(struct heap *h, struct ualloc *a)
{
	ualloc_free(a, h->a, (size_t)h->cap * sizeof(h->a[0]));
	heap_init(h);
}

static bool node_before(const struct heap_node *x, const struct heap_node *y)
{
	return x->at < y->at || (x->at == y->at && x->seq < y->seq);
}

/* Put node at 0-based index i and record its slot. */
static void place(struct heap *h, uint32_t i, struct heap_node *node)
{
	h->a[i] = node;
	node->slot = i + 1;
}

static void sift_up(struct heap *h, uint32_t i)
{
	struct heap_node *node = h->a[i];
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!node_before(node, h->a[parent]))
			break;
		place(h, i, h->a[parent]);
		i = parent;
	}
	place(h, i, node);
}

static void sift_down(struct heap *h, uint32_t i)
{
	struct heap_node *node = h->a[i];
	for (;;) {
		uint32_t child = 2 * i + 1;
		if (child >= h->n)
			break;
		if (child + 1 < h->n && node_before(h->a[child + 1], h->a[child]))
			child++;
		if (!node_before(h->a[child], node))
			break;
		place(h, i, h->a[child]);
		i = child;
	}
	place(h, i, node);
}

/* Restore the heap order around index i after its key changed either
 * way. */
static void resift(struct heap *h, uint32_t i)
{
	if (i > 0 && node_before(h->a[i], h->a[(i - 1) / 2]))
		sift_up(h, i);
	else
		sift_down(h, i);
}

static int grow(struct heap *h, struct ualloc *a)
{
	uint32_t cap = h->cap ? h->cap * 2 : HEAP_INITIAL_CAP;
	if (cap <= h->cap)
		return -ENOMEM;
	struct heap_node **arr = ualloc_realloc(a, h->a, (size_t)h->cap * sizeof(h->a[0]),
						(size_t)cap * sizeof(h->a[0]));
	if (!arr)
		return -ENOMEM;
	h->a = arr;
	h->cap = cap;
	return 0;
}

int heap_reserve(struct heap *h, struct ualloc *a, uint32_t n)
{
	while (h->cap < n) {
		int err = grow(h, a);
		if (err)
			return err;
	}
	return 0;
}

int heap_insert(struct heap *h, struct ualloc *a, struct heap_node *node, utcp_time_us at)
{
	assert(!heap_node_queued(node));
	if (h->n == h->cap) {
		int err = grow(h, a);
		if (err)
			return err;
	}
	node->at = at;
	node->seq = h->next_seq++;
	place(h, h->n++, node);
	sift_up(h, h->n - 1);
	return 0;
}

void heap_update(struct heap *h, struct heap_node *node, utcp_time_us at)
{
	assert(heap_node_queued(node) && h->a[node->slot - 1] == node);
	node->at = at;
	/* A re-armed timer goes behind the others due at the same time, as
	 * if it had been removed and inserted again. */
	node->seq = h->next_seq++;
	resift(h, node->slot - 1);
}

void heap_remove(struct heap *h, struct heap_node *node)
{
	assert(heap_node_queued(node) && h->a[node->slot - 1] == node);
	uint32_t i = node->slot - 1;
	struct heap_node *tail = h->a[--h->n];
	node->slot = 0;
	if (i == h->n)
		return;
	place(h, i, tail);
	resift(h, i);
}
