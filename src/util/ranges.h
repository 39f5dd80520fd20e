/*
 * A small set of disjoint byte ranges in sequence space: which out-of-order
 * data the receiver holds (and, later, the SACK blocks it reports). Fixed
 * size, no allocation, as smoltcp's assembler. Comparisons are modular
 * (RFC 9293 3.4): all ranges must lie within 2^31 of each other.
 */
#ifndef UTCP_UTIL_RANGES_H
#define UTCP_UTIL_RANGES_H

#include <stdbool.h>
#include <stdint.h>

#define RANGES_MAX 8

struct ranges {
	uint8_t n;
	struct {
		uint32_t start, end; /* [start, end), sorted, disjoint, non-adjacent */
	} r[RANGES_MAX];
	/* Index of the range most recently added to (for the first SACK block,
	 * RFC 2018 section 4), or -1. */
	int8_t last;
};

static inline void ranges_init(struct ranges *q)
{
	q->n = 0;
	q->last = -1;
}

/* Add [start, end) (start != end), merging with overlapping or adjacent
 * ranges. Returns 0, or -1 when it would need more than RANGES_MAX ranges
 * (nothing is changed then). */
int ranges_add(struct ranges *q, uint32_t start, uint32_t end);

/* If the first range starts at or before `from`, remove it and return the
 * new contiguous edge, max(its end, from) (never before `from`); otherwise
 * return `from`. */
uint32_t ranges_pop_contiguous(struct ranges *q, uint32_t from);

/* Remove everything before `seq` (ranges are trimmed). */
void ranges_drop_before(struct ranges *q, uint32_t seq);

/* True when [start, end) is entirely inside one range. */
bool ranges_contains(const struct ranges *q, uint32_t start, uint32_t end);

#endif
