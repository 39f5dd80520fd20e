/*
 * `utcp connect`: a client on a TAP or TUN device, like nc with a
 * half-close: connect to HOST:PORT, send --send (a file, or standard
 * input), shut down the sending side (FIN), and receive into --recv until
 * the peer closes. --repeat N makes N such connections in a row; --drain
 * then keeps the stack running until its connection table is empty (the
 * TIME_WAITs of our active closes have run out), for tests that look for
 * leaked state. Failures print the errno's words: "connection refused".
 */
#define _GNU_SOURCE
#include "args.h"
#include "realnet.h"
#include "tools.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

static const char connect_help_head[] =
	"usage: utcp connect --tap IF --addr A/N HOST:PORT [OPTIONS]\n"
	"\n"
	"Connect to HOST:PORT over a TAP (or TUN) device, send, shut down the sending\n"
	"side (the peer reads end of file), and receive until the peer closes.\n"
	"\n";
static const char connect_help_tail[] =
	"  --send FILE|-    send FILE, or standard input (default: nothing)\n"
	"  --recv FILE|-    write what arrives to FILE, or standard output (default -)\n"
	"  --timeout D      give up a connection attempt after D (default 20s)\n"
	"  --repeat N       make N connections in a row, each sending FILE (default 1)\n"
	"  --drain          then keep running until no connection is left (TIME_WAIT over)\n"
	"  --help           show this help\n"
	"\n"
	"Exit status: 0 when every connection ran to the peer's close, 1 on refusal,\n"
	"reset or timeout (with the reason), 2 for a bad argument.\n";

struct connect_opts {
	struct realnet_opts net;
	struct utcp_sockaddr to;
	const char *target, *send, *recv;
	utcp_time_us timeout;
	uint64_t repeat;
	bool drain;
};

static bool connect_needs_value(const char *name)
{
	return strcmp(name, "help") != 0 && strcmp(name, "drain") != 0;
}

static void parse_target(struct connect_opts *o, const char *v)
{
	char host[32];
	const char *colon = strrchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : 0;
	if (!colon || n == 0 || n >= sizeof(host))
		args_usage_error("bad destination '%s': expected HOST:PORT such as 10.7.0.1:80", v);
	memcpy(host, v, n);
	host[n] = 0;
	if (utcp_ipv4_parse(host, &o->to.addr) != 0)
		args_usage_error("bad address '%s' in '%s': expected a dotted quad", host, v);
	o->to.port = (uint16_t)parse_uint("port", colon + 1, 1, 65535);
	o->target = v;
}

static void connect_parse(int argc, char **argv, struct connect_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->recv = "-";
	o->timeout = UTCP_SEC(20);
	o->repeat = 1;
	struct args a;
	const char *name, *v;
	bool pos;
	args_init(&a, argc, argv);
	while ((name = args_next(&a, connect_needs_value, &v, &pos))) {
		if (pos) {
			if (o->target)
				args_usage_error("unexpected argument '%s'", v);
			parse_target(o, v);
		} else if (!strcmp(name, "help")) {
			fputs(connect_help_head, stdout);
			fputs(realnet_help, stdout);
			fputs(connect_help_tail, stdout);
			exit(0);
		} else if (realnet_option(&o->net, name, v))
			continue;
		else if (!strcmp(name, "send"))
			o->send = v;
		else if (!strcmp(name, "recv"))
			o->recv = v;
		else if (!strcmp(name, "timeout"))
			o->timeout = parse_duration(name, v);
		else if (!strcmp(name, "repeat"))
			o->repeat = parse_uint(name, v, 1, 1000000);
		else if (!strcmp(name, "drain"))
			o->drain = true;
		else
			args_usage_error("unknown option '--%s'", name);
	}
	realnet_require(&o->net);
	if (!o->target)
		args_usage_error("missing HOST:PORT");
	if (o->repeat > 1 && o->send && !strcmp(o->send, "-"))
		args_usage_error("--repeat needs --send FILE (standard input can be read once)");
}

