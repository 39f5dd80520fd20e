/* Unit tests of the out-of-order range set (ranges.h): merging, adjacency,
 * overflow, `last`, pop/drop/contains, the 2^32 wrap, and a randomized
 * check against a bitmap. */
#include "../harness.h"

#include "util/ranges.h"

/* Check the set is exactly the n ranges given as start, end pairs. */
static int ranges_are(const struct ranges *q, unsigned n, const uint32_t *se)
{
	if (q->n != n)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		if (q->r[i].start != se[2 * i] || q->r[i].end != se[2 * i + 1])
			return 0;
	}
	return 1;
}

#define EXPECT_RANGES(q, ...)                                                                      \
	do {                                                                                       \
		static const uint32_t want_[] = {__VA_ARGS__};                                     \
		unsigned nw_ = (unsigned)(sizeof(want_) / sizeof(want_[0]) / 2);                   \
		if (!ranges_are((q), nw_, want_))                                                  \
			test_fail_at(__FILE__, __LINE__, "ranges differ (n=%u)",                   \
				     (unsigned)(q)->n);                                            \
	} while (0)

TEST(util_ranges_add_keeps_order)
{
	struct ranges q;
	ranges_init(&q);
	CHECK_EQ(q.n, 0);
	CHECK_EQ(q.last, -1);
	REQUIRE_EQ(ranges_add(&q, NULL, 30, 40), 0);
	CHECK_EQ(q.last, 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 10, 20), 0);
	CHECK_EQ(q.last, 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 50, 60), 0);
	CHECK_EQ(q.last, 2);
	REQUIRE_EQ(ranges_add(&q, NULL, 0, 5), 0);
	CHECK_EQ(q.last, 0);
	EXPECT_RANGES(&q, 0, 5, 10, 20, 30, 40, 50, 60);
}

TEST(util_ranges_merge_overlapping)
{
	struct ranges q;
	ranges_init(&q);
	REQUIRE_EQ(ranges_add(&q, NULL, 10, 20), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 15, 25), 0);
	EXPECT_RANGES(&q, 10, 25);
	REQUIRE_EQ(ranges_add(&q, NULL, 5, 12), 0);
	EXPECT_RANGES(&q, 5, 25);
	REQUIRE_EQ(ranges_add(&q, NULL, 7, 9), 0); /* inside: no change */
	EXPECT_RANGES(&q, 5, 25);
	REQUIRE_EQ(ranges_add(&q, NULL, 0, 100), 0); /* covers it */
	EXPECT_RANGES(&q, 0, 100);
	CHECK_EQ(q.last, 0);
}

TEST(util_ranges_merge_adjacent)
{
	struct ranges q;
	ranges_init(&q);
	REQUIRE_EQ(ranges_add(&q, NULL, 10, 20), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 20, 30), 0);
	EXPECT_RANGES(&q, 10, 30);
	REQUIRE_EQ(ranges_add(&q, NULL, 0, 10), 0);
	EXPECT_RANGES(&q, 0, 30);
	REQUIRE_EQ(ranges_add(&q, NULL, 31, 40), 0); /* one byte apart: separate */
	EXPECT_RANGES(&q, 0, 30, 31, 40);
	REQUIRE_EQ(ranges_add(&q, NULL, 30, 31), 0); /* the byte between joins them */
	EXPECT_RANGES(&q, 0, 40);
}

TEST(util_ranges_one_add_bridges_several)
{
	struct ranges q;
	ranges_init(&q);
	for (uint32_t s = 10; s < 90; s += 20)
		REQUIRE_EQ(ranges_add(&q, NULL, s, s + 10), 0);
	EXPECT_RANGES(&q, 10, 20, 30, 40, 50, 60, 70, 80);
	REQUIRE_EQ(ranges_add(&q, NULL, 20, 50), 0); /* touches 1st and 3rd ends */
	EXPECT_RANGES(&q, 10, 60, 70, 80);
	CHECK_EQ(q.last, 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 100, 110), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 15, 105), 0);
	EXPECT_RANGES(&q, 10, 110);
	CHECK_EQ(q.last, 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 200, 210), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 150, 160), 0);
	CHECK_EQ(q.last, 1);
	REQUIRE_EQ(ranges_add(&q, NULL, 155, 300), 0); /* extends the last one's end */
	EXPECT_RANGES(&q, 10, 110, 150, 300);
	CHECK_EQ(q.last, 1);
}

