/*
 * ECN end to end in the simulator: two utcp stacks negotiate it, and a
 * bulk transfer through queues that mark CE (RFC 3168 section 5) instead
 * of overflowing finishes without a single retransmission, where the same
 * path without ECN drops and resends. The runs are deterministic: the
 * counts asserted are those of the run, and the same run gives them again.
 */
#include "fixture.h"

#include "app/bulk.h"
#include "wire/ipv4.h"

struct ecn_run {
	struct utcp_sim *w;
	int node[2], ch[2];
	struct bulk_end end[2];
	struct bulk_host host[2];
};

struct ecn_result {
	bool verified;
	utcp_time_us done_at;
	struct utcp_stats client;
	struct utcp_sim_channel_stats ch[2];
	uint32_t left; /* connections either stack still holds at the end */
};

static bool ecn_done(void *ctx)
{
	struct ecn_run *r = ctx;
	return bulk_end_done(&r->end[0]) && bulk_end_done(&r->end[1]);
}

/* A transfer of ab bytes from client to server and ba back over channels
 * configured by ch (both ways); the client's ECN setting is `ecn`, the
 * server's the default. */
static struct ecn_result ecn_transfer_on(const struct utcp_sim_channel_config *ch, uint64_t ab,
					 uint64_t ba, uint8_t ecn, uint64_t seed)
{
	struct ecn_run r = {0};
	r.w = utcp_sim_new(seed);
	REQUIRE(r.w != NULL);
	for (int i = 0; i < 2; i++) {
		struct utcp_stack_config cfg;
		utcp_stack_config_default(&cfg);
		cfg.msl = UTCP_SEC(1);
		cfg.syn_retries = 20; /* lossy paths in the property test */
		cfg.retries_r2 = 30;
		cfg.rto_max = UTCP_SEC(10);
		cfg.ecn = i == 0 ? ecn : UTCP_ECN_ACCEPT;
		cfg.on_event = bulk_on_event;
		cfg.event_ctx = &r.host[i];
		r.node[i] = utcp_sim_host_add(r.w, i ? "server" : "client",
					      utcp_ipv4(10, 0, 0, (uint8_t)(i + 1)), 24, 0, &cfg);
		REQUIRE(r.node[i] >= 0);
	}
	REQUIRE_EQ(utcp_sim_connect(r.w, r.node[0], r.node[1], ch, ch, &r.ch[0], &r.ch[1]), 0);
	struct utcp_stack *a = utcp_sim_stack(r.w, r.node[0]), *b = utcp_sim_stack(r.w, r.node[1]);
	bulk_end_init(&r.end[0], a, ab, seed * 2, ba, seed * 2 + 1);
	bulk_end_init(&r.end[1], b, ba, seed * 2 + 1, ab, seed * 2);
	r.end[0].close_first = true;
	for (int i = 0; i < 2; i++)
		r.host[i] = (struct bulk_host){.ends = {&r.end[i]}, .n_ends = 1, .listen_fd = -1};
	int l = utcp_socket(b);
	struct utcp_sockaddr any = {0, 5001}, dst = {utcp_ipv4(10, 0, 0, 2), 5001};
	REQUIRE_EQ(utcp_bind(b, l, &any), 0);
	REQUIRE_EQ(utcp_listen(b, l, 4), 0);
	r.host[1].listen_fd = l;
	r.host[1].accept_into = &r.end[1];
	r.end[0].fd = utcp_socket(a);
	REQUIRE_EQ(utcp_connect(a, r.end[0].fd, &dst), -EINPROGRESS);

	struct ecn_result res = {0};
	bool done = utcp_sim_run_while(r.w, ecn_done, &r, UTCP_SEC(4 * 3600));
	res.verified = done && bulk_end_verified(&r.end[0]) && bulk_end_verified(&r.end[1]);
	res.done_at = r.end[1].done_at;
	utcp_stack_stats(a, &res.client);
	for (int i = 0; i < 2; i++)
		REQUIRE_EQ(utcp_sim_channel_stats(r.w, r.ch[i], &res.ch[i]), 0);
	utcp_close(b, l);
	utcp_sim_run_for(r.w, UTCP_SEC(120)); /* TIME_WAIT (2 s) and stragglers */
	uint32_t n[2][UTCP_NUM_STATES];
	utcp_count_by_state(a, n[0]);
	utcp_count_by_state(b, n[1]);
	for (int s = 0; s < UTCP_NUM_STATES; s++)
		res.left += n[0][s] + n[1][s];
	utcp_sim_free(r.w);
	return res;
}

