/*
 * `utcp serve`: a server on a TAP or TUN device, answering the Linux
 * kernel (or anything else on the link) with one of the applications of
 * src/app: echo (RFC 862), discard (RFC 863, with byte count and SHA-256
 * per connection), source:BYTES, or http:DIR (static files, HTTP/1.1).
 * One line per finished connection on standard output. Runs until
 * SIGINT or SIGTERM (or --count connections have finished).
 */
#include "args.h"
#include "realnet.h"
#include "tools.h"

#include "app/http.h"
#include "app/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char serve_help_head[] =
	"usage: utcp serve --tap IF --addr A/N --port P --app APP [OPTIONS]\n"
	"\n"
	"Serve APP on utcp's address A, port P, over a TAP (or TUN) device; the kernel's\n"
	"side of the device is another host on the link. APP is one of\n"
	"  echo             send back what arrives (RFC 862)\n"
	"  discard          read and drop; print the byte count and SHA-256 (RFC 863)\n"
	"  source:BYTES     send BYTES of a fixed pseudo-random stream, then close\n"
	"  http:DIR         serve the files under DIR (HTTP/1.1, keep-alive)\n"
	"Each finished connection prints one line: APP PEER received=N sent=N ...\n"
	"\n";
static const char serve_help_tail[] =
	"  --port P         port to listen on (required)\n"
	"  --app APP        the application (required)\n"
	"  --backlog N      accept queue length (default 1024)\n"
	"  --count N        exit after N connections have finished (default: run until killed)\n"
	"  --help           show this help\n"
	"\n"
	"Exit status: 0 after SIGINT/SIGTERM or --count, 1 when the device or stack\n"
	"failed, 2 for a bad argument.\n";

struct serve_opts {
	struct realnet_opts net;
	uint16_t port;
	const char *app;
	uint32_t backlog;
	uint64_t count;
};

static bool serve_needs_value(const char *name)
{
	return strcmp(name, "help") != 0;
}

static void serve_parse(int argc, char **argv, struct serve_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->backlog = 1024;
	struct args a;
	const char *name, *v;
	bool pos;
	args_init(&a, argc, argv);
	while ((name = args_next(&a, serve_needs_value, &v, &pos))) {
		if (pos)
			args_usage_error("unexpected argument '%s'", v);
		else if (!strcmp(name, "help")) {
			fputs(serve_help_head, stdout);
			fputs(realnet_help, stdout);
			fputs(serve_help_tail, stdout);
			exit(0);
		} else if (realnet_option(&o->net, name, v))
			continue;
		else if (!strcmp(name, "port"))
			o->port = (uint16_t)parse_uint(name, v, 1, 65535);
		else if (!strcmp(name, "app"))
			o->app = v;
		else if (!strcmp(name, "backlog"))
			o->backlog = (uint32_t)parse_uint(name, v, 1, 65535);
		else if (!strcmp(name, "count"))
			o->count = parse_uint(name, v, 1, UINT32_MAX);
		else
			args_usage_error("unknown option '--%s'", name);
	}
	realnet_require(&o->net);
	if (!o->port)
		args_usage_error("missing --port P");
	if (!o->app)
		args_usage_error("missing --app APP");
}

/* The application and its configuration, from --app. */
struct serve_app {
	const struct app_ops *ops;
	const void *cfg;
	uint64_t source_bytes;
	struct http_server_cfg http;
};

static void pick_app(const char *spec, struct serve_app *sa)
{
	if (!strcmp(spec, "echo")) {
		sa->ops = &app_echo_ops;
	} else if (!strcmp(spec, "discard")) {
		sa->ops = &app_discard_ops;
	} else if (!strncmp(spec, "source:", 7)) {
		sa->source_bytes = parse_size("app", spec + 7);
		sa->ops = &app_source_ops;
		sa->cfg = &sa->source_bytes;
	} else if (!strncmp(spec, "http:", 5)) {
		int err = http_server_cfg_init(&sa->http, spec + 5, time);
		if (err)
			args_usage_error("bad directory '%s' for --app http: %s", spec + 5,
					 realnet_errtext(-err));
		sa->ops = &app_http_ops;
		sa->cfg = &sa->http;
	} else {
		args_usage_error("unknown application '%s' for --app: expected echo, discard, "
				 "source:BYTES or http:DIR", spec);
	}
}

struct serve_ctx {
	struct app_server srv;
	uint64_t count;
};

static void serve_event(void *ctx, int fd, unsigned events)
{
	struct serve_ctx *sc = ctx;
	app_server_event(&sc->srv, fd, events);
}

static bool serve_done(void *ctx)
{
	struct serve_ctx *sc = ctx;
	return sc->count && sc->srv.finished + sc->srv.failed >= sc->count;
}

int cmd_serve(int argc, char **argv)
{
	args_prog = "utcp serve";
	struct serve_opts o;
	serve_parse(argc, argv, &o);
	static struct serve_app sa; /* large (a path); outlives the loop */
	pick_app(o.app, &sa);
	struct serve_ctx sc = {.count = o.count};
	struct realnet rn;
	if (realnet_start(&rn, &o.net, serve_event, &sc) != 0)
		return 1;
	int err = app_server_listen(&sc.srv, rn.stack, o.net.addr, o.port, (int)o.backlog, sa.ops,
				    sa.cfg, stdout);
	if (err) {
		fprintf(stderr, "%s: port %u: %s\n", args_prog, o.port, realnet_errtext(-err));
		realnet_stop(&rn);
		return 1;
	}
	char ip[16];
	fprintf(stderr, "%s: %s on %s:%u via %s (mtu %u)\n", args_prog, sa.ops->name,
		utcp_ipv4_format(o.net.addr, ip, sizeof(ip)), o.port, rn.dev.name, rn.dev.mtu);
	err = loop_run(&rn.loop, serve_done, &sc);
	int status = 0;
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", args_prog, rn.dev.name, realnet_errtext(-err));
		status = 1;
	}
	app_server_close(&sc.srv);
	if (realnet_stop(&rn) != 0)
		status = 1;
	return status;
}
