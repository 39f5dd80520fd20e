/* Scenario fixtures: see fixture.h. */
#include "fixture.h"

#include "stack/stack_internal.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

#include <stdlib.h>

static void record(struct fixture *f, int host, const struct utcp_trace_event *ev)
{
	if (f->n_ev == f->cap_ev) {
		f->cap_ev = f->cap_ev ? f->cap_ev * 2 : 256;
		f->ev = realloc(f->ev, f->cap_ev * sizeof(*f->ev));
		REQUIRE(f->ev != NULL);
	}
	f->ev[f->n_ev].host = host;
	f->ev[f->n_ev].ev = *ev; /* drop reasons are static strings */
	f->n_ev++;
}

/* One trace callback per host; the context is the fixture. */
static void trace_a(void *ctx, const struct utcp_trace_event *ev)
{
	record(ctx, FX_A, ev);
}

static void trace_b(void *ctx, const struct utcp_trace_event *ev)
{
	record(ctx, FX_B, ev);
}

static void raw_rx(void *ctx, utcp_time_us at, const uint8_t *pkt, size_t len)
{
	struct fixture *f = ctx;
	struct ipv4_hdr ip;
	REQUIRE(ipv4_parse(pkt, len, &ip) == IPV4_OK);
	if (ip.proto != IPV4_PROTO_TCP) {
		f->n_raw_other++; /* ICMP and the like: counted, not kept */
		return;
	}
	const uint8_t *seg = pkt + ip.hdr_len;
	size_t seg_len = ip.total_len - ip.hdr_len;
	CHECK(tcp_checksum_ok(seg, seg_len, ip.src, ip.dst));
	if (f->n_raw == f->cap_raw) {
		f->cap_raw = f->cap_raw ? f->cap_raw * 2 : 64;
		f->raw = realloc(f->raw, f->cap_raw * sizeof(*f->raw));
		REQUIRE(f->raw != NULL);
	}
	struct fx_raw_seg *r = &f->raw[f->n_raw++];
	REQUIRE(tcp_parse(seg, seg_len, &r->h) == TCP_OK);
	r->at = at;
	r->len = (uint32_t)(seg_len - r->h.hdr_len);
	r->src = ip.src;
	r->dst = ip.dst;
	r->tos = ip.tos;
	memcpy(r->data, seg + r->h.hdr_len, r->len < sizeof(r->data) ? r->len : sizeof(r->data));
}

/* Scenario tests see classic TCP (no SACK, no timestamps) unless they ask
 * for more, so that the segments they assert read as the lessons do. */
void fx_default_cfg(struct utcp_stack_config *c)
{
	utcp_stack_config_default(c);
	c->sack = false;
	c->timestamps = false;
}

struct fixture *fx_new(const struct fx_opts *o)
{
	struct fixture *f = calloc(1, sizeof(*f));
	REQUIRE(f != NULL);
	f->w = utcp_sim_new(o->seed ? o->seed : 1);
	REQUIRE(f->w != NULL);
	struct utcp_stack_config ca, cb;
	if (o->has_cfg) {
		ca = o->cfg_a;
		cb = o->cfg_b;
	} else {
		fx_default_cfg(&ca);
		fx_default_cfg(&cb);
	}
	ca.trace = trace_a;
	ca.trace_ctx = f;
	cb.trace = trace_b;
	cb.trace_ctx = f;
	f->node[FX_A] = utcp_sim_host_add(f->w, "A", FX_ADDR_A, 24, 0, &ca);
	REQUIRE(f->node[FX_A] >= 0);
	if (o->raw_peer)
		f->node[FX_B] = utcp_sim_raw_add(f->w, "P", FX_ADDR_B, raw_rx, f);
	else
		f->node[FX_B] = utcp_sim_host_add(f->w, "B", FX_ADDR_B, 24, 0, &cb);
	REQUIRE(f->node[FX_B] >= 0);
	struct utcp_sim_channel_config ch = {
		.delay = o->delay ? o->delay : UTCP_MS(10),
		.rate_bps = o->rate_bps,
		.queue_pkts = o->queue_pkts,
		.loss = o->loss,
	};
	REQUIRE(utcp_sim_connect(f->w, f->node[FX_A], f->node[FX_B], &ch, &ch, &f->ch_ab,
				 &f->ch_ba) == 0);
	f->s[FX_A] = utcp_sim_stack(f->w, f->node[FX_A]);
	f->s[FX_B] = o->raw_peer ? NULL : utcp_sim_stack(f->w, f->node[FX_B]);
	return f;
}

