/*
 * A static file server, HTTP/1.1 (RFC 9110, RFC 9112): GET and HEAD of
 * regular files under one directory, persistent connections (RFC 9112
 * 9.3: the default in 1.1, on request in 1.0), requests answered in order
 * (pipelined ones wait in the buffer), Content-Length on every response,
 * 404 for what is not there, 403 for a path that would leave the directory
 * ("..", or a symbolic link pointing out: the resolved path must stay
 * under the resolved root).
 *
 * Each connection: read a head, answer it (head, then the file in chunks
 * as the send buffer takes them), then the next. A response with
 * Connection: close ends with shutdown(SHUT_WR); we close once the peer
 * has closed too, so unread requests never turn our close into a reset.
 */
#define _XOPEN_SOURCE 700 /* realpath (XSI) */
#include "app/http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HTTP_CHUNK 16384

struct http_conn {
	char req[HTTP_HEAD_MAX];
	size_t req_len;
	uint64_t body_skip;   /* request body bytes still to throw away */
	char head[1024];      /* response head being sent */
	size_t head_len, head_off;
	int file;             /* file being sent, or -1 */
	off_t file_off;
	uint64_t file_left;
	uint8_t chunk[HTTP_CHUNK];
	size_t chunk_len, chunk_off;
	bool close_after;     /* this response ends the connection */
	bool closing;         /* shut down: waiting for the peer's end */
	uint32_t requests;
};

