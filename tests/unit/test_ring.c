/* Unit tests of the byte ring (ring.h) and of the counting allocator it
 * allocates through (alloc.h): lazy allocation, power-of-two growth that
 * keeps every byte (parked ones too), wraparound, spans split at the wrap,
 * out-of-memory, and a randomized check against a simple model. */
#include "../harness.h"

#include "util/alloc.h"
#include "util/ring.h"

#include <errno.h>
#include <stdlib.h>

/* A test allocator behind the hooks: counts calls, fills fresh blocks
 * with 0xaa (so zalloc must really zero), and can be told to fail. */
struct arena {
	size_t allocs, releases, bytes;
	long fail_after; /* allocations left before failing; < 0: never */
	size_t last_release_size;
};

static void *arena_alloc(void *ctx, size_t n)
{
	struct arena *t = ctx;
	if (t->fail_after == 0)
		return NULL;
	if (t->fail_after > 0)
		t->fail_after--;
	void *p = malloc(n);
	if (!p)
		return NULL;
	memset(p, 0xaa, n);
	t->allocs++;
	t->bytes += n;
	return p;
}

static void arena_release(void *ctx, void *p, size_t n)
{
	struct arena *t = ctx;
	t->releases++;
	t->bytes -= n;
	t->last_release_size = n;
	free(p);
}

static void arena_ualloc(struct ualloc *a, struct arena *t)
{
	*t = (struct arena){.fail_after = -1};
	struct utcp_allocator hooks = {arena_alloc, arena_release, t};
	ualloc_init(a, &hooks);
}

/* Deterministic PRNG (xorshift32); never rand(). */
static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* ---- allocator --------------------------------------------------------- */

TEST(util_alloc_counts_bytes_blocks_and_peak)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	uint8_t *p = ualloc_alloc(&a, 100);
	uint8_t *q = ualloc_zalloc(&a, 50);
	REQUIRE(p && q);
	CHECK_EQ(a.in_use, 150);
	CHECK_EQ(a.live_blocks, 2);
	CHECK_EQ(a.peak, 150);
	for (int i = 0; i < 50; i++)
		REQUIRE_EQ(q[i], 0);
	ualloc_free(&a, p, 100);
	CHECK_EQ(a.in_use, 50);
	CHECK_EQ(a.peak, 150);
	memcpy(q, "0123456789", 10);
	q = ualloc_realloc(&a, q, 50, 400);
	REQUIRE(q);
	CHECK_EQ(memcmp(q, "0123456789", 10), 0);
	CHECK_EQ(a.in_use, 400);
	CHECK_EQ(a.peak, 400);
	CHECK_EQ(a.live_blocks, 1);
	q = ualloc_realloc(&a, q, 400, 5); /* shrink keeps the prefix */
	REQUIRE(q);
	CHECK_EQ(memcmp(q, "01234", 5), 0);
	CHECK_EQ(a.in_use, 5);
	ualloc_free(&a, q, 5);
	ualloc_free(&a, NULL, 123); /* NULL is fine */
	CHECK_EQ(a.in_use, 0);
	CHECK_EQ(a.live_blocks, 0);
	CHECK_EQ(a.peak, 400);
}

