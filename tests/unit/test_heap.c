/* Unit tests of the timer heap (heap.h): order by time, ties by insertion
 * or update order, update and remove anywhere, growth without per-operation
 * allocation, out-of-memory, and a randomized check against a reference. */
#include "../harness.h"

#include "util/heap.h"

#include <errno.h>
#include <stdlib.h>

/* Remove and return the earliest node. */
static struct heap_node *pop(struct heap *h)
{
	struct heap_node *top = heap_top(h);
	if (top)
		heap_remove(h, top);
	return top;
}

/* Every slot matches its index and no child is before its parent. */
static int heap_valid(const struct heap *h)
{
	for (uint32_t i = 0; i < h->n; i++) {
		const struct heap_node *x = h->a[i];
		if (x->slot != i + 1)
			return 0;
		if (i == 0)
			continue;
		const struct heap_node *p = h->a[(i - 1) / 2];
		if (x->at < p->at || (x->at == p->at && x->seq < p->seq))
			return 0;
	}
	return 1;
}

TEST(util_heap_orders_by_time)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct heap h;
	heap_init(&h);
	CHECK(heap_top(&h) == NULL);
	struct heap_node n[5] = {{0}};
	static const utcp_time_us at[5] = {50, 10, 30, 20, 40};
	for (int i = 0; i < 5; i++) {
		CHECK(!heap_node_queued(&n[i]));
		REQUIRE_EQ(heap_insert(&h, &a, &n[i], at[i]), 0);
		CHECK(heap_node_queued(&n[i]));
		REQUIRE(heap_valid(&h));
	}
	CHECK(heap_top(&h) == &n[1]);
	static const int order[5] = {1, 3, 2, 4, 0};
	for (int i = 0; i < 5; i++) {
		struct heap_node *x = pop(&h);
		REQUIRE(x == &n[order[i]]);
		CHECK(!heap_node_queued(x));
		REQUIRE(heap_valid(&h));
	}
	CHECK(heap_top(&h) == NULL);
	heap_free(&h, &a);
	CHECK_EQ(a.in_use, 0);
}

TEST(util_heap_ties_in_insertion_and_update_order)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct heap h;
	heap_init(&h);
	struct heap_node n[5] = {{0}};
	for (int i = 0; i < 5; i++)
		REQUIRE_EQ(heap_insert(&h, &a, &n[i], 100), 0);
	/* Re-arming node 1 at the same time puts it behind the others. */
	heap_update(&h, &n[1], 100);
	static const int order[5] = {0, 2, 3, 4, 1};
	for (int i = 0; i < 5; i++)
		REQUIRE(pop(&h) == &n[order[i]]);
	/* Removed and inserted again: behind a node inserted in between. */
	REQUIRE_EQ(heap_insert(&h, &a, &n[0], 7), 0);
	REQUIRE_EQ(heap_insert(&h, &a, &n[1], 7), 0);
	heap_remove(&h, &n[0]);
	REQUIRE_EQ(heap_insert(&h, &a, &n[0], 7), 0);
	CHECK(pop(&h) == &n[1]);
	CHECK(pop(&h) == &n[0]);
	heap_free(&h, &a);
	CHECK_EQ(a.in_use, 0);
}

TEST(util_heap_update_and_remove_anywhere)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct heap h;
	heap_init(&h);
	struct heap_node n[40] = {{0}};
	for (int i = 0; i < 40; i++)
		REQUIRE_EQ(heap_insert(&h, &a, &n[i], (utcp_time_us)(1000 + 10 * i)), 0);
	heap_update(&h, &n[30], 5); /* up to the top */
	CHECK(heap_top(&h) == &n[30]);
	REQUIRE(heap_valid(&h));
	heap_update(&h, &n[30], UTCP_TIME_NEVER - 1); /* down to a leaf */
	CHECK(heap_top(&h) == &n[0]);
	REQUIRE(heap_valid(&h));
	heap_update(&h, &n[0], 1015); /* between n[1] and n[2] */
	CHECK(heap_top(&h) == &n[1]);
	REQUIRE(heap_valid(&h));
	heap_remove(&h, &n[17]); /* from the middle */
	heap_remove(&h, &n[39]);
	heap_remove(&h, &n[30]);
	CHECK_EQ(h.n, 37);
	REQUIRE(heap_valid(&h));
	CHECK(!heap_node_queued(&n[17]));
	utcp_time_us prev = 0;
	while (h.n) {
		struct heap_node *x = pop(&h);
		REQUIRE(x->at >= prev);
		REQUIRE(x != &n[17] && x != &n[39] && x != &n[30]);
		prev = x->at;
	}
	heap_free(&h, &a);
	CHECK_EQ(a.in_use, 0);
}

/* A test allocator that counts calls and can be told to fail. */
struct counting_arena {
	size_t allocs;
	int fail;
};

static void *arena_alloc(void *ctx, size_t n)
{
	struct counting_arena *t = ctx;
	if (t->fail)
		return NULL;
	t->allocs++;
	return malloc(n);
}

static void arena_release(void *ctx, void *p, size_t n)
{
	(void)ctx;
	(void)n;
	free(p);
}

