/*
 * The lab's world: two simulated hosts, client A (10.0.0.1) and server B
 * (10.0.0.2), on one link; every trace event of both is recorded in order
 * (and, with --out, written as JSON lines; the client's link is captured
 * to a pcap file). Lessons drive the hosts through the socket API with
 * explicit virtual time, as the scenario tests do.
 */
#include "lab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void record(void *ctx, const struct utcp_trace_event *ev)
{
	struct lab_tctx *t = ctx;
	struct lab_world *lw = t->lw;
	lw->ev = lab_xgrow(lw->ev, &lw->cap_ev, lw->n_ev + 1, sizeof(*lw->ev));
	lw->ev[lw->n_ev].host = t->host;
	lw->ev[lw->n_ev].ev = *ev;
	lw->n_ev++;
	if (lw->jsonl) {
		char line[1024];
		size_t n = utcp_trace_json(ev, lw->name[t->host], line, sizeof(line));
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		line[n] = '\n';
		fwrite(line, 1, n + 1, lw->jsonl);
	}
}

void lab_world_cfg_init(struct lab_world_cfg *c, const struct lab_opts *o)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 2; i++) {
		utcp_stack_config_default(&c->cfg[i]);
		c->cfg[i].msl = lab_dur(o->msl, c->cfg[i].msl);
		/* The lessons' TCP is the classic one: no SACK, no timestamps,
		 * so segments carry whole MSS and read as the lesson draws them. */
		c->cfg[i].sack = false;
		c->cfg[i].timestamps = false;
	}
	c->names[0] = "client";
	c->names[1] = "server";
	c->delay = lab_dur(o->rtt, UTCP_MS(20)) / 2;
	c->loss = o->loss;
	c->seed = o->seed;
}

/* With --out: DIR/stem.pcap (the client's link, both directions) and
 * DIR/stem.jsonl (every event of both hosts). */
static int open_files(struct lab_world *lw, const struct lab_opts *o)
{
	char *pcap = lab_strf("%s/%s.pcap", o->out, lw->stem);
	char *jsonl = lab_strf("%s/%s.jsonl", o->out, lw->stem);
	const char *bad = pcap;
	int err = utcp_sim_capture_node(lw->w, lw->node[LAB_A], pcap);
	if (!err) {
		bad = jsonl;
		if (!(lw->jsonl = fopen(jsonl, "w")))
			err = -errno;
	}
	if (err)
		fprintf(stderr, "utcp lab: %s: %s\n", bad, strerror(-err));
	free(pcap);
	free(jsonl);
	lw->files = err == 0;
	return err;
}

int lab_world_open(struct lab_world *lw, const struct lab_world_cfg *c,
		   const struct lab_opts *o, const char *stem)
{
	static const uint32_t addrs[2] = {LAB_ADDR_A, LAB_ADDR_B};
	memset(lw, 0, sizeof(*lw));
	lw->stem = lab_strf("%s", stem);
	lw->delay = c->delay;
	if (!(lw->w = utcp_sim_new(c->seed)))
		return -ENOMEM;
	for (int i = 0; i < 2; i++) {
		struct utcp_stack_config cfg = c->cfg[i];
		lw->name[i] = c->names[i];
		lw->tctx[i] = (struct lab_tctx){lw, i};
		cfg.trace = record;
		cfg.trace_ctx = &lw->tctx[i];
		lw->node[i] = utcp_sim_host_add(lw->w, c->names[i], addrs[i], 24, 0, &cfg);
		if (lw->node[i] < 0)
			return lw->node[i];
		lw->s[i] = utcp_sim_stack(lw->w, lw->node[i]);
	}
	struct utcp_sim_channel_config ch = {.delay = c->delay, .loss = c->loss};
	int err = utcp_sim_connect(lw->w, lw->node[0], lw->node[1], &ch, &ch, &lw->ch[0],
				   &lw->ch[1]);
	if (err)
		return err;
	return o->out ? open_files(lw, o) : 0;
}

void lab_world_close(struct lab_world *lw)
{
	utcp_sim_free(lw->w); /* closes the pcap capture */
	if (lw->jsonl)
		fclose(lw->jsonl);
	free(lw->ev);
	free(lw->stem);
	memset(lw, 0, sizeof(*lw));
}

utcp_time_us lab_now(const struct lab_world *lw)
{
	return utcp_sim_now(lw->w);
}

void lab_run_until(struct lab_world *lw, utcp_time_us t)
{
	if (t > utcp_sim_now(lw->w))
		utcp_sim_run_until(lw->w, t);
}

void lab_run_for(struct lab_world *lw, utcp_time_us d)
{
	utcp_sim_run_for(lw->w, d);
}

struct ready_ctx {
	struct lab_world *lw;
	int h, fd;
	unsigned events;
};

static bool is_ready(void *ctx)
{
	struct ready_ctx *r = ctx;
	int ev = utcp_poll_events(r->lw->s[r->h], r->fd);
	return ev < 0 || ((unsigned)ev & r->events);
}

bool lab_run_until_ready(struct lab_world *lw, int h, int fd, unsigned events,
			 utcp_time_us limit)
{
	struct ready_ctx r = {lw, h, fd, events};
	bool ok = utcp_sim_run_while(lw->w, is_ready, &r, lab_now(lw) + limit);
	/* run_while stops at the event that made fd ready, leaving the other
	 * stack's clock where its last event left it; a call on that stack
	 * would be traced at that older time while its packet enters the
	 * link now. Bring every clock to now (and finish this instant). */
	utcp_sim_run_until(lw->w, utcp_sim_now(lw->w));
	return ok;
}

