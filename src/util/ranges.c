/*
 * A set of disjoint sequence ranges: the receiver's record of out-of-order
 * data (RFC 9293 3.10.7.4: segments beyond RCV.NXT are held for later), the
 * source of its SACK blocks (RFC 2018 4), and the sender's scoreboard.
 *
 * Ranges are kept sorted in sequence space, with gaps between them: two
 * ranges that touch are one range. All comparisons go through seq.h, so
 * the set works across the 2^32 wrap (RFC 9293 3.4).
 */
#include "util/ranges.h"

#include "tcp/seq.h"

#include <assert.h>
#include <string.h>

/* Remove ranges [from, to) by sliding the tail down, keeping `last`
 * pointing at the same range (or -1 if it was removed). */
static void remove_span(struct ranges *q, unsigned from, unsigned to)
{
	unsigned gone = to - from;
	if (gone == 0)
		return;
	memmove(&q->r[from], &q->r[to], (q->n - to) * sizeof(q->r[0]));
	q->n -= gone;
	if (q->last >= (int)from && q->last < (int)to)
		q->last = -1;
	else if (q->last >= (int)to)
		q->last -= (int32_t)gone;
}

/* Room for one more range: double the array (moving it to the heap).
 * Returns 0 or -1. */
static int grow(struct ranges *q, struct ualloc *a)
{
	if (q->cap >= RANGES_LIMIT || !a)
		return -1;
	uint32_t cap = q->cap * 2 < RANGES_LIMIT ? q->cap * 2 : RANGES_LIMIT;
	struct range *r = ualloc_alloc(a, cap * sizeof(*r));
	if (!r)
		return -1;
	memcpy(r, q->r, q->n * sizeof(*r));
	if (q->r != q->inl)
		ualloc_free(a, q->r, q->cap * sizeof(*r));
	q->r = r;
	q->cap = cap;
	return 0;
}

void ranges_clear(struct ranges *q, struct ualloc *a)
{
	if (q->r != q->inl)
		ualloc_free(a, q->r, q->cap * sizeof(*q->r));
	ranges_init(q);
}

void ranges_shrink(struct ranges *q, struct ualloc *a)
{
	if (q->r == q->inl || q->n > RANGES_INLINE)
		return;
	struct range *heap = q->r;
	memcpy(q->inl, heap, q->n * sizeof(*heap));
	ualloc_free(a, heap, q->cap * sizeof(*heap));
	q->r = q->inl;
	q->cap = RANGES_INLINE;
}

int ranges_add(struct ranges *q, struct ualloc *a, uint32_t start, uint32_t end)
{
	assert(seq_lt(start, end));
	/* i: the first range that ends at or after start (ranges before it
	 * end strictly before start: they neither overlap nor touch). */
	unsigned i = 0;
	while (i < q->n && seq_lt(q->r[i].end, start))
		i++;
	/* j: the first range that starts strictly after end. Ranges [i, j)
	 * overlap or touch [start, end) and merge with it. */
	unsigned j = i;
	while (j < q->n && seq_leq(q->r[j].start, end))
		j++;

	if (i == j) {
		/* A new range between i - 1 and i. */
		if (q->n == q->cap && grow(q, a) != 0)
			return -1;
		memmove(&q->r[i + 1], &q->r[i], (q->n - i) * sizeof(q->r[0]));
		q->n++;
		if (q->last >= (int)i)
			q->last++;
	} else {
		start = seq_min(start, q->r[i].start);
		end = seq_max(end, q->r[j - 1].end);
		remove_span(q, i + 1, j);
	}
	q->r[i].start = start;
	q->r[i].end = end;
	q->last = (int32_t)i;
	return 0;
}

uint32_t ranges_pop_contiguous(struct ranges *q, uint32_t from)
{
	if (q->n == 0 || seq_gt(q->r[0].start, from))
		return from;
	/* Never move the edge backwards, even for a stale range that ended
	 * before `from` (drop_before should have removed it). */
	uint32_t edge = seq_max(q->r[0].end, from);
	remove_span(q, 0, 1);
	return edge;
}

void ranges_drop_before(struct ranges *q, uint32_t seq)
{
	unsigned k = 0;
	while (k < q->n && seq_leq(q->r[k].end, seq))
		k++;
	remove_span(q, 0, k);
	if (q->n > 0 && seq_lt(q->r[0].start, seq))
		q->r[0].start = seq;
}

bool ranges_contains(const struct ranges *q, uint32_t start, uint32_t end)
{
	for (unsigned i = 0; i < q->n; i++) {
		if (seq_leq(q->r[i].start, start) && seq_leq(end, q->r[i].end))
			return true;
	}
	return false;
}
