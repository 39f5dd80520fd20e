/*
 * `utcp sim`: a bulk transfer between two simulated hosts over a path given
 * on the command line. The client sends --bytes of a pseudo-random stream
 * and closes; the server checks every byte and closes. Everything runs in
 * virtual time, so the same command prints the same result every time.
 */
#include "args.h"
#include "tools.h"

#include "app/bulk.h"
#include "utcp/utcp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIM_PORT 5001

static const char sim_help[] =
	"usage: utcp sim [OPTIONS]\n"
	"\n"
	"Run a bulk transfer between two simulated hosts (client 10.0.0.1 sends,\n"
	"server 10.0.0.2 verifies) and report what TCP did. Virtual time: the same\n"
	"command gives the same result, bit for bit.\n"
	"\n"
	"  --bytes SIZE     bytes to send (default 10M; units k, M, G, KiB, MiB)\n"
	"  --rtt DURATION   round-trip propagation delay (default 20ms)\n"
	"  --rate RATE      link rate each way, e.g. 100mbit (default 100mbit; 0: no limit)\n"
	"  --queue N        drop-tail queue at each sender, packets (default 100; 0: no limit)\n"
	"  --loss P         random loss each way, e.g. 1% (default 0)\n"
	"  --seed N         random seed (default 1)\n"
	"  --cc NAME        congestion control: reno, textbook or fixed (default reno)\n"
	"  --mss N          segment size; the link MTU becomes N + 40 (default 1460)\n"
	"  --ecn            ECN (RFC 3168): the client asks for it, the server accepts,\n"
	"                   and each queue marks CE from --mark packets (default: a fifth\n"
	"                   of --queue, at least 1; 20 with no queue limit)\n"
	"  --mark N         ECN marking threshold, packets: an ECN-capable packet that\n"
	"                   finds N or more queued is marked CE (0: never, the default\n"
	"                   without --ecn)\n"
	"  --window SIZE    socket buffers at both ends (default 4MiB)\n"
	"  --limit DURATION give up after this much virtual time (default 1h)\n"
	"  --pcap FILE      capture the client's link (both directions) to FILE\n"
	"  --trace FILE     write every trace event of both hosts as JSON lines\n"
	"  --json           print one JSON object instead of text\n"
	"  --help           show this help\n"
	"\n"
	"Exit status: 0 when every byte arrived intact and both ends closed, 1 when not,\n"
	"2 for a bad argument.\n";

struct sim_opts {
	uint64_t bytes, seed, window;
	utcp_time_us rtt, limit;
	uint64_t rate;
	uint32_t queue, mss;
	double loss;
	const char *cc, *pcap, *trace;
	bool json, ecn, has_mark;
	uint32_t mark;
};

static bool sim_needs_value(const char *name)
{
	return strcmp(name, "json") != 0 && strcmp(name, "help") != 0 && strcmp(name, "ecn") != 0;
}

static void sim_parse(int argc, char **argv, struct sim_opts *o)
{
	*o = (struct sim_opts){.bytes = 10000000, .seed = 1, .window = 4u << 20,
			       .rtt = UTCP_MS(20), .limit = UTCP_SEC(3600),
			       .rate = 100000000, .queue = 100, .mss = 1460, .cc = "reno"};
	struct args a;
	const char *name, *v;
	bool pos;
	args_init(&a, argc, argv);
	while ((name = args_next(&a, sim_needs_value, &v, &pos))) {
		if (pos)
			args_usage_error("unexpected argument '%s'", v);
		else if (!strcmp(name, "help")) {
			fputs(sim_help, stdout);
			exit(0);
		} else if (!strcmp(name, "bytes"))
			o->bytes = parse_size(name, v);
		else if (!strcmp(name, "rtt"))
			o->rtt = parse_duration(name, v);
		else if (!strcmp(name, "rate"))
			o->rate = strcmp(v, "0") ? parse_rate(name, v) : 0;
		else if (!strcmp(name, "queue"))
			o->queue = (uint32_t)parse_uint(name, v, 0, 1000000);
		else if (!strcmp(name, "loss"))
			o->loss = parse_fraction(name, v);
		else if (!strcmp(name, "seed"))
			o->seed = parse_uint(name, v, 0, UINT64_MAX);
		else if (!strcmp(name, "cc"))
			o->cc = v;
		else if (!strcmp(name, "mss"))
			o->mss = (uint32_t)parse_uint(name, v, 88, 9000);
		else if (!strcmp(name, "window"))
			o->window = parse_size(name, v);
		else if (!strcmp(name, "limit"))
			o->limit = parse_duration(name, v);
		else if (!strcmp(name, "pcap"))
			o->pcap = v;
		else if (!strcmp(name, "trace"))
			o->trace = v;
		else if (!strcmp(name, "json"))
			o->json = true;
		else if (!strcmp(name, "ecn"))
			o->ecn = true;
		else if (!strcmp(name, "mark")) {
			o->mark = (uint32_t)parse_uint(name, v, 0, 1000000);
			o->has_mark = true;
		}
		else
			args_usage_error("unknown option '--%s'", name);
	}
	if (o->window < 256 || o->window > (1u << 30))
		args_usage_error("bad value for --window: expected 256 bytes to 1GiB");
	if (!tool_cc_known(o->cc))
		args_usage_error("unknown congestion control '%s' for --cc (reno, textbook, fixed)", o->cc);
	if (o->ecn && !o->has_mark)
		o->mark = o->queue ? (o->queue / 5 ? o->queue / 5 : 1) : 20;
}

