/*
 * TCP header and options: parse, emit, checksum and the lesson notation.
 * RFC 9293 3.1 (header format, checksum), 3.2 (options), RFC 7323
 * (window scale, timestamps), RFC 2018 (SACK).
 *
 * Parsing is total: every read is bounds-checked against the length given,
 * and a malformed option list is an error rather than a partial result.
 * Emitting uses the layout Linux uses, one 32-bit word per group, so the
 * options are always word-aligned and never need padding.
 */
#include "wire/tcp.h"

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TCP_MAX_OPT_LEN (TCP_MAX_HDR_LEN - TCP_HDR_LEN)

/* Option lengths, kind and length bytes included. */
#define TCP_OLEN_MSS	    4
#define TCP_OLEN_WSCALE	    3
#define TCP_OLEN_SACK_PERM  2
#define TCP_OLEN_TS	    10
#define TCP_OLEN_SACK_BLOCK 8

/* ---- parsing ---------------------------------------------------------- */

/* Decode one option whose kind and length bytes were already checked to
 * fit: body is p[2..olen). A known kind with the wrong length is an error
 * (RFC 9293 3.1, MUST-7); an unknown kind is skipped (MUST-6). */
static enum tcp_parse_result parse_option(const uint8_t *p, uint8_t olen, struct utcp_tcp_opts *o)
{
	switch (p[0]) {
	case TCP_OPT_MSS:
		if (olen != TCP_OLEN_MSS)
			return TCP_ERR_OPTIONS;
		o->has_mss = true;
		o->mss = load_be16(p + 2);
		return TCP_OK;
	case TCP_OPT_WSCALE:
		if (olen != TCP_OLEN_WSCALE)
			return TCP_ERR_OPTIONS;
		/* RFC 7323 2.3: a shift above 14 is used as 14. */
		o->has_wscale = true;
		o->wscale = p[2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[2];
		return TCP_OK;
	case TCP_OPT_SACK_PERM:
		if (olen != TCP_OLEN_SACK_PERM)
			return TCP_ERR_OPTIONS;
		o->sack_permitted = true;
		return TCP_OK;
	case TCP_OPT_TS:
		if (olen != TCP_OLEN_TS)
			return TCP_ERR_OPTIONS;
		o->has_ts = true;
		o->ts_val = load_be32(p + 2);
		o->ts_ecr = load_be32(p + 6);
		return TCP_OK;
	case TCP_OPT_SACK: {
		/* RFC 2018 3: length 2 + 8n, n blocks of (left, right); at most
		 * four fit in 40 bytes of option space. */
		unsigned n = (unsigned)(olen - 2) / TCP_OLEN_SACK_BLOCK;
		if ((olen - 2) % TCP_OLEN_SACK_BLOCK != 0 || n < 1 || n > UTCP_MAX_SACK)
			return TCP_ERR_OPTIONS;
		for (unsigned i = 0; i < n; i++) {
			o->sack[i].left = load_be32(p + 2 + 8 * i);
			o->sack[i].right = load_be32(p + 6 + 8 * i);
		}
		o->sack_count = (uint8_t)n;
		return TCP_OK;
	}
	default:
		return TCP_OK;
	}
}

enum tcp_parse_result tcp_parse_options(const uint8_t *p, size_t len, struct utcp_tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	size_t i = 0;
	while (i < len) {
		/* RFC 9293 3.1: EOL ends the list (what follows is padding);
		 * NOP is a single byte, used for alignment. */
		if (p[i] == TCP_OPT_EOL)
			break;
		if (p[i] == TCP_OPT_NOP) {
			i++;
			continue;
		}
		/* MUST-68: every other option has a length byte counting kind
		 * and length; it must be there, be >= 2 and fit. */
		if (len - i < 2)
			return TCP_ERR_OPTIONS;
		uint8_t olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return TCP_ERR_OPTIONS;
		enum tcp_parse_result r = parse_option(p + i, olen, o);
		if (r != TCP_OK)
			return r;
		i += olen;
	}
	return TCP_OK;
}

enum tcp_parse_result tcp_parse(const uint8_t *p, size_t len, struct tcp_hdr *h)
{
	if (len < TCP_HDR_LEN)
		return TCP_ERR_SHORT;
	/* RFC 9293 3.1: the data offset counts 32-bit words; the header is
	 * at least 5 of them and cannot extend past the segment. */
	size_t hdr_len = (size_t)(p[12] >> 4) * 4;
	if (hdr_len < TCP_HDR_LEN || hdr_len > len)
		return TCP_ERR_DATA_OFFSET;
	/* SYN with FIN or RST is never legitimate (it is a scanner's probe);
	 * rejecting it here keeps the state machine from ever seeing it. */
	uint8_t flags = p[13];
	if ((flags & UTCP_TH_SYN) && (flags & (UTCP_TH_FIN | UTCP_TH_RST)))
		return TCP_ERR_FLAGS;
	enum tcp_parse_result r =
	    tcp_parse_options(p + TCP_HDR_LEN, hdr_len - TCP_HDR_LEN, &h->opts);
	if (r != TCP_OK)
		return r;

