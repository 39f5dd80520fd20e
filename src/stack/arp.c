/*
 * ARP (RFC 826) for the stack's Ethernet interfaces, with the host
 * requirements of RFC 1122 2.3.2:
 *
 *  - A table per interface of next-hop IPv4 -> Ethernet addresses, fixed
 *    size (ARP_ENTRIES), allocated with the interface: no allocation per
 *    packet. A full table replaces its least recently used entry.
 *  - An entry is trusted for ARP_REACHABLE_US after we last heard from its
 *    owner; used after that, it is re-checked with unicast requests
 *    (2.3.2.1's "unicast poll") while we keep sending to it, and dropped if
 *    none is answered.
 *  - At most one request per second per address (2.3.2.1: "prevent ARP
 *    flooding"), ARP_MAX_REQUESTS of them, then the address is unreachable.
 *  - Datagrams for an address being resolved are held, ARP_HOLD_SLOTS of
 *    them for the interface; when full the oldest is dropped, so the
 *    latest of each destination is kept (2.3.2.2).
 *  - Reception follows RFC 826's algorithm: merge the sender into the
 *    table if it is there, add it if the packet is for us, answer
 *    requests for our address.
 *  - A gratuitous ARP announces our address when the interface comes up
 *    (RFC 5227 section 3), so peers with a stale entry update it.
 *
 * Time is the stack's (s->now); deadlines are reported to the stack's
 * poll through arp_next_deadline().
 */
#include "stack/stack_internal.h"

#include "wire/arp.h"
#include "wire/eth.h"

#include <errno.h>
#include <string.h>

#define ARP_ENTRIES 64
#define ARP_HOLD_SLOTS 16
#define ARP_REACHABLE_US UTCP_SEC(60)
#define ARP_RETRY_US UTCP_SEC(1)
#define ARP_MAX_REQUESTS 3

enum arp_state { ARP_FREE = 0, ARP_PENDING, ARP_RESOLVED };

struct arp_entry {
	uint32_t ip;
	uint8_t mac[ETH_ADDR_LEN];
	uint8_t state;           /* enum arp_state */
	uint8_t requests;        /* sent for this resolution or re-check */
	bool probing;            /* RESOLVED, past fresh_until, being re-checked */
	utcp_time_us fresh_until; /* RESOLVED: trusted without asking until */
	utcp_time_us retry_at;   /* PENDING or probing: next request or give-up */
	utcp_time_us used_at;    /* last use or update: replacement order */
};

/* A frame waiting for its destination address. */
struct arp_hold {
	uint32_t ip;   /* next hop; meaningful when len > 0 */
	uint32_t seq;  /* arrival order */
	uint32_t len;  /* 0: free */
	uint8_t *frame;
};

struct arp_cache {
	struct arp_entry e[ARP_ENTRIES];
	struct arp_hold hold[ARP_HOLD_SLOTS];
	uint32_t hold_seq;
	uint32_t last; /* index of the last hit: consecutive packets share it */
	utcp_time_us next_at; /* no retry is due before this */
	size_t frame_cap;     /* bytes per held frame */
	size_t size;          /* of this allocation */
	uint8_t frames[];     /* ARP_HOLD_SLOTS * frame_cap */
};

static void arp_drop(struct utcp_stack *s, uint64_t *counter, const char *reason)
{
	(*counter)++;
	if (s->cfg.trace)
		trace_drop(s, reason, NULL);
}

#define ARP_DROP(s, name) arp_drop((s), &(s)->stats.name, #name)

/* Build and send one ARP packet in a minimum-size frame. */
static void arp_send(struct utcp_stack *s, const struct iface *ifc, uint16_t op,
		     const uint8_t *eth_dst, const uint8_t *tha, uint32_t tpa)
{
	uint8_t frame[ETH_MIN_FRAME] = {0};
	struct eth_hdr eh = {.type = ETH_TYPE_ARP};
	memcpy(eh.dst, eth_dst, ETH_ADDR_LEN);
	memcpy(eh.src, ifc->mac, ETH_ADDR_LEN);
	eth_emit(frame, &eh);
	struct arp_pkt a = {.op = op, .spa = ifc->addr, .tpa = tpa};
	memcpy(a.sha, ifc->mac, ETH_ADDR_LEN);
	memcpy(a.tha, tha, ETH_ADDR_LEN);
	arp_emit(frame + ETH_HDR_LEN, &a);
	if (op == ARP_OP_REQUEST)
		STAT(s, arp_request_out);
	else
		STAT(s, arp_reply_out);
	link_output(s, ifc, frame, sizeof(frame));
}

/* A request for ip: broadcast, or unicast to `to` when re-checking. */
static void send_request(struct utcp_stack *s, const struct iface *ifc, uint32_t ip,
			 const uint8_t *to)
{
	static const uint8_t unknown[ETH_ADDR_LEN];
	arp_send(s, ifc, ARP_OP_REQUEST, to ? to : eth_broadcast, unknown, ip);
}

