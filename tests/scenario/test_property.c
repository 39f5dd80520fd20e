/*
 * The property test of issue 2: for 200 seeds, a random path (loss up to
 * 20%, reordering, duplication, delay, rate, queue) and random amounts in
 * both directions (up to 2 MB each way, zero included); every byte must
 * arrive intact, both ends must close cleanly, and once TIME_WAIT has run
 * out neither stack may hold any state.
 */
#include "../harness.h"
#include "app/bulk.h"
#include "stack/stack_internal.h"
#include "utcp/utcp.h"

#include <stdio.h>

/* A tiny generator for the test's own choices (not the world's). */
static uint64_t prop_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double prop_unit(uint64_t *s)
{
	return (prop_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

struct prop_case {
	struct utcp_sim_channel_config ch;
	uint64_t bytes_ab, bytes_ba;
};

static void prop_choose(uint64_t seed, struct prop_case *c)
{
	uint64_t s = seed * 7919u;
	c->ch = (struct utcp_sim_channel_config){0};
	c->ch.loss = prop_unit(&s) * 0.20;
	c->ch.reorder = prop_unit(&s) < 0.5 ? prop_unit(&s) * 0.10 : 0;
	c->ch.reorder_delay = UTCP_MS(1 + prop_next(&s) % 20);
	c->ch.duplicate = prop_unit(&s) < 0.5 ? prop_unit(&s) * 0.05 : 0;
	c->ch.delay = UTCP_MS(1 + prop_next(&s) % 50);
	c->ch.rate_bps = prop_unit(&s) < 0.3 ? 0 : (1 + prop_next(&s) % 100) * 1000000ull;
	c->ch.queue_pkts = (uint32_t)(20 + prop_next(&s) % 200);
	/* Sizes spread over orders of magnitude, zero included. */
	uint64_t k = prop_next(&s) % 4;
	c->bytes_ab = k == 0 ? 0 : prop_next(&s) % (k == 1 ? 5000 : k == 2 ? 200000 : 2000000);
	k = prop_next(&s) % 4;
	c->bytes_ba = k == 0 ? 0 : prop_next(&s) % (k == 1 ? 5000 : k == 2 ? 200000 : 2000000);
}

struct prop_world {
	struct utcp_sim *w;
	int node[2];
	struct bulk_end end[2];
	struct bulk_host host[2];
};

static bool prop_done(void *ctx)
{
	struct prop_world *p = ctx;
	return bulk_end_done(&p->end[0]) && bulk_end_done(&p->end[1]);
}

static unsigned sockets_alive(struct utcp_stack *s)
{
	unsigned n = 0;
	for (struct usock *u = s->all_head; u; u = u->all_next)
		n++;
	return n;
}

/* Run one seed; returns false (after reporting why) when it failed. */
static bool prop_run(uint64_t seed)
{
	struct prop_case c;
	prop_choose(seed, &c);
	struct prop_world p = {0};
	p.w = utcp_sim_new(seed);
	REQUIRE(p.w != NULL);
	struct utcp_stack_config cfg;
	utcp_stack_config_default(&cfg);
	cfg.msl = UTCP_SEC(1);
	cfg.syn_retries = 20; /* at 20% loss each way, 7 lost SYNs do happen */
	cfg.retries_r2 = 30;
	cfg.rto_max = UTCP_SEC(10);
	for (int i = 0; i < 2; i++) {
		cfg.on_event = bulk_on_event;
		cfg.event_ctx = &p.host[i];
		p.node[i] = utcp_sim_host_add(p.w, i ? "B" : "A", utcp_ipv4(10, 0, 0, (uint8_t)(i + 1)),
					      24, 0, &cfg);
		REQUIRE(p.node[i] >= 0);
	}
	REQUIRE_EQ(utcp_sim_connect(p.w, p.node[0], p.node[1], &c.ch, &c.ch, NULL, NULL), 0);
	struct utcp_stack *a = utcp_sim_stack(p.w, p.node[0]), *b = utcp_sim_stack(p.w, p.node[1]);
	bulk_end_init(&p.end[0], a, c.bytes_ab, seed * 2, c.bytes_ba, seed * 2 + 1);
	bulk_end_init(&p.end[1], b, c.bytes_ba, seed * 2 + 1, c.bytes_ab, seed * 2);
	p.end[0].close_first = true;
	for (int i = 0; i < 2; i++) {
		p.host[i] = (struct bulk_host){.ends = {&p.end[i]}, .n_ends = 1, .listen_fd = -1};
	}
	int l = utcp_socket(b);
	struct utcp_sockaddr any = {0, 7}, dst = {utcp_ipv4(10, 0, 0, 2), 7};
	REQUIRE_EQ(utcp_bind(b, l, &any), 0);
	REQUIRE_EQ(utcp_listen(b, l, 4), 0);
	p.host[1].listen_fd = l;
	p.host[1].accept_into = &p.end[1];
	p.end[0].fd = utcp_socket(a);
	REQUIRE_EQ(utcp_connect(a, p.end[0].fd, &dst), -EINPROGRESS);

	bool done = utcp_sim_run_while(p.w, prop_done, &p, UTCP_SEC(4 * 3600));
	utcp_close(b, l);
	utcp_sim_run_for(p.w, UTCP_SEC(120)); /* TIME_WAIT (2 s) and stragglers */
	bool ok = done && bulk_end_verified(&p.end[0]) && bulk_end_verified(&p.end[1]) &&
		  sockets_alive(a) == 0 && sockets_alive(b) == 0;
	if (!ok) {
		test_fail_at(__FILE__, __LINE__,
			     "seed %llu: loss %.3f reorder %.3f dup %.3f delay %llu us rate %llu "
			     "queue %u, %llu/%llu bytes: done %d, A got %llu err %d corrupt %d, "
			     "B got %llu err %d corrupt %d, alive %u/%u, t=%.1f s",
			     (unsigned long long)seed, c.ch.loss, c.ch.reorder, c.ch.duplicate,
			     (unsigned long long)c.ch.delay, (unsigned long long)c.ch.rate_bps,
			     c.ch.queue_pkts, (unsigned long long)c.bytes_ab,
			     (unsigned long long)c.bytes_ba, done,
			     (unsigned long long)p.end[0].received, p.end[0].error, p.end[0].corrupt,
			     (unsigned long long)p.end[1].received, p.end[1].error, p.end[1].corrupt,
			     sockets_alive(a), sockets_alive(b), utcp_sim_now(p.w) / 1e6);
	}
	utcp_sim_free(p.w);
	return ok;
}

TEST(property_200_seeds_random_paths_both_directions)
{
	unsigned failed = 0;
	for (uint64_t seed = 1; seed <= 200; seed++)
		if (!prop_run(seed) && ++failed >= 5)
			break; /* enough to go on */
	CHECK_EQ(failed, 0);
}