TEST(util_ranges_overflow_leaves_set_unchanged)
{
	struct ranges q;
	ranges_init(&q);
	for (uint32_t i = 0; i < RANGES_INLINE; i++)
		REQUIRE_EQ(ranges_add(&q, NULL, 100 * i, 100 * i + 10), 0);
	REQUIRE_EQ(q.n, RANGES_INLINE);
	struct ranges before = q;
	CHECK_EQ(ranges_add(&q, NULL, 50, 60), -1);
	CHECK_EQ(ranges_add(&q, NULL, 5000, 5001), -1);
	CHECK_EQ(ranges_add(&q, NULL, 0xfffffff0u, 0xfffffff5u), -1); /* before 0 */
	CHECK_EQ(memcmp(&before, &q, sizeof(q)), 0);
	/* Adds that merge still work when full. */
	CHECK_EQ(ranges_add(&q, NULL, 10, 20), 0);
	CHECK_EQ(q.n, RANGES_INLINE);
	CHECK_EQ(ranges_add(&q, NULL, 15, 100), 0);
	CHECK_EQ(q.n, RANGES_INLINE - 1);
	EXPECT_RANGES(&q, 0, 110, 200, 210, 300, 310, 400, 410, 500, 510, 600, 610, 700, 710);
	/* That freed a slot for a ninth disjoint range. */
	CHECK_EQ(ranges_add(&q, NULL, 5000, 5001), 0);
	CHECK_EQ(q.n, RANGES_INLINE);
	CHECK_EQ(q.last, RANGES_INLINE - 1);
}

TEST(util_ranges_pop_contiguous)
{
	struct ranges q;
	ranges_init(&q);
	REQUIRE_EQ(ranges_add(&q, NULL, 10, 20), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 30, 40), 0);
	CHECK_EQ(q.last, 1);
	CHECK_EQ(ranges_pop_contiguous(&q, 5), 5); /* a hole before 10 */
	CHECK_EQ(q.n, 2);
	CHECK_EQ(ranges_pop_contiguous(&q, 10), 20);
	EXPECT_RANGES(&q, 30, 40);
	CHECK_EQ(q.last, 0); /* still [30, 40), now at index 0 */
	CHECK_EQ(ranges_pop_contiguous(&q, 20), 20);
	CHECK_EQ(ranges_pop_contiguous(&q, 35), 40); /* starts before `from` */
	CHECK_EQ(q.n, 0);
	CHECK_EQ(q.last, -1);
	CHECK_EQ(ranges_pop_contiguous(&q, 77), 77);
	/* A stale range wholly before `from` never moves the edge back. */
	REQUIRE_EQ(ranges_add(&q, NULL, 10, 20), 0);
	CHECK_EQ(ranges_pop_contiguous(&q, 25), 25);
	CHECK_EQ(q.n, 0);
}

TEST(util_ranges_drop_before_trims)
{
	struct ranges q;
	ranges_init(&q);
	REQUIRE_EQ(ranges_add(&q, NULL, 10, 20), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 50, 60), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 30, 40), 0);
	CHECK_EQ(q.last, 1);
	ranges_drop_before(&q, 5);
	EXPECT_RANGES(&q, 10, 20, 30, 40, 50, 60);
	ranges_drop_before(&q, 35);
	EXPECT_RANGES(&q, 35, 40, 50, 60);
	CHECK_EQ(q.last, 0); /* [30, 40) trimmed, same range */
	ranges_drop_before(&q, 40);
	EXPECT_RANGES(&q, 50, 60);
	CHECK_EQ(q.last, -1); /* the range last added to is gone */
	ranges_drop_before(&q, 50);
	EXPECT_RANGES(&q, 50, 60);
	ranges_drop_before(&q, 1000);
	CHECK_EQ(q.n, 0);
}

