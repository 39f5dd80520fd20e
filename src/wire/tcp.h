/*
 * TCP header and options parse and emit (RFC 9293 3.1, RFC 7323, RFC 2018).
 * Pure: no state, no allocation, never reads past the buffer.
 *
 * Options parsing follows RFC 9293 3.1/3.2: EOL ends the list, NOP is
 * skipped, every other option has a length byte >= 2 that must fit; unknown
 * options are skipped (MUST-6); options need not be aligned (MUST-64). A
 * known option with the wrong length, a zero or overlong length, or a length
 * running past the header is an error: the segment is dropped (MUST-7).
 */
#ifndef UTCP_WIRE_TCP_H
#define UTCP_WIRE_TCP_H

#include "utcp/trace.h" /* struct utcp_tcp_opts, UTCP_TH_* */

#include <stddef.h>
#include <stdint.h>

#define TCP_HDR_LEN 20
#define TCP_MAX_HDR_LEN 60
#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WSCALE 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8

/* RFC 7323 2.3: shift counts above 14 are treated as 14. */
#define TCP_MAX_WSCALE 14

/* A parsed TCP header in host order. */
struct tcp_hdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t hdr_len; /* bytes, 20..60 */
	uint8_t flags;   /* UTCP_TH_* */
	uint16_t wnd;
	uint16_t csum;
	uint16_t urp;
	struct utcp_tcp_opts opts;
};

enum tcp_parse_result {
	TCP_OK = 0,
	TCP_ERR_SHORT,       /* fewer than 20 bytes */
	TCP_ERR_DATA_OFFSET, /* data offset < 5 or past the segment */
	TCP_ERR_OPTIONS,     /* malformed option list */
	TCP_ERR_FLAGS,       /* SYN+FIN or SYN+RST: rejected before TCP sees it */
};

/* Parse the segment p[0..len) (header, options, payload). The payload is
 * p[h->hdr_len .. len). Does not verify the checksum (see tcp_checksum_ok). */
enum tcp_parse_result tcp_parse(const uint8_t *p, size_t len, struct tcp_hdr *h);

/* Parse only an option list (exposed for tests). Returns TCP_OK or
 * TCP_ERR_OPTIONS. Repeated options: the last one wins. */
enum tcp_parse_result tcp_parse_options(const uint8_t *p, size_t len,
					struct utcp_tcp_opts *o);

/* Length in bytes of the options tcp_emit() writes for o, padded to a
 * multiple of 4 (at most 40). Order: MSS, SACK-permitted, timestamps,
 * window scale, SACK blocks (as many as fit: blocks that do not fit in 40
 * bytes are left out), NOPs for alignment. */
size_t tcp_options_len(const struct utcp_tcp_opts *o);

/* Write header and options into p (room for tcp_options_len(o) + 20 bytes).
 * h->hdr_len is ignored and computed; the checksum field is written as 0.
 * Returns the header length. */
size_t tcp_emit(uint8_t *p, const struct tcp_hdr *h);

/* Compute and store the checksum of the segment seg[0..len) (header with
 * checksum field zeroed by tcp_emit, and payload contiguous after it). */
void tcp_fill_checksum(uint8_t *seg, size_t len, uint32_t src, uint32_t dst);

/* Checksum over a segment whose payload lies elsewhere (two pieces, as in a
 * ring buffer): hdr[0..hlen) then a[0..alen) then b[0..blen). Stores it in
 * the header. */
void tcp_fill_checksum_split(uint8_t *hdr, size_t hlen, const uint8_t *a,
			     size_t alen, const uint8_t *b, size_t blen,
			     uint32_t src, uint32_t dst);

/* True when the checksum of segment seg[0..len) between src and dst
 * (host order) verifies. */
int tcp_checksum_ok(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst);

/* Lesson notation of a segment, e.g. "SYN 100(0) win 6144 <mss 1024>" or
 * "801(10) ack 121 win 4096" (FLAGS among SYN,FIN,RST,URG,ECE,CWR; "urp N" only
 * with URG), written into buf (NUL-terminated, truncated
 * to len). Returns buf. */
char *tcp_format(char *buf, size_t len, const struct tcp_hdr *h, uint32_t payload_len);

#endif
