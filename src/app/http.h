/*
 * HTTP/1.1 (RFC 9110 semantics, RFC 9112 message syntax) for the static
 * file server and the client of `utcp serve --app http:DIR` and `utcp
 * get`: the parsing both need, and the two applications.
 */
#ifndef UTCP_APP_HTTP_H
#define UTCP_APP_HTTP_H

#include "app/server.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HTTP_HEAD_MAX 8192 /* request or response head (line + fields) */

/* --- parsing helpers (http.c) --- */

/* The length of the head at p[0..len) (through the empty line), or 0 when
 * it is not complete yet. */
size_t http_head_len(const char *p, size_t len);

/* The value of field `name` (case-insensitive) in a head, trimmed, copied
 * into out (NUL-terminated). Returns true when present. Line folding
 * (obsolete, RFC 9112 5.2) is not supported. */
bool http_field(const char *head, size_t len, const char *name, char *out, size_t cap);

/* True when the comma-separated field value has `token` (case-insensitive). */
bool http_has_token(const char *value, const char *token);

/* A Content-Length value (RFC 9110 8.6): digits only. Returns 0 and sets
 * *out, or -1 when invalid. */
int http_parse_length(const char *value, uint64_t *out);

/* --- the static file server (http_server.c) --- */

struct http_server_cfg {
	char root[PATH_MAX];             /* the directory, resolved (realpath) */
	time_t (*wall_clock)(time_t *);  /* for Date (RFC 9110 6.6.1); NULL: none */
};

/* Check dir and fill cfg. Returns 0 or a negative errno (-ENOTDIR, ...). */
int http_server_cfg_init(struct http_server_cfg *cfg, const char *dir,
			 time_t (*wall_clock)(time_t *));

extern const struct app_ops app_http_ops; /* cfg: const struct http_server_cfg * */

/* --- the client (http_client.c) --- */

struct http_get_cfg {
	struct utcp_sockaddr server;
	const char *authority; /* Host field: "10.0.0.1:8080" */
	const char *path;      /* request target: "/big.bin" */
	uint32_t repeat;       /* requests to make, on one connection while the
			        * server keeps it open */
	/* A response begins (index counts from 0) and its body arrives. */
	void (*begin)(void *ctx, uint32_t index, int status);
	void (*body)(void *ctx, uint32_t index, const uint8_t *p, size_t n);
	void *ctx;
};

enum http_get_state { HG_CONNECTING, HG_SENDING, HG_HEAD, HG_BODY, HG_DONE, HG_FAILED };

struct http_get {
	struct utcp_stack *stack;
	struct http_get_cfg cfg;
	enum http_get_state state;
	int fd;
	uint32_t done;          /* responses complete */
	uint32_t connections;   /* connections opened */
	uint32_t ok;            /* responses with status 2xx */
	int status;             /* of the current response */
	uint64_t body_bytes;    /* all bodies */
	int error;              /* positive errno (HG_FAILED) */
	const char *why;        /* or a protocol error (HG_FAILED) */
	/* internals */
	char req[1024];
	size_t req_len, req_off;
	char head[HTTP_HEAD_MAX];
	size_t head_len;
	bool until_close;       /* the body ends when the server closes */
	uint64_t body_left;
	bool server_closes;     /* it said Connection: close (or HTTP/1.0) */
};

/* Start: connect and queue the first request. Returns 0 or a negative
 * errno. Progress comes from http_get_event(). */
int http_get_start(struct http_get *g, struct utcp_stack *s, const struct http_get_cfg *cfg);
/* A readiness event; returns false when fd is not the client's. */
bool http_get_event(struct http_get *g, int fd);
static inline bool http_get_finished(const struct http_get *g)
{
	return g->state == HG_DONE || g->state == HG_FAILED;
}

#endif
