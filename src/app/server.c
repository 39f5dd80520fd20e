/* The server framework; see server.h. */
#include "app/server.h"
#include "util/sha256.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int app_server_listen(struct app_server *srv, struct utcp_stack *s, uint32_t addr,
		      uint16_t port, int backlog, const struct app_ops *ops, const void *cfg,
		      FILE *log)
{
	memset(srv, 0, sizeof(*srv));
	srv->stack = s;
	srv->ops = ops;
	srv->cfg = cfg;
	srv->log = log;
	int fd = utcp_socket(s);
	if (fd < 0)
		return fd;
	int one = 1;
	utcp_setsockopt(s, fd, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR, &one, sizeof(one));
	struct utcp_sockaddr a = {addr, port};
	int r = utcp_bind(s, fd, &a);
	if (r == 0)
		r = utcp_listen(s, fd, backlog);
	if (r < 0) {
		utcp_close(s, fd);
		return r;
	}
	srv->listen_fd = fd;
	return 0;
}

static int remember(struct app_server *srv, struct app_conn *c)
{
	if ((size_t)c->fd >= srv->cap) {
		size_t n = srv->cap ? srv->cap : 64;
		while (n <= (size_t)c->fd)
			n *= 2;
		struct app_conn **t = realloc(srv->by_fd, n * sizeof(*t));
		if (!t)
			return -ENOMEM;
		memset(t + srv->cap, 0, (n - srv->cap) * sizeof(*t));
		srv->by_fd = t;
		srv->cap = n;
	}
	srv->by_fd[c->fd] = c;
	return 0;
}

static const char *peer_text(const struct app_conn *c, char *buf, size_t len)
{
	char a[16];
	snprintf(buf, len, "%s:%u", utcp_ipv4_format(c->peer.addr, a, sizeof(a)), c->peer.port);
	return buf;
}

/* The connection ended: log it and free it. */
static void retire(struct app_server *srv, struct app_conn *c)
{
	char extra[256] = "", peer[32];
	if (srv->ops->finish)
		srv->ops->finish(c, extra, sizeof(extra));
	if (c->error)
		srv->failed++;
	else
		srv->finished++;
	if (srv->log) {
		char why[96] = "";
		if (c->error) { /* "connection reset by peer", as messages quote it */
			snprintf(why, sizeof(why), "%s", strerror(c->error));
			if (why[0] >= 'A' && why[0] <= 'Z' && !(why[1] >= 'A' && why[1] <= 'Z'))
				why[0] = (char)(why[0] - 'A' + 'a');
		}
		fprintf(srv->log, "%s %s received=%llu sent=%llu%s%s%s\n", srv->ops->name,
			peer_text(c, peer, sizeof(peer)), (unsigned long long)c->rx,
			(unsigned long long)c->tx, extra, c->error ? " error=" : "",
			why);
		fflush(srv->log);
	}
	free(c);
}

static void step(struct app_server *srv, struct app_conn *c)
{
	int fd = c->fd;
	int ev = utcp_poll_events(srv->stack, fd);
	if (ev >= 0 && (ev & UTCP_POLLERR) && !c->error) {
		int err = 0;
		size_t len = sizeof(err);
		if (utcp_getsockopt(srv->stack, fd, UTCP_SOL_SOCKET, UTCP_SO_ERROR, &err, &len) == 0)
			c->error = err;
	}
	if (!c->error)
		srv->ops->step(c);
	if (c->error && !c->closed) {
		/* Abort: SO_LINGER 0 makes close send RST (if anything is left). */
		struct utcp_linger lg = {1, 0};
		utcp_setsockopt(srv->stack, fd, UTCP_SOL_SOCKET, UTCP_SO_LINGER, &lg, sizeof(lg));
		app_close(c);
	}
	if (c->closed) {
		srv->by_fd[fd] = NULL;
		retire(srv, c);
	}
}

static void accept_all(struct app_server *srv)
{
	for (;;) {
		struct utcp_sockaddr peer;
		int fd = utcp_accept(srv->stack, srv->listen_fd, &peer);
		if (fd < 0)
			return;
		struct app_conn *c = calloc(1, sizeof(*c) + srv->ops->state_size);
		if (!c) {
			utcp_close(srv->stack, fd);
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		c->peer = peer;
		if (remember(srv, c) != 0) {
			utcp_close(srv->stack, fd);
			free(c);
			continue;
		}
		srv->accepted++;
		if (srv->ops->open)
			srv->ops->open(c);
		step(srv, c);
	}
}

bool app_server_event(struct app_server *srv, int fd, unsigned events)
{
	(void)events;
	if (fd == srv->listen_fd) {
		accept_all(srv);
		return true;
	}
	if (fd < 0 || (size_t)fd >= srv->cap || !srv->by_fd[fd])
		return false;
	step(srv, srv->by_fd[fd]);
	return true;
}

void app_server_close(struct app_server *srv)
{
	for (size_t fd = 0; fd < srv->cap; fd++) {
		struct app_conn *c = srv->by_fd[fd];
		if (!c)
			continue;
		if (!c->error)
			c->error = ECONNABORTED;
		app_close(c);
		retire(srv, c);
	}
	free(srv->by_fd);
	srv->by_fd = NULL;
	srv->cap = 0;
	utcp_close(srv->stack, srv->listen_fd);
}

ssize_t app_recv(struct app_conn *c, void *buf, size_t len)
{
	ssize_t r = utcp_recv(c->srv->stack, c->fd, buf, len, 0);
	if (r > 0) {
		c->rx += (uint64_t)r;
		return r;
	}
	if (r == 0) {
		c->eof = true;
		return 0;
	}
	if (r == -EAGAIN)
		return 0;
	c->error = (int)-r;
	return r;
}

ssize_t app_send(struct app_conn *c, const void *buf, size_t len)
{
	ssize_t r = utcp_send(c->srv->stack, c->fd, buf, len, 0);
	if (r >= 0) {
		c->tx += (uint64_t)r;
		return r;
	}
	if (r == -EAGAIN)
		return 0;
	c->error = (int)-r;
	return r;
}

void app_shutdown(struct app_conn *c)
{
	if (c->shut_wr)
		return;
	c->shut_wr = true;
	int r = utcp_shutdown(c->srv->stack, c->fd, UTCP_SHUT_WR);
	if (r < 0 && !c->error)
		c->error = -r;
}

void app_close(struct app_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	utcp_close(c->srv->stack, c->fd);
}

void app_finish_sha256(struct sha256 *sha, char *extra, size_t len)
{
	uint8_t digest[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	sha256_final(sha, digest);
	sha256_hex(digest, hex);
	snprintf(extra, len, " sha256=%s", hex);
}
