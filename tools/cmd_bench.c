/*
 * `utcp bench`: two stacks in one process joined by an in-memory link, no
 * loss, checksums computed in software, wall-clock time. Three figures:
 *   bulk_gbps       payload throughput of one connection (--mss, --window)
 *   conn_per_sec    connections opened and closed gracefully per second,
 *                   one thread doing both ends
 *   bytes_per_conn  memory per idle established connection, as the
 *                   server stack's allocator counts it, over --conns of them
 * The numbers are for comparing with other stacks run the same way; the
 * tests never assert on them.
 */
#include "args.h"
#include "tools.h"

#include "utcp/utcp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char bench_help[] =
	"usage: utcp bench [OPTIONS]\n"
	"\n"
	"Measure the stack against itself over an in-memory link (no loss, software\n"
	"checksums, one thread, wall-clock time).\n"
	"\n"
	"  --bytes SIZE     bytes for the bulk test (default 2G)\n"
	"  --mss N          segment size; MTU = N + 40 (default 1460)\n"
	"  --window SIZE    socket buffers for the bulk test (default 1MiB)\n"
	"  --conns N        connections for the rate test (default 50000)\n"
	"  --idle N         idle connections for the memory test (default 100000)\n"
	"  --only TEST      run only bulk, rate or memory\n"
	"  --json           print one JSON object: bulk_gbps, conn_per_sec, bytes_per_conn\n"
	"  --help           show this help\n";

/* --- the in-memory link: a FIFO of packets per direction --- */

#define MEMLINK_SLOT 2048
#define MEMLINK_SLOTS 4096

struct memlink {
	uint8_t (*slot)[MEMLINK_SLOT];
	uint16_t len[MEMLINK_SLOTS];
	uint32_t head, count;
	uint64_t dropped;
};

static int memlink_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct memlink *l = ctx;
	if (l->count == MEMLINK_SLOTS || len > MEMLINK_SLOT) {
		l->dropped++;
		return -ENOBUFS;
	}
	uint32_t i = (l->head + l->count) % MEMLINK_SLOTS;
	memcpy(l->slot[i], pkt, len);
	l->len[i] = (uint16_t)len;
	l->count++;
	return 0;
}

static const struct utcp_link_ops memlink_ops = {.output = memlink_output};

static utcp_time_us now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (utcp_time_us)ts.tv_sec * 1000000u + (utcp_time_us)ts.tv_nsec / 1000u;
}

/* Two stacks, A (10.0.0.1) and B (10.0.0.2), and the link between them. */
struct pair {
	struct utcp_stack *s[2];
	struct memlink link[2]; /* link[0]: A -> B */
};

static int pair_init(struct pair *p, uint32_t mss, uint32_t window, uint16_t port_lo)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 2; i++) {
		p->link[i].slot = malloc((size_t)MEMLINK_SLOTS * MEMLINK_SLOT);
		if (!p->link[i].slot)
			return -ENOMEM;
		struct utcp_stack_config cfg;
		utcp_stack_config_default(&cfg);
		cfg.sndbuf = cfg.rcvbuf = window;
		cfg.port_lo = port_lo;
		cfg.port_hi = 65535;
		cfg.tw_reuse = true;
		cfg.syn_backlog_max = 65535;
		for (int k = 0; k < 16; k++)
			cfg.secret[k] = (uint8_t)(k * 7 + i);
		int err = utcp_stack_new(&cfg, &p->s[i]);
		if (err)
			return err;
		struct utcp_iface_config ic = {.name = i ? "b" : "a",
					       .addr = utcp_ipv4(10, 0, 0, (uint8_t)(i + 1)),
					       .prefix_len = 24, .mtu = (uint16_t)(mss + 40),
					       .ops = &memlink_ops, .link_ctx = &p->link[i]};
		if ((err = utcp_iface_add(p->s[i], &ic)) < 0)
			return err;
	}
	return 0;
}

static void pair_free(struct pair *p)
{
	for (int i = 0; i < 2; i++) {
		utcp_stack_free(p->s[i]);
		free(p->link[i].slot);
	}
}

