/*
 * A server on the socket API, driven by the stack's readiness events: a
 * listening socket, and for each accepted connection a small state
 * machine supplied by an application (echo, discard, source, http). The
 * framework accepts, finds the connection of an event by descriptor,
 * collects errors, and writes one line per finished connection.
 */
#ifndef UTCP_APP_SERVER_H
#define UTCP_APP_SERVER_H

#include "utcp/socket.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct app_conn;
struct sha256;

/* What an application does. */
struct app_ops {
	const char *name;
	size_t state_size; /* bytes of per-connection state (app_state()) */
	/* Required: make progress (read, write, close) after an event. */
	void (*step)(struct app_conn *c);
	/* Optional: a connection was accepted (before its first step). */
	void (*open)(struct app_conn *c);
	/* Optional: the connection ends; append text to its log line and
	 * release what the state holds (files). */
	void (*finish)(struct app_conn *c, char *extra, size_t len);
};

struct app_server;

struct app_conn {
	struct app_server *srv;
	int fd;
	struct utcp_sockaddr peer;
	uint64_t rx, tx; /* payload bytes received and sent */
	bool eof;        /* the peer's FIN has been read */
	bool shut_wr;    /* we shut down our sending side */
	bool closed;     /* the descriptor is closed: freed after this step */
	int error;       /* positive errno; the framework then aborts */
	_Alignas(max_align_t) unsigned char state[];
};

static inline void *app_state(struct app_conn *c)
{
	return c->state;
}

struct app_server {
	struct utcp_stack *stack;
	int listen_fd;
	const struct app_ops *ops;
	const void *cfg; /* the application's configuration */
	FILE *log;       /* one line per finished connection, or NULL */
	struct app_conn **by_fd;
	size_t cap;
	uint64_t accepted, finished, failed;
};

/* Listen on addr:port (addr 0: any) with `backlog` and serve with ops.
 * Returns 0 or a negative errno (-EADDRINUSE, ...). */
int app_server_listen(struct app_server *srv, struct utcp_stack *s, uint32_t addr,
		      uint16_t port, int backlog, const struct app_ops *ops, const void *cfg,
		      FILE *log);

/* Route a readiness event (struct utcp_stack_config.on_event). Returns
 * false when fd is none of this server's. */
bool app_server_event(struct app_server *srv, int fd, unsigned events);

/* Close the listener and every connection (aborting), free everything. */
void app_server_close(struct app_server *srv);

/* For applications: recv that keeps the books. Returns bytes read (> 0),
 * 0 when nothing is waiting or at end of stream (c->eof says which), or a
 * negative errno (c->error is set). */
ssize_t app_recv(struct app_conn *c, void *buf, size_t len);
/* send that keeps the books. Returns bytes queued (0: the buffer is full,
 * wait for the next event), or a negative errno (c->error is set). */
ssize_t app_send(struct app_conn *c, const void *buf, size_t len);
/* Shut down our sending side (once): the peer reads end of stream. */
void app_shutdown(struct app_conn *c);
/* Close the descriptor: the connection ends gracefully if all was read. */
void app_close(struct app_conn *c);
/* For a finish hook: end sha and append " sha256=<64 hex digits>" to the
 * log line, the form the tests compare with sha256sum. */
void app_finish_sha256(struct sha256 *sha, char *extra, size_t len);

/* The applications. */
extern const struct app_ops app_echo_ops;    /* RFC 862 */
extern const struct app_ops app_discard_ops; /* RFC 863, with SHA-256 */
extern const struct app_ops app_source_ops;  /* cfg: const uint64_t *bytes */

/* The pseudo-random stream `source` sends (app/bulk.h's, this seed). */
#define APP_SOURCE_SEED 0x75746370u /* "utcp" */

#endif
