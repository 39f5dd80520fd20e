/*
 * A growable byte ring: the send buffer (unacknowledged and unsent data) and
 * the receive buffer (in-order data not yet read, and out-of-order data
 * parked at its offset beyond that).
 *
 * Invariants: cap is 0 or a power of two; len <= cap; bytes live at
 * buf[(head + i) & (cap - 1)]. Bytes beyond len (up to cap) may hold parked
 * data written with ring_write_at(); growth preserves all cap bytes.
 * Storage is allocated lazily, on the first write, and grows by doubling up
 * to what a write needs; an idle connection holds no buffer at all.
 */
#ifndef UTCP_UTIL_RING_H
#define UTCP_UTIL_RING_H

#include "util/alloc.h"

#include <stddef.h>
#include <stdint.h>

struct ring {
	uint8_t *buf;
	uint32_t cap;  /* 0 or a power of two */
	uint32_t head; /* index of the first byte */
	uint32_t len;  /* committed bytes */
};

/* Two pieces of contiguous memory covering a range of the ring. */
struct ring_span {
	const uint8_t *p1;
	uint32_t n1;
	const uint8_t *p2;
	uint32_t n2;
};

static inline void ring_init(struct ring *r)
{
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

/* Free the storage (the ring becomes empty). */
void ring_free(struct ring *r, struct ualloc *a);

/* Make sure offsets [0, need) from head are addressable, growing to the
 * next power of two >= need. Returns 0, or -ENOMEM (ring unchanged). */
int ring_reserve(struct ring *r, struct ualloc *a, uint32_t need);

/* Copy n bytes to offset off from head (off may be >= len: parking data
 * beyond the committed end). Grows as needed. Returns 0 or -ENOMEM. */
int ring_write_at(struct ring *r, struct ualloc *a, uint32_t off,
		  const uint8_t *src, uint32_t n);

/* Append n bytes after the committed end and commit them. Returns 0 or
 * -ENOMEM. */
int ring_append(struct ring *r, struct ualloc *a, const uint8_t *src, uint32_t n);

/* Mark n more bytes after len as committed (they were written with
 * ring_write_at). Requires len + n <= cap. */
void ring_commit(struct ring *r, uint32_t n);

/* The bytes [off, off + n) from head as up to two spans. Requires
 * off + n <= cap (reading parked bytes is allowed). */
struct ring_span ring_peek(const struct ring *r, uint32_t off, uint32_t n);

/* Copy up to n committed bytes from offset off into dst without consuming.
 * Returns the number copied. */
uint32_t ring_copy_out(const struct ring *r, uint32_t off, uint8_t *dst, uint32_t n);

/* Drop n committed bytes from the front (n <= len). Parked bytes stay
 * where they are in memory: their offset from the new head drops by n. */
void ring_consume(struct ring *r, uint32_t n);

#endif
