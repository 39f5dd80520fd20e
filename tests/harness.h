/*
 * A small test harness. A test is a function declared with TEST(name); it
 * registers itself before main() runs. Checks record a failure and carry on
 * (CHECK*) or end the test (REQUIRE*). SKIP(reason) ends it as skipped: a
 * skip never counts as a pass.
 *
 *   build/tests/utcp_tests            run every test
 *   build/tests/utcp_tests wire_      run tests whose name starts with wire_
 *   build/tests/utcp_tests -l         list tests
 */
#ifndef UTCP_TEST_HARNESS_H
#define UTCP_TEST_HARNESS_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	const char *file;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *t);
void test_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
_Noreturn void test_abort_current(void);
_Noreturn void test_skip(const char *reason);

#define TEST(name)                                                            \
	static void test_##name(void);                                        \
	static struct test_case test_case_##name = {#name, __FILE__,          \
						    test_##name, NULL};       \
	__attribute__((constructor)) static void test_register_##name(void)   \
	{                                                                     \
		test_register(&test_case_##name);                              \
	}                                                                     \
	static void test_##name(void)

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond))                                                  \
			test_fail_at(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define REQUIRE(cond)                                                         \
	do {                                                                  \
		if (!(cond)) {                                                \
			test_fail_at(__FILE__, __LINE__, "REQUIRE(%s)", #cond); \
			test_abort_current();                                 \
		}                                                             \
	} while (0)

#define CHECK_EQ(a, b)                                                        \
	do {                                                                  \
		long long ca_ = (long long)(a), cb_ = (long long)(b);         \
		if (ca_ != cb_)                                               \
			test_fail_at(__FILE__, __LINE__,                      \
				     "CHECK_EQ(%s, %s): %lld != %lld", #a, #b, \
				     ca_, cb_);                               \
	} while (0)

#define REQUIRE_EQ(a, b)                                                      \
	do {                                                                  \
		long long ra_ = (long long)(a), rb_ = (long long)(b);         \
		if (ra_ != rb_) {                                             \
			test_fail_at(__FILE__, __LINE__,                      \
				     "REQUIRE_EQ(%s, %s): %lld != %lld", #a, #b, \
				     ra_, rb_);                               \
			test_abort_current();                                 \
		}                                                             \
	} while (0)

#define CHECK_STR(a, b)                                                       \
	do {                                                                  \
		const char *sa_ = (a), *sb_ = (b);                            \
		if (strcmp(sa_, sb_) != 0)                                    \
			test_fail_at(__FILE__, __LINE__,                      \
				     "CHECK_STR(%s, %s): \"%s\" != \"%s\"", #a, \
				     #b, sa_, sb_);                           \
	} while (0)

#define SKIP(reason) test_skip(reason)

#endif