TEST(util_alloc_hooks_and_realloc_by_copy)
{
	struct arena t;
	struct ualloc a;
	arena_ualloc(&a, &t);
	uint8_t *p = ualloc_zalloc(&a, 16);
	REQUIRE(p);
	CHECK_EQ(t.allocs, 1);
	for (int i = 0; i < 16; i++)
		REQUIRE_EQ(p[i], 0); /* zeroed over the arena's 0xaa */
	memcpy(p, "abcdefghijklmnop", 16);
	/* The hooks have no realloc: new block, copy, release the old one
	 * with its size. */
	uint8_t *q = ualloc_realloc(&a, p, 16, 64);
	REQUIRE(q);
	CHECK_EQ(t.allocs, 2);
	CHECK_EQ(t.releases, 1);
	CHECK_EQ(t.last_release_size, 16);
	CHECK_EQ(memcmp(q, "abcdefghijklmnop", 16), 0);
	CHECK_EQ(a.in_use, 64);
	CHECK_EQ(t.bytes, 64);
	/* A failing realloc leaves the block and the counts alone. */
	t.fail_after = 0;
	CHECK(ualloc_realloc(&a, q, 64, 128) == NULL);
	CHECK(ualloc_alloc(&a, 8) == NULL);
	CHECK_EQ(a.in_use, 64);
	CHECK_EQ(a.live_blocks, 1);
	CHECK_EQ(memcmp(q, "abcdefghijklmnop", 16), 0);
	ualloc_free(&a, q, 64);
	CHECK_EQ(t.releases, 2);
	CHECK_EQ(t.last_release_size, 64);
	CHECK_EQ(t.bytes, 0);
	CHECK_EQ(a.in_use, 0);
	CHECK_EQ(a.live_blocks, 0);
}

TEST(util_alloc_half_hooks_fall_back_to_malloc)
{
	/* A custom alloc without a release (or the reverse) would mix two
	 * allocators: both defaults are used instead. */
	struct arena t = {.fail_after = -1};
	struct utcp_allocator only_alloc = {arena_alloc, NULL, &t};
	struct ualloc a;
	ualloc_init(&a, &only_alloc);
	void *p = ualloc_alloc(&a, 32);
	REQUIRE(p);
	CHECK_EQ(t.allocs, 0);
	ualloc_free(&a, p, 32);
	CHECK_EQ(a.in_use, 0);
}

/* ---- ring -------------------------------------------------------------- */

static void fill_pattern(uint8_t *p, uint32_t n, uint8_t first)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

TEST(util_ring_lazy_allocation)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct ring r;
	ring_init(&r);
	CHECK(r.buf == NULL);
	CHECK_EQ(r.cap, 0);
	uint8_t b[8] = {1, 2, 3};
	/* Empty writes and peeks need no storage. */
	CHECK_EQ(ring_append(&r, &a, b, 0), 0);
	CHECK_EQ(ring_write_at(&r, &a, 1000, b, 0), 0);
	CHECK_EQ(ring_reserve(&r, &a, 0), 0);
	struct ring_span s = ring_peek(&r, 0, 0);
	CHECK(s.p1 == NULL && s.n1 == 0 && s.p2 == NULL && s.n2 == 0);
	CHECK_EQ(ring_copy_out(&r, 0, b, 8), 0);
	CHECK_EQ(a.in_use, 0);
	CHECK(r.buf == NULL);

	REQUIRE_EQ(ring_append(&r, &a, b, 3), 0);
	CHECK_EQ(r.cap, 4);
	CHECK_EQ(r.len, 3);
	CHECK_EQ(a.in_use, 4);
	ring_free(&r, &a);
	CHECK(r.buf == NULL);
	CHECK_EQ(r.cap + r.len + r.head, 0);
	CHECK_EQ(a.in_use, 0);
}

TEST(util_ring_reserve_rounds_up_to_power_of_two)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct ring r;
	ring_init(&r);
	REQUIRE_EQ(ring_reserve(&r, &a, 100), 0);
	CHECK_EQ(r.cap, 128);
	CHECK_EQ(a.in_use, 128);
	uint8_t *buf = r.buf;
	REQUIRE_EQ(ring_reserve(&r, &a, 128), 0);
	CHECK(r.buf == buf);
	REQUIRE_EQ(ring_reserve(&r, &a, 129), 0);
	CHECK_EQ(r.cap, 256);
	CHECK_EQ(a.in_use, 256);
	CHECK_EQ(a.live_blocks, 1);
	/* Beyond 2^31 no power of two fits in 32 bits. */
	CHECK_EQ(ring_reserve(&r, &a, 0x80000001u), -ENOMEM);
	CHECK_EQ(ring_write_at(&r, &a, 0xfffffff0u, buf, 0x20), -ENOMEM);
	CHECK_EQ(ring_write_at(&r, &a, 0x80000000u, buf, 1), -ENOMEM);
	CHECK_EQ(r.cap, 256);
	ring_free(&r, &a);
	CHECK_EQ(a.in_use, 0);
}

