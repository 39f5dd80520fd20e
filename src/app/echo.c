/*
 * Echo (RFC 862): every byte received is sent back. Reading stops while
 * the reply waits for room in the send buffer, so a peer that does not
 * read its echo is slowed by flow control, not by our memory. At the
 * peer's end of stream, once all is echoed, we close.
 */
#include "app/server.h"

#define ECHO_BUF 16384

struct echo_state {
	uint8_t buf[ECHO_BUF];
	size_t len, off; /* bytes in buf, of which off already sent */
};

static void echo_step(struct app_conn *c)
{
	struct echo_state *e = app_state(c);
	for (;;) {
		while (e->off < e->len) {
			ssize_t n = app_send(c, e->buf + e->off, e->len - e->off);
			if (n <= 0)
				return; /* full (wait for room) or failed */
			e->off += (size_t)n;
		}
		e->len = e->off = 0;
		if (c->eof)
			break;
		ssize_t n = app_recv(c, e->buf, sizeof(e->buf));
		if (n < 0 || (n == 0 && !c->eof))
			return;
		e->len = (size_t)n;
	}
	app_close(c); /* all echoed and the peer is done: FIN */
}

const struct app_ops app_echo_ops = {
	.name = "echo",
	.state_size = sizeof(struct echo_state),
	.step = echo_step,
};