TEST(util_ranges_contains)
{
	struct ranges q;
	ranges_init(&q);
	REQUIRE_EQ(ranges_add(&q, NULL, 10, 20), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 30, 40), 0);
	CHECK(ranges_contains(&q, 10, 20));
	CHECK(ranges_contains(&q, 12, 15));
	CHECK(ranges_contains(&q, 39, 40));
	CHECK(ranges_contains(&q, 30, 40));
	CHECK(!ranges_contains(&q, 15, 25));
	CHECK(!ranges_contains(&q, 20, 30));
	CHECK(!ranges_contains(&q, 15, 35)); /* spans the gap */
	CHECK(!ranges_contains(&q, 5, 10));
	CHECK(!ranges_contains(&q, 40, 41));
	CHECK(!ranges_contains(&q, 9, 11));
	struct ranges empty;
	ranges_init(&empty);
	CHECK(!ranges_contains(&empty, 1, 2));
}

TEST(util_ranges_across_the_wrap)
{
	struct ranges q;
	ranges_init(&q);
	REQUIRE_EQ(ranges_add(&q, NULL, 0x10, 0x20), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 0xffffff00u, 0xffffff80u), 0);
	/* 0xffffff00 comes before 0x10 in sequence space. */
	EXPECT_RANGES(&q, 0xffffff00u, 0xffffff80u, 0x10, 0x20);
	CHECK_EQ(q.last, 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 0xfffffff0u, 0x8), 0); /* straddles zero */
	EXPECT_RANGES(&q, 0xffffff00u, 0xffffff80u, 0xfffffff0u, 0x8, 0x10, 0x20);
	CHECK(ranges_contains(&q, 0xfffffffeu, 0x2));
	CHECK(!ranges_contains(&q, 0xfffffffeu, 0x9));
	REQUIRE_EQ(ranges_add(&q, NULL, 0xffffff80u, 0xfffffff0u), 0);
	REQUIRE_EQ(ranges_add(&q, NULL, 0x8, 0x10), 0);
	EXPECT_RANGES(&q, 0xffffff00u, 0x20);
	CHECK(ranges_contains(&q, 0xffffff00u, 0x20));
	ranges_drop_before(&q, 0x4);
	EXPECT_RANGES(&q, 0x4, 0x20);
	REQUIRE_EQ(ranges_add(&q, NULL, 0xffffffa0u, 0xffffffb0u), 0);
	EXPECT_RANGES(&q, 0xffffffa0u, 0xffffffb0u, 0x4, 0x20);
	CHECK_EQ(ranges_pop_contiguous(&q, 0xffffffa0u), 0xffffffb0u);
	CHECK_EQ(ranges_pop_contiguous(&q, 0xffffffb0u), 0xffffffb0u);
	CHECK_EQ(ranges_pop_contiguous(&q, 0x4), 0x20);
	CHECK_EQ(q.n, 0);
}

/* Deterministic PRNG (xorshift32). */
static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

#define WINDOW 512

/* The ranges a bitmap over [base, base + WINDOW) describes. */
static unsigned bitmap_ranges(const uint8_t *bits, uint32_t base, uint32_t *se)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < WINDOW; i++) {
		if (bits[i] && (i == 0 || !bits[i - 1]))
			se[2 * n] = base + i;
		if (bits[i] && (i == WINDOW - 1 || !bits[i + 1])) {
			se[2 * n + 1] = base + i + 1;
			n++;
		}
	}
	return n;
}

/* Random adds, drops and pops over a window that straddles 2^32, checked
 * against a bitmap of the same window. */