/* Head at 12 of a 16-byte ring with 10 bytes: they occupy buf[12..16) and
 * buf[0..6). */
static void make_wrapped(struct ring *r, struct ualloc *a)
{
	uint8_t b[16];
	ring_init(r);
	fill_pattern(b, 12, 0x80);
	REQUIRE_EQ(ring_append(r, a, b, 12), 0);
	ring_consume(r, 12);
	fill_pattern(b, 10, 0);
	REQUIRE_EQ(ring_append(r, a, b, 10), 0);
	REQUIRE_EQ(r->cap, 16);
	REQUIRE_EQ(r->head, 12);
	REQUIRE_EQ(r->len, 10);
}

TEST(util_ring_peek_splits_at_the_wrap)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct ring r;
	make_wrapped(&r, &a);
	struct ring_span s = ring_peek(&r, 0, 10);
	CHECK(s.p1 == r.buf + 12);
	CHECK_EQ(s.n1, 4);
	CHECK(s.p2 == r.buf);
	CHECK_EQ(s.n2, 6);
	CHECK_EQ(s.p1[0], 0);
	CHECK_EQ(s.p2[0], 4);
	s = ring_peek(&r, 4, 6); /* entirely after the wrap */
	CHECK(s.p1 == r.buf && s.n1 == 6 && s.p2 == NULL && s.n2 == 0);
	s = ring_peek(&r, 1, 3); /* entirely before it, ending at it */
	CHECK(s.p1 == r.buf + 13 && s.n1 == 3 && s.p2 == NULL && s.n2 == 0);
	s = ring_peek(&r, 0, 16); /* the whole ring, parked space included */
	CHECK(s.n1 == 4 && s.n2 == 12);

	uint8_t out[16];
	CHECK_EQ(ring_copy_out(&r, 0, out, 16), 10);
	for (int i = 0; i < 10; i++)
		REQUIRE_EQ(out[i], i);
	CHECK_EQ(ring_copy_out(&r, 3, out, 4), 4);
	CHECK_EQ(out[0], 3);
	CHECK_EQ(out[3], 6);
	CHECK_EQ(ring_copy_out(&r, 8, out, 100), 2);
	CHECK_EQ(out[1], 9);
	CHECK_EQ(ring_copy_out(&r, 10, out, 1), 0);
	CHECK_EQ(ring_copy_out(&r, 11, out, 1), 0);
	ring_free(&r, &a);
	CHECK_EQ(a.in_use, 0);
}

TEST(util_ring_growth_relinearises_and_keeps_parked_bytes)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct ring r;
	make_wrapped(&r, &a);
	/* Park 3 bytes at offsets 12..14, beyond len: buf[8..11). */
	static const uint8_t parked[] = {0xd1, 0xd2, 0xd3};
	REQUIRE_EQ(ring_write_at(&r, &a, 12, parked, 3), 0);
	CHECK_EQ(r.cap, 16);
	CHECK_EQ(r.len, 10);
	CHECK_EQ(r.buf[8], 0xd1);

	/* Growing to 32 copies all 16 old offsets, in order, to buf[0..16):
	 * the data, the stale bytes at offsets 10, 11 and 15 (left from the
	 * first fill), the parked bytes; the new half is zero. */
	REQUIRE_EQ(ring_reserve(&r, &a, 20), 0);
	CHECK_EQ(r.cap, 32);
	CHECK_EQ(r.head, 0);
	CHECK_EQ(r.len, 10);
	CHECK_EQ(a.in_use, 32);
	CHECK_EQ(a.live_blocks, 1);
	static const uint8_t want[32] = {0, 1, 2,    3,	   4,	 5,    6,    7,
					 8, 9, 0x86, 0x87, 0xd1, 0xd2, 0xd3, 0x8b};
	CHECK_EQ(memcmp(r.buf, want, 32), 0);

	/* An append fills offsets 10, 11 and leaves the parked bytes. */
	REQUIRE_EQ(ring_append(&r, &a, (const uint8_t *)"ab", 2), 0);
	struct ring_span s = ring_peek(&r, 10, 5);
	REQUIRE_EQ(s.n1, 5);
	CHECK_EQ(memcmp(s.p1, "ab\xd1\xd2\xd3", 5), 0);
	ring_free(&r, &a);
	CHECK_EQ(a.in_use, 0);
}

