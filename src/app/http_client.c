/*
 * An HTTP/1.1 client for `utcp get`: `repeat` GET requests for one path,
 * one at a time on one persistent connection (RFC 9112 9.3); if the server
 * closes the connection after a response (Connection: close, or an
 * HTTP/1.0 server), the next request goes on a new one. The last request
 * says Connection: close and we close first after its response.
 *
 * Bodies are framed by Content-Length, or run to the server's close
 * (RFC 9112 6.3 (8)); chunked transfer coding is refused as a protocol
 * error (we never ask for it: our requests are HTTP/1.1, but this client
 * is for files, which servers send with a length).
 */
#include "app/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(struct http_get *g, int err, const char *why)
{
	g->state = HG_FAILED;
	g->error = err;
	g->why = why;
	if (g->fd >= 0) {
		struct utcp_linger lg = {1, 0};
		utcp_setsockopt(g->stack, g->fd, UTCP_SOL_SOCKET, UTCP_SO_LINGER, &lg, sizeof(lg));
		utcp_close(g->stack, g->fd);
		g->fd = -1;
	}
}

static void build_request(struct http_get *g)
{
	bool last = g->done + 1 == g->cfg.repeat;
	int n = snprintf(g->req, sizeof(g->req),
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: utcp\r\nAccept: */*\r\n%s\r\n",
			 g->cfg.path, g->cfg.authority, last ? "Connection: close\r\n" : "");
	g->req_len = n > 0 && (size_t)n < sizeof(g->req) ? (size_t)n : 0;
	g->req_off = 0;
	g->head_len = 0;
	g->state = HG_SENDING;
}

static int open_connection(struct http_get *g)
{
	g->fd = utcp_socket(g->stack);
	if (g->fd < 0)
		return g->fd;
	int r = utcp_connect(g->stack, g->fd, &g->cfg.server);
	if (r != -EINPROGRESS && r != 0) {
		utcp_close(g->stack, g->fd);
		g->fd = -1;
		return r;
	}
	g->connections++;
	g->state = HG_CONNECTING;
	g->server_closes = false;
	return 0;
}

int http_get_start(struct http_get *g, struct utcp_stack *s, const struct http_get_cfg *cfg)
{
	memset(g, 0, sizeof(*g));
	g->stack = s;
	g->cfg = *cfg;
	g->fd = -1;
	if (cfg->repeat == 0) {
		g->state = HG_DONE;
		return 0;
	}
	return open_connection(g);
}

/* The status line and the fields that frame the body. */
static void parse_head(struct http_get *g, size_t hlen)
{
	char value[128];
	int minor, status;
	if (sscanf(g->head, "HTTP/1.%d %3d", &minor, &status) != 2 || status < 100) {
		fail(g, 0, "the server's answer is not HTTP/1.x");
		return;
	}
	if (status < 200) { /* 1xx: an interim response, the real one follows */
		memmove(g->head, g->head + hlen, g->head_len - hlen);
		g->head_len -= hlen;
		return;
	}
	g->status = status;
	bool has_conn = http_field(g->head, hlen, "Connection", value, sizeof(value));
	g->server_closes = minor == 0 ? !(has_conn && http_has_token(value, "keep-alive"))
				      : (has_conn && http_has_token(value, "close"));
	if (http_field(g->head, hlen, "Transfer-Encoding", value, sizeof(value))) {
		fail(g, 0, "chunked transfer coding is not supported");
		return;
	}
	g->until_close = false;
	if (http_field(g->head, hlen, "Content-Length", value, sizeof(value))) {
		if (http_parse_length(value, &g->body_left) != 0) {
			fail(g, 0, "bad Content-Length");
			return;
		}
	} else if (status == 204 || status == 304) {
		g->body_left = 0;
	} else {
		g->until_close = true; /* RFC 9112 6.3 (8) */
		g->server_closes = true;
		g->body_left = UINT64_MAX;
	}
	if (status >= 200 && status < 300)
		g->ok++;
	if (g->cfg.begin)
		g->cfg.begin(g->cfg.ctx, g->done, status);
	g->state = HG_BODY;
	/* Body bytes that came with the head. */
	size_t extra = g->head_len - hlen;
	size_t n = extra < g->body_left ? extra : (size_t)g->body_left;
	if (n && g->cfg.body)
		g->cfg.body(g->cfg.ctx, g->done, (const uint8_t *)g->head + hlen, n);
	g->body_bytes += n;
	g->body_left -= n;
	if (extra > n)
		fail(g, 0, "the server sent more than the response");
}

/* A response is complete: the next request, a new connection, or done. */
static void response_done(struct http_get *g)
{
	g->done++;
	if (g->done == g->cfg.repeat || g->server_closes) {
		utcp_close(g->stack, g->fd);
		g->fd = -1;
		if (g->done == g->cfg.repeat) {
			g->state = HG_DONE;
			return;
		}
		int r = open_connection(g);
		if (r < 0)
			fail(g, -r, NULL);
		return;
	}
	build_request(g);
}

static void read_some(struct http_get *g)
{
	uint8_t buf[16384];
	while (g->state == HG_HEAD || g->state == HG_BODY) {
		if (g->state == HG_BODY && g->body_left == 0) {
			response_done(g);
			return;
		}
		ssize_t r;
		if (g->state == HG_HEAD) {
			size_t hlen = http_head_len(g->head, g->head_len);
			if (hlen) {
				parse_head(g, hlen);
				continue;
			}
			if (g->head_len == sizeof(g->head) - 1) {
				fail(g, 0, "the response head is too long");
				return;
			}
			r = utcp_recv(g->stack, g->fd, g->head + g->head_len,
				      sizeof(g->head) - 1 - g->head_len, 0);
		} else {
			size_t want = g->body_left < sizeof(buf) ? (size_t)g->body_left : sizeof(buf);
			r = utcp_recv(g->stack, g->fd, buf, want, 0);
		}
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			fail(g, (int)-r, NULL);
			return;
		}
		if (r == 0) {
			if (g->state == HG_BODY && g->until_close) {
				g->body_left = 0;
				continue;
			}
			fail(g, 0, "the server closed the connection before the response ended");
			return;
		}
		if (g->state == HG_HEAD) {
			g->head_len += (size_t)r;
			g->head[g->head_len] = 0;
			continue;
		}
		if (g->cfg.body)
			g->cfg.body(g->cfg.ctx, g->done, buf, (size_t)r);
		g->body_bytes += (uint64_t)r;
		g->body_left -= (uint64_t)r;
	}
}

bool http_get_event(struct http_get *g, int fd)
{
	if (fd != g->fd || g->fd < 0)
		return false;
	int ev = utcp_poll_events(g->stack, fd);
	if (ev >= 0 && (ev & UTCP_POLLERR)) {
		int err = 0;
		size_t len = sizeof(err);
		utcp_getsockopt(g->stack, fd, UTCP_SOL_SOCKET, UTCP_SO_ERROR, &err, &len);
		if (err) {
			fail(g, err, NULL);
			return true;
		}
	}
	if (g->state == HG_CONNECTING && ev >= 0 && (ev & UTCP_POLLOUT))
		build_request(g);
	while (g->state == HG_SENDING) {
		while (g->req_off < g->req_len) {
			ssize_t r = utcp_send(g->stack, g->fd, g->req + g->req_off,
					      g->req_len - g->req_off, 0);
			if (r == -EAGAIN || r == 0)
				return true;
			if (r < 0) {
				fail(g, (int)-r, NULL);
				return true;
			}
			g->req_off += (size_t)r;
		}
		g->state = HG_HEAD;
		read_some(g); /* may start the next request on this connection */
	}
	if (g->state == HG_HEAD || g->state == HG_BODY)
		read_some(g);
	return true;
}