struct client {
	struct realnet *rn;
	const struct connect_opts *o;
	int in_fd;          /* what we send, or -1 */
	bool in_regular;    /* a file: read with pread, never waits */
	bool in_watched;
	FILE *out;          /* where received bytes go, or NULL */
	int fd;             /* the connection, -1 between connections */
	uint64_t made;      /* connections finished */
	uint64_t in_off;    /* bytes of input sent on this connection */
	uint8_t buf[65536];
	size_t len, off;    /* input read but not yet accepted by the stack */
	bool in_eof, shut, eof, connected;
	utcp_time_us started_at;
	uint64_t sent, received;
	int error;          /* positive errno: ends everything */
	bool finished;      /* all connections done */
	struct tool_progress progress;
};

static void step(struct client *c);

static void on_stack_event(void *ctx, int fd, unsigned events)
{
	(void)events;
	struct client *c = ctx;
	if (fd == c->fd)
		step(c);
}

static void on_input(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	step(ctx);
}

static void open_connection(struct client *c)
{
	struct utcp_stack *s = c->rn->stack;
	c->fd = utcp_socket(s);
	int r = c->fd < 0 ? c->fd : utcp_connect(s, c->fd, &c->o->to);
	if (r != -EINPROGRESS && r != 0) {
		c->error = -r;
		return;
	}
	c->in_off = 0;
	c->len = c->off = 0;
	c->in_eof = c->shut = c->eof = c->connected = false;
	c->in_eof = c->in_fd < 0;
	c->started_at = loop_now();
}

/* Fill the buffer from the input. Returns false when it must wait. */
static bool read_input(struct client *c)
{
	ssize_t n = c->in_regular ? pread(c->in_fd, c->buf, sizeof(c->buf), (off_t)c->in_off)
				  : read(c->in_fd, c->buf, sizeof(c->buf));
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return false;
		c->error = errno;
		return false;
	}
	if (n == 0)
		c->in_eof = true;
	c->len = (size_t)n;
	c->off = 0;
	c->in_off += (uint64_t)n;
	return true;
}

static void pump_out(struct client *c)
{
	struct utcp_stack *s = c->rn->stack;
	while (!c->shut && !c->error) {
		if (c->off == c->len) {
			if (c->in_eof) {
				c->shut = true;
				utcp_shutdown(s, c->fd, UTCP_SHUT_WR); /* our FIN */
				return;
			}
			if (!read_input(c))
				return;
			continue;
		}
		ssize_t r = utcp_send(s, c->fd, c->buf + c->off, c->len - c->off, 0);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			c->error = (int)-r;
			return;
		}
		c->off += (size_t)r;
		c->sent += (uint64_t)r;
	}
}

static void pump_in(struct client *c)
{
	uint8_t buf[65536];
	for (;;) {
		ssize_t r = utcp_recv(c->rn->stack, c->fd, buf, sizeof(buf), 0);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			c->error = (int)-r;
			return;
		}
		if (r == 0) {
			c->eof = true;
			return;
		}
		c->received += (uint64_t)r;
		if (c->out && fwrite(buf, 1, (size_t)r, c->out) != (size_t)r) {
			c->error = errno ? errno : EIO;
			return;
		}
	}
}

static void step(struct client *c)
{
	struct utcp_stack *s = c->rn->stack;
	while (c->fd >= 0 && !c->error) {
		int ev = utcp_poll_events(s, c->fd);
		if (ev & UTCP_POLLERR) {
			int err = 0;
			size_t len = sizeof(err);
			utcp_getsockopt(s, c->fd, UTCP_SOL_SOCKET, UTCP_SO_ERROR, &err, &len);
			if (err) {
				c->error = err;
				return;
			}
		}
		if (!c->connected && !(ev & UTCP_POLLOUT))
			return;
		c->connected = true;
		pump_out(c);
		pump_in(c);
		tool_progress_update_wall(&c->progress, c->sent + c->received);
		if (c->error || !c->eof || !c->shut)
			return;
		utcp_close(s, c->fd); /* both ways done: we closed first, TIME_WAIT is ours */
		c->fd = -1;
		if (++c->made == c->o->repeat) {
			c->finished = true;
			return;
		}
		open_connection(c);
	}
}