/* The run: world, two hosts, a listener, the transfer. */
struct sim_run {
	struct utcp_sim *w;
	int node[2];
	struct bulk_end client, server;
	struct bulk_host host[2];
	struct tool_trace trace[2];
	int ch[2]; /* client -> server, server -> client */
};

static bool transfer_done(void *ctx)
{
	struct sim_run *r = ctx;
	if (!bulk_end_done(&r->client) || !bulk_end_done(&r->server))
		return false;
	/* ... and the closing handshake finished at the server (LAST_ACK acked). */
	uint32_t n[UTCP_NUM_STATES];
	utcp_count_by_state(utcp_sim_stack(r->w, r->node[1]), n);
	return n[UTCP_LAST_ACK] == 0 && n[UTCP_CLOSE_WAIT] == 0;
}

static int sim_setup(struct sim_run *r, const struct sim_opts *o, FILE *trace)
{
	struct utcp_stack_config cfg;
	utcp_stack_config_default(&cfg);
	cfg.cc = o->cc;
	cfg.sndbuf = cfg.rcvbuf = (uint32_t)o->window;
	/* --ecn: the client asks (net.ipv4.tcp_ecn = 1); the server accepts
	 * either way (the default, 2); without it neither uses ECN. */
	const char *names[2] = {"client", "server"};
	uint32_t addrs[2] = {utcp_ipv4(10, 0, 0, 1), utcp_ipv4(10, 0, 0, 2)};
	for (int i = 0; i < 2; i++) {
		r->host[i] = (struct bulk_host){.listen_fd = -1};
		cfg.on_event = bulk_on_event;
		cfg.event_ctx = &r->host[i];
		cfg.ecn = i == 0 ? (o->ecn ? UTCP_ECN_ON : UTCP_ECN_ACCEPT) : UTCP_ECN_ACCEPT;
		if (trace) {
			r->trace[i] = (struct tool_trace){.f = trace, .host = names[i]};
			cfg.trace = tool_trace_write;
			cfg.trace_ctx = &r->trace[i];
		}
		r->node[i] = utcp_sim_host_add(r->w, names[i], addrs[i], 24,
					       (uint16_t)(o->mss + 40), &cfg);
		if (r->node[i] < 0)
			return r->node[i];
	}
	struct utcp_sim_channel_config ch = {.delay = o->rtt / 2, .rate_bps = o->rate,
					     .queue_pkts = o->queue, .loss = o->loss,
					     .ecn_mark_pkts = o->mark};
	int err = utcp_sim_connect(r->w, r->node[0], r->node[1], &ch, &ch, &r->ch[0], &r->ch[1]);
	if (err)
		return err;
	if (o->pcap && (err = utcp_sim_capture_node(r->w, r->node[0], o->pcap)) != 0) {
		fprintf(stderr, "utcp sim: %s: %s\n", o->pcap, strerror(-err));
		return err;
	}
	struct utcp_stack *cs = utcp_sim_stack(r->w, r->node[0]);
	struct utcp_stack *ss = utcp_sim_stack(r->w, r->node[1]);
	bulk_end_init(&r->client, cs, o->bytes, o->seed, 0, 0);
	r->client.close_first = true;
	bulk_end_init(&r->server, ss, 0, 0, o->bytes, o->seed);
	r->host[0].ends[0] = &r->client;
	r->host[0].n_ends = 1;
	r->host[1].ends[0] = &r->server;
	r->host[1].n_ends = 1;
	r->host[1].accept_into = &r->server;
	int l = utcp_socket(ss);
	struct utcp_sockaddr any = {0, SIM_PORT}, dst = {addrs[1], SIM_PORT};
	if (l < 0 || utcp_bind(ss, l, &any) || utcp_listen(ss, l, 16))
		return -EIO;
	r->host[1].listen_fd = l;
	r->client.fd = utcp_socket(cs);
	if (r->client.fd < 0)
		return r->client.fd;
	err = utcp_connect(cs, r->client.fd, &dst);
	return err == -EINPROGRESS ? 0 : err;
}

/* State of the (only) transfer connection of a stack: CLOSED when gone. */
static void find_conn(void *ctx, const struct utcp_conn_summary *c)
{
	enum utcp_tcp_state *st = ctx;
	if (c->state != UTCP_LISTEN)
		*st = c->state;
}

static enum utcp_tcp_state conn_state(struct utcp_stack *s)
{
	enum utcp_tcp_state st = UTCP_CLOSED;
	utcp_conn_foreach(s, find_conn, &st);
	return st;
}

