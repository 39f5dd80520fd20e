/*
 * The simulated world: its virtual clock and the loop that runs events.
 *
 * Time moves only from one event to the next. Two kinds of event exist: a
 * packet arriving at a node (scheduled by a channel) and a host's timer.
 * Stacks report their deadlines rather than scheduling anything, so before
 * each event the world asks every host for its next deadline and, when it
 * is earlier than the host's pending timer event, schedules a new one; the
 * old one is left in the queue and skipped when it comes up (its generation
 * no longer matches). That check is also how the world notices timers that
 * socket calls armed between runs or from event callbacks.
 *
 * Stacks only ever see times that do not go backwards: every event is
 * scheduled at or after the current time and events run in (time, seq)
 * order.
 */
#include "sim/sim_internal.h"

#include <assert.h>
#include <stdlib.h>

/* Create a world at time 0. Returns NULL when out of memory. */
struct utcp_sim *utcp_sim_new(uint64_t seed)
{
	struct utcp_sim *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->seed = seed;
	sim_rng_seed(&w->rng, seed, SIM_STREAM_WORLD);
	return w;
}

/* Free the world: stacks (nothing is sent), channels (captures closed),
 * events and pools. NULL is fine. */
void utcp_sim_free(struct utcp_sim *w)
{
	if (!w)
		return;
	assert(!w->in_event);
	for (size_t i = 0; i < w->n_nodes; i++)
		sim_node_free(w->nodes[i]);
	for (size_t i = 0; i < w->n_chans; i++)
		sim_channel_free(w->chans[i]);
	sim_events_free(w);
	free(w->nodes);
	free(w->chans);
	free(w);
}

utcp_time_us utcp_sim_now(const struct utcp_sim *w)
{
	return w->now;
}

uint64_t utcp_sim_rand(struct utcp_sim *w)
{
	return sim_rng_next(&w->rng);
}

/* Schedule a timer event for every host whose stack now wants to run
 * earlier than its pending timer event (if any). Out of memory, a host
 * keeps its old timer and the next check tries again. */
static void check_deadlines(struct utcp_sim *w)
{
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct sim_node *n = w->nodes[i];
		if (n->kind != SIM_NODE_HOST)
			continue;
		utcp_time_us d = utcp_stack_next_deadline(n->stack);
		if (d == UTCP_TIME_NEVER || d >= n->timer_at)
			continue;
		struct sim_event *ev = sim_event_get(w);
		if (!ev)
			return;
		ev->kind = SIM_EV_TIMER;
		ev->node = n->id;
		ev->gen = n->timer_gen + 1;
		utcp_time_us at = d > w->now ? d : w->now;
		if (sim_evq_push(w, ev, at) < 0) {
			sim_event_put(w, ev);
			return;
		}
		n->timer_gen++;
		n->timer_at = at;
	}
}

/* Is ev a timer event that a later one superseded? */
static bool event_stale(const struct utcp_sim *w, const struct sim_event *ev)
{
	return ev->kind == SIM_EV_TIMER && ev->gen != sim_node(w, ev->node)->timer_gen;
}

/* The earliest live event if it is due at or before limit, else NULL.
 * Superseded timer events at the head of the queue are discarded. */
static struct sim_event *peek_due(struct utcp_sim *w, utcp_time_us limit)
{
	struct sim_event *ev;
	while ((ev = sim_evq_top(w)) && event_stale(w, ev))
		sim_event_put(w, sim_evq_pop(w));
	return ev && ev->at <= limit ? ev : NULL;
}

/* Run one event: advance the clock to it and deliver it. */
static void dispatch(struct utcp_sim *w, struct sim_event *ev)
{
	assert(ev->at >= w->now);
	w->now = ev->at;
	w->in_event = true;
	if (ev->kind == SIM_EV_TIMER) {
		struct sim_node *n = sim_node(w, ev->node);
		n->timer_at = UTCP_TIME_NEVER;
		(void)utcp_stack_poll(n->stack, ev->at);
	} else {
		sim_channel_arrived(w, ev->ch, ev->buf);
		sim_node_receive(w, ev->node, ev->buf->data, ev->buf->len, ev->at);
	}
	w->in_event = false;
	sim_event_put(w, ev);
}

/* Check deadlines, then run the next event if it is due by limit.
 * Returns false (running nothing) when none is. */
static bool run_one(struct utcp_sim *w, utcp_time_us limit)
{
	check_deadlines(w);
	if (!peek_due(w, limit))
		return false;
	dispatch(w, sim_evq_pop(w));
	return true;
}

/* Bring the clock and every host's stack to t (>= now). Returns true when
 * that left events due by t (packets the stacks sent, timers they armed). */
static bool settle_at(struct utcp_sim *w, utcp_time_us t)
{
	w->now = t;
	w->in_event = true;
	for (size_t i = 0; i < w->n_nodes; i++)
		if (w->nodes[i]->kind == SIM_NODE_HOST)
			(void)utcp_stack_poll(w->nodes[i]->stack, t);
	w->in_event = false;
	check_deadlines(w);
	return peek_due(w, t) != NULL;
}

/* Run every event due by t, then bring all clocks to t; repeat while that
 * creates more. A t in the past runs what is due now. */
void utcp_sim_run_until(struct utcp_sim *w, utcp_time_us t)
{
	assert(!w->in_event);
	if (t < w->now)
		t = w->now;
	do {
		while (run_one(w, t))
			;
	} while (settle_at(w, t));
}

void utcp_sim_run_for(struct utcp_sim *w, utcp_time_us d)
{
	utcp_time_us t = w->now + d;
	utcp_sim_run_until(w, t < w->now ? UTCP_TIME_NEVER : t);
}

/* Run events one at a time while done(ctx) is false and they are due by
 * limit. Returns true as soon as done() holds (checked first, after every
 * event and after bringing the clocks to limit); otherwise the world ends
 * at limit, as after utcp_sim_run_until(limit), and it returns false. */
bool utcp_sim_run_while(struct utcp_sim *w, bool (*done)(void *ctx), void *ctx, utcp_time_us limit)
{
	assert(!w->in_event);
	if (done(ctx))
		return true;
	if (limit < w->now)
		limit = w->now;
	for (;;) {
		while (run_one(w, limit))
			if (done(ctx)) {
				/* Every stack's clock to the world's, so that what the
				 * caller does next acts at the right time. */
				(void)settle_at(w, w->now);
				return true;
			}
		bool more = settle_at(w, limit);
		if (done(ctx))
			return true;
		if (!more)
			return false;
	}
}

/* Run the next event, whenever it is due. Returns false when nothing is
 * scheduled (the clock then stays where it is). */
bool utcp_sim_step(struct utcp_sim *w)
{
	assert(!w->in_event);
	return run_one(w, UTCP_TIME_NEVER);
}
