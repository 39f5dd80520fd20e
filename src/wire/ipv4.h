/*
 * IPv4 header parse and emit (RFC 791). Pure: no state, no allocation.
 * Parsing validates everything a receiver must check before trusting a
 * field, and never reads past the buffer it is given.
 */
#ifndef UTCP_WIRE_IPV4_H
#define UTCP_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPV4_HDR_LEN 20
#define IPV4_PROTO_ICMP 1
#define IPV4_PROTO_TCP 6

#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_OFFSET_MASK 0x1fff

/* A validated IPv4 header in host order. */
struct ipv4_hdr {
	uint8_t hdr_len;    /* bytes, 20..60 (options are skipped, not parsed) */
	uint8_t tos;
	uint16_t total_len; /* bytes, header included */
	uint16_t id;
	uint16_t frag;      /* flags and fragment offset, as on the wire */
	uint8_t ttl;
	uint8_t proto;
	uint32_t src, dst;
};

enum ipv4_parse_result {
	IPV4_OK = 0,
	IPV4_ERR_SHORT,     /* buffer shorter than 20 bytes */
	IPV4_ERR_VERSION,   /* version field is not 4 */
	IPV4_ERR_HDR_LEN,   /* IHL < 5, or IHL*4 past the buffer or total length */
	IPV4_ERR_TOTAL_LEN, /* total length < header length or past the buffer */
	IPV4_ERR_CHECKSUM,  /* header checksum does not verify */
};

/* Parse and validate the header at p[0..len). On IPV4_OK, fills h; the
 * payload is p[h->hdr_len .. h->total_len) (bytes past total_len, such as
 * Ethernet padding, are ignored). */
enum ipv4_parse_result ipv4_parse(const uint8_t *p, size_t len,
				  struct ipv4_hdr *h);

/* RFC 3168 section 5: the ECN field is the two low-order bits of the TOS
 * byte (the DSCP, RFC 2474, is the six above them). */
#define IPV4_ECN_MASK 0x03
enum ipv4_ecn {
	IPV4_ECN_NOT_ECT = 0, /* the sender does not speak ECN */
	IPV4_ECN_ECT1 = 1,    /* ECN-capable transport, ECT(1) */
	IPV4_ECN_ECT0 = 2,    /* ECN-capable transport, ECT(0) */
	IPV4_ECN_CE = 3,      /* congestion experienced: set by a router */
};

static inline enum ipv4_ecn ipv4_ecn_of(uint8_t tos)
{
	return (enum ipv4_ecn)(tos & IPV4_ECN_MASK);
}

/* The TOS byte with its ECN field replaced by ecn (the DSCP kept). */
static inline uint8_t ipv4_tos_with_ecn(uint8_t tos, enum ipv4_ecn ecn)
{
	return (uint8_t)((tos & ~IPV4_ECN_MASK) | ecn);
}

/* What a congested router does to an ECN-capable datagram (RFC 3168
 * section 5): set CE in the header at p[0..len) in place and update the
 * header checksum incrementally (RFC 1624). Returns true when the
 * datagram was ECT(0) or ECT(1) and is now CE; anything else (Not-ECT,
 * already CE, not a whole IPv4 header) is left as it was. */
bool ipv4_mark_ce(uint8_t *p, size_t len);

/* True when the datagram is a fragment (MF set or offset non-zero). */
static inline int ipv4_is_fragment(const struct ipv4_hdr *h)
{
	return (h->frag & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) != 0;
}

/* Write a 20-byte header (no options) with its checksum into p, which must
 * have room for IPV4_HDR_LEN bytes. h->hdr_len is ignored (always 20). */
void ipv4_emit(uint8_t *p, const struct ipv4_hdr *h);

/* Write a header with options: IHL = 5 + ceil(optlen / 4), the options
 * copied and padded with EOL, then the checksum. p needs room for
 * 20 + optlen rounded up to 4 (at most 60). h->hdr_len is ignored. */
void ipv4_emit_opts(uint8_t *p, const struct ipv4_hdr *h, const uint8_t *opts, size_t optlen);

/* Source routes (RFC 791 3.1: loose LSRR 131, strict SSRR 137). */
#define IPV4_OPT_EOL 0
#define IPV4_OPT_NOP 1
#define IPV4_OPT_LSRR 131
#define IPV4_OPT_SSRR 137
#define IPV4_SRR_MAX 9 /* 3 + 4 * 9 = 39 bytes of the 40 */

struct ipv4_srr {
	uint8_t type;  /* IPV4_OPT_LSRR or IPV4_OPT_SSRR */
	uint8_t n;     /* addresses in the route */
	uint8_t ptr;   /* RFC 791 pointer: 4 + 4 * (addresses already used) */
	uint32_t addr[IPV4_SRR_MAX];
};

enum ipv4_srr_result {
	IPV4_SRR_NONE,      /* no source route option */
	IPV4_SRR_FOUND,
	IPV4_SRR_MALFORMED, /* bad length or pointer, or two of them */
};

/* Find a source route among the options of a parsed header (p is the
 * datagram). */
enum ipv4_srr_result ipv4_find_srr(const uint8_t *p, const struct ipv4_hdr *h,
				   struct ipv4_srr *srr);

/* True when every hop of the route has been visited: the datagram is at
 * its final destination. */
static inline int ipv4_srr_complete(const struct ipv4_srr *srr)
{
	return srr->ptr > 3 + 4 * srr->n;
}

/* The return route for a completed source route received from `src`
 * (RFC 1122 3.2.1.8 (c)): the recorded hops reversed, then `src`. The
 * reply's first hop (its IP destination) is in *first_hop; the option
 * carries the rest. Returns 0, or -1 when the route has no hops. */
int ipv4_srr_reverse(const struct ipv4_srr *in, uint32_t src, struct ipv4_srr *out,
		     uint32_t *first_hop);

/* Write the option for srr, padded with NOPs in front to a multiple of 4
 * (so its addresses are aligned). Returns its length (at most 40). */
size_t ipv4_emit_srr(uint8_t *out, const struct ipv4_srr *srr);

/* Address classes a TCP must refuse as a source or destination
 * (RFC 1122 3.2.1.3, RFC 9293 3.9.2.3): 0.0.0.0/8, 127/8 from a wire,
 * 224/4 multicast, 240/4 reserved, 255.255.255.255. Host order. */
int ipv4_addr_is_martian_src(uint32_t a);
int ipv4_addr_is_multicast_or_broadcast(uint32_t a);

#endif