TEST(util_heap_grows_once_then_allocates_nothing)
{
	struct counting_arena t = {0};
	struct utcp_allocator hooks = {arena_alloc, arena_release, &t};
	struct ualloc a;
	ualloc_init(&a, &hooks);
	struct heap h;
	heap_init(&h);
	CHECK_EQ(a.in_use, 0); /* an empty heap holds nothing */
	static struct heap_node n[100];
	memset(n, 0, sizeof(n));
	for (int i = 0; i < 100; i++)
		REQUIRE_EQ(heap_insert(&h, &a, &n[i], (utcp_time_us)(i * 7919 % 100)), 0);
	size_t allocs = t.allocs, in_use = a.in_use;
	CHECK(h.cap >= 100);
	CHECK_EQ(in_use, h.cap * sizeof(struct heap_node *));
	CHECK_EQ(a.live_blocks, 1);
	for (int round = 0; round < 3; round++) {
		while (h.n)
			pop(&h);
		for (int i = 0; i < 100; i++)
			REQUIRE_EQ(heap_insert(&h, &a, &n[i], (utcp_time_us)i), 0);
		for (int i = 0; i < 100; i++)
			heap_update(&h, &n[i], (utcp_time_us)(100 - i));
	}
	CHECK_EQ(t.allocs, allocs);
	CHECK_EQ(a.in_use, in_use);
	heap_free(&h, &a);
	CHECK_EQ(a.in_use, 0);
	CHECK_EQ(a.live_blocks, 0);
}

TEST(util_heap_insert_out_of_memory)
{
	struct counting_arena t = {.fail = 1};
	struct utcp_allocator hooks = {arena_alloc, arena_release, &t};
	struct ualloc a;
	ualloc_init(&a, &hooks);
	struct heap h;
	heap_init(&h);
	struct heap_node x = {0};
	CHECK_EQ(heap_insert(&h, &a, &x, 5), -ENOMEM);
	CHECK(!heap_node_queued(&x));
	CHECK_EQ(h.n, 0);
	CHECK(heap_top(&h) == NULL);
	/* Full array, allocator failing: the heap keeps what it had. */
	t.fail = 0;
	struct heap_node m[17] = {{0}};
	for (int i = 0; i < 16; i++)
		REQUIRE_EQ(heap_insert(&h, &a, &m[i], (utcp_time_us)(16 - i)), 0);
	REQUIRE_EQ(h.cap, 16);
	t.fail = 1;
	CHECK_EQ(heap_insert(&h, &a, &m[16], 0), -ENOMEM);
	CHECK(!heap_node_queued(&m[16]));
	CHECK_EQ(h.n, 16);
	CHECK(heap_top(&h) == &m[15]);
	CHECK(heap_valid(&h));
	heap_free(&h, &a);
	CHECK_EQ(a.in_use, 0);
}

/* Deterministic PRNG (xorshift64). */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

#define MODEL_NODES 64

/* The reference: for each node, whether it is queued, its time and the
 * order stamp it should carry; the earliest is found by a linear scan. */
struct heap_ref {
	bool queued[MODEL_NODES];
	utcp_time_us at[MODEL_NODES];
	uint64_t seq[MODEL_NODES];
	uint64_t next_seq;
};

static int ref_min(const struct heap_ref *r)
{
	int best = -1;
	for (int i = 0; i < MODEL_NODES; i++) {
		if (!r->queued[i])
			continue;
		if (best < 0 || r->at[i] < r->at[best] ||
		    (r->at[i] == r->at[best] && r->seq[i] < r->seq[best]))
			best = i;
	}
	return best;
}

TEST(util_heap_random_model_check)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct heap h;
	heap_init(&h);
	static struct heap_node n[MODEL_NODES];
	memset(n, 0, sizeof(n));
	struct heap_ref r;
	memset(&r, 0, sizeof(r));
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (int step = 0; step < 20000; step++) {
		int i = (int)(next_rand(&seed) % MODEL_NODES);
		/* Few distinct times, so ties are common. */
		utcp_time_us at = next_rand(&seed) % 50;
		uint64_t op = next_rand(&seed) % 10;
		if (!r.queued[i]) {
			REQUIRE_EQ(heap_insert(&h, &a, &n[i], at), 0);
			r.queued[i] = true;
			r.at[i] = at;
			r.seq[i] = r.next_seq++;
		} else if (op < 5) {
			heap_update(&h, &n[i], at);
			r.at[i] = at;
			r.seq[i] = r.next_seq++;
		} else if (op < 8) {
			heap_remove(&h, &n[i]);
			r.queued[i] = false;
		} else {
			int m = ref_min(&r);
			REQUIRE(pop(&h) == &n[m]);
			r.queued[m] = false;
		}
		int m = ref_min(&r);
		REQUIRE(m < 0 ? heap_top(&h) == NULL : heap_top(&h) == &n[m]);
		REQUIRE(heap_valid(&h));
		for (int k = 0; k < MODEL_NODES; k++) {
			REQUIRE_EQ(heap_node_queued(&n[k]), r.queued[k]);
			if (r.queued[k])
				REQUIRE_EQ(n[k].seq, r.seq[k]);
		}
	}
	/* Drain in order. */
	for (int m = ref_min(&r); m >= 0; m = ref_min(&r)) {
		REQUIRE(pop(&h) == &n[m]);
		r.queued[m] = false;
	}
	CHECK_EQ(h.n, 0);
	heap_free(&h, &a);
	CHECK_EQ(a.in_use, 0);
}
