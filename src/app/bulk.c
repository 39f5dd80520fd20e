/* Bulk transfer endpoints; see bulk.h. */
#include "app/bulk.h"

#include <errno.h>
#include <string.h>

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint8_t bulk_stream_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)(mix(seed ^ mix(off >> 3)) >> (8 * (off & 7)));
}

void bulk_stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint64_t word = mix(seed ^ mix((off + i) >> 3));
		for (unsigned b = (unsigned)((off + i) & 7); b < 8 && i < n; b++, i++)
			buf[i] = (uint8_t)(word >> (8 * b));
	}
}

void bulk_end_init(struct bulk_end *e, struct utcp_stack *s, uint64_t send_total,
		   uint64_t send_seed, uint64_t recv_expect, uint64_t recv_seed)
{
	memset(e, 0, sizeof(*e));
	e->stack = s;
	e->fd = -1;
	e->send_total = send_total;
	e->send_seed = send_seed;
	e->recv_expect = recv_expect;
	e->recv_seed = recv_seed;
	e->done_at = UTCP_TIME_NEVER;
}

static void note_error(struct bulk_end *e, long r)
{
	if (!e->error && r < 0 && r != -EAGAIN)
		e->error = (int)-r;
}

static void do_send(struct bulk_end *e)
{
	uint8_t buf[16384];
	while (e->sent < e->send_total) {
		uint64_t left = e->send_total - e->sent;
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		bulk_stream_fill(e->send_seed, e->sent, buf, n);
		ssize_t r = utcp_send(e->stack, e->fd, buf, n, 0);
		if (r <= 0) {
			note_error(e, r);
			return;
		}
		e->sent += (uint64_t)r;
	}
	/* A pure receiver keeps its side open until the peer has finished,
	 * so the sender is the one to close first. */
	if (!e->shut_wr && (e->send_total > 0 || e->eof || e->close_first)) {
		e->shut_wr = true;
		note_error(e, utcp_shutdown(e->stack, e->fd, UTCP_SHUT_WR));
	}
}

static void do_recv(struct bulk_end *e)
{
	uint8_t buf[16384], want[16384];
	for (;;) {
		ssize_t r = utcp_recv(e->stack, e->fd, buf, sizeof(buf), 0);
		if (r < 0) {
			note_error(e, r);
			if (r != -EAGAIN)
				e->eof = true; /* a reset or timeout ends the stream */
			return;
		}
		if (r == 0) {
			e->eof = true;
			e->done_at = utcp_stack_now(e->stack);
			return;
		}
		bulk_stream_fill(e->recv_seed, e->received, want, (size_t)r);
		if (memcmp(buf, want, (size_t)r) != 0)
			e->corrupt = true;
		e->received += (uint64_t)r;
	}
}

void bulk_end_step(struct bulk_end *e)
{
	if (e->fd < 0 || e->closed)
		return;
	int ev = utcp_poll_events(e->stack, e->fd);
	if (ev < 0)
		return;
	if ((ev & UTCP_POLLERR) && !e->error) {
		int err = 0;
		size_t len = sizeof(err);
		if (utcp_getsockopt(e->stack, e->fd, UTCP_SOL_SOCKET, UTCP_SO_ERROR, &err, &len) == 0 &&
		    err)
			e->error = err;
	}
	if (!e->shut_wr && !e->error && (ev & UTCP_POLLOUT))
		do_send(e);
	if (!e->eof) {
		do_recv(e);
		if (e->eof && !e->shut_wr && !e->error)
			do_send(e); /* now the receiver may close its side */
	}
	if ((e->eof && e->shut_wr) || e->error) {
		e->closed = true;
		utcp_close(e->stack, e->fd);
	}
}

bool bulk_end_verified(const struct bulk_end *e)
{
	return !e->corrupt && !e->error && e->received == e->recv_expect && e->eof &&
	       e->sent == e->send_total;
}

void bulk_on_event(void *ctx, int fd, unsigned events)
{
	(void)events;
	struct bulk_host *h = ctx;
	if (fd == h->listen_fd && h->accept_into) {
		struct bulk_end *e = h->accept_into;
		int c = utcp_accept(e->stack, fd, NULL);
		if (c >= 0) {
			e->fd = c;
			h->accept_into = NULL;
			bulk_end_step(e);
		}
		return;
	}
	for (int i = 0; i < h->n_ends; i++)
		if (h->ends[i]->fd == fd)
			bulk_end_step(h->ends[i]);
}
