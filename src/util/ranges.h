/*
 * A set of disjoint byte ranges in sequence space: which out-of-order data
 * the receiver holds (and the SACK blocks it reports), and the sender's
 * SACK scoreboard. The first RANGES_INLINE ranges live in the struct, so a
 * connection that loses little never allocates; a loss episode with many
 * islands (a slow-start overshoot into a full queue loses every other
 * segment) grows a heap array by doubling, up to RANGES_LIMIT, and
 * ranges_shrink() gives it back once the episode is over. Comparisons are
 * modular (RFC 9293 3.4): all ranges must lie within 2^31 of each other.
 *
 * `r` points into the struct itself while inline: never copy a struct
 * ranges (initialise it where it lives).
 */
#ifndef UTCP_UTIL_RANGES_H
#define UTCP_UTIL_RANGES_H

#include "util/alloc.h"

#include <stdbool.h>
#include <stdint.h>

#define RANGES_INLINE 8
#define RANGES_LIMIT 2048 /* 16 KiB: more islands than that are dropped */

struct range {
	uint32_t start, end; /* [start, end) */
};

struct ranges {
	struct range *r; /* sorted, disjoint, non-adjacent; inl or the heap */
	uint32_t n, cap;
	/* Index of the range most recently added to (for the first SACK block,
	 * RFC 2018 section 4), or -1. */
	int32_t last;
	struct range inl[RANGES_INLINE];
};

static inline void ranges_init(struct ranges *q)
{
	q->r = q->inl;
	q->n = 0;
	q->cap = RANGES_INLINE;
	q->last = -1;
}

/* Empty the set and give back any heap array. */
void ranges_clear(struct ranges *q, struct ualloc *a);

/* Give back the heap array when the ranges fit inline again. */
void ranges_shrink(struct ranges *q, struct ualloc *a);

/* Add [start, end) (start != end), merging with overlapping or adjacent
 * ranges. Returns 0, or -1 when it would need more than RANGES_LIMIT
 * ranges or memory is short (nothing is changed then). */
int ranges_add(struct ranges *q, struct ualloc *a, uint32_t start, uint32_t end);

/* If the first range starts at or before `from`, remove it and return the
 * new contiguous edge, max(its end, from) (never before `from`); otherwise
 * return `from`. */
uint32_t ranges_pop_contiguous(struct ranges *q, uint32_t from);

/* Remove everything before `seq` (ranges are trimmed). */
void ranges_drop_before(struct ranges *q, uint32_t seq);

/* True when [start, end) is entirely inside one range. */
bool ranges_contains(const struct ranges *q, uint32_t start, uint32_t end);

#endif