	h->sport = load_be16(p);
	h->dport = load_be16(p + 2);
	h->seq = load_be32(p + 4);
	h->ack = load_be32(p + 8);
	h->hdr_len = (uint8_t)hdr_len;
	h->flags = flags;
	h->wnd = load_be16(p + 14);
	h->csum = load_be16(p + 16);
	h->urp = load_be16(p + 18);
	return TCP_OK;
}

/* ---- emitting --------------------------------------------------------- */

/* Bytes of the options before the SACK blocks: MSS (4), timestamps with
 * SACK-permitted or two NOPs in front (12), or SACK-permitted alone behind
 * two NOPs (4), window scale behind one NOP (4). */
static size_t fixed_options_len(const struct utcp_tcp_opts *o)
{
	size_t n = 0;
	if (o->has_mss)
		n += 4;
	if (o->has_ts)
		n += 12;
	else if (o->sack_permitted)
		n += 4;
	if (o->has_wscale)
		n += 4;
	return n;
}

/* How many SACK blocks to send: as many as asked that fit, behind two
 * NOPs, in what the other options leave of the 40 bytes (RFC 2018 3). */
static unsigned sack_blocks_to_send(const struct utcp_tcp_opts *o)
{
	size_t used = fixed_options_len(o);
	unsigned want = o->sack_count < UTCP_MAX_SACK ? o->sack_count : UTCP_MAX_SACK;
	if (want == 0 || used + 4 + TCP_OLEN_SACK_BLOCK > TCP_MAX_OPT_LEN)
		return 0;
	size_t fit = (TCP_MAX_OPT_LEN - used - 4) / TCP_OLEN_SACK_BLOCK;
	return want < fit ? want : (unsigned)fit;
}

size_t tcp_options_len(const struct utcp_tcp_opts *o)
{
	unsigned blocks = sack_blocks_to_send(o);
	return fixed_options_len(o) + (blocks ? 4 + TCP_OLEN_SACK_BLOCK * blocks : 0);
}

static uint8_t *put4(uint8_t *q, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	q[0] = a;
	q[1] = b;
	q[2] = c;
	q[3] = d;
	return q + 4;
}

/* Write the options of o at q in the order and layout documented above;
 * returns the end. */
static uint8_t *emit_options(uint8_t *q, const struct utcp_tcp_opts *o)
{
	if (o->has_mss) {
		q = put4(q, TCP_OPT_MSS, TCP_OLEN_MSS, 0, 0);
		store_be16(q - 2, o->mss);
	}
	if (o->has_ts) {
		if (o->sack_permitted)
			q = put4(q, TCP_OPT_SACK_PERM, TCP_OLEN_SACK_PERM, TCP_OPT_TS, TCP_OLEN_TS);
		else
			q = put4(q, TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_TS, TCP_OLEN_TS);
		store_be32(q, o->ts_val);
		store_be32(q + 4, o->ts_ecr);
		q += 8;
	} else if (o->sack_permitted) {
		q = put4(q, TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_SACK_PERM, TCP_OLEN_SACK_PERM);
	}
	if (o->has_wscale) {
		/* RFC 7323 2.3: never send a shift the peer would clamp. */
		uint8_t shift = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale;
		q = put4(q, TCP_OPT_NOP, TCP_OPT_WSCALE, TCP_OLEN_WSCALE, shift);
	}
	unsigned blocks = sack_blocks_to_send(o);
	if (blocks) {
		q = put4(q, TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_SACK,
			 (uint8_t)(2 + TCP_OLEN_SACK_BLOCK * blocks));
		for (unsigned i = 0; i < blocks; i++) {
			store_be32(q, o->sack[i].left);
			store_be32(q + 4, o->sack[i].right);
			q += 8;
		}
	}
	return q;
}

size_t tcp_emit(uint8_t *p, const struct tcp_hdr *h)
{
	uint8_t *end = emit_options(p + TCP_HDR_LEN, &h->opts);
	size_t hdr_len = (size_t)(end - p);
	assert(hdr_len == TCP_HDR_LEN + tcp_options_len(&h->opts));
	assert(hdr_len % 4 == 0 && hdr_len <= TCP_MAX_HDR_LEN);

	store_be16(p, h->sport);
	store_be16(p + 2, h->dport);
	store_be32(p + 4, h->seq);
	store_be32(p + 8, h->ack);
	p[12] = (uint8_t)((hdr_len / 4) << 4); /* data offset; reserved bits 0 */
	p[13] = h->flags;
	store_be16(p + 14, h->wnd);
	store_be16(p + 16, 0);
	store_be16(p + 18, h->urp);
	return hdr_len;
}

/* ---- checksum --------------------------------------------------------- */

/* RFC 9293 3.1: the checksum covers a pseudo-header (addresses, protocol,
 * TCP length), the header and the payload, padded to an even length. */
void tcp_fill_checksum(uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
	tcp_fill_checksum_split(seg, len, NULL, 0, NULL, 0, src, dst);
}

void tcp_fill_checksum_split(uint8_t *hdr, size_t hlen, const uint8_t *a, size_t alen,
			     const uint8_t *b, size_t blen, uint32_t src, uint32_t dst)
{
	size_t total = hlen + alen + blen;
	assert(hlen >= TCP_HDR_LEN && total <= 0xffff);
	store_be16(hdr + 16, 0);
	uint32_t sum = csum_pseudo_ipv4(src, dst, IPV4_PROTO_TCP, (uint16_t)total);
	sum = csum_add(sum, hdr, hlen, 0);
	/* Each piece starts at an odd offset when the bytes before it are
	 * odd in number. */
	sum = csum_add(sum, a, alen, (int)(hlen & 1));
	sum = csum_add(sum, b, blen, (int)((hlen + alen) & 1));
	store_be16(hdr + 16, csum_finish(sum));
}

int tcp_checksum_ok(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
	/* No IPv4 datagram can carry more; and the pseudo-header length is
	 * 16 bits. */
	if (len < TCP_HDR_LEN || len > 0xffff)
		return 0;
	uint32_t sum = csum_pseudo_ipv4(src, dst, IPV4_PROTO_TCP, (uint16_t)len);
	/* Summed with its own checksum field, a correct segment gives 0xffff;
	 * the pseudo-header is never all zero, so 0x0000 cannot occur. */
	return csum_finish(csum_add(sum, seg, len, 0)) == 0;
}

/* ---- the lesson notation ---------------------------------------------- */

/* snprintf at *pos; once the buffer is full, later calls do nothing. */
__attribute__((format(printf, 4, 5))) static void appendf(char *buf, size_t len, size_t *pos,
							  const char *fmt, ...)
{
	if (*pos + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*pos += (size_t)n;
	if (*pos >= len)
		*pos = len - 1;
}

static void format_flags(char *buf, size_t len, size_t *pos, uint8_t flags)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} words[] = {
	    {UTCP_TH_SYN, "SYN"}, {UTCP_TH_FIN, "FIN"}, {UTCP_TH_RST, "RST"}, {UTCP_TH_URG, "URG"},
	    {UTCP_TH_ECE, "ECE"}, {UTCP_TH_CWR, "CWR"}};
	const char *sep = "";
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (flags & words[i].bit) {
			appendf(buf, len, pos, "%s%s", sep, words[i].name);
			sep = ",";
		}
	}
	if (*sep)
		appendf(buf, len, pos, " ");
}

