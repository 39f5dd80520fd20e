/*
 * One direction of a simulated link.
 *
 * A packet offered to a channel goes through, in this order: the transmit
 * capture (so the file shows every packet offered, even those lost next),
 * the scripted drop rules, the MTU check, random loss, and the drop-tail
 * queue. A packet that survives waits for the transmitter, is serialised at
 * the channel's rate, propagates for its delay (plus the reorder delay when
 * the reorder draw says so) and arrives as an event at the far node; a
 * duplicate draw schedules a second copy at the same time. With a marking
 * threshold, an ECN-capable packet that finds the queue that long is
 * queued marked CE (RFC 3168 section 5: a step marker, as DCTCP's K)
 * where a Not-ECT one waits, or is dropped, unmarked.
 *
 * Each channel draws from its own random stream, and only for faults whose
 * probability is non-zero: the loss pattern on one channel depends on the
 * seed and that channel's own traffic, nothing else.
 */
#include "sim/sim_internal.h"

#include "wire/ipv4.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The channel with id `id`, or NULL. */
struct sim_channel *sim_channel(const struct utcp_sim *w, int id)
{
	if (id < 0 || (size_t)id >= w->n_chans)
		return NULL;
	return w->chans[id];
}

static bool prob_ok(double p)
{
	return p >= 0 && p <= 1; /* false for NaN */
}

/* Returns 0 when cfg (NULL: ideal) is usable, -EINVAL otherwise. */
int sim_channel_config_check(const struct utcp_sim_channel_config *cfg)
{
	if (!cfg)
		return 0;
	if (!prob_ok(cfg->loss) || !prob_ok(cfg->duplicate) || !prob_ok(cfg->reorder))
		return -EINVAL;
	return 0;
}

/* Create the channel from -> to (cfg NULL: ideal). Returns its id, or
 * -EINVAL for a bad configuration, -ENOMEM. */
int sim_channel_new(struct utcp_sim *w, int from, int to, const struct utcp_sim_channel_config *cfg)
{
	int err = sim_channel_config_check(cfg);
	if (err)
		return err;
	if (w->n_chans >= INT32_MAX)
		return -ENOSPC;
	void *p = sim_grow(w->chans, &w->cap_chans, w->n_chans + 1, sizeof(*w->chans));
	if (!p)
		return -ENOMEM;
	w->chans = p;
	struct sim_channel *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->id = (int)w->n_chans;
	c->from = from;
	c->to = to;
	if (cfg)
		c->cfg = *cfg;
	sim_rng_seed(&c->rng, w->seed, SIM_STREAM_CHANNEL(c->id));
	w->chans[w->n_chans++] = c;
	return c->id;
}

void sim_cap_put(struct sim_cap *cap)
{
	if (cap && --cap->refs == 0) {
		(void)utcp_pcap_close(cap->pcap);
		free(cap);
	}
}

/* Open a capture file with one reference. Returns 0 or -errno. */
static int sim_cap_open(const char *path, struct sim_cap **out)
{
	struct sim_cap *cap = calloc(1, sizeof(*cap));
	if (!cap)
		return -ENOMEM;
	int err = utcp_pcap_open(path, UTCP_PCAP_LINKTYPE_RAW, 0, &cap->pcap);
	if (err) {
		free(cap);
		return err;
	}
	cap->refs = 1;
	*out = cap;
	return 0;
}

/* Free c, closing its captures (their errors are lost). */
void sim_channel_free(struct sim_channel *c)
{
	if (!c)
		return;
	sim_cap_put(c->cap_tx);
	sim_cap_put(c->cap_rx);
	free(c->q);
	free(c->rules);
	free(c);
}

