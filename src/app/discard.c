/*
 * Discard (RFC 863): everything received is thrown away, after going
 * through SHA-256, so the log line of each connection (byte count and
 * digest) can be checked against what the peer sent. We close when the
 * peer has finished.
 */
#include "app/server.h"
#include "util/sha256.h"

struct discard_state {
	struct sha256 sha;
};

static void discard_open(struct app_conn *c)
{
	struct discard_state *d = app_state(c);
	sha256_init(&d->sha);
}

static void discard_step(struct app_conn *c)
{
	struct discard_state *d = app_state(c);
	uint8_t buf[16384];
	ssize_t n;
	while ((n = app_recv(c, buf, sizeof(buf))) > 0)
		sha256_update(&d->sha, buf, (size_t)n);
	if (c->eof)
		app_close(c);
}

static void discard_finish(struct app_conn *c, char *extra, size_t len)
{
	struct discard_state *d = app_state(c);
	app_finish_sha256(&d->sha, extra, len);
}

const struct app_ops app_discard_ops = {
	.name = "discard",
	.state_size = sizeof(struct discard_state),
	.step = discard_step,
	.open = discard_open,
	.finish = discard_finish,
};
