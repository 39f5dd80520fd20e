/*
 * IPv4 reassembly (RFC 791 section 3.2, "reassembly"; RFC 815 for the
 * bookkeeping; RFC 1122 3.3.2 for the timeout).
 *
 * Bounded: at most FRAG_SLOTS datagrams are put together at once, each in
 * a buffer of the largest datagram IPv4 allows, allocated once, with the
 * first fragment the stack ever receives, and kept until the stack is
 * freed: fragments cost no allocation. A fragment of a new datagram when
 * every slot is busy evicts the slot that has waited longest.
 *
 * Instead of RFC 815's hole list, each slot keeps a bitmap with one bit
 * per 8-byte block (fragment offsets count such blocks), which makes
 * overlaps easy to see: a fragment that repeats bytes we have is a
 * duplicate when the bytes agree, and poisons the datagram when they
 * differ (an overlap attack; Linux drops these too).
 *
 * RFC 1122 3.3.2: the timeout is fixed (not from the TTL), 60 s here,
 * counted from the first fragment; when it runs out and fragment zero had
 * arrived, an ICMP time exceeded (code 1) goes to the source.
 */
#include "stack/stack_internal.h"

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/icmp.h"

#include <string.h>

#define FRAG_SLOTS 4
#define FRAG_TIMEOUT_US UTCP_SEC(60)
#define FRAG_MAX_HDR 60
#define FRAG_MAX_DATA (65535 - IPV4_HDR_LEN) /* payload bytes a datagram may carry */
#define FRAG_BLOCKS ((FRAG_MAX_DATA + 7) / 8)

struct frag_slot {
	bool used;
	uint32_t src, dst;   /* RFC 791: a datagram is (src, dst, proto, id) */
	uint16_t id;
	uint8_t proto;
	uint8_t hdr_len;     /* of fragment zero; 0 until it arrives */
	utcp_time_us expires_at;
	uint32_t total;      /* payload length, known from the last fragment (0: not yet) */
	uint32_t received;   /* payload bytes held */
	uint32_t max_end;    /* highest payload byte offset held + 1 */
	uint8_t bits[(FRAG_BLOCKS + 7) / 8];
	uint8_t buf[FRAG_MAX_HDR + FRAG_MAX_DATA]; /* header room, then payload */
};

struct frag_table {
	struct frag_slot slot[FRAG_SLOTS];
};

static inline uint8_t *slot_data(struct frag_slot *f)
{
	return f->buf + FRAG_MAX_HDR;
}

static void frag_drop(struct utcp_stack *s, uint64_t *counter, const char *reason)
{
	(*counter)++;
	if (s->cfg.trace)
		trace_drop(s, reason, NULL);
}

#define FRAG_DROP(s, name) frag_drop((s), &(s)->stats.name, #name)

static bool bit_get(const struct frag_slot *f, uint32_t b)
{
	return f->bits[b >> 3] & (1u << (b & 7));
}

static void bit_set(struct frag_slot *f, uint32_t b)
{
	f->bits[b >> 3] |= (uint8_t)(1u << (b & 7));
}

/* The slot for this datagram: its own, a free one, or the oldest. */
static struct frag_slot *slot_for(struct utcp_stack *s, const struct ipv4_hdr *h)
{
	struct frag_slot *free_slot = NULL, *oldest = NULL;
	for (int i = 0; i < FRAG_SLOTS; i++) {
		struct frag_slot *f = &s->frag->slot[i];
		if (!f->used) {
			free_slot = free_slot ? free_slot : f;
			continue;
		}
		if (f->src == h->src && f->dst == h->dst && f->id == h->id && f->proto == h->proto)
			return f;
		if (!oldest || f->expires_at < oldest->expires_at)
			oldest = f;
	}
	struct frag_slot *f = free_slot;
	if (!f) {
		FRAG_DROP(s, frag_drop_no_room);
		f = oldest;
	}
	f->used = true;
	f->src = h->src;
	f->dst = h->dst;
	f->id = h->id;
	f->proto = h->proto;
	f->hdr_len = 0;
	f->total = f->received = f->max_end = 0;
	f->expires_at = s->now + FRAG_TIMEOUT_US;
	memset(f->bits, 0, sizeof(f->bits));
	return f;
}

/* Copy what is new of [off, off + len); false when bytes we hold differ. */
static bool merge(struct frag_slot *f, uint32_t off, const uint8_t *data, uint32_t len,
		  bool *dup)
{
	uint8_t *d = slot_data(f);
	uint32_t end = off + len, added = 0;
	for (uint32_t b = off / 8; b * 8 < end; b++) {
		uint32_t lo = b * 8, hi = lo + 8 < end ? lo + 8 : end;
		if (bit_get(f, b)) {
			if (memcmp(d + lo, data + (lo - off), hi - lo) != 0)
				return false;
			continue;
		}
		memcpy(d + lo, data + (lo - off), hi - lo);
		bit_set(f, b);
		added += hi - lo;
	}
	f->received += added;
	if (end > f->max_end)
		f->max_end = end;
	*dup = added == 0;
	return true;
}