/* `bytes` from client to server over 20 Mbit/s, 10 ms each way, 30-packet
 * queues marking from `mark` packets (0: none): as `utcp sim --bytes B
 * --rate 20mbit --queue 30 [--ecn]`. */
static struct ecn_result ecn_transfer(uint64_t bytes, uint8_t ecn, uint32_t mark)
{
	struct utcp_sim_channel_config ch = {
	    .delay = UTCP_MS(10), .rate_bps = 20000000, .queue_pkts = 30, .ecn_mark_pkts = mark};
	struct ecn_result r = ecn_transfer_on(&ch, bytes, 0, ecn, 1);
	CHECK_EQ(r.left, 0);
	return r;
}

/* 2 MB at 20 Mbit/s through 30-packet queues. Without ECN the queue
 * overflows: drops, resends, a timeout. With ECN (marking from 6 packets,
 * a fifth of the queue, as `utcp sim --ecn`) the same transfer loses
 * nothing: every congestion signal is a CE mark, answered by the
 * receiver's ECE and the sender's reduction, and nothing is resent. */
TEST(ecn_sim_bulk_transfer_marks_instead_of_drops)
{
	struct ecn_result plain = ecn_transfer(2000000, UTCP_ECN_ACCEPT, 0);
	CHECK(plain.verified);
	CHECK_EQ(plain.client.tcp_ecn_negotiated, 0);
	CHECK_EQ(plain.ch[0].drop_queue, 126);
	CHECK_EQ(plain.client.tcp_retransmit, 126);
	CHECK_EQ(plain.client.tcp_timeout, 1);
	CHECK_EQ(plain.ch[0].ce_marked, 0);

	struct ecn_result ecn = ecn_transfer(2000000, UTCP_ECN_ON, 6);
	CHECK(ecn.verified);
	CHECK_EQ(ecn.client.tcp_ecn_negotiated, 1);
	/* The invariant: no loss, so nothing resent, no timeout. */
	CHECK_EQ(ecn.ch[0].drop_queue + ecn.ch[1].drop_queue, 0);
	CHECK_EQ(ecn.client.tcp_retransmit, 0);
	CHECK_EQ(ecn.client.tcp_timeout, 0);
	CHECK_EQ(ecn.client.tcp_fast_retransmit, 0);
	/* The run's own figures: marks on data only (ACKs are Not-ECT). */
	CHECK_EQ(ecn.ch[0].ce_marked, 25);
	CHECK_EQ(ecn.ch[1].ce_marked, 0);
	CHECK_EQ(ecn.client.tcp_ecn_cwnd_reductions, 2);
	/* Deterministic: the same run again gives the same end. */
	struct ecn_result again = ecn_transfer(2000000, UTCP_ECN_ON, 6);
	CHECK_EQ(again.done_at, ecn.done_at);
	CHECK_EQ(again.ch[0].ce_marked, ecn.ch[0].ce_marked);
}

/* Two utcp stacks, the client asking: both see ECN on (TCP_INFO), the
 * client's data leaves ECT(0), the server's pure ACKs Not-ECT, and the
 * handshake's segments carry exactly the ECN-setup flags. */