int arp_attach(struct utcp_stack *s, struct iface *ifc)
{
	size_t cap = ETH_HDR_LEN + (size_t)ifc->mtu;
	if (cap < ETH_MIN_FRAME)
		cap = ETH_MIN_FRAME;
	size_t size = sizeof(struct arp_cache) + ARP_HOLD_SLOTS * cap;
	struct arp_cache *c = ualloc_zalloc(&s->alloc, size);
	if (!c)
		return -ENOMEM;
	c->frame_cap = cap;
	c->size = size;
	c->next_at = UTCP_TIME_NEVER;
	for (int i = 0; i < ARP_HOLD_SLOTS; i++)
		c->hold[i].frame = c->frames + (size_t)i * cap;
	ifc->arp = c;
	/* RFC 5227 section 3 (and 2.3): an announcement is a request with
	 * our address as both sender and target. */
	static const uint8_t unknown[ETH_ADDR_LEN];
	arp_send(s, ifc, ARP_OP_REQUEST, eth_broadcast, unknown, ifc->addr);
	return 0;
}

void arp_detach(struct utcp_stack *s, struct iface *ifc)
{
	if (ifc->arp)
		ualloc_free(&s->alloc, ifc->arp, ifc->arp->size);
	ifc->arp = NULL;
}

static struct arp_entry *find(struct arp_cache *c, uint32_t ip)
{
	if (c->e[c->last].state != ARP_FREE && c->e[c->last].ip == ip)
		return &c->e[c->last];
	for (uint32_t i = 0; i < ARP_ENTRIES; i++)
		if (c->e[i].state != ARP_FREE && c->e[i].ip == ip) {
			c->last = i;
			return &c->e[i];
		}
	return NULL;
}

/* Drop, or send, every held frame for ip, oldest first. */
static void release_held(struct utcp_stack *s, const struct iface *ifc, uint32_t ip,
			 const uint8_t *mac)
{
	struct arp_cache *c = ifc->arp;
	for (;;) {
		struct arp_hold *h = NULL;
		for (int i = 0; i < ARP_HOLD_SLOTS; i++)
			if (c->hold[i].len && c->hold[i].ip == ip &&
			    (!h || (int32_t)(c->hold[i].seq - h->seq) < 0))
				h = &c->hold[i];
		if (!h)
			return;
		if (mac) {
			memcpy(h->frame, mac, ETH_ADDR_LEN);
			link_output(s, ifc, h->frame, h->len);
		} else {
			ARP_DROP(s, arp_drop_unresolved);
		}
		h->len = 0;
	}
}

static void hold_frame(struct utcp_stack *s, struct arp_cache *c, uint32_t ip,
		       const uint8_t *frame, size_t len)
{
	if (len > c->frame_cap)
		return; /* cannot be: frames are at most MTU + header */
	struct arp_hold *h = NULL;
	for (int i = 0; i < ARP_HOLD_SLOTS && (!h || h->len); i++)
		if (!h || !c->hold[i].len || (int32_t)(c->hold[i].seq - h->seq) < 0)
			h = &c->hold[i];
	if (h->len)
		ARP_DROP(s, arp_drop_queue_full); /* the oldest gives way */
	memcpy(h->frame, frame, len);
	h->len = (uint32_t)len;
	h->ip = ip;
	h->seq = c->hold_seq++;
	STAT(s, arp_queued);
}

/* An entry to (re)use for a new address: a free one, else the least
 * recently used resolved one. NULL when every entry is resolving. */
static struct arp_entry *take_entry(struct arp_cache *c)
{
	struct arp_entry *victim = NULL;
	for (int i = 0; i < ARP_ENTRIES; i++) {
		struct arp_entry *e = &c->e[i];
		if (e->state == ARP_FREE)
			return e;
		if (e->state == ARP_RESOLVED && (!victim || e->used_at < victim->used_at))
			victim = e;
	}
	return victim;
}

static void schedule(struct arp_cache *c, utcp_time_us at)
{
	if (at < c->next_at)
		c->next_at = at;
}

/* We heard from ip at mac: the entry is fresh, and what waited goes. */
static void learn(struct utcp_stack *s, const struct iface *ifc, struct arp_entry *e,
		  uint32_t ip, const uint8_t *mac)
{
	bool was_pending = e->state == ARP_PENDING;
	e->ip = ip;
	memcpy(e->mac, mac, ETH_ADDR_LEN);
	e->state = ARP_RESOLVED;
	e->probing = false;
	e->requests = 0;
	e->fresh_until = s->now + ARP_REACHABLE_US;
	e->used_at = s->now;
	if (was_pending)
		release_held(s, ifc, ip, mac);
}