/* Deliver everything queued, both ways, until the link is quiet. */
static void pair_pump(struct pair *p, utcp_time_us now)
{
	bool moved = true;
	while (moved) {
		moved = false;
		for (int dir = 0; dir < 2; dir++) {
			struct memlink *l = &p->link[dir];
			uint32_t n = l->count;
			for (uint32_t k = 0; k < n; k++) {
				uint32_t i = l->head;
				l->head = (l->head + 1) % MEMLINK_SLOTS;
				l->count--;
				utcp_stack_input(p->s[1 - dir], 0, l->slot[i], l->len[i], now);
				moved = true;
			}
		}
	}
	utcp_stack_poll(p->s[0], now);
	utcp_stack_poll(p->s[1], now);
}

/* Connect A to B:port; returns the two descriptors (client, server). */
static int pair_connect(struct pair *p, int lfd, uint16_t port, int *cfd, int *sfd)
{
	*cfd = utcp_socket(p->s[0]);
	struct utcp_sockaddr dst = {utcp_ipv4(10, 0, 0, 2), port};
	int r = utcp_connect(p->s[0], *cfd, &dst);
	if (r != -EINPROGRESS)
		return r;
	pair_pump(p, now_us());
	*sfd = utcp_accept(p->s[1], lfd, NULL);
	return *sfd >= 0 ? 0 : *sfd;
}

static int listen_on(struct utcp_stack *s, uint16_t port)
{
	int fd = utcp_socket(s);
	struct utcp_sockaddr a = {0, port};
	int one = 1;
	utcp_setsockopt(s, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, &one, sizeof(one));
	if (utcp_bind(s, fd, &a) || utcp_listen(s, fd, 65535))
		return -1;
	return fd;
}

/* --- the three measurements --- */

static double bench_bulk(uint64_t bytes, uint32_t mss, uint32_t window)
{
	struct pair p;
	if (pair_init(&p, mss, window, 32768) != 0)
		return -1;
	int lfd = listen_on(p.s[1], 5001), cfd, sfd;
	if (lfd < 0 || pair_connect(&p, lfd, 5001, &cfd, &sfd) != 0) {
		pair_free(&p);
		return -1;
	}
	static uint8_t buf[1 << 16];
	memset(buf, 0xa5, sizeof(buf));
	uint64_t sent = 0, got = 0;
	struct tool_progress pr;
	tool_progress_start(&pr, "utcp bench: bulk");
	utcp_time_us t0 = now_us();
	while (got < bytes) {
		while (sent < bytes) {
			uint64_t left = bytes - sent;
			ssize_t n = utcp_send(p.s[0], cfd, buf, left < sizeof(buf) ? left : sizeof(buf), 0);
			if (n <= 0)
				break;
			sent += (uint64_t)n;
		}
		utcp_time_us now = now_us();
		pair_pump(&p, now);
		ssize_t n;
		while ((n = utcp_recv(p.s[1], sfd, buf, sizeof(buf), 0)) > 0)
			got += (uint64_t)n;
		pair_pump(&p, now);
		tool_progress_update(&pr, got, bytes, now - t0);
	}
	double secs = (now_us() - t0) / 1e6;
	tool_progress_end(&pr);
	pair_free(&p);
	return secs > 0 ? bytes * 8.0 / secs / 1e9 : 0;
}

static double bench_rate(uint32_t conns)
{
	struct pair p;
	if (pair_init(&p, 1460, 65536, 1024) != 0)
		return -1;
	int lfd = listen_on(p.s[1], 5001);
	utcp_time_us t0 = now_us();
	uint32_t done = 0;
	for (; done < conns; done++) {
		int cfd, sfd;
		if (pair_connect(&p, lfd, 5001, &cfd, &sfd) != 0)
			break;
		utcp_close(p.s[0], cfd); /* the client closes first: TIME_WAIT there */
		pair_pump(&p, now_us());
		char c;
		if (utcp_recv(p.s[1], sfd, &c, 1, 0) != 0)
			break;
		utcp_close(p.s[1], sfd);
		pair_pump(&p, now_us());
	}
	double secs = (now_us() - t0) / 1e6;
	pair_free(&p);
	return done == conns && secs > 0 ? conns / secs : -1;
}

