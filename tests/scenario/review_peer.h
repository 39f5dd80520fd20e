/*
 * Helpers of the review tests (test_review_*.c): a raw peer P (port 4000)
 * connected to host A's listener (port 80), driven segment by segment with
 * SACK blocks and timestamps as negotiated.
 */
#ifndef UTCP_TEST_REVIEW_PEER_H
#define UTCP_TEST_REVIEW_PEER_H

#include "fixture.h"

struct peer {
	struct fixture *f;
	struct utcp_stack *a;
	int lfd, fd;
	uint32_t a_iss; /* A's ISS */
	uint32_t p_nxt; /* P's next sequence number */
	bool ts;	/* timestamps negotiated */
	uint32_t ts_p;	/* P's next TSval */
	uint32_t ts_a;	/* the last TSval A sent */
	uint16_t wnd;	/* P's window (unscaled: P never offers scaling) */
};

/* A with SACK and timestamps as asked (4 MiB buffers: it offers window
 * scaling, P does not, so no scaling is used), listening with ISS a_isn;
 * P opens from ISN p_isn and A accepts. */
void peer_open(struct peer *p, bool sack, bool ts, uint32_t a_isn, uint32_t p_isn);
/* P sends a segment (with its timestamp when negotiated) and nblocks SACK
 * blocks given as left,right pairs. */
void peer_seg(struct peer *p, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	      uint32_t len, unsigned nblocks, const uint32_t *blocks);
/* A pure ACK from P with SACK blocks. */
void peer_ack(struct peer *p, uint32_t ack, unsigned nblocks, const uint32_t *blocks);
/* Read what A sent (pointers valid until the world runs again); returns
 * the number of segments, up to max of them kept in out (may be NULL). */
size_t peer_drain(struct peer *p, const struct fx_raw_seg **out, size_t max);
/* Abort A's connection, close the listener, check nothing is left, free. */
void peer_close(struct peer *p);
/* TCP_INFO of fd on stack s, and of A's connection. */
struct utcp_tcp_info review_info(struct utcp_stack *s, int fd);
struct utcp_tcp_info peer_info(struct peer *p);
/* A sends `total` bytes (at most 64 KiB): the ten 1460-byte segments of its
 * initial window leave, 1001..15601 (A's ISS 1000); P has read them. */
void ten_segments(struct peer *p, uint32_t total);
/* An IPv4 datagram from P:4000 to A:80 (no payload) for utcp_stack_input,
 * written into pkt (cap bytes); returns its length. */
size_t review_dgram(uint8_t *pkt, size_t cap, uint8_t flags, uint32_t seq, uint32_t ack);

#endif