TEST(util_ring_parked_data_survives_growth_and_consume)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct ring r;
	ring_init(&r);
	/* Out-of-order data parked at offset 100 of an empty ring. */
	REQUIRE_EQ(ring_write_at(&r, &a, 100, (const uint8_t *)"XYZ", 3), 0);
	CHECK_EQ(r.cap, 128);
	CHECK_EQ(r.len, 0);
	uint8_t b[300];
	fill_pattern(b, 50, 0);
	REQUIRE_EQ(ring_append(&r, &a, b, 50), 0);
	ring_consume(&r, 30); /* the parked bytes are now at offset 70 */
	CHECK_EQ(r.head, 30);
	struct ring_span s = ring_peek(&r, 70, 3);
	REQUIRE_EQ(s.n1, 3);
	CHECK_EQ(memcmp(s.p1, "XYZ", 3), 0);

	/* More parked data far out forces growth to 512. */
	REQUIRE_EQ(ring_write_at(&r, &a, 400, (const uint8_t *)"far", 3), 0);
	CHECK_EQ(r.cap, 512);
	CHECK_EQ(r.head, 0);
	s = ring_peek(&r, 70, 3);
	CHECK_EQ(memcmp(s.p1, "XYZ", 3), 0);
	s = ring_peek(&r, 400, 3);
	CHECK_EQ(memcmp(s.p1, "far", 3), 0);
	/* Bytes never written read as zero. */
	s = ring_peek(&r, 200, 1);
	CHECK_EQ(s.p1[0], 0);

	/* Fill the hole [20, 70) and commit through the parked bytes. */
	fill_pattern(b, 50, 20);
	REQUIRE_EQ(ring_write_at(&r, &a, 20, b, 50), 0);
	ring_commit(&r, 53);
	CHECK_EQ(r.len, 73);
	uint8_t out[80];
	REQUIRE_EQ(ring_copy_out(&r, 0, out, sizeof(out)), 73);
	for (int i = 0; i < 70; i++)
		REQUIRE_EQ(out[i], 30 + i < 50 ? 30 + i : i); /* 30..49 then 20..69 */
	CHECK_EQ(memcmp(out + 70, "XYZ", 3), 0);
	ring_free(&r, &a);
	CHECK_EQ(a.in_use, 0);
}

TEST(util_ring_wraparound_many_times)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct ring r;
	ring_init(&r);
	uint8_t in[13], out[16];
	uint8_t next_in = 0, next_out = 0;
	uint32_t seed = 7;
	for (int round = 0; round < 5000; round++) {
		uint32_t room = 16 - r.len;
		uint32_t n = next_rand(&seed) % (room + 1);
		for (uint32_t i = 0; i < n && i < sizeof(in); i++)
			in[i] = next_in++;
		if (n > sizeof(in))
			n = sizeof(in);
		REQUIRE_EQ(ring_append(&r, &a, in, n), 0);
		REQUIRE(r.cap <= 16);
		uint32_t m = next_rand(&seed) % (r.len + 1);
		REQUIRE_EQ(ring_copy_out(&r, 0, out, m), m);
		for (uint32_t i = 0; i < m; i++)
			REQUIRE_EQ(out[i], (uint8_t)(next_out + i));
		ring_consume(&r, m);
		next_out = (uint8_t)(next_out + m);
	}
	CHECK_EQ(r.cap, 16); /* never grew past the largest fill */
	ring_free(&r, &a);
	CHECK_EQ(a.in_use, 0);
}

