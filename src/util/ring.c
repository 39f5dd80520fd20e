/*
 * The growable byte ring behind the send and receive buffers (see ring.h
 * for the invariants). Offsets are relative to head; the byte at offset i
 * lives at buf[(head + i) & (cap - 1)], which is why cap is a power of two.
 *
 * Growth copies the whole old ring, parked bytes included, to the start of
 * the new buffer: head becomes 0 and every offset keeps its byte.
 */
#include "util/ring.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

/* A power-of-two cap must fit in 32 bits. */
#define RING_MAX_CAP 0x80000000u

void ring_free(struct ring *r, struct ualloc *a)
{
	ualloc_free(a, r->buf, r->cap);
	ring_init(r);
}

static uint32_t next_pow2(uint32_t n)
{
	uint32_t c = 1;
	while (c < n)
		c <<= 1;
	return c;
}

int ring_reserve(struct ring *r, struct ualloc *a, uint32_t need)
{
	if (need <= r->cap)
		return 0;
	if (need > RING_MAX_CAP)
		return -ENOMEM;
	uint32_t cap = next_pow2(need);
	/* Zero-filled: bytes never written read as zero, not as whatever
	 * the allocator left, so that runs stay reproducible. */
	uint8_t *buf = ualloc_zalloc(a, cap);
	if (!buf)
		return -ENOMEM;
	if (r->cap) {
		/* Re-linearise: old offsets [0, cap) go to buf[0, cap). */
		uint32_t first = r->cap - r->head;
		memcpy(buf, r->buf + r->head, first);
		memcpy(buf + first, r->buf, r->head);
		ualloc_free(a, r->buf, r->cap);
	}
	r->buf = buf;
	r->cap = cap;
	r->head = 0;
	return 0;
}

int ring_write_at(struct ring *r, struct ualloc *a, uint32_t off, const uint8_t *src, uint32_t n)
{
	if (n == 0)
		return 0;
	if (off > RING_MAX_CAP || n > RING_MAX_CAP - off)
		return -ENOMEM;
	int err = ring_reserve(r, a, off + n);
	if (err)
		return err;
	uint32_t start = (r->head + off) & (r->cap - 1);
	uint32_t first = r->cap - start < n ? r->cap - start : n;
	memcpy(r->buf + start, src, first);
	memcpy(r->buf, src + first, n - first);
	return 0;
}

int ring_append(struct ring *r, struct ualloc *a, const uint8_t *src, uint32_t n)
{
	int err = ring_write_at(r, a, r->len, src, n);
	if (err)
		return err;
	ring_commit(r, n);
	return 0;
}

void ring_commit(struct ring *r, uint32_t n)
{
	assert(n <= r->cap - r->len);
	r->len += n;
}

struct ring_span ring_peek(const struct ring *r, uint32_t off, uint32_t n)
{
	struct ring_span s = {NULL, 0, NULL, 0};
	assert(off <= r->cap && n <= r->cap - off);
	if (n == 0)
		return s;
	uint32_t start = (r->head + off) & (r->cap - 1);
	s.p1 = r->buf + start;
	s.n1 = r->cap - start < n ? r->cap - start : n;
	if (s.n1 < n) {
		s.p2 = r->buf;
		s.n2 = n - s.n1;
	}
	return s;
}

uint32_t ring_copy_out(const struct ring *r, uint32_t off, uint8_t *dst, uint32_t n)
{
	if (off >= r->len)
		return 0;
	if (n > r->len - off)
		n = r->len - off;
	struct ring_span s = ring_peek(r, off, n);
	if (s.n1)
		memcpy(dst, s.p1, s.n1);
	if (s.n2)
		memcpy(dst + s.n1, s.p2, s.n2);
	return n;
}

void ring_consume(struct ring *r, uint32_t n)
{
	assert(n <= r->len);
	if (n == 0)
		return;
	r->head = (r->head + n) & (r->cap - 1);
	r->len -= n;
}