static void format_options(char *buf, size_t len, size_t *pos, const struct utcp_tcp_opts *o)
{
	const char *sep = " <"; /* becomes "," after the first option */
	if (o->has_mss) {
		appendf(buf, len, pos, "%smss %" PRIu16, sep, o->mss);
		sep = ",";
	}
	if (o->sack_permitted) {
		appendf(buf, len, pos, "%ssackOK", sep);
		sep = ",";
	}
	if (o->has_ts) {
		appendf(buf, len, pos, "%sts %" PRIu32 " %" PRIu32, sep, o->ts_val, o->ts_ecr);
		sep = ",";
	}
	if (o->has_wscale) {
		appendf(buf, len, pos, "%swscale %u", sep, (unsigned)o->wscale);
		sep = ",";
	}
	unsigned n = o->sack_count < UTCP_MAX_SACK ? o->sack_count : UTCP_MAX_SACK;
	if (n > 0) {
		appendf(buf, len, pos, "%ssack", sep);
		for (unsigned i = 0; i < n; i++)
			appendf(buf, len, pos, " %" PRIu32 "-%" PRIu32, o->sack[i].left,
				o->sack[i].right);
		sep = ",";
	}
	if (sep[0] == ',')
		appendf(buf, len, pos, ">");
}

char *tcp_format(char *buf, size_t len, const struct tcp_hdr *h, uint32_t payload_len)
{
	size_t pos = 0;
	if (len == 0)
		return buf;
	buf[0] = '\0';
	format_flags(buf, len, &pos, h->flags);
	appendf(buf, len, &pos, "%" PRIu32 "(%" PRIu32 ")", h->seq, payload_len);
	if (h->flags & UTCP_TH_ACK)
		appendf(buf, len, &pos, " ack %" PRIu32, h->ack);
	appendf(buf, len, &pos, " win %" PRIu16, h->wnd);
	/* The urgent pointer means something only with URG (RFC 9293 3.1). */
	if (h->flags & UTCP_TH_URG)
		appendf(buf, len, &pos, " urp %" PRIu16, h->urp);
	format_options(buf, len, &pos, &h->opts);
	return buf;
}