unsigned fx_sockets_alive(struct fixture *f, int host)
{
	unsigned n = 0;
	if (!f->s[host])
		return 0;
	for (struct usock *u = f->s[host]->all_head; u; u = u->all_next)
		n++;
	return n;
}

void fx_free(struct fixture *f)
{
	utcp_sim_free(f->w);
	free(f->ev);
	free(f->raw);
	free(f);
}

void fx_run(struct fixture *f, utcp_time_us d)
{
	utcp_sim_run_for(f->w, d);
}

void fx_run_until(struct fixture *f, utcp_time_us t)
{
	utcp_sim_run_until(f->w, t);
}

utcp_time_us fx_now(struct fixture *f)
{
	return utcp_sim_now(f->w);
}

void fx_setint(struct fixture *f, int h, int fd, int level, int name, int v)
{
	REQUIRE_EQ(utcp_setsockopt(f->s[h], fd, level, name, &v, sizeof(v)), 0);
}

static void pin_isn(struct fixture *f, int h, int fd, uint32_t isn)
{
	if (isn)
		REQUIRE_EQ(utcp_setsockopt(f->s[h], fd, UTCP_SOL_UTCP, UTCP_UTCP_ISN, &isn,
					   sizeof(isn)),
			   0);
}

int fx_listen(struct fixture *f, int h, uint16_t port, uint32_t isn)
{
	int fd = utcp_socket(f->s[h]);
	REQUIRE(fd >= 0);
	pin_isn(f, h, fd, isn);
	struct utcp_sockaddr a = {0, port};
	REQUIRE_EQ(utcp_bind(f->s[h], fd, &a), 0);
	REQUIRE_EQ(utcp_listen(f->s[h], fd, 16), 0);
	return fd;
}

int fx_connect(struct fixture *f, int h, uint16_t port, uint32_t isn)
{
	int fd = utcp_socket(f->s[h]);
	REQUIRE(fd >= 0);
	pin_isn(f, h, fd, isn);
	struct utcp_sockaddr a = {h == FX_A ? FX_ADDR_B : FX_ADDR_A, port};
	REQUIRE_EQ(utcp_connect(f->s[h], fd, &a), -EINPROGRESS);
	return fd;
}

size_t fx_sent(struct fixture *f, int h, const struct fx_event **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_ev && n < max; i++)
		if (f->ev[i].host == h && f->ev[i].ev.type == UTCP_TR_SEG_OUT)
			out[n++] = &f->ev[i];
	return n;
}

const char *fx_seg_str(const struct utcp_trace_seg *g, char *buf, size_t len)
{
	struct tcp_hdr h;
	memset(&h, 0, sizeof(h));
	h.seq = g->seq;
	h.ack = g->ack;
	h.flags = g->flags;
	h.wnd = g->wnd;
	h.urp = g->urp;
	h.opts = g->opts;
	return tcp_format(buf, len, &h, g->len);
}

const char *fx_states(struct fixture *f, int h, uint32_t conn_id, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < f->n_ev; i++) {
		const struct fx_event *e = &f->ev[i];
		if (e->host != h || e->ev.type != UTCP_TR_STATE || e->ev.conn_id != conn_id)
			continue;
		if (used == 0)
			used += (size_t)snprintf(buf + used, len - used, "%s",
						 utcp_state_name(e->ev.u.state.from));
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, " %s",
						 utcp_state_name(e->ev.u.state.to));
	}
	return buf;
}

uint32_t fx_conn_id(struct fixture *f, int h, int fd)
{
	return fx_info(f, h, fd).conn_id;
}

void fx_expect_sent(struct fixture *f, int h, size_t from, const char *const *want,
		    size_t n, const char *file, int line)
{
	char got[64][160];
	size_t k = 0, seen = 0;
	for (size_t i = 0; i < f->n_ev; i++) {
		const struct fx_event *e = &f->ev[i];
		if (e->host != h || e->ev.type != UTCP_TR_SEG_OUT)
			continue;
		if (seen++ < from)
			continue;
		if (k < 64)
			fx_seg_str(&e->ev.u.seg, got[k], sizeof(got[k]));
		k++;
	}
	bool same = k == n;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(got[i], want[i]) == 0;
	if (same)
		return;
	test_fail_at(file, line, "host %c sent %zu segments, expected %zu:", "AB"[h], k, n);
	size_t m = k > n ? k : n;
	for (size_t i = 0; i < m && i < 64; i++)
		fprintf(stderr, "      %-2zu got  %-48s want %s\n", i,
			i < k ? got[i] : "-", i < n ? want[i] : "-");
}