TEST(util_ranges_random_model_check)
{
	const uint32_t base = 0xffffff00u;
	uint32_t seed = 99;
	for (int trial = 0; trial < 200; trial++) {
		uint8_t bits[WINDOW] = {0};
		uint32_t edge = 0; /* offset of the contiguous edge */
		struct ranges q;
		ranges_init(&q);
		for (int step = 0; step < 60; step++) {
			uint32_t op = next_rand(&seed) % 8;
			if (op < 6) {
				uint32_t s = edge + next_rand(&seed) % (WINDOW - edge);
				uint32_t len = 1 + next_rand(&seed) % 24;
				if (s + len > WINDOW)
					len = WINDOW - s;
				struct ranges before = q;
				int rc = ranges_add(&q, NULL, base + s, base + s + len);
				uint8_t nb[WINDOW];
				memcpy(nb, bits, WINDOW);
				memset(nb + s, 1, len);
				uint32_t se[2 * WINDOW];
				unsigned want = bitmap_ranges(nb, base, se);
				if (want > RANGES_INLINE) {
					REQUIRE_EQ(rc, -1);
					REQUIRE(memcmp(&before, &q, sizeof(q)) == 0);
				} else {
					REQUIRE_EQ(rc, 0);
					memcpy(bits, nb, WINDOW);
					REQUIRE(q.last >= 0 && (uint32_t)q.last < q.n);
					REQUIRE(ranges_contains(&q, base + s, base + s + len));
				}
			} else if (op == 6) {
				uint32_t e = ranges_pop_contiguous(&q, base + edge) - base;
				uint32_t want = edge;
				while (want < WINDOW && bits[want])
					want++;
				REQUIRE_EQ(e, want);
				memset(bits, 0, want);
				edge = want;
			} else {
				uint32_t d = edge + next_rand(&seed) % (WINDOW - edge + 1);
				ranges_drop_before(&q, base + d);
				memset(bits, 0, d);
				edge = d;
			}
			if (edge >= WINDOW)
				break;
			uint32_t se[2 * WINDOW];
			unsigned n = bitmap_ranges(bits, base, se);
			REQUIRE(ranges_are(&q, n, se));
		}
	}
}

/* With an allocator the set grows past its inline ranges (a loss episode
 * with many islands), up to RANGES_LIMIT, and gives the memory back. */
TEST(util_ranges_grow_limit_shrink)
{
	struct ualloc a;
	ualloc_init(&a, NULL);
	struct ranges q;
	ranges_init(&q);
	for (uint32_t i = 0; i < RANGES_LIMIT; i++)
		REQUIRE_EQ(ranges_add(&q, &a, 10 * i, 10 * i + 5), 0);
	CHECK_EQ(q.n, RANGES_LIMIT);
	CHECK(a.in_use >= RANGES_LIMIT * sizeof(struct range));
	CHECK_EQ(ranges_add(&q, &a, 10 * RANGES_LIMIT, 10 * RANGES_LIMIT + 1), -1);
	CHECK_EQ(q.n, RANGES_LIMIT);
	CHECK(ranges_contains(&q, 10 * 1000, 10 * 1000 + 5));
	/* Bridging everything: one range; shrink gives the heap back. */
	REQUIRE_EQ(ranges_add(&q, &a, 0, 10 * RANGES_LIMIT), 0);
	CHECK_EQ(q.n, 1);
	ranges_shrink(&q, &a);
	CHECK_EQ(a.in_use, 0);
	CHECK(q.r == q.inl);
	CHECK(ranges_contains(&q, 0, 10 * RANGES_LIMIT));
	/* Grow again, then clear. */
	for (uint32_t i = 0; i < 100; i++)
		REQUIRE_EQ(ranges_add(&q, &a, 100000 + 10 * i, 100000 + 10 * i + 5), 0);
	CHECK(a.in_use > 0);
	ranges_clear(&q, &a);
	CHECK_EQ(a.in_use, 0);
	CHECK_EQ(q.n, 0);
}
