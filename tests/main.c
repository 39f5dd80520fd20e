/* The test runner: runs every registered test, or those matching argv. */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

static struct test_case *tests_head;
static jmp_buf test_jmp;
static int test_failed;
static const char *test_skip_reason;

void test_register(struct test_case *t)
{
	t->next = tests_head;
	tests_head = t;
}

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	test_failed = 1;
}

_Noreturn void test_abort_current(void)
{
	longjmp(test_jmp, 1);
}

_Noreturn void test_skip(const char *reason)
{
	test_skip_reason = reason;
	longjmp(test_jmp, 2);
}

static int name_cmp(const void *a, const void *b)
{
	const struct test_case *x = *(const struct test_case *const *)a;
	const struct test_case *y = *(const struct test_case *const *)b;
	int c = strcmp(x->file, y->file);
	return c ? c : strcmp(x->name, y->name);
}

/* Run one test; returns 0 passed, 1 failed, 2 skipped. Kept apart from
 * main() so that longjmp cannot clobber main's locals. */
static int run_one(struct test_case *t)
{
	test_failed = 0;
	test_skip_reason = NULL;
	int jumped = setjmp(test_jmp);
	if (jumped == 0)
		t->fn();
	if (jumped == 2 && !test_failed)
		return 2;
	return test_failed ? 1 : 0;
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc <= 1)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strncmp(name, argv[i], strlen(argv[i])) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = 0;
	for (struct test_case *t = tests_head; t; t = t->next)
		n++;
	struct test_case **all = calloc(n ? n : 1, sizeof(*all));
	if (!all)
		return 1;
	size_t i = 0;
	for (struct test_case *t = tests_head; t; t = t->next)
		all[i++] = t;
	qsort(all, n, sizeof(*all), name_cmp);

	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		for (i = 0; i < n; i++)
			printf("%s\n", all[i]->name);
		free(all);
		return 0;
	}

	int passed = 0, failed = 0, skipped = 0;
	for (i = 0; i < n; i++) {
		struct test_case *t = all[i];
		if (!selected(t->name, argc, argv))
			continue;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int r = run_one(t);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (r == 2) {
			printf("SKIP %s: %s\n", t->name, test_skip_reason);
			skipped++;
		} else if (r == 1) {
			printf("FAIL %s\n", t->name);
			failed++;
		} else {
			printf("ok   %s (%.0f ms)\n", t->name, ms);
			passed++;
		}
		fflush(stdout);
	}
	printf("\n%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	free(all);
	return failed ? 1 : 0;
}
