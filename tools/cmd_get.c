/*
 * `utcp get`: an HTTP/1.1 client over a TAP or TUN device. Fetches
 * http://HOST:PORT/PATH --repeat times, on one connection for as long as
 * the server keeps it open (src/app/http_client.c), writes the body to -o
 * (the last response's, when repeated) and prints a summary line:
 * requests, connections, statuses, bytes, time and rate.
 */
#include "args.h"
#include "realnet.h"
#include "tools.h"

#include "app/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char get_help_head[] =
	"usage: utcp get --tap IF --addr A/N http://HOST:PORT/PATH [OPTIONS]\n"
	"\n"
	"Fetch a URL over a TAP (or TUN) device with HTTP/1.1; with --repeat N, N times\n"
	"on one persistent connection (a new one only when the server closes).\n"
	"\n";
static const char get_help_tail[] =
	"  -o FILE          write the body to FILE (- for standard output; default:\n"
	"                   nowhere); with --repeat, the last response's body\n"
	"  --repeat N       requests to make (default 1)\n"
	"  --timeout D      give up after D without finishing (default 5min)\n"
	"  --help           show this help\n"
	"\n"
	"Exit status: 0 when every response was 2xx and complete, 1 otherwise (refused,\n"
	"reset, timed out, an error status), 2 for a bad argument.\n";

struct get_opts {
	struct realnet_opts net;
	struct utcp_sockaddr server;
	char authority[64];
	const char *path, *url, *out;
	uint64_t repeat;
	utcp_time_us timeout;
};

static bool get_needs_value(const char *name)
{
	return strcmp(name, "help") != 0;
}

static void parse_url(struct get_opts *o, const char *url)
{
	if (strncmp(url, "http://", 7) != 0)
		args_usage_error("bad URL '%s': expected http://HOST:PORT/PATH", url);
	const char *host = url + 7, *slash = strchr(host, '/');
	o->path = slash ? slash : "/";
	size_t n = slash ? (size_t)(slash - host) : strlen(host);
	if (n == 0 || n >= sizeof(o->authority))
		args_usage_error("bad host in URL '%s'", url);
	memcpy(o->authority, host, n);
	o->authority[n] = 0;
	char addr[32];
	const char *colon = strchr(o->authority, ':');
	size_t alen = colon ? (size_t)(colon - o->authority) : n;
	if (alen >= sizeof(addr))
		args_usage_error("bad host in URL '%s'", url);
	memcpy(addr, o->authority, alen);
	addr[alen] = 0;
	if (utcp_ipv4_parse(addr, &o->server.addr) != 0)
		args_usage_error("bad host '%s' in URL '%s': expected an IPv4 address", addr, url);
	o->server.port = colon ? (uint16_t)parse_uint("port", colon + 1, 1, 65535) : 80;
	o->url = url;
}

static void get_parse(int argc, char **argv, struct get_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->repeat = 1;
	o->timeout = UTCP_SEC(300);
	struct args a;
	const char *name, *v;
	bool pos;
	args_init(&a, argc, argv);
	while ((name = args_next(&a, get_needs_value, &v, &pos))) {
		if (pos && !strcmp(v, "-o")) {
			if (a.i >= a.argc)
				args_usage_error("option '-o' needs a value");
			o->out = a.argv[a.i++];
		} else if (pos) {
			if (o->url)
				args_usage_error("unexpected argument '%s'", v);
			parse_url(o, v);
		} else if (!strcmp(name, "help")) {
			fputs(get_help_head, stdout);
			fputs(realnet_help, stdout);
			fputs(get_help_tail, stdout);
			exit(0);
		} else if (realnet_option(&o->net, name, v))
			continue;
		else if (!strcmp(name, "output"))
			o->out = v;
		else if (!strcmp(name, "repeat"))
			o->repeat = parse_uint(name, v, 1, 1000000);
		else if (!strcmp(name, "timeout"))
			o->timeout = parse_duration(name, v);
		else
			args_usage_error("unknown option '--%s'", name);
	}
	realnet_require(&o->net);
	if (!o->url)
		args_usage_error("missing the URL");
}

struct getter {
	struct http_get g;
	FILE *out;
	bool out_failed;
	int statuses[6]; /* responses per status class (1xx..5xx) */
	utcp_time_us started_at, deadline;
	bool timed_out;
	struct tool_progress progress;
};