/* What a scripted rule sees of a packet. */
struct seg_class {
	bool tcp;	  /* an unfragmented IPv4 datagram holding TCP */
	uint8_t flags;	  /* UTCP_TH_* */
	uint32_t payload; /* TCP payload bytes */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Classify a packet by reading the IPv4 and TCP headers in place, every
 * length checked against the bytes present. Anything that is not a whole,
 * unfragmented TCP segment is "not TCP". */
static struct seg_class classify(const uint8_t *p, size_t len)
{
	struct seg_class sc = {0};
	if (len < 20 || (p[0] >> 4) != 4 || p[9] != 6)
		return sc;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	size_t total = rd16(p + 2);
	if (ihl < 20 || total < ihl + 20 || total > len)
		return sc;
	if (rd16(p + 6) & 0x3fff) /* MF or a fragment offset */
		return sc;
	const uint8_t *t = p + ihl;
	size_t tcp_len = total - ihl;
	size_t doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || doff > tcp_len)
		return sc;
	sc.tcp = true;
	sc.flags = t[13];
	sc.payload = (uint32_t)(tcp_len - doff);
	return sc;
}

static bool matches(enum utcp_sim_match m, const struct seg_class *sc)
{
	if (m == UTCP_SIM_ANY)
		return true;
	if (!sc->tcp)
		return false;
	switch (m) {
	case UTCP_SIM_ANY:
		return true;
	case UTCP_SIM_TCP_DATA:
		return sc->payload > 0;
	case UTCP_SIM_TCP_SYN:
		return sc->flags & UTCP_TH_SYN;
	case UTCP_SIM_TCP_FIN:
		return sc->flags & UTCP_TH_FIN;
	case UTCP_SIM_TCP_RST:
		return sc->flags & UTCP_TH_RST;
	case UTCP_SIM_TCP_PURE_ACK:
		return (sc->flags & UTCP_TH_ACK) && sc->payload == 0 &&
		       !(sc->flags & (UTCP_TH_SYN | UTCP_TH_FIN | UTCP_TH_RST));
	}
	return false;
}

/* Count the packet against every rule it matches. Returns true when one of
 * them drops it. */
static bool scripted_drop(struct sim_channel *c, const uint8_t *pkt, size_t len)
{
	if (!c->n_rules)
		return false;
	struct seg_class sc = classify(pkt, len);
	bool drop = false;
	for (size_t i = 0; i < c->n_rules; i++) {
		struct sim_drop_rule *r = &c->rules[i];
		if (!matches(r->match, &sc))
			continue;
		r->seen++;
		if (r->seen >= r->nth && r->seen - r->nth < r->count)
			drop = true;
	}
	return drop;
}

/* Forget the packets whose serialisation has completed by `now`. */
static void queue_purge(struct sim_channel *c, utcp_time_us now)
{
	while (c->q_len && c->q[c->q_head].at <= now) {
		c->q_bytes -= c->q[c->q_head].len;
		c->q_head = (c->q_head + 1) & (c->q_cap - 1);
		c->q_len--;
	}
}

/* Would accepting len more bytes break a queue limit? */
static bool queue_full(const struct sim_channel *c, size_t len)
{
	if (c->cfg.queue_pkts && c->q_len + 1 > c->cfg.queue_pkts)
		return true;
	if (c->cfg.queue_bytes && c->q_bytes + len > c->cfg.queue_bytes)
		return true;
	return false;
}

/* Make room in the ring for one more departure. Returns 0 or -ENOMEM. */
static int queue_reserve(struct sim_channel *c)
{
	if (c->q_len < c->q_cap)
		return 0;
	uint32_t ncap = c->q_cap ? c->q_cap * 2 : 16;
	struct sim_departure *q = malloc(ncap * sizeof(*q));
	if (!q)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->q_len; i++)
		q[i] = c->q[(c->q_head + i) & (c->q_cap - 1)];
	free(c->q);
	c->q = q;
	c->q_cap = ncap;
	c->q_head = 0;
	return 0;
}

/* Append a departure (room reserved) and update the high-water mark. */
static void queue_push(struct sim_channel *c, utcp_time_us at, uint32_t len)
{
	uint32_t tail = (c->q_head + c->q_len) & (c->q_cap - 1);
	c->q[tail] = (struct sim_departure){.at = at, .len = len};
	c->q_len++;
	c->q_bytes += len;
	if (c->q_len > c->st.queue_max_pkts)
		c->st.queue_max_pkts = c->q_len;
}