static void sim_report(struct sim_run *r, const struct sim_opts *o, bool done)
{
	struct utcp_stats st;
	utcp_stack_stats(utcp_sim_stack(r->w, r->node[0]), &st);
	bool verified = done && bulk_end_verified(&r->server) && bulk_end_verified(&r->client);
	utcp_time_us end = r->server.done_at != UTCP_TIME_NEVER ? r->server.done_at
							      : utcp_sim_now(r->w);
	double secs = end / 1e6;
	double mbps = secs > 0 ? r->server.received * 8.0 / secs / 1e6 : 0;
	const char *cst = utcp_state_name(conn_state(utcp_sim_stack(r->w, r->node[0])));
	const char *sst = utcp_state_name(conn_state(utcp_sim_stack(r->w, r->node[1])));
	/* The network's side: packets the queues dropped or marked CE. */
	uint64_t qdrops = 0, marks = 0;
	for (int i = 0; i < 2; i++) {
		struct utcp_sim_channel_stats cs;
		if (utcp_sim_channel_stats(r->w, r->ch[i], &cs) == 0) {
			qdrops += cs.drop_queue;
			marks += cs.ce_marked;
		}
	}
	bool ecn = st.tcp_ecn_negotiated > 0;
	if (o->json) {
		printf("{\"bytes\":%" PRIu64 ",\"verified\":%s,\"sim_seconds\":%.6f,"
		       "\"goodput_mbps\":%.3f,\"retransmits\":%" PRIu64 ",\"timeouts\":%" PRIu64
		       ",\"fast_retransmits\":%" PRIu64 ",\"client_state\":\"%s\","
		       "\"server_state\":\"%s\",\"ecn\":%s,\"queue_drops\":%" PRIu64
		       ",\"ce_marks\":%" PRIu64 ",\"ecn_reductions\":%" PRIu64 "}\n",
		       r->server.received, verified ? "true" : "false", secs, mbps,
		       st.tcp_retransmit, st.tcp_timeout, st.tcp_fast_retransmit, cst, sst,
		       ecn ? "true" : "false", qdrops, marks, st.tcp_ecn_cwnd_reductions);
		return;
	}
	char b[32];
	printf("bytes             %" PRIu64 " (%s)\n", r->server.received,
	       fmt_bytes(r->server.received, b, sizeof(b)));
	printf("verified          %s\n", verified ? "yes" : "NO");
	printf("sim_seconds       %.6f\n", secs);
	printf("goodput           %.3f Mbit/s\n", mbps);
	printf("retransmits       %" PRIu64 "\n", st.tcp_retransmit);
	printf("timeouts          %" PRIu64 "\n", st.tcp_timeout);
	printf("fast_retransmits  %" PRIu64 "\n", st.tcp_fast_retransmit);
	printf("client_state      %s\n", cst);
	printf("server_state      %s\n", sst);
	printf("ecn               %s\n", ecn ? "yes" : "no");
	printf("queue_drops       %" PRIu64 "\n", qdrops);
	printf("ce_marks          %" PRIu64 "\n", marks);
	printf("ecn_reductions    %" PRIu64 "\n", st.tcp_ecn_cwnd_reductions);
	if (!done)
		printf("(the transfer did not finish within --limit)\n");
	else if (r->server.error || r->client.error)
		printf("error             %s\n",
		       strerror(r->server.error ? r->server.error : r->client.error));
}

int cmd_sim(int argc, char **argv)
{
	args_prog = "utcp sim";
	struct sim_opts o;
	sim_parse(argc, argv, &o);
	FILE *trace = NULL;
	if (o.trace && !(trace = fopen(o.trace, "w"))) {
		fprintf(stderr, "utcp sim: %s: %s\n", o.trace, strerror(errno));
		return 1;
	}
	struct sim_run *r = calloc(1, sizeof(*r));
	if (!r || !(r->w = utcp_sim_new(o.seed))) {
		fprintf(stderr, "utcp sim: out of memory\n");
		return 1;
	}
	int err = sim_setup(r, &o, trace);
	bool done = false;
	if (err == 0) {
		struct tool_progress p;
		tool_progress_start(&p, "utcp sim");
		utcp_time_us step = UTCP_MS(100);
		while (!(done = transfer_done(r)) && utcp_sim_now(r->w) < o.limit) {
			utcp_time_us until = utcp_sim_now(r->w) + step;
			done = utcp_sim_run_while(r->w, transfer_done, r, until < o.limit ? until : o.limit);
			if (done)
				break;
			tool_progress_update(&p, r->server.received, o.bytes, utcp_sim_now(r->w));
		}
		tool_progress_end(&p);
		sim_report(r, &o, done);
	} else if (err != -ENOENT && err != -EACCES) {
		fprintf(stderr, "utcp sim: setting up the network failed: %s\n", strerror(-err));
	}
	utcp_sim_free(r->w);
	if (trace && fclose(trace) != 0 && !err) {
		fprintf(stderr, "utcp sim: %s: %s\n", o.trace, strerror(errno));
		err = -EIO;
	}
	bool ok = err == 0 && done && bulk_end_verified(&r->server);
	free(r);
	return ok ? 0 : 1;
}
