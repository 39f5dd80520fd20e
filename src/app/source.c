/*
 * Source: sends a given number of bytes of a fixed pseudo-random stream
 * (app/bulk.h's, seed APP_SOURCE_SEED), then shuts down its sending side,
 * so the peer reads end of stream after exactly that many bytes. What the
 * peer sends meanwhile is read and thrown away; we close when the peer has
 * finished too (closing earlier, with unread data, would reset). The log
 * line carries the SHA-256 of what was sent.
 */
#include "app/bulk.h"
#include "app/server.h"
#include "util/sha256.h"

struct source_state {
	uint64_t total;
	struct sha256 sha;
	uint8_t chunk[16384]; /* the stream's next bytes, not yet accepted */
	size_t len, off;
};

static void source_open(struct app_conn *c)
{
	struct source_state *st = app_state(c);
	st->total = *(const uint64_t *)c->srv->cfg;
	sha256_init(&st->sha);
}

static bool send_stream(struct app_conn *c, struct source_state *st)
{
	for (;;) {
		if (st->off == st->len) {
			uint64_t left = st->total - c->tx;
			if (left == 0)
				return true;
			st->len = left < sizeof(st->chunk) ? (size_t)left : sizeof(st->chunk);
			st->off = 0;
			bulk_stream_fill(APP_SOURCE_SEED, c->tx, st->chunk, st->len);
			sha256_update(&st->sha, st->chunk, st->len);
		}
		ssize_t n = app_send(c, st->chunk + st->off, st->len - st->off);
		if (n <= 0)
			return false;
		st->off += (size_t)n;
	}
}

static void source_step(struct app_conn *c)
{
	struct source_state *st = app_state(c);
	if (!c->shut_wr && send_stream(c, st))
		app_shutdown(c);
	uint8_t buf[4096];
	while (app_recv(c, buf, sizeof(buf)) > 0)
		;
	if (c->eof && c->shut_wr)
		app_close(c);
}

static void source_finish(struct app_conn *c, char *extra, size_t len)
{
	struct source_state *st = app_state(c);
	app_finish_sha256(&st->sha, extra, len);
}

const struct app_ops app_source_ops = {
	.name = "source",
	.state_size = sizeof(struct source_state),
	.step = source_step,
	.open = source_open,
	.finish = source_finish,
};
