/*
 * Selective acknowledgements: the receiver's SACK blocks (RFC 2018) and
 * the sender's scoreboard with the loss recovery of RFC 6675.
 *
 * The scoreboard is the set of ranges above SND.UNA the peer said it holds
 * (struct ranges, fixed size: when it is full a new block is ignored, which
 * only makes recovery more conservative). RFC 6675's per-octet notions are
 * computed over ranges:
 *   lost edge  every unSACKed octet below it is lost (IsLost): at least
 *              DupThresh (3) SACKed ranges, or more than 2 * SMSS SACKed
 *              octets, lie above it;
 *   pipe       octets in flight: unSACKed octets sent, minus the lost ones
 *              not yet retransmitted (those below the lost edge and at or
 *              above HighRxt);
 *   next hole  NextSeg rule 1: the first unSACKed octet at or above HighRxt
 *              and below the lost edge; rule 3: the same below the highest
 *              SACKed octet, when rules 1 and 2 have nothing to send.
 */
#include "tcp/conn.h"
#include "tcp/sack.h"
#include "tcp/seq.h"

#define DUP_THRESH 3

void tcp_sack_update(struct tcp_conn *c, const struct utcp_tcp_opts *o, uint32_t ack)
{
	for (unsigned i = 0; i < o->sack_count && i < UTCP_MAX_SACK; i++) {
		uint32_t l = o->sack[i].left, r = o->sack[i].right;
		/* RFC 2018 section 4: a block is data the receiver holds beyond
		 * the cumulative ACK; anything else (a D-SACK below it, a block
		 * past what we sent, an empty one) is ignored. */
		if (!seq_lt(l, r) || !seq_gt(l, ack) || seq_gt(r, c->snd_max))
			continue;
		(void)ranges_add(&c->sacked, c->host->alloc, l, r);
	}
	ranges_drop_before(&c->sacked, ack);
	ranges_shrink(&c->sacked, c->host->alloc);
}

/* SACKed octets in [from, to). */
static uint32_t sacked_in(const struct tcp_conn *c, uint32_t from, uint32_t to)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < c->sacked.n; i++) {
		uint32_t s = seq_max(c->sacked.r[i].start, from);
		uint32_t e = seq_min(c->sacked.r[i].end, to);
		if (seq_lt(s, e))
			n += e - s;
	}
	return n;
}

uint32_t tcp_sack_lost_edge(const struct tcp_conn *c)
{
	uint32_t bytes = 0;
	for (int i = (int)c->sacked.n - 1; i >= 0; i--) {
		bytes += c->sacked.r[i].end - c->sacked.r[i].start;
		unsigned ranges_above = c->sacked.n - (unsigned)i;
		if (ranges_above >= DUP_THRESH || bytes > (DUP_THRESH - 1) * c->snd_mss)
			return c->sacked.r[i].start;
	}
	return c->snd_una; /* nothing is known lost */
}

bool tcp_sack_is_lost(const struct tcp_conn *c, uint32_t seq)
{
	return seq_lt(seq, tcp_sack_lost_edge(c));
}

uint32_t tcp_sack_pipe(const struct tcp_conn *c)
{
	/* RFC 6675 SetPipe, over the octets not SACKed: (a) each one not
	 * lost counts once, (b) each one resent (below HighRxt) once more,
	 * so a resent octet that is not lost (NextSeg rule 3) counts twice. */
	uint32_t una = c->snd_una, max = c->snd_max;
	uint32_t pipe = (max - una) - sacked_in(c, una, max);
	uint32_t edge = tcp_sack_lost_edge(c);
	if (seq_gt(edge, max))
		edge = max;
	if (seq_lt(una, edge))
		pipe -= (edge - una) - sacked_in(c, una, edge);
	uint32_t rxt = seq_gt(c->high_rxt, max) ? max : c->high_rxt;
	if (seq_lt(una, rxt))
		pipe += (rxt - una) - sacked_in(c, una, rxt);
	return pipe;
}

bool tcp_sack_next_hole(const struct tcp_conn *c, bool lost_only, uint32_t max_len,
			uint32_t *seq, uint32_t *len)
{
	/* Rule 1 looks below the lost edge; rule 3 anywhere below the
	 * highest SACKed octet (RFC 6675 NextSeg (1.b), without (1.c)). */
	uint32_t edge = lost_only || c->sacked.n == 0 ? tcp_sack_lost_edge(c)
						       : c->sacked.r[c->sacked.n - 1].end;
	uint32_t h = seq_max(c->high_rxt, c->snd_una);
	uint32_t limit = edge;
	for (unsigned i = 0; i < c->sacked.n; i++) {
		uint32_t s = c->sacked.r[i].start, e = c->sacked.r[i].end;
		if (seq_leq(e, h))
			continue;
		if (seq_leq(s, h)) {
			h = e; /* inside a SACKed range: the hole starts after it */
			continue;
		}
		limit = seq_min(limit, s); /* the hole ends where SACKed data begins */
		break;
	}
	if (!seq_lt(h, edge) || !seq_lt(h, limit))
		return false;
	*seq = h;
	*len = limit - h < max_len ? limit - h : max_len;
	return true;
}

unsigned tcp_sack_blocks(const struct tcp_conn *c, struct utcp_tcp_opts *o, unsigned max)
{
	o->sack_count = 0;
	if (!c->sack_ok || c->ooo.n == 0 || max == 0)
		return 0;
	/* RFC 2018 section 4: the first block holds the segment that caused
	 * this ACK (the range changed last); then the others, highest first. */
	int first = c->ooo.last >= 0 && c->ooo.last < (int)c->ooo.n ? c->ooo.last
								      : (int)c->ooo.n - 1;
	o->sack[o->sack_count].left = c->ooo.r[first].start;
	o->sack[o->sack_count].right = c->ooo.r[first].end;
	o->sack_count++;
	for (int i = (int)c->ooo.n - 1; i >= 0 && o->sack_count < max; i--) {
		if (i == first)
			continue;
		o->sack[o->sack_count].left = c->ooo.r[i].start;
		o->sack[o->sack_count].right = c->ooo.r[i].end;
		o->sack_count++;
	}
	return o->sack_count;
}
