/*
 * ICMP for IPv4 (RFC 792): parse what arrives, emit echo replies. Pure:
 * no state, never reads past the buffer.
 */
#ifndef UTCP_WIRE_ICMP_H
#define UTCP_WIRE_ICMP_H

#include <stddef.h>
#include <stdint.h>

#define ICMP_HDR_LEN 8
#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12

/* Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1). */
#define ICMP_UNREACH_NET 0
#define ICMP_UNREACH_HOST 1
#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_PORT 3
#define ICMP_UNREACH_NEEDFRAG 4
#define ICMP_UNREACH_SRCFAIL 5

struct icmp_msg {
	uint8_t type, code;
	uint16_t id, seq;      /* echo */
	uint16_t next_mtu;     /* destination unreachable, code 4 (RFC 1191) */
	const uint8_t *body;   /* after the 8-byte header: echo data, or the
				* offending datagram's header and 8+ bytes */
	size_t body_len;
};

enum icmp_parse_result {
	ICMP_OK = 0,
	ICMP_ERR_SHORT,    /* fewer than 8 bytes */
	ICMP_ERR_CHECKSUM, /* the checksum over the message does not verify */
};

enum icmp_parse_result icmp_parse(const uint8_t *p, size_t len, struct icmp_msg *m);

/* True for the error types whose body quotes an offending datagram. */
int icmp_is_error(uint8_t type);

/* Time exceeded codes (RFC 792). */
#define ICMP_TIMX_TTL 0
#define ICMP_TIMX_REASSEMBLY 1

/* Write an error message of type and code quoting the offending
 * datagram's header and first 8 bytes of data (RFC 792; quoted and
 * quoted_len are the caller's choice of how much) into out (room for 8 +
 * quoted_len bytes). Returns its length. */
size_t icmp_emit_error(uint8_t *out, uint8_t type, uint8_t code, const uint8_t *quoted,
		       size_t quoted_len);

/* Write an echo reply answering request m into out (room for 8 +
 * m->body_len bytes). Returns its length. */
size_t icmp_emit_echo_reply(uint8_t *out, const struct icmp_msg *m);

#endif
