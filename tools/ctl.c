/*
 * The control socket of a running stack (--ctl PATH): a Unix stream
 * socket; a client sends one request line, reads the answer to end of
 * file. Requests and answers (docs/REAL_LINKS.md has the details):
 *
 *   conns    one line per connection and listener:
 *            conn state=ESTABLISHED recv_q=0 send_q=0 local=A:P peer=A:P
 *                 id=N cwnd=... ssthresh=... srtt_us=... rto_us=... ...
 *   summary  state NAME COUNT for every state, then total COUNT
 *   stats    stat NAME VALUE for every counter of the stack
 *   anything else: error unknown request
 *
 * Answered at once inside the event loop (a request is a few bytes and
 * the answer is built in memory), with a 2 s limit on reading the request
 * and on writing the answer, so a stuck client cannot hang the stack.
 */
#define _GNU_SOURCE
#include "realnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static void fmt_ep(char *buf, size_t len, const struct utcp_sockaddr *a, bool listener)
{
	char ip[16];
	if (listener && a->port == 0)
		snprintf(buf, len, "%s:*", utcp_ipv4_format(a->addr, ip, sizeof(ip)));
	else
		snprintf(buf, len, "%s:%u", utcp_ipv4_format(a->addr, ip, sizeof(ip)), a->port);
}

static void conn_line(void *ctx, const struct utcp_conn_summary *c)
{
	FILE *f = ctx;
	const struct utcp_tcp_info *i = &c->info;
	char local[32], peer[32];
	bool lis = c->state == UTCP_LISTEN;
	fmt_ep(local, sizeof(local), &c->local, lis);
	fmt_ep(peer, sizeof(peer), &c->remote, lis);
	fprintf(f,
		"conn state=%s recv_q=%u send_q=%u local=%s peer=%s id=%u fd=%d cwnd=%u "
		"ssthresh=%u srtt_us=%u rttvar_us=%u rto_us=%u snd_mss=%u rcv_mss=%u snd_wnd=%u "
		"rcv_wnd=%u unacked=%u retrans=%u timeouts=%u fast_retrans=%u backoff=%u "
		"snd_wscale=%u rcv_wscale=%u cc=%s ecn=%d\n",
		utcp_state_name(c->state), c->recv_q, c->send_q, local, peer, i->conn_id, c->fd,
		i->cwnd, i->ssthresh, i->srtt_us, i->rttvar_us, i->rto_us, i->snd_mss, i->rcv_mss,
		i->snd_wnd, i->rcv_wnd, i->unacked, i->retransmits, i->timeouts,
		i->fast_retransmits, i->backoff, i->snd_wscale, i->rcv_wscale,
		i->cc[0] ? i->cc : "-", i->ecn);
}

static void stat_line(void *ctx, const char *name, const char *desc, uint64_t value)
{
	(void)desc;
	fprintf(ctx, "stat %s %llu\n", name, (unsigned long long)value);
}

/* The answer to one request line, in f. */
static void answer(struct ctl_server *c, const char *req, FILE *f)
{
	if (!strcmp(req, "conns")) {
		utcp_conn_foreach(c->stack, conn_line, f);
	} else if (!strcmp(req, "summary")) {
		uint32_t counts[UTCP_NUM_STATES], total = 0;
		utcp_count_by_state(c->stack, counts);
		for (int s = 0; s < UTCP_NUM_STATES; s++) {
			fprintf(f, "state %s %u\n", utcp_state_name((enum utcp_tcp_state)s), counts[s]);
			total += counts[s];
		}
		fprintf(f, "total %u\n", total);
	} else if (!strcmp(req, "stats")) {
		struct utcp_stats st;
		utcp_stack_stats(c->stack, &st);
		utcp_stats_foreach(&st, stat_line, f);
	} else {
		fprintf(f, "error unknown request '%.40s'\n", req);
	}
}

static void serve_client(struct ctl_server *c, int cfd)
{
	struct timeval tv = {2, 0};
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char req[128];
	size_t n = 0;
	while (n < sizeof(req) - 1) {
		ssize_t r = read(cfd, req + n, sizeof(req) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = 0;
	req[strcspn(req, "\r\n")] = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	answer(c, req, f);
	fclose(f);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(cfd, text + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(text);
}

static void on_ready(void *ctx, int fd, uint32_t events)
{
	(void)events;
	struct ctl_server *c = ctx;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	serve_client(c, cfd);
	close(cfd);
}

int ctl_open(struct ctl_server *c, const char *path, struct utcp_stack *s, struct loop *l)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	c->stack = s;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -errno;
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path); /* a socket left by an earlier run */
	int err = 0;
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(c->fd, 16) < 0)
		err = -errno;
	if (!err)
		err = loop_watch(l, c->fd, EPOLLIN, on_ready, c);
	if (err) {
		close(c->fd);
		c->fd = -1;
		return err;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
}

void ctl_close(struct ctl_server *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	unlink(c->path);
}