static void slot_clear(struct frag_slot *f)
{
	f->used = false;
}

const uint8_t *frag_input(struct utcp_stack *s, const struct ipv4_hdr *h, const uint8_t *pkt,
			  size_t *len)
{
	STAT(s, frag_in);
	uint32_t off = (uint32_t)(h->frag & IPV4_FRAG_OFFSET_MASK) * 8;
	uint32_t n = (uint32_t)(h->total_len - h->hdr_len);
	bool more = (h->frag & IPV4_FLAG_MF) != 0;
	/* RFC 791: every fragment but the last carries a multiple of 8
	 * bytes; none may reach past the largest datagram (the "ping of
	 * death" is exactly that). */
	if ((more && (n == 0 || n % 8 != 0)) || off + n > FRAG_MAX_DATA) {
		FRAG_DROP(s, frag_drop_bad_len);
		return NULL;
	}
	if (!s->frag) {
		s->frag = ualloc_zalloc(&s->alloc, sizeof(*s->frag));
		if (!s->frag) {
			FRAG_DROP(s, frag_drop_no_room);
			return NULL;
		}
	}
	struct frag_slot *f = slot_for(s, h);
	/* The last fragment fixes the length; nothing may lie beyond it,
	 * and two last fragments must agree. */
	bool bad_end = more ? (f->total && off + n > f->total)
			    : ((f->total && f->total != off + n) || f->max_end > off + n);
	bool dup = false;
	if (bad_end || !merge(f, off, pkt + h->hdr_len, n, &dup)) {
		if (bad_end)
			FRAG_DROP(s, frag_drop_bad_len);
		else
			FRAG_DROP(s, frag_drop_overlap);
		slot_clear(f);
		return NULL;
	}
	if (!more)
		f->total = off + n;
	if (off == 0 && f->hdr_len == 0) {
		f->hdr_len = h->hdr_len;
		memcpy(slot_data(f) - h->hdr_len, pkt, h->hdr_len);
	}
	if (dup)
		STAT(s, frag_dup);
	if (!f->total || f->received != f->total || !f->hdr_len)
		return NULL;
	/* Whole: fragment zero's header, made a plain datagram's. */
	uint8_t *whole = slot_data(f) - f->hdr_len;
	store_be16(whole + 2, (uint16_t)(f->hdr_len + f->total));
	store_be16(whole + 6, 0);
	store_be16(whole + 10, 0);
	store_be16(whole + 10, csum_buf(whole, f->hdr_len));
	*len = f->hdr_len + f->total;
	STAT(s, frag_reassembled);
	return whole;
}

void frag_release(struct utcp_stack *s, const uint8_t *whole)
{
	for (int i = 0; s->frag && i < FRAG_SLOTS; i++) {
		struct frag_slot *f = &s->frag->slot[i];
		if (f->used && whole >= f->buf && whole < f->buf + sizeof(f->buf))
			slot_clear(f);
	}
}

/* RFC 1122 3.3.2: time exceeded, code 1, when fragment zero is here. */
static void time_exceeded(struct utcp_stack *s, struct frag_slot *f)
{
	if (!f->hdr_len)
		return;
	uint8_t msg[ICMP_HDR_LEN + FRAG_MAX_HDR + 8];
	const uint8_t *quoted = slot_data(f) - f->hdr_len;
	size_t qlen = f->hdr_len + 8;
	if (!bit_get(f, 0))
		qlen = f->hdr_len;
	size_t n = icmp_emit_error(msg, ICMP_TIME_EXCEEDED, ICMP_TIMX_REASSEMBLY, quoted, qlen);
	STAT(s, icmp_time_exceeded_out);
	ip_send(s, IPV4_PROTO_ICMP, f->dst, f->src, 0, msg, n);
}

void frag_poll(struct utcp_stack *s)
{
	for (int i = 0; s->frag && i < FRAG_SLOTS; i++) {
		struct frag_slot *f = &s->frag->slot[i];
		if (!f->used || f->expires_at > s->now)
			continue;
		FRAG_DROP(s, frag_drop_timeout);
		time_exceeded(s, f);
		slot_clear(f);
	}
}

utcp_time_us frag_next_deadline(const struct utcp_stack *s)
{
	utcp_time_us at = UTCP_TIME_NEVER;
	for (int i = 0; s->frag && i < FRAG_SLOTS; i++)
		if (s->frag->slot[i].used && s->frag->slot[i].expires_at < at)
			at = s->frag->slot[i].expires_at;
	return at;
}

void frag_free(struct utcp_stack *s)
{
	if (s->frag)
		ualloc_free(&s->alloc, s->frag, sizeof(*s->frag));
	s->frag = NULL;
}
