/*
 * The stack's allocator: the user's hooks (or malloc/free) plus a count of
 * the bytes held, so that "bytes per connection" is measured by the stack
 * itself. Callers pass the size back on free, so no header is stored.
 */
#ifndef UTCP_UTIL_ALLOC_H
#define UTCP_UTIL_ALLOC_H

#include "utcp/stack.h"

#include <stddef.h>

struct ualloc {
	struct utcp_allocator hooks; /* NULL members: malloc/free */
	size_t in_use;               /* bytes currently held */
	size_t peak;                 /* high-water mark of in_use */
	size_t live_blocks;          /* allocations not yet freed */
};

void ualloc_init(struct ualloc *a, const struct utcp_allocator *hooks);

/* Allocate n bytes (n > 0). Returns NULL when out of memory. */
void *ualloc_alloc(struct ualloc *a, size_t n);

/* As ualloc_alloc, zero-filled. */
void *ualloc_zalloc(struct ualloc *a, size_t n);

/* Free p, which was allocated with size n. NULL is fine. */
void ualloc_free(struct ualloc *a, void *p, size_t n);

/* Resize p from old_n to new_n bytes (content up to the smaller size kept).
 * Returns the new pointer, or NULL (p is then untouched). */
void *ualloc_realloc(struct ualloc *a, void *p, size_t old_n, size_t new_n);

#endif