/* Serialisation time of len bytes at rate_bps, rounded up to a whole
 * microsecond; 0 at infinite rate (rate 0). */
static utcp_time_us tx_time_us(uint64_t rate_bps, size_t len)
{
	if (!rate_bps)
		return 0;
	uint64_t bit_us = (uint64_t)len * 8 * 1000000; /* < 2^40 */
	return bit_us / rate_bps + (bit_us % rate_bps != 0);
}

/* Schedule a copy of pkt to reach the far end of c at `at`, marked CE
 * when `ce` (the copy: the sender's packet is not ours to change).
 * Returns 0 or -ENOMEM. */
static int schedule_arrival(struct utcp_sim *w, const struct sim_channel *c, utcp_time_us at,
			    const uint8_t *pkt, size_t len, bool ce)
{
	struct sim_event *ev = sim_event_get(w);
	if (!ev)
		return -ENOMEM;
	ev->kind = SIM_EV_ARRIVE;
	ev->node = c->to;
	ev->ch = c->id;
	ev->buf = sim_buf_get(w, pkt, len);
	if (!ev->buf || sim_evq_push(w, ev, at) < 0) {
		sim_event_put(w, ev);
		return -ENOMEM;
	}
	if (ce)
		(void)ipv4_mark_ce(ev->buf->data, len);
	return 0;
}

/* Would the queue mark this packet: ECT, and at least ecn_mark_pkts
 * packets ahead of it? (A CE packet stays CE; Not-ECT is never marked.) */
static bool queue_marks(const struct sim_channel *c, const uint8_t *pkt, size_t len)
{
	if (!c->cfg.ecn_mark_pkts || c->q_len < c->cfg.ecn_mark_pkts || len < 20 ||
	    (pkt[0] >> 4) != 4)
		return false;
	enum ipv4_ecn e = ipv4_ecn_of(pkt[1]);
	return e == IPV4_ECN_ECT0 || e == IPV4_ECN_ECT1;
}

/*
 * Offer pkt (len <= 65535) to channel ch at the world's current time.
 * A drop inside the channel is the network's loss, invisible to the
 * sender: it is counted and 0 is returned. Returns -ENOMEM only when the
 * world cannot allocate the packet's copy (the packet is then lost too).
 */
int sim_channel_send(struct utcp_sim *w, int ch, const uint8_t *pkt, size_t len)
{
	struct sim_channel *c = sim_channel(w, ch);
	assert(c && len <= SIM_MAX_PACKET);
	c->st.sent_pkts++;
	c->st.sent_bytes += len;
	if (c->cap_tx)
		(void)utcp_pcap_write(c->cap_tx->pcap, w->now, pkt, len);

	if (scripted_drop(c, pkt, len)) {
		c->st.drop_scripted++;
		return 0;
	}
	if (c->cfg.mtu && len > c->cfg.mtu) {
		c->st.drop_mtu++;
		return 0;
	}
	if (sim_rng_chance(&c->rng, c->cfg.loss)) {
		c->st.drop_random++;
		return 0;
	}
	queue_purge(c, w->now);
	if (queue_full(c, len)) {
		c->st.drop_queue++;
		return 0;
	}
	if (queue_reserve(c) < 0)
		return -ENOMEM;

	bool ce = queue_marks(c, pkt, len);
	utcp_time_us start = c->tx_free_at > w->now ? c->tx_free_at : w->now;
	utcp_time_us depart = start + tx_time_us(c->cfg.rate_bps, len);
	utcp_time_us arrive = depart + c->cfg.delay;
	bool late = sim_rng_chance(&c->rng, c->cfg.reorder);
	if (late)
		arrive += c->cfg.reorder_delay;
	int err = schedule_arrival(w, c, arrive, pkt, len, ce);
	if (err)
		return err;
	queue_push(c, depart, (uint32_t)len);
	c->tx_free_at = depart;
	c->st.reordered += late;
	c->st.ce_marked += ce;

	/* The copy arrives with the original and takes no queue space. */
	if (sim_rng_chance(&c->rng, c->cfg.duplicate) &&
	    schedule_arrival(w, c, arrive, pkt, len, ce) == 0)
		c->st.duplicated++;
	return 0;
}