/* Bytes per idle established connection on the server side. */
static double bench_memory(uint32_t conns, uint64_t *client_bytes)
{
	struct pair p;
	if (pair_init(&p, 1460, 4u << 20, 1024) != 0)
		return -1;
	int l1 = listen_on(p.s[1], 5001), l2 = listen_on(p.s[1], 5002);
	/* Warm the tables up a little, then measure the growth. */
	size_t base_s = utcp_stack_mem_in_use(p.s[1]), base_c = utcp_stack_mem_in_use(p.s[0]);
	for (uint32_t i = 0; i < conns; i++) {
		int cfd, sfd;
		if (pair_connect(&p, i % 2 ? l2 : l1, i % 2 ? 5002 : 5001, &cfd, &sfd) != 0) {
			pair_free(&p);
			return -1;
		}
	}
	double per = (double)(utcp_stack_mem_in_use(p.s[1]) - base_s) / conns;
	*client_bytes = (utcp_stack_mem_in_use(p.s[0]) - base_c) / conns;
	pair_free(&p);
	return per;
}

struct bench_opts {
	uint64_t bytes, window;
	uint32_t mss, conns, idle;
	const char *only;
	bool json;
};

static bool bench_needs_value(const char *name)
{
	return strcmp(name, "json") != 0 && strcmp(name, "help") != 0;
}

static void bench_parse(int argc, char **argv, struct bench_opts *o)
{
	*o = (struct bench_opts){.bytes = 2000000000ull, .window = 1u << 20, .mss = 1460,
				 .conns = 50000, .idle = 100000};
	struct args a;
	const char *name, *v;
	bool pos;
	args_init(&a, argc, argv);
	while ((name = args_next(&a, bench_needs_value, &v, &pos))) {
		if (pos)
			args_usage_error("unexpected argument '%s'", v);
		else if (!strcmp(name, "help")) {
			fputs(bench_help, stdout);
			exit(0);
		} else if (!strcmp(name, "bytes"))
			o->bytes = parse_size(name, v);
		else if (!strcmp(name, "mss"))
			o->mss = (uint32_t)parse_uint(name, v, 88, 1960);
		else if (!strcmp(name, "window"))
			o->window = parse_size(name, v);
		else if (!strcmp(name, "conns"))
			o->conns = (uint32_t)parse_uint(name, v, 1, 10000000);
		else if (!strcmp(name, "idle"))
			o->idle = (uint32_t)parse_uint(name, v, 1, 120000);
		else if (!strcmp(name, "only")) {
			if (strcmp(v, "bulk") && strcmp(v, "rate") && strcmp(v, "memory"))
				args_usage_error("bad value '%s' for --only: bulk, rate or memory", v);
			o->only = v;
		} else if (!strcmp(name, "json"))
			o->json = true;
		else
			args_usage_error("unknown option '--%s'", name);
	}
	if (o->window < 4096 || o->window > (1u << 30))
		args_usage_error("bad value for --window: expected 4KiB to 1GiB");
}

static bool want(const struct bench_opts *o, const char *t)
{
	return !o->only || !strcmp(o->only, t);
}

int cmd_bench(int argc, char **argv)
{
	args_prog = "utcp bench";
	struct bench_opts o;
	bench_parse(argc, argv, &o);
	double gbps = -1, rate = -1, mem = -1;
	uint64_t client_mem = 0;
	if (want(&o, "bulk"))
		gbps = bench_bulk(o.bytes, o.mss, (uint32_t)o.window);
	if (want(&o, "rate"))
		rate = bench_rate(o.conns);
	if (want(&o, "memory"))
		mem = bench_memory(o.idle, &client_mem);
	bool failed = (want(&o, "bulk") && gbps < 0) || (want(&o, "rate") && rate < 0) ||
		      (want(&o, "memory") && mem < 0);
	if (o.json) {
		printf("{\"bulk_gbps\":%.3f,\"conn_per_sec\":%.0f,\"bytes_per_conn\":%.0f}\n", gbps,
		       rate, mem);
	} else {
		if (want(&o, "bulk"))
			printf("bulk_gbps       %.3f   (one connection, MSS %u, window %" PRIu64 ")\n",
			       gbps, o.mss, o.window);
		if (want(&o, "rate"))
			printf("conn_per_sec    %.0f   (%u connections opened and closed)\n", rate,
			       o.conns);
		if (want(&o, "memory"))
			printf("bytes_per_conn  %.0f   (server side, %u idle connections; client side %" PRIu64 ")\n",
			       mem, o.idle, client_mem);
	}
	if (failed)
		fprintf(stderr, "utcp bench: a measurement failed (see above)\n");
	return failed ? 1 : 0;
}