static bool table_empty(struct utcp_stack *s)
{
	uint32_t counts[UTCP_NUM_STATES], total = 0;
	utcp_count_by_state(s, counts);
	for (int i = 0; i < UTCP_NUM_STATES; i++)
		total += counts[i];
	return total == 0;
}

static bool client_done(void *ctx)
{
	struct client *c = ctx;
	if (c->error)
		return true;
	if (!c->finished) {
		if (c->fd >= 0 && !c->connected && loop_now() - c->started_at > c->o->timeout)
			c->error = ETIMEDOUT;
		return c->error != 0;
	}
	return !c->o->drain || table_empty(c->rn->stack);
}

static int open_files(struct client *c, const struct connect_opts *o)
{
	c->in_fd = -1;
	if (o->send && !strcmp(o->send, "-")) {
		c->in_fd = STDIN_FILENO;
	} else if (o->send) {
		c->in_fd = open(o->send, O_RDONLY | O_CLOEXEC);
		if (c->in_fd < 0) {
			fprintf(stderr, "%s: %s: %s\n", args_prog, o->send, realnet_errtext(errno));
			return -1;
		}
	}
	struct stat st;
	c->in_regular = c->in_fd >= 0 && fstat(c->in_fd, &st) == 0 && S_ISREG(st.st_mode);
	if (c->in_fd >= 0 && !c->in_regular)
		fcntl(c->in_fd, F_SETFL, fcntl(c->in_fd, F_GETFL) | O_NONBLOCK);
	if (!strcmp(o->recv, "-"))
		c->out = stdout;
	else if (strcmp(o->recv, "/dev/null") != 0 && !(c->out = fopen(o->recv, "wb"))) {
		fprintf(stderr, "%s: %s: %s\n", args_prog, o->recv, realnet_errtext(errno));
		return -1;
	}
	return 0;
}

int cmd_connect(int argc, char **argv)
{
	args_prog = "utcp connect";
	struct connect_opts o;
	connect_parse(argc, argv, &o);
	static struct client c; /* large buffers */
	c.o = &o;
	c.fd = -1;
	if (open_files(&c, &o) != 0)
		return 1;
	struct realnet rn;
	c.rn = &rn;
	if (realnet_start(&rn, &o.net, on_stack_event, &c) != 0)
		return 1;
	if (c.in_fd >= 0 && !c.in_regular &&
	    loop_watch(&rn.loop, c.in_fd, EPOLLIN | EPOLLET, on_input, &c) == 0)
		c.in_watched = true;
	tool_progress_start(&c.progress, "connect");
	open_connection(&c);
	int err = loop_run(&rn.loop, client_done, &c);
	tool_progress_end(&c.progress);
	if (err && !c.error)
		c.error = -err;
	if (c.out && c.out != stdout)
		fclose(c.out);
	else if (c.out)
		fflush(stdout);
	if (!c.error && !c.finished)
		c.error = EINTR; /* a signal ended the run */
	if (c.error)
		fprintf(stderr, "%s: %s: %s\n", args_prog, o.target, realnet_errtext(c.error));
	else if (o.repeat > 1)
		fprintf(stderr, "%s: %llu connections, %llu bytes sent, %llu received\n", args_prog,
			(unsigned long long)c.made, (unsigned long long)c.sent,
			(unsigned long long)c.received);
	if (c.in_fd > STDIN_FILENO)
		close(c.in_fd);
	int status = realnet_stop(&rn);
	return c.error || status ? 1 : 0;
}
