/*
 * Bulk transfer endpoints on the public socket API, driven by the stack's
 * readiness events: each end sends a pseudo-random stream of a given
 * length (then shuts down writing) and checks, byte for byte, the stream
 * it receives. Used by `utcp sim`, the property test and the lab.
 *
 * The streams are a function of (seed, offset), so the receiver verifies
 * without keeping a copy.
 */
#ifndef UTCP_APP_BULK_H
#define UTCP_APP_BULK_H

#include "utcp/socket.h"

#include <stdbool.h>
#include <stdint.h>

/* Byte `off` of stream `seed`. */
uint8_t bulk_stream_byte(uint64_t seed, uint64_t off);
/* Fill buf with bytes [off, off + n) of stream `seed`. */
void bulk_stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n);

struct bulk_end {
	struct utcp_stack *stack;
	int fd;              /* -1 until connected/accepted */
	uint64_t send_total; /* bytes to send */
	uint64_t send_seed;
	uint64_t recv_expect; /* bytes the peer will send */
	uint64_t recv_seed;
	/* progress */
	uint64_t sent, received;
	bool shut_wr, eof, closed;
	bool corrupt;        /* a received byte differed from the stream */
	bool close_first;    /* shut down writing when done even if nothing was
			      * sent (the connecting end); otherwise an end
			      * with nothing to send waits for the peer's EOF */
	int error;           /* first error seen (positive errno), 0 if none */
	utcp_time_us done_at; /* when EOF arrived (UTCP_TIME_NEVER until) */
};

/* Set up an end. */
void bulk_end_init(struct bulk_end *e, struct utcp_stack *s, uint64_t send_total,
		   uint64_t send_seed, uint64_t recv_expect, uint64_t recv_seed);

/* Drive an end after a readiness event (or at any time): send what fits,
 * read what is there, shut down writing when all is sent, close at EOF
 * once everything is sent. */
void bulk_end_step(struct bulk_end *e);

/* True when the end has closed its descriptor: all sent, EOF seen. */
static inline bool bulk_end_done(const struct bulk_end *e)
{
	return e->closed;
}

/* Verified: every expected byte arrived, intact, and no error. */
bool bulk_end_verified(const struct bulk_end *e);

/* An event callback (struct utcp_stack_config.on_event) for a host whose
 * bulk ends are given: ctx is a struct bulk_host. Accepts on the listen
 * descriptor and steps the end whose descriptor had the event. */
struct bulk_host {
	struct bulk_end *ends[2];
	int n_ends;
	int listen_fd;       /* -1 when none */
	struct bulk_end *accept_into; /* the end that takes the next accept */
};
void bulk_on_event(void *ctx, int fd, unsigned events);

#endif
