/* Internals shared by the socket-call files. */
#ifndef UTCP_API_INTERNAL_H
#define UTCP_API_INTERNAL_H

#include "stack/stack_internal.h"

/* The socket behind a descriptor, or NULL (-EBADF). */
struct usock *fd_get(struct utcp_stack *s, int fd);

#endif