int http_server_cfg_init(struct http_server_cfg *cfg, const char *dir,
			 time_t (*wall_clock)(time_t *))
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->wall_clock = wall_clock;
	if (!realpath(dir, cfg->root))
		return -errno;
	struct stat st;
	if (stat(cfg->root, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static void http_open(struct app_conn *c)
{
	struct http_conn *h = app_state(c);
	h->file = -1;
}

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
		{".txt", "text/plain; charset=utf-8"}, {".css", "text/css"},
		{".js", "text/javascript"},            {".json", "application/json"},
		{".png", "image/png"},                 {".jpg", "image/jpeg"},
		{".svg", "image/svg+xml"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* The response head: status, Date, type, length, and Connection when it
 * differs from the version's default. */
static void respond(struct app_conn *c, int status, const char *reason, const char *type,
		    uint64_t length, bool http10, const char *extra)
{
	struct http_conn *h = app_state(c);
	const struct http_server_cfg *cfg = c->srv->cfg;
	char date[64] = "";
	if (cfg->wall_clock) {
		time_t t = cfg->wall_clock(NULL);
		struct tm tm;
		if (gmtime_r(&t, &tm)) /* RFC 9110 5.6.7: IMF-fixdate */
			strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
	}
	const char *conn = h->close_after ? "Connection: close\r\n"
			   : http10      ? "Connection: keep-alive\r\n"
					 : "";
	int n = snprintf(h->head, sizeof(h->head),
			 "HTTP/1.1 %d %s\r\n%sServer: utcp\r\nContent-Type: %s\r\n"
			 "Content-Length: %llu\r\n%s%s\r\n",
			 status, reason, date, type, (unsigned long long)length, conn,
			 extra ? extra : "");
	h->head_len = n > 0 && (size_t)n < sizeof(h->head) ? (size_t)n : 0;
	h->head_off = 0;
}

/* An error: a short text body saying the status. */
static void respond_error(struct app_conn *c, int status, const char *reason, bool http10,
			  bool head_only, const char *extra)
{
	struct http_conn *h = app_state(c);
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);
	respond(c, status, reason, "text/plain; charset=utf-8", (uint64_t)n, http10, extra);
	if (!head_only && h->head_len + (size_t)n < sizeof(h->head)) {
		memcpy(h->head + h->head_len, body, (size_t)n);
		h->head_len += (size_t)n;
	}
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decode %XX escapes (RFC 3986 2.1) into out. Returns false for a bad
 * escape, an encoded NUL, or no room. */
static bool percent_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int v = (unsigned char)in[i];
		if (in[i] == '%') {
			int hi = i + 2 < len ? hex_value(in[i + 1]) : -1;
			int lo = i + 2 < len ? hex_value(in[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return false;
			v = hi << 4 | lo;
			i += 2;
		}
		if (v == 0 || o + 1 >= cap)
			return false;
		out[o++] = (char)v;
	}
	out[o] = 0;
	return true;
}

/* True when a path segment of p is "..". */
static bool has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/'))
			return true;
	return false;
}

/* Open the file a target names. Returns the descriptor, or -status. */
static int open_target(const struct http_server_cfg *cfg, const char *target, size_t tlen,
		       uint64_t *size, char *resolved)
{
	/* RFC 9112 3.2.2: the absolute form names the path after the host. */
	if (tlen > 7 && strncasecmp(target, "http://", 7) == 0) {
		const char *slash = memchr(target + 7, '/', tlen - 7);
		if (!slash)
			return -400;
		tlen -= (size_t)(slash - target);
		target = slash;
	}
	if (tlen == 0 || target[0] != '/')
		return -400;
	size_t plen = strcspn(target, "?#");
	if (plen > tlen)
		plen = tlen;
	char path[PATH_MAX], full[PATH_MAX];
	if (!percent_decode(target, plen, path, sizeof(path) - 16))
		return -400;
	if (has_dotdot(path))
		return -403;
	if (path[strlen(path) - 1] == '/')
		strcat(path, "index.html");
	if (snprintf(full, sizeof(full), "%s%s", cfg->root, path) >= (int)sizeof(full))
		return -404;
	if (!realpath(full, resolved))
		return errno == EACCES ? -403 : -404;
	size_t rlen = strlen(cfg->root);
	if (strncmp(resolved, cfg->root, rlen) != 0 || resolved[rlen] != '/')
		return -403; /* a link that points out of the directory */
	int fd = open(resolved, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES ? -403 : -404;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -404;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* The request line: method, target and version (RFC 9112 3). Returns 0,
 * or the status to answer with. */
static int parse_request_line(const char *head, size_t len, char *method, size_t mcap,
			      const char **target, size_t *tlen, bool *http10)
{
	const char *eol = memchr(head, '\n', len);
	const char *sp1 = memchr(head, ' ', len);
	if (!eol || !sp1 || sp1 > eol || (size_t)(sp1 - head) >= mcap || sp1 == head)
		return 400;
	const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return 400;
	memcpy(method, head, (size_t)(sp1 - head));
	method[sp1 - head] = 0;
	*target = sp1 + 1;
	*tlen = (size_t)(sp2 - sp1 - 1);
	const char *v = sp2 + 1, *ve = eol;
	if (ve > v && ve[-1] == '\r')
		ve--;
	if ((size_t)(ve - v) != 8 || strncmp(v, "HTTP/", 5) != 0 || v[6] != '.')
		return 400;
	if (v[5] != '1')
		return 505; /* RFC 9110 15.6.6 */
	*http10 = v[7] == '0';
	return 0;
}

/* Answer the head at h->req[0..hlen). */
static void handle_request(struct app_conn *c, size_t hlen)
{
	struct http_conn *h = app_state(c);
	const struct http_server_cfg *cfg = c->srv->cfg;
	char method[16], conn[128], value[64];
	const char *target;
	size_t tlen;
	bool http10 = false;
	h->requests++;
	int bad = parse_request_line(h->req, hlen, method, sizeof(method), &target, &tlen, &http10);
	bool has_conn = http_field(h->req, hlen, "Connection", conn, sizeof(conn));
	/* RFC 9112 9.3: persistent unless "close" (1.1) or unless asked (1.0). */
	h->close_after = http10 ? !(has_conn && http_has_token(conn, "keep-alive"))
				: (has_conn && http_has_token(conn, "close"));
	if (bad) {
		h->close_after = true;
		respond_error(c, bad, bad == 505 ? "HTTP Version Not Supported" : "Bad Request",
			      http10, false, NULL);
		return;
	}
	bool head_only = strcmp(method, "HEAD") == 0;
	if (http_field(h->req, hlen, "Transfer-Encoding", value, sizeof(value))) {
		h->close_after = true; /* a body we cannot frame: RFC 9112 6.1 */
		respond_error(c, 501, "Not Implemented", http10, head_only, NULL);
		return;
	}
	if (http_field(h->req, hlen, "Content-Length", value, sizeof(value)) &&
	    http_parse_length(value, &h->body_skip) != 0) {
		h->close_after = true; /* RFC 9112 6.3 (5) */
		respond_error(c, 400, "Bad Request", http10, false, NULL);
		return;
	}
	/* RFC 9112 3.2: a 1.1 request without Host is answered with 400. */
	if (!http10 && !http_field(h->req, hlen, "Host", value, sizeof(value))) {
		respond_error(c, 400, "Bad Request", http10, head_only, NULL);
		return;
	}
	if (!head_only && strcmp(method, "GET") != 0) {
		respond_error(c, 405, "Method Not Allowed", http10, false, "Allow: GET, HEAD\r\n");
		return;
	}
	char resolved[PATH_MAX];
	uint64_t size = 0;
	int fd = open_target(cfg, target, tlen, &size, resolved);
	if (fd < 0) {
		int st = -fd;
		respond_error(c, st, st == 400 ? "Bad Request" : st == 403 ? "Forbidden" : "Not Found",
			      http10, head_only, NULL);
		return;
	}
	respond(c, 200, "OK", content_type(resolved), size, http10, NULL);
	if (head_only) {
		close(fd);
		return;
	}
	h->file = fd;
	h->file_off = 0;
	h->file_left = size;
}

/* Send what the current response still has. Returns true when it is all
 * queued; false when the buffer is full (or the connection failed). */
static bool flush_response(struct app_conn *c)
{
	struct http_conn *h = app_state(c);
	while (h->head_off < h->head_len) {
		ssize_t n = app_send(c, h->head + h->head_off, h->head_len - h->head_off);
		if (n <= 0)
			return false;
		h->head_off += (size_t)n;
	}
	while (h->file >= 0) {
		if (h->chunk_off == h->chunk_len) {
			if (h->file_left == 0) {
				close(h->file);
				h->file = -1;
				break;
			}
			size_t want = h->file_left < HTTP_CHUNK ? (size_t)h->file_left : HTTP_CHUNK;
			ssize_t r = pread(h->file, h->chunk, want, h->file_off);
			if (r <= 0) {
				c->error = r < 0 ? errno : EIO; /* the file shrank */
				return false;
			}
			h->chunk_len = (size_t)r;
			h->chunk_off = 0;
			h->file_off += r;
			h->file_left -= (uint64_t)r;
		}
		ssize_t n = app_send(c, h->chunk + h->chunk_off, h->chunk_len - h->chunk_off);
		if (n <= 0)
			return false;
		h->chunk_off += (size_t)n;
	}
	h->head_len = h->head_off = 0;
	return true;
}

/* Throw away request body bytes, first from the buffer. */
static void skip_body(struct app_conn *c)
{
	struct http_conn *h = app_state(c);
	size_t n = h->body_skip < h->req_len ? (size_t)h->body_skip : h->req_len;
	memmove(h->req, h->req + n, h->req_len - n);
	h->req_len -= n;
	h->body_skip -= n;
	uint8_t buf[4096];
	while (h->body_skip > 0) {
		size_t want = h->body_skip < sizeof(buf) ? (size_t)h->body_skip : sizeof(buf);
		ssize_t r = app_recv(c, buf, want);
		if (r <= 0)
			return;
		h->body_skip -= (uint64_t)r;
	}
}

static void http_step(struct app_conn *c)
{
	struct http_conn *h = app_state(c);
	for (;;) {
		if (!flush_response(c))
			return;
		if (h->close_after && !h->closing) {
			h->closing = true;
			app_shutdown(c);
		}
		if (h->closing) {
			uint8_t buf[4096];
			while (app_recv(c, buf, sizeof(buf)) > 0)
				;
			if (c->eof)
				app_close(c);
			return;
		}
		skip_body(c);
		if (h->body_skip > 0)
			return;
		size_t hlen = http_head_len(h->req, h->req_len);
		if (hlen) {
			handle_request(c, hlen);
			memmove(h->req, h->req + hlen, h->req_len - hlen);
			h->req_len -= hlen;
			continue;
		}
		if (h->req_len == sizeof(h->req)) {
			h->close_after = true; /* RFC 6585 5 */
			respond_error(c, 431, "Request Header Fields Too Large", false, false, NULL);
			continue;
		}
		ssize_t n = app_recv(c, h->req + h->req_len, sizeof(h->req) - h->req_len);
		if (n > 0) {
			h->req_len += (size_t)n;
			continue;
		}
		if (c->eof) /* the client is done (a partial head is dropped) */
			app_close(c);
		return;
	}
}

static void http_finish(struct app_conn *c, char *extra, size_t len)
{
	struct http_conn *h = app_state(c);
	if (h->file >= 0)
		close(h->file);
	h->file = -1;
	snprintf(extra, len, " requests=%u", h->requests);
}

const struct app_ops app_http_ops = {
	.name = "http",
	.state_size = sizeof(struct http_conn),
	.step = http_step,
	.open = http_open,
	.finish = http_finish,
};