/* Account for b leaving channel ch now: count it, write the rx capture. */
void sim_channel_arrived(struct utcp_sim *w, int ch, const struct sim_buf *b)
{
	struct sim_channel *c = sim_channel(w, ch);
	c->st.delivered_pkts++;
	c->st.delivered_bytes += b->len;
	if (c->cap_rx)
		(void)utcp_pcap_write(c->cap_rx->pcap, w->now, b->data, b->len);
}

/* Replace a channel's configuration; packets already scheduled keep their
 * times. Returns 0, or -EINVAL for a bad id or configuration. */
int utcp_sim_channel_set(struct utcp_sim *w, int ch, const struct utcp_sim_channel_config *cfg)
{
	struct sim_channel *c = sim_channel(w, ch);
	if (!c)
		return -EINVAL;
	int err = sim_channel_config_check(cfg);
	if (err)
		return err;
	if (cfg)
		c->cfg = *cfg;
	else
		memset(&c->cfg, 0, sizeof(c->cfg));
	return 0;
}

/* Add a scripted drop rule. Returns 0, -EINVAL (bad channel or match,
 * nth or count 0), -ENOMEM. */
int utcp_sim_drop_nth(struct utcp_sim *w, int ch, enum utcp_sim_match m, uint32_t nth,
		      uint32_t count)
{
	struct sim_channel *c = sim_channel(w, ch);
	if (!c || (unsigned)m > UTCP_SIM_TCP_RST || nth == 0 || count == 0)
		return -EINVAL;
	void *p = sim_grow(c->rules, &c->cap_rules, c->n_rules + 1, sizeof(*c->rules));
	if (!p)
		return -ENOMEM;
	c->rules = p;
	c->rules[c->n_rules++] =
	    (struct sim_drop_rule){.match = m, .nth = nth, .count = count, .seen = 0};
	return 0;
}

/* Start capturing one side of a channel, replacing (and closing) an earlier
 * capture of the same side. Returns 0, -EINVAL, or the pcap writer's error
 * (the earlier capture, if any, then continues). */
int utcp_sim_capture(struct utcp_sim *w, int ch, const char *path, bool at_rx)
{
	struct sim_channel *c = sim_channel(w, ch);
	if (!c || !path)
		return -EINVAL;
	struct sim_cap *cap;
	int err = sim_cap_open(path, &cap);
	if (err)
		return err;
	struct sim_cap **slot = at_rx ? &c->cap_rx : &c->cap_tx;
	sim_cap_put(*slot);
	*slot = cap;
	return 0;
}

/* Capture what node sends and receives in one file, as tcpdump on its
 * interface would: the tx side of the channel leaving it and the rx side
 * of the channel reaching it. Returns 0, -EINVAL (no such node, or not
 * connected), or the pcap writer's error. */
int utcp_sim_capture_node(struct utcp_sim *w, int node, const char *path)
{
	const struct sim_node *n = sim_node(w, node);
	if (!n || !path || n->out_ch < 0)
		return -EINVAL;
	struct sim_channel *out = sim_channel(w, n->out_ch), *in = NULL;
	for (size_t i = 0; i < w->n_chans; i++)
		if (w->chans[i]->to == node)
			in = w->chans[i];
	if (!in)
		return -EINVAL;
	struct sim_cap *cap;
	int err = sim_cap_open(path, &cap);
	if (err)
		return err;
	sim_cap_put(out->cap_tx);
	sim_cap_put(in->cap_rx);
	cap->refs = 2;
	out->cap_tx = cap;
	in->cap_rx = cap;
	return 0;
}

/* Copy a channel's counters. Returns 0 or -EINVAL for a bad id. */
int utcp_sim_channel_stats(const struct utcp_sim *w, int ch, struct utcp_sim_channel_stats *out)
{
	const struct sim_channel *c = sim_channel(w, ch);
	if (!c || !out)
		return -EINVAL;
	*out = c->st;
	return 0;
}
