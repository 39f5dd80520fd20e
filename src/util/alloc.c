/*
 * The counting allocator (see alloc.h). Every byte the stack holds goes
 * through here, so in_use is an exact measure of its memory, and a test
 * that ends with in_use == 0 proves nothing leaked.
 */
#include "util/alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* The user's hooks are used only as a pair: memory from a custom alloc
 * must never reach free(), nor malloc()'s memory a custom release. */
static int has_hooks(const struct ualloc *a)
{
	return a->hooks.alloc != NULL && a->hooks.release != NULL;
}

void ualloc_init(struct ualloc *a, const struct utcp_allocator *hooks)
{
	memset(a, 0, sizeof(*a));
	if (hooks)
		a->hooks = *hooks;
}

static void count_alloc(struct ualloc *a, size_t n)
{
	a->in_use += n;
	if (a->in_use > a->peak)
		a->peak = a->in_use;
}

void *ualloc_alloc(struct ualloc *a, size_t n)
{
	assert(n > 0);
	void *p = has_hooks(a) ? a->hooks.alloc(a->hooks.ctx, n) : malloc(n);
	if (!p)
		return NULL;
	count_alloc(a, n);
	a->live_blocks++;
	return p;
}

void *ualloc_zalloc(struct ualloc *a, size_t n)
{
	void *p = ualloc_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

void ualloc_free(struct ualloc *a, void *p, size_t n)
{
	if (!p)
		return;
	assert(a->in_use >= n && a->live_blocks > 0);
	if (has_hooks(a))
		a->hooks.release(a->hooks.ctx, p, n);
	else
		free(p);
	a->in_use -= n;
	a->live_blocks--;
}

void *ualloc_realloc(struct ualloc *a, void *p, size_t old_n, size_t new_n)
{
	assert(new_n > 0);
	if (!p)
		return ualloc_alloc(a, new_n);
	assert(a->in_use >= old_n);

	void *q;
	if (has_hooks(a)) {
		/* The hooks have no realloc: move the block by hand. */
		q = a->hooks.alloc(a->hooks.ctx, new_n);
		if (!q)
			return NULL;
		memcpy(q, p, old_n < new_n ? old_n : new_n);
		a->hooks.release(a->hooks.ctx, p, old_n);
	} else {
		q = realloc(p, new_n);
		if (!q)
			return NULL;
	}
	a->in_use -= old_n;
	count_alloc(a, new_n);
	return q;
}
