/*
 * Helpers of the ECN tests (test_ecn.c, test_review_ecn.c): host A with a
 * chosen ECN setting against the raw peer P (port FX_PP), datagrams with
 * a chosen ECN field.
 */
#ifndef UTCP_TEST_ECN_PEER_H
#define UTCP_TEST_ECN_PEER_H

#include "fixture.h"

#include "wire/ipv4.h"

#define ECE_CWR (UTCP_TH_ECE | UTCP_TH_CWR)

/* A's stack with ECN set to `ecn` (the fixture's defaults otherwise). */
struct fixture *ecn_world(uint8_t ecn);
/* The ECN field of a segment A sent (-1 for none). */
int ecn_of(const struct fx_raw_seg *s);
/* P sends a segment to A:80 in a datagram whose ECN field is `ecn`. */
void ecn_send(struct fixture *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
	      const void *data, uint32_t len, enum ipv4_ecn ecn);
/* A listens on port 80 (ISS 1000) with buffers of `buf` bytes; P's SYN
 * (ISN 5000, MSS mss, window wnd) carries the extra flags `syn_flags`;
 * A's SYN,ACK must print as `want_synack` (or, when NULL, carry ECE, and
 * the connection then use ECN) and be Not-ECT (RFC 3168 6.1.1); P
 * completes the handshake and A accepts (at 30 ms: a 20 ms RTT, so an RTO
 * of 200 ms). */
int ecn_accept(struct fixture *f, int *lfd, uint32_t buf, uint16_t mss, uint16_t wnd,
	       uint8_t syn_flags, const char *want_synack);

#endif