void fx_raw_send(struct fixture *f, uint16_t sport, uint16_t aport, uint8_t flags,
		 uint32_t seq, uint32_t ack, uint16_t wnd, const void *data, uint32_t len,
		 const struct utcp_tcp_opts *opts)
{
	struct tcp_hdr h;
	memset(&h, 0, sizeof(h));
	h.sport = sport;
	h.dport = aport;
	h.seq = seq;
	h.ack = ack;
	h.flags = flags;
	h.wnd = wnd;
	if (opts)
		h.opts = *opts;
	fx_raw_send_hdr(f, &h, data, len);
}

const struct fx_raw_seg *fx_raw_next(struct fixture *f)
{
	return f->raw_read < f->n_raw ? &f->raw[f->raw_read++] : NULL;
}

const char *fx_raw_str(const struct fx_raw_seg *s, char *buf, size_t len)
{
	return tcp_format(buf, len, &s->h, s->len);
}

const struct fx_raw_seg *fx_raw_expect(struct fixture *f, const char *want,
				       const char *file, int line)
{
	const struct fx_raw_seg *s = fx_raw_next(f);
	char got[160];
	if (!s) {
		test_fail_at(file, line, "expected \"%s\", A sent nothing", want);
		return NULL;
	}
	fx_raw_str(s, got, sizeof(got));
	if (strcmp(got, want) != 0)
		test_fail_at(file, line, "expected \"%s\", A sent \"%s\" at %.3f ms", want, got,
			     s->at / 1000.0);
	return s;
}

void fx_raw_expect_none(struct fixture *f, const char *file, int line)
{
	const struct fx_raw_seg *s = fx_raw_next(f);
	if (s) {
		char got[160];
		test_fail_at(file, line, "expected nothing, A sent \"%s\" at %.3f ms",
			     fx_raw_str(s, got, sizeof(got)), s->at / 1000.0);
	}
}

/* --- helpers for the state-machine, RFC-rule and lesson L5-L7 tests --- */

int fx_so_error(struct fixture *f, int h, int fd)
{
	int err = -1;
	size_t len = sizeof(err);
	REQUIRE_EQ(utcp_getsockopt(f->s[h], fd, UTCP_SOL_SOCKET, UTCP_SO_ERROR, &err, &len),
		   0);
	return err;
}

struct utcp_tcp_info fx_info(struct fixture *f, int h, int fd)
{
	struct utcp_tcp_info info;
	size_t len = sizeof(info);
	REQUIRE_EQ(utcp_getsockopt(f->s[h], fd, UTCP_SOL_TCP, UTCP_TCP_INFO, &info, &len), 0);
	return info;
}

enum utcp_tcp_state fx_state(struct fixture *f, int h, int fd)
{
	return fx_info(f, h, fd).state;
}

utcp_time_us fx_state_at(struct fixture *f, int h, uint32_t conn_id,
			 enum utcp_tcp_state to)
{
	utcp_time_us at = UTCP_TIME_NEVER;
	for (size_t i = 0; i < f->n_ev; i++) {
		const struct fx_event *e = &f->ev[i];
		if (e->host == h && e->ev.type == UTCP_TR_STATE && e->ev.conn_id == conn_id &&
		    e->ev.u.state.to == to)
			at = e->ev.at;
	}
	return at;
}

size_t fx_n_sent(struct fixture *f, int h)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_ev; i++)
		if (f->ev[i].host == h && f->ev[i].ev.type == UTCP_TR_SEG_OUT)
			n++;
	return n;
}

struct utcp_stats fx_stats(struct fixture *f, int h)
{
	struct utcp_stats st;
	utcp_stack_stats(f->s[h], &st);
	return st;
}

uint32_t fx_count(struct fixture *f, int h, enum utcp_tcp_state st)
{
	uint32_t counts[UTCP_NUM_STATES];
	utcp_count_by_state(f->s[h], counts);
	return counts[st];
}

int fx_socket_4k(struct fixture *f, int h, uint32_t isn)
{
	int fd = utcp_socket(f->s[h]);
	REQUIRE(fd >= 0);
	fx_setint(f, h, fd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, 4096);
	fx_setint(f, h, fd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, 4096);
	pin_isn(f, h, fd, isn);
	return fd;
}