TEST(util_ring_out_of_memory_leaves_ring_unchanged)
{
	struct arena t;
	struct ualloc a;
	arena_ualloc(&a, &t);
	struct ring r;
	make_wrapped(&r, &a);
	struct ring before = r;
	t.fail_after = 0;
	uint8_t big[40] = {0};
	CHECK_EQ(ring_append(&r, &a, big, sizeof(big)), -ENOMEM);
	CHECK_EQ(ring_write_at(&r, &a, 30, big, 1), -ENOMEM);
	CHECK_EQ(ring_reserve(&r, &a, 17), -ENOMEM);
	CHECK(r.buf == before.buf && r.cap == before.cap && r.head == before.head &&
	      r.len == before.len);
	uint8_t out[10];
	REQUIRE_EQ(ring_copy_out(&r, 0, out, 10), 10);
	for (int i = 0; i < 10; i++)
		REQUIRE_EQ(out[i], i);
	/* Writes that fit need no allocation and still work. */
	CHECK_EQ(ring_append(&r, &a, big, 6), 0);
	ring_free(&r, &a);
	CHECK_EQ(t.bytes, 0);
	CHECK_EQ(a.in_use, 0);
}

/* The model: M[j] is the byte expected at offset j from head, for every
 * j < cap. A write sets M, growth extends M with zeros, and consuming n
 * rotates M left by n (the consumed slots become the far end). */
struct ring_model {
	uint8_t m[1024];
	uint32_t cap;
};

static void model_consume(struct ring_model *md, uint32_t n)
{
	uint8_t tmp[1024];
	for (uint32_t j = 0; j < md->cap; j++)
		tmp[j] = md->m[(j + n) % md->cap];
	memcpy(md->m, tmp, md->cap);
}

static void model_write(struct ring_model *md, uint32_t off, const uint8_t *p, uint32_t n)
{
	uint32_t need = off + n;
	while (md->cap < need) {
		uint32_t cap = md->cap ? md->cap * 2 : 1;
		memset(md->m + md->cap, 0, cap - md->cap);
		md->cap = cap;
	}
	memcpy(md->m + off, p, n);
}

TEST(util_ring_random_model_check)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct ring r;
	ring_init(&r);
	struct ring_model md = {.cap = 0};
	uint32_t seed = 0x1234567;
	uint8_t data[64];
	for (int step = 0; step < 20000; step++) {
		uint32_t op = next_rand(&seed) % 4;
		uint32_t n = next_rand(&seed) % 64;
		for (uint32_t i = 0; i < n; i++)
			data[i] = (uint8_t)next_rand(&seed);
		if (op == 0 && r.len + n <= 600) {
			REQUIRE_EQ(ring_append(&r, &a, data, n), 0);
			model_write(&md, r.len - n, data, n);
		} else if (op == 1) {
			uint32_t off = r.len + next_rand(&seed) % 300;
			if (off + n > 1024)
				continue;
			REQUIRE_EQ(ring_write_at(&r, &a, off, data, n), 0);
			model_write(&md, off, data, n);
		} else if (op == 2) {
			uint32_t c = next_rand(&seed) % (r.cap - r.len + 1);
			ring_commit(&r, c);
		} else {
			uint32_t c = next_rand(&seed) % (r.len + 1);
			ring_consume(&r, c);
			if (c)
				model_consume(&md, c);
		}
		REQUIRE_EQ(r.cap, md.cap);
		REQUIRE(r.len <= r.cap && (r.cap & (r.cap - 1)) == 0);
		REQUIRE(r.cap == 0 || r.head < r.cap);
		REQUIRE_EQ(a.in_use, r.cap);
		struct ring_span s = ring_peek(&r, 0, r.cap);
		REQUIRE(s.n1 + s.n2 == r.cap);
		REQUIRE(s.n1 == 0 || memcmp(s.p1, md.m, s.n1) == 0);
		REQUIRE(s.n2 == 0 || memcmp(s.p2, md.m + s.n1, s.n2) == 0);
	}
	CHECK(md.cap >= 512); /* the walk did grow the ring */
	ring_free(&r, &a);
	CHECK_EQ(a.in_use, 0);
	CHECK_EQ(a.live_blocks, 0);
}