int lab_setint(struct lab_world *lw, int h, int fd, int level, int name, int v)
{
	return utcp_setsockopt(lw->s[h], fd, level, name, &v, sizeof(v));
}

int lab_socket(struct lab_world *lw, int h, uint32_t mss, uint32_t rcvbuf, uint32_t sndbuf,
	       bool isn_set, uint32_t isn)
{
	struct utcp_stack *s = lw->s[h];
	int fd = utcp_socket(s);
	if (fd < 0)
		return fd;
	int err = 0;
	if (!err && mss)
		err = lab_setint(lw, h, fd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, (int)mss);
	if (!err && rcvbuf)
		err = lab_setint(lw, h, fd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, (int)rcvbuf);
	if (!err && sndbuf)
		err = lab_setint(lw, h, fd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, (int)sndbuf);
	if (!err && isn_set)
		err = utcp_setsockopt(s, fd, UTCP_SOL_UTCP, UTCP_UTCP_ISN, &isn, sizeof(isn));
	if (err) {
		utcp_close(s, fd);
		return err;
	}
	return fd;
}

int lab_listen(struct lab_world *lw, int h, int fd, uint16_t port)
{
	struct utcp_sockaddr a = {0, port};
	int err = utcp_bind(lw->s[h], fd, &a);
	return err ? err : utcp_listen(lw->s[h], fd, 64);
}

int lab_connect(struct lab_world *lw, int h, int fd, uint32_t addr, uint16_t port)
{
	struct utcp_sockaddr to = {addr ? addr : (h == LAB_A ? LAB_ADDR_B : LAB_ADDR_A), port};
	int err = utcp_connect(lw->s[h], fd, &to);
	return err == -EINPROGRESS ? 0 : err;
}

int lab_pair(struct lab_world *lw, bool accept, int *lfd, int *a, int *b)
{
	int err = 0;
	*b = -1;
	*lfd = lab_socket(lw, LAB_B, 0, 4096, 4096, true, 800);
	if (*lfd < 0 || (err = lab_listen(lw, LAB_B, *lfd, 80)) != 0)
		return *lfd < 0 ? *lfd : err;
	*a = lab_socket(lw, LAB_A, 0, 4096, 4096, true, 100);
	if (*a < 0 || (err = lab_connect(lw, LAB_A, *a, 0, 80)) != 0)
		return *a < 0 ? *a : err;
	if (!accept)
		return 0;
	if (!lab_run_until_ready(lw, LAB_B, *lfd, UTCP_POLLIN, UTCP_SEC(600)))
		return -ETIMEDOUT;
	*b = utcp_accept(lw->s[LAB_B], *lfd, NULL);
	lab_run_for(lw, UTCP_MS(50));
	return *b < 0 ? *b : 0;
}

int lab_close_eof(struct lab_world *lw, int a, int b)
{
	char buf[8];
	utcp_close(lw->s[LAB_A], a);
	if (!lab_run_until_ready(lw, LAB_B, b, UTCP_POLLIN, UTCP_SEC(600)) ||
	    utcp_recv(lw->s[LAB_B], b, buf, sizeof(buf), 0) != 0)
		return -EIO;
	return 0;
}

static bool tcp_info(struct lab_world *lw, int h, int fd, struct utcp_tcp_info *info)
{
	size_t len = sizeof(*info);
	return utcp_getsockopt(lw->s[h], fd, UTCP_SOL_TCP, UTCP_TCP_INFO, info, &len) == 0;
}

enum utcp_tcp_state lab_state(struct lab_world *lw, int h, int fd)
{
	struct utcp_tcp_info info;
	return tcp_info(lw, h, fd, &info) ? info.state : UTCP_CLOSED;
}

uint32_t lab_conn_id(struct lab_world *lw, int h, int fd)
{
	struct utcp_tcp_info info;
	return tcp_info(lw, h, fd, &info) ? info.conn_id : 0;
}

int lab_so_error(struct lab_world *lw, int h, int fd)
{
	int err = 0;
	size_t len = sizeof(err);
	if (utcp_getsockopt(lw->s[h], fd, UTCP_SOL_SOCKET, UTCP_SO_ERROR, &err, &len) != 0)
		return 0;
	return err;
}

uint32_t lab_count(struct lab_world *lw, int h, enum utcp_tcp_state st)
{
	uint32_t n[UTCP_NUM_STATES];
	utcp_count_by_state(lw->s[h], n);
	return n[st];
}

const char *lab_states(const struct lab_world *lw, int h, uint32_t conn, char *buf,
		       size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < lw->n_ev && used < len; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host != h || e->ev.type != UTCP_TR_STATE || e->ev.conn_id != conn)
			continue;
		if (used == 0)
			used += (size_t)snprintf(buf, len, "%s",
						 utcp_state_name(e->ev.u.state.from));
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, " %s",
						 utcp_state_name(e->ev.u.state.to));
	}
	return buf;
}

uint32_t lab_conn_entering(const struct lab_world *lw, int h, enum utcp_tcp_state st,
			   size_t from)
{
	for (size_t i = from; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host == h && e->ev.type == UTCP_TR_STATE && e->ev.u.state.to == st)
			return e->ev.conn_id;
	}
	return 0;
}

utcp_time_us lab_state_at(const struct lab_world *lw, int h, uint32_t conn,
			  enum utcp_tcp_state st)
{
	utcp_time_us at = UTCP_TIME_NEVER;
	for (size_t i = 0; i < lw->n_ev; i++) {
		const struct lab_ev *e = &lw->ev[i];
		if (e->host == h && e->ev.type == UTCP_TR_STATE && e->ev.conn_id == conn &&
		    e->ev.u.state.to == st)
			at = e->ev.at;
	}
	return at;
}