TEST(ecn_two_stacks_negotiate)
{
	struct fx_opts o = {.has_cfg = true};
	fx_default_cfg(&o.cfg_a);
	fx_default_cfg(&o.cfg_b);
	o.cfg_a.ecn = UTCP_ECN_ON;
	struct fixture *f = fx_new(&o);
	int lfd, cfd, sfd;
	fx_establish_4k(f, &lfd, &cfd, &sfd);
	CHECK(fx_info(f, FX_A, cfd).ecn);
	CHECK(fx_info(f, FX_B, sfd).ecn);
	REQUIRE_EQ(utcp_send(fx_stack(f, FX_A), cfd, "data", 4, 0), 4);
	fx_run(f, UTCP_MS(100));
	FX_EXPECT_SENT(f, FX_A, 0, "SYN,ECE,CWR 100(0) win 4096 <mss 1460>",
		       "101(0) ack 801 win 4096", "101(4) ack 801 win 4096");
	FX_EXPECT_SENT(f, FX_B, 0, "SYN,ECE 800(0) ack 101 win 4096 <mss 1460>",
		       "801(0) ack 105 win 4092");
	const struct fx_event *a[3], *b[2];
	REQUIRE_EQ(fx_sent(f, FX_A, a, 3), 3);
	REQUIRE_EQ(fx_sent(f, FX_B, b, 2), 2);
	CHECK_EQ(a[0]->ev.u.seg.ecn, IPV4_ECN_NOT_ECT);
	CHECK_EQ(a[1]->ev.u.seg.ecn, IPV4_ECN_NOT_ECT);
	CHECK_EQ(a[2]->ev.u.seg.ecn, IPV4_ECN_ECT0);
	CHECK_EQ(b[0]->ev.u.seg.ecn, IPV4_ECN_NOT_ECT);
	CHECK_EQ(b[1]->ev.u.seg.ecn, IPV4_ECN_NOT_ECT);
	CHECK_EQ(fx_stats(f, FX_A).tcp_ecn_negotiated, 1);
	CHECK_EQ(fx_stats(f, FX_B).tcp_ecn_negotiated, 1);
	utcp_close(fx_stack(f, FX_B), lfd);
	fx_abort(f, FX_A, cfd);
	fx_abort(f, FX_B, sfd);
	FX_END(f, UTCP_MS(50));
}

/* ECN under every fault the simulator has: for 30 seeds, a random path
 * (loss up to 5%, reordering, duplication, delay, rate, queue) whose
 * queues mark CE from a random threshold, random amounts both ways, ECN
 * asked by the client. Every byte arrives, both ends close, nothing is
 * left; and where nothing was lost (nor reordered or duplicated, which
 * may look like a loss), nothing was resent. */
TEST(ecn_property_random_paths_with_marking)
{
	unsigned failed = 0, negotiated = 0;
	for (uint64_t seed = 1; seed <= 30 && failed < 3; seed++) {
		uint64_t x = seed * 0x9e3779b97f4a7c15ull;
		struct utcp_sim_channel_config ch = {0};
		ch.loss = (double)(x % 50) / 1000.0 * (seed % 3 == 0 ? 0 : 1);
		ch.reorder = seed % 4 == 1 ? 0.02 : 0;
		ch.reorder_delay = UTCP_MS(3);
		ch.duplicate = seed % 5 == 2 ? 0.01 : 0;
		ch.delay = UTCP_MS(1 + (x >> 8) % 40);
		ch.rate_bps = (1 + (x >> 16) % 50) * 1000000ull;
		ch.queue_pkts = (uint32_t)(10 + (x >> 24) % 100);
		ch.ecn_mark_pkts = (uint32_t)(1 + (x >> 32) % (ch.queue_pkts / 2));
		uint64_t ab = (x >> 40) % 400000, ba = seed % 2 ? (x >> 20) % 100000 : 0;
		struct ecn_result r = ecn_transfer_on(&ch, ab, ba, UTCP_ECN_ON, seed);
		uint64_t lost = r.ch[0].drop_queue + r.ch[0].drop_random + r.ch[1].drop_queue +
				r.ch[1].drop_random;
		negotiated += r.client.tcp_ecn_negotiated;
		bool ok = r.verified && r.left == 0 &&
			  (lost > 0 || ch.reorder > 0 || ch.duplicate > 0 ||
			   r.client.tcp_retransmit == 0);
		if (!ok) {
			failed++;
			test_fail_at(__FILE__, __LINE__,
				     "seed %llu: loss %.3f reorder %.2f dup %.2f queue %u mark %u, "
				     "%llu/%llu bytes: verified %d, left %u, ecn %llu, lost %llu, "
				     "resent %llu",
				     (unsigned long long)seed, ch.loss, ch.reorder, ch.duplicate,
				     ch.queue_pkts, ch.ecn_mark_pkts, (unsigned long long)ab,
				     (unsigned long long)ba, r.verified, r.left,
				     (unsigned long long)r.client.tcp_ecn_negotiated,
				     (unsigned long long)lost,
				     (unsigned long long)r.client.tcp_retransmit);
		}
	}
	CHECK_EQ(failed, 0);
	/* Those whose first SYN was lost went on without ECN (6.1.1.1). */
	CHECK_EQ(negotiated, 28);
}