void arp_output(struct utcp_stack *s, const struct iface *ifc, uint32_t next_hop,
		uint8_t *frame, size_t len)
{
	struct arp_cache *c = ifc->arp;
	struct arp_entry *e = find(c, next_hop);
	if (e && e->state == ARP_RESOLVED) {
		e->used_at = s->now;
		if (s->now >= e->fresh_until && !e->probing) {
			/* RFC 1122 2.3.2.1: re-check with a unicast poll,
			 * sending meanwhile to the address we have. */
			e->probing = true;
			e->requests = 1;
			e->retry_at = s->now + ARP_RETRY_US;
			schedule(c, e->retry_at);
			send_request(s, ifc, next_hop, e->mac);
		}
		memcpy(frame, e->mac, ETH_ADDR_LEN);
		link_output(s, ifc, frame, len);
		return;
	}
	if (!e) {
		e = take_entry(c);
		if (!e) {
			ARP_DROP(s, arp_drop_table_full);
			return;
		}
		memset(e, 0, sizeof(*e));
		e->ip = next_hop;
		e->state = ARP_PENDING;
		e->requests = 1;
		e->used_at = s->now;
		e->retry_at = s->now + ARP_RETRY_US;
		schedule(c, e->retry_at);
		send_request(s, ifc, next_hop, NULL);
	}
	hold_frame(s, c, next_hop, frame, len);
}

void arp_suspect(struct utcp_stack *s, const struct iface *ifc, uint32_t ip)
{
	struct arp_entry *e = ifc->arp ? find(ifc->arp, ip) : NULL;
	if (e && e->state == ARP_RESOLVED && !e->probing)
		e->fresh_until = s->now; /* the next packet to it asks again */
}

/* One entry's due retry: ask again, or give up. */
static void retry_entry(struct utcp_stack *s, const struct iface *ifc, struct arp_entry *e)
{
	if (e->requests < ARP_MAX_REQUESTS) {
		e->requests++;
		e->retry_at = s->now + ARP_RETRY_US;
		send_request(s, ifc, e->ip, e->state == ARP_PENDING ? NULL : e->mac);
		return;
	}
	if (e->state == ARP_PENDING)
		release_held(s, ifc, e->ip, NULL); /* unreachable: drop what waited */
	e->state = ARP_FREE;
	e->probing = false;
}

void arp_poll(struct utcp_stack *s)
{
	for (int i = 0; i < s->n_ifaces; i++) {
		struct arp_cache *c = s->ifaces[i].arp;
		if (!c || c->next_at > s->now)
			continue;
		c->next_at = UTCP_TIME_NEVER;
		for (int k = 0; k < ARP_ENTRIES; k++) {
			struct arp_entry *e = &c->e[k];
			bool waiting = e->state == ARP_PENDING || e->probing;
			if (waiting && e->retry_at <= s->now)
				retry_entry(s, &s->ifaces[i], e);
			if (e->state == ARP_PENDING || e->probing)
				schedule(c, e->retry_at);
		}
	}
}

utcp_time_us arp_next_deadline(const struct utcp_stack *s)
{
	utcp_time_us at = UTCP_TIME_NEVER;
	for (int i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].arp && s->ifaces[i].arp->next_at < at)
			at = s->ifaces[i].arp->next_at;
	return at;
}

static bool parse_ok(struct utcp_stack *s, const uint8_t *p, size_t len, struct arp_pkt *a)
{
	switch (arp_parse(p, len, a)) {
	case ARP_OK:
		break;
	case ARP_ERR_SHORT:
		ARP_DROP(s, arp_drop_short);
		return false;
	case ARP_ERR_FORMAT:
		ARP_DROP(s, arp_drop_format);
		return false;
	default:
		ARP_DROP(s, arp_drop_op);
		return false;
	}
	/* A sender hardware address must be a station's: learning a group
	 * or zero address would send our traffic everywhere or nowhere. */
	if (eth_addr_is_group(a->sha) || eth_addr_is_zero(a->sha)) {
		ARP_DROP(s, arp_drop_bad_sender);
		return false;
	}
	return true;
}

void arp_input(struct utcp_stack *s, const struct iface *ifc, const uint8_t *p, size_t len)
{
	STAT(s, arp_in);
	struct arp_pkt a;
	if (!parse_ok(s, p, len, &a))
		return;
	if (a.spa == ifc->addr) {
		/* Someone else uses our address (or our own announcement
		 * came back): nothing to learn from it (RFC 5227 2.4). */
		ARP_DROP(s, arp_conflict);
		return;
	}
	struct arp_cache *c = ifc->arp;
	/* RFC 826: "If the pair <protocol type, sender protocol address> is
	 * already in my translation table, update the sender hardware
	 * address field ... set Merge_flag". A probe's sender address 0
	 * (RFC 5227 2.1.1) names nobody. */
	bool merged = false;
	struct arp_entry *e = a.spa ? find(c, a.spa) : NULL;
	if (e) {
		learn(s, ifc, e, a.spa, a.sha);
		merged = true;
	}
	if (a.tpa != ifc->addr)
		return; /* about other hosts: merged at most */
	/* "If Merge_flag is false, add the triplet to the table." */
	if (!merged && a.spa) {
		e = take_entry(c);
		if (e)
			learn(s, ifc, e, a.spa, a.sha);
	}
	if (a.op == ARP_OP_REQUEST)
		arp_send(s, ifc, ARP_OP_REPLY, a.sha, a.sha, a.spa);
}
