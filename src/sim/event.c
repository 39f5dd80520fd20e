/*
 * The simulator's event queue and its pools.
 *
 * Events sit in a binary min-heap ordered by (time, sequence number), the
 * number being taken when the event is scheduled: two events at the same
 * microsecond run in the order they were scheduled, so a run depends only
 * on the seed and the calls made. Events and packet buffers are recycled
 * through free lists; once a world has seen its peak load it allocates
 * nothing per packet.
 */
#include "sim/sim_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void *sim_grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return arr;
	size_t n = *cap ? *cap : 8;
	while (n < need)
		n *= 2;
	void *p = realloc(arr, n * elem);
	if (p)
		*cap = n;
	return p;
}

/* A recycled or new event, zeroed. Returns NULL when out of memory. */
struct sim_event *sim_event_get(struct utcp_sim *w)
{
	struct sim_event *ev = w->free_events;
	if (ev)
		w->free_events = ev->next;
	else if (!(ev = malloc(sizeof(*ev))))
		return NULL;
	memset(ev, 0, sizeof(*ev));
	return ev;
}

/* Return ev (not queued) and its buffer, if any, to the pools. */
void sim_event_put(struct utcp_sim *w, struct sim_event *ev)
{
	if (ev->buf)
		sim_buf_put(w, ev->buf);
	ev->buf = NULL;
	ev->next = w->free_events;
	w->free_events = ev;
}

/* The smallest class whose buffers hold len bytes. */
static unsigned buf_class(size_t len)
{
	unsigned cls = 0;
	while (((size_t)64 << cls) < len)
		cls++;
	return cls;
}

/* A buffer holding a copy of data[0..len) (len <= SIM_MAX_PACKET).
 * Returns NULL when out of memory. */
struct sim_buf *sim_buf_get(struct utcp_sim *w, const uint8_t *data, size_t len)
{
	assert(len <= SIM_MAX_PACKET);
	unsigned cls = buf_class(len);
	struct sim_buf *b = w->free_bufs[cls];
	if (b) {
		w->free_bufs[cls] = b->next;
	} else {
		b = malloc(sizeof(*b) + ((size_t)64 << cls));
		if (!b)
			return NULL;
		b->cls = (uint8_t)cls;
	}
	b->next = NULL;
	b->len = (uint32_t)len;
	if (len)
		memcpy(b->data, data, len);
	return b;
}

void sim_buf_put(struct utcp_sim *w, struct sim_buf *b)
{
	b->next = w->free_bufs[b->cls];
	w->free_bufs[b->cls] = b;
}

/* Does event a run before event b? */
static bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void sift_up(struct sim_evq *q, size_t i)
{
	struct sim_event *ev = q->a[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_before(ev, q->a[parent]))
			break;
		q->a[i] = q->a[parent];
		i = parent;
	}
	q->a[i] = ev;
}

static void sift_down(struct sim_evq *q, size_t i)
{
	struct sim_event *ev = q->a[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && ev_before(q->a[c + 1], q->a[c]))
			c++;
		if (!ev_before(q->a[c], ev))
			break;
		q->a[i] = q->a[c];
		i = c;
	}
	q->a[i] = ev;
}

/* Schedule ev at time at (taking the next sequence number). Returns 0, or
 * -ENOMEM when the heap cannot grow (ev is then still the caller's). */
int sim_evq_push(struct utcp_sim *w, struct sim_event *ev, utcp_time_us at)
{
	struct sim_evq *q = &w->evq;
	struct sim_event **a = sim_grow(q->a, &q->cap, q->n + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	q->a = a;
	ev->at = at;
	ev->seq = q->next_seq++;
	q->a[q->n++] = ev;
	sift_up(q, q->n - 1);
	return 0;
}

/* The earliest event, or NULL when nothing is scheduled. */
struct sim_event *sim_evq_top(const struct utcp_sim *w)
{
	return w->evq.n ? w->evq.a[0] : NULL;
}

/* Remove and return the earliest event, or NULL. */
struct sim_event *sim_evq_pop(struct utcp_sim *w)
{
	struct sim_evq *q = &w->evq;
	if (!q->n)
		return NULL;
	struct sim_event *top = q->a[0];
	q->a[0] = q->a[--q->n];
	if (q->n)
		sift_down(q, 0);
	return top;
}

/* Free every event (queued or pooled), their buffers and the pools. */
void sim_events_free(struct utcp_sim *w)
{
	struct sim_event *ev;
	while ((ev = sim_evq_pop(w)))
		sim_event_put(w, ev);
	free(w->evq.a);
	memset(&w->evq, 0, sizeof(w->evq));
	while ((ev = w->free_events)) {
		w->free_events = ev->next;
		free(ev);
	}
	for (unsigned c = 0; c < SIM_BUF_CLASSES; c++) {
		struct sim_buf *b;
		while ((b = w->free_bufs[c])) {
			w->free_bufs[c] = b->next;
			free(b);
		}
	}
}