void fx_abort(struct fixture *f, int h, int fd)
{
	struct utcp_linger lg = {1, 0};
	REQUIRE_EQ(utcp_setsockopt(f->s[h], fd, UTCP_SOL_SOCKET, UTCP_SO_LINGER, &lg,
				   sizeof(lg)),
		   0);
	REQUIRE_EQ(utcp_close(f->s[h], fd), 0);
}

void fx_end(struct fixture *f, utcp_time_us settle, const char *file, int line)
{
	if (settle)
		fx_run(f, settle);
	for (int h = FX_A; h <= FX_B; h++) {
		unsigned n = fx_sockets_alive(f, h);
		if (n)
			test_fail_at(file, line, "host %c leaked %u socket%s", "AB"[h], n,
				     n == 1 ? "" : "s");
	}
	fx_free(f);
}

int fx_raw_accept(struct fixture *f, int lfd, uint16_t pport, uint16_t aport,
		  uint32_t isn, uint16_t wnd, uint32_t *a_iss)
{
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1460};
	fx_raw_send(f, pport, aport, UTCP_TH_SYN, isn, 0, wnd, NULL, 0, &mss);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *sa = fx_raw_next(f);
	REQUIRE(sa != NULL);
	REQUIRE_EQ(sa->h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
	REQUIRE_EQ(sa->h.ack, isn + 1);
	*a_iss = sa->h.seq;
	fx_raw_send(f, pport, aport, UTCP_TH_ACK, isn + 1, sa->h.seq + 1, wnd, NULL, 0, NULL);
	fx_run(f, UTCP_MS(10));
	int fd = utcp_accept(f->s[FX_A], lfd, NULL);
	REQUIRE(fd >= 0);
	return fd;
}

/* The defaults of struct fx_dgram make exactly the datagram a stack would
 * send: P -> A, TTL 64, DF, no IP options. */
void fx_raw_send_hdr(struct fixture *f, const struct tcp_hdr *h, const void *data,
		     uint32_t len)
{
	struct fx_dgram d = {.h = *h, .data = data, .len = len};
	fx_raw_send_dgram(f, &d);
}

int fx_listen_4k(struct fixture *f, int h, uint16_t port, uint32_t isn)
{
	int fd = fx_socket_4k(f, h, isn);
	struct utcp_sockaddr a = {0, port};
	REQUIRE_EQ(utcp_bind(f->s[h], fd, &a), 0);
	REQUIRE_EQ(utcp_listen(f->s[h], fd, 16), 0);
	return fd;
}

void fx_establish_4k(struct fixture *f, int *lfd, int *cfd, int *sfd)
{
	*lfd = fx_listen_4k(f, FX_B, 80, 800);
	*cfd = fx_socket_4k(f, FX_A, 100);
	struct utcp_sockaddr b = {FX_ADDR_B, 80};
	REQUIRE_EQ(utcp_connect(f->s[FX_A], *cfd, &b), -EINPROGRESS);
	fx_run(f, UTCP_MS(100));
	*sfd = utcp_accept(f->s[FX_B], *lfd, NULL);
	REQUIRE(*sfd >= 0);
}

struct fixture *fx_new_established(int *lfd, int *cfd, int *sfd)
{
	struct fx_opts o = {0};
	struct fixture *f = fx_new(&o);
	fx_establish_4k(f, lfd, cfd, sfd);
	return f;
}

/* --- helpers for the RFC 9293 conformance tests (docs/CONFORMANCE.md) --- */