static void on_begin(void *ctx, uint32_t index, int status)
{
	struct getter *gt = ctx;
	(void)index;
	gt->statuses[status / 100 < 6 ? status / 100 : 0]++;
	if (gt->out && gt->out != stdout) {
		rewind(gt->out); /* -o holds the last body */
		if (ftruncate(fileno(gt->out), 0) != 0)
			gt->out_failed = true;
	}
}

static void on_body(void *ctx, uint32_t index, const uint8_t *p, size_t n)
{
	struct getter *gt = ctx;
	(void)index;
	if (gt->out && fwrite(p, 1, n, gt->out) != n)
		gt->out_failed = true;
	tool_progress_update_wall(&gt->progress, gt->g.body_bytes + n);
}

static void on_stack_event(void *ctx, int fd, unsigned events)
{
	(void)events;
	struct getter *gt = ctx;
	http_get_event(&gt->g, fd);
}

static bool get_done(void *ctx)
{
	struct getter *gt = ctx;
	if (!http_get_finished(&gt->g) && loop_now() > gt->deadline)
		gt->timed_out = true;
	return http_get_finished(&gt->g) || gt->timed_out;
}

static int report(struct getter *gt, const struct get_opts *o)
{
	const struct http_get *g = &gt->g;
	double secs = (double)(loop_now() - gt->started_at) / 1e6;
	if (gt->timed_out || g->state == HG_FAILED) {
		const char *why = gt->timed_out ? realnet_errtext(ETIMEDOUT)
				  : g->why      ? g->why
						: realnet_errtext(g->error);
		fprintf(stderr, "%s: %s: %s (after %u of %llu responses)\n", args_prog, o->url, why,
			g->done, (unsigned long long)o->repeat);
		return 1;
	}
	char b[32];
	printf("%u requests over %u connection(s): %u ok (2xx), %d 4xx, %d 5xx; "
	       "%s of bodies in %.3f s (%.1f Mbit/s)\n",
	       g->done, g->connections, g->ok, gt->statuses[4], gt->statuses[5],
	       fmt_bytes(g->body_bytes, b, sizeof(b)), secs,
	       secs > 0 ? (double)g->body_bytes * 8 / secs / 1e6 : 0.0);
	if (gt->out_failed) {
		fprintf(stderr, "%s: %s: %s\n", args_prog, o->out, realnet_errtext(errno ? errno : EIO));
		return 1;
	}
	return g->ok == g->done ? 0 : 1;
}

int cmd_get(int argc, char **argv)
{
	args_prog = "utcp get";
	struct get_opts o;
	get_parse(argc, argv, &o);
	static struct getter gt;
	if (o.out && !strcmp(o.out, "-"))
		gt.out = stdout;
	else if (o.out && !(gt.out = fopen(o.out, "wb"))) {
		fprintf(stderr, "%s: %s: %s\n", args_prog, o.out, realnet_errtext(errno));
		return 1;
	}
	struct realnet rn;
	if (realnet_start(&rn, &o.net, on_stack_event, &gt) != 0)
		return 1;
	struct http_get_cfg cfg = {.server = o.server, .authority = o.authority, .path = o.path,
				   .repeat = (uint32_t)o.repeat, .begin = on_begin,
				   .body = on_body, .ctx = &gt};
	gt.started_at = loop_now();
	gt.deadline = gt.started_at + o.timeout;
	tool_progress_start(&gt.progress, "get");
	int err = http_get_start(&gt.g, rn.stack, &cfg);
	if (err) {
		gt.g.state = HG_FAILED;
		gt.g.error = -err;
	}
	err = loop_run(&rn.loop, get_done, &gt);
	tool_progress_end(&gt.progress);
	if (err && !http_get_finished(&gt.g)) {
		gt.g.state = HG_FAILED;
		gt.g.error = -err;
	}
	if (!http_get_finished(&gt.g) && !gt.timed_out) {
		gt.g.state = HG_FAILED;
		gt.g.error = EINTR;
	}
	int status = report(&gt, &o);
	if (gt.out && gt.out != stdout && fclose(gt.out) != 0)
		status = 1;
	if (realnet_stop(&rn) != 0)
		status = 1;
	return status;
}