size_t fx_dgram_build(const struct fx_dgram *d, uint8_t *pkt, size_t cap)
{
	uint32_t src = d->src || d->exact_addrs ? d->src : FX_ADDR_B;
	uint32_t dst = d->dst || d->exact_addrs ? d->dst : FX_ADDR_A;
	REQUIRE(d->ip_opts_len % 4 == 0 && d->ip_opts_len <= 40);
	REQUIRE(d->tcp_opts_len % 4 == 0 && d->tcp_opts_len <= 40);
	size_t ihl = IPV4_HDR_LEN + d->ip_opts_len;
	uint8_t *seg = pkt + ihl;
	size_t hl;
	if (d->tcp_opts) {
		REQUIRE(cap >= ihl + TCP_HDR_LEN + d->tcp_opts_len + d->len);
		struct tcp_hdr h = d->h;
		memset(&h.opts, 0, sizeof(h.opts));
		tcp_emit(seg, &h);
		memcpy(seg + TCP_HDR_LEN, d->tcp_opts, d->tcp_opts_len);
		hl = TCP_HDR_LEN + d->tcp_opts_len;
		seg[12] = (uint8_t)((hl / 4) << 4);
	} else {
		REQUIRE(cap >= ihl + TCP_HDR_LEN + tcp_options_len(&d->h.opts) + d->len);
		hl = tcp_emit(seg, &d->h);
	}
	if (d->len)
		memcpy(seg + hl, d->data, d->len);
	tcp_fill_checksum(seg, hl + d->len, src, dst);
	size_t total = ihl + hl + d->len;
	struct ipv4_hdr ip = {.tos = d->tos, .total_len = (uint16_t)total,
			      .ttl = d->ttl ? d->ttl : 64, .proto = IPV4_PROTO_TCP,
			      .src = src, .dst = dst, .frag = IPV4_FLAG_DF};
	uint8_t fixed[IPV4_HDR_LEN];
	ipv4_emit(fixed, &ip);
	memcpy(pkt, fixed, IPV4_HDR_LEN);
	if (d->ip_opts_len) {
		memcpy(pkt + IPV4_HDR_LEN, d->ip_opts, d->ip_opts_len);
		pkt[0] = (uint8_t)(0x40 | (ihl / 4));
		pkt[10] = pkt[11] = 0;
		uint16_t c = csum_buf(pkt, ihl);
		pkt[10] = (uint8_t)(c >> 8);
		pkt[11] = (uint8_t)c;
	}
	return total;
}

void fx_raw_send_dgram(struct fixture *f, const struct fx_dgram *d)
{
	uint8_t pkt[IPV4_HDR_LEN + 40 + TCP_MAX_HDR_LEN + 4096];
	size_t n = fx_dgram_build(d, pkt, sizeof(pkt));
	REQUIRE_EQ(utcp_sim_send(f->w, f->node[FX_B], pkt, n), 0);
}

/* --- the raw-peer connection most RFC tests start from --- */

struct fixture *fx_new_raw(const struct utcp_stack_config *cfg)
{
	struct fx_opts o = {.raw_peer = true};
	if (cfg) {
		o.has_cfg = true;
		o.cfg_a = *cfg;
		fx_default_cfg(&o.cfg_b);
	}
	return fx_new(&o);
}

int fx_raw_established(struct fixture *f, int *lfd, uint16_t p_wnd)
{
	*lfd = fx_listen_4k(f, FX_A, 80, 1000);
	uint32_t iss;
	int fd = fx_raw_accept(f, *lfd, FX_PP, 80, 5000, p_wnd, &iss);
	REQUIRE_EQ(iss, 1000);
	return fd;
}

void fx_raw_end(struct fixture *f, int fd, int lfd, const char *file, int line)
{
	if (fd >= 0)
		fx_abort(f, FX_A, fd);
	if (lfd >= 0)
		utcp_close(f->s[FX_A], lfd);
	fx_end(f, UTCP_MS(50), file, line);
}

void fx_raw_send_icmp(struct fixture *f, uint8_t type, uint8_t code, uint16_t mtu,
		      uint16_t aport, uint16_t pport, uint32_t seq)
{
	/* The message: type, code, checksum, unused (or the MTU), then the
	 * quoted IPv4 header and the first 8 bytes of the TCP header. */
	uint8_t icmp[8 + 28];
	memset(icmp, 0, sizeof(icmp));
	icmp[0] = type;
	icmp[1] = code;
	store_be16(icmp + 6, mtu);
	struct ipv4_hdr q = {.total_len = 40, .ttl = 64, .proto = IPV4_PROTO_TCP,
			     .src = FX_ADDR_A, .dst = FX_ADDR_B};
	ipv4_emit(icmp + 8, &q);
	store_be16(icmp + 28, aport);
	store_be16(icmp + 30, pport);
	store_be32(icmp + 32, seq);
	store_be16(icmp + 2, csum_buf(icmp, sizeof(icmp)));
	uint8_t pkt[IPV4_HDR_LEN + sizeof(icmp)];
	struct ipv4_hdr ip = {.total_len = sizeof(pkt), .ttl = 64, .proto = IPV4_PROTO_ICMP,
			      .src = FX_ADDR_B, .dst = FX_ADDR_A};
	ipv4_emit(pkt, &ip);
	memcpy(pkt + IPV4_HDR_LEN, icmp, sizeof(icmp));
	REQUIRE_EQ(utcp_sim_send(f->w, f->node[FX_B], pkt, sizeof(pkt)), 0);
}
