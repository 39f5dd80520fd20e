/*
 * RFC 9293 conformance at the IP boundary (docs/CONFORMANCE.md): the local
 * address of a connection (MUST-43, MUST-44, MUST-45), remote and source
 * addresses that are not one host (MUST-46, MUST-57, MUST-63), TTL and
 * Diffserv of what TCP sends (MUST-48, MUST-49, SHLD-21, SHLD-22), IP
 * options TCP does not understand (MUST-50), the MSS an interface allows
 * (MUST-67, SHLD-6), the padding of the options we send (MUST-69), and a
 * correct checksum on every segment (MUST-2, checked in every test here).
 *
 * These tests drive one stack directly, with no simulator in between: two
 * interfaces, A0 10.0.0.1/24 and A1 192.168.1.1/24, whose output functions
 * keep every datagram byte for byte, so that a test reads the IP header
 * (source address, TTL, TOS, which interface) of each segment. Time is
 * explicit: a test says when each datagram arrives.
 */
#include "fixture.h"

#include "stack/stack_internal.h"
#include "wire/ipv4.h"

#include <stdlib.h>

#define A0 0x0a000001u  /* 10.0.0.1/24 on interface 0 */
#define P0 0x0a000002u  /* a peer on interface 0's subnet */
#define BC0 0x0a0000ffu /* interface 0's directed broadcast */
#define A1 0xc0a80101u  /* 192.168.1.1/24 on interface 1 */
#define P1 0xc0a80102u  /* a peer on interface 1's subnet */

/* One datagram the stack sent. */
struct wpkt {
	int iface;
	utcp_time_us at;
	size_t len;
	uint8_t b[2048];
	struct ipv4_hdr ip;
	struct tcp_hdr h; /* when ip.proto is TCP */
	uint32_t payload;
};

struct wire;

struct wlink {
	struct wire *w;
	int iface;
};

struct wire {
	struct utcp_stack *s;
	utcp_time_us now;
	struct wlink link[2];
	struct wpkt out[64];
	size_t n_out, rd;
	unsigned tcp_out, csum_ok; /* TCP segments sent; with a valid checksum */
};

static int wire_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct wlink *l = ctx;
	struct wire *w = l->w;
	REQUIRE(w->n_out < sizeof(w->out) / sizeof(w->out[0]));
	REQUIRE(len <= sizeof(w->out[0].b));
	struct wpkt *p = &w->out[w->n_out++];
	memset(p, 0, sizeof(*p));
	p->iface = l->iface;
	p->at = w->now;
	p->len = len;
	memcpy(p->b, pkt, len);
	REQUIRE_EQ(ipv4_parse(p->b, len, &p->ip), IPV4_OK);
	if (p->ip.proto == IPV4_PROTO_TCP) {
		const uint8_t *seg = p->b + p->ip.hdr_len;
		size_t n = p->ip.total_len - p->ip.hdr_len;
		w->tcp_out++;
		if (tcp_checksum_ok(seg, n, p->ip.src, p->ip.dst)) /* MUST-2 */
			w->csum_ok++;
		REQUIRE_EQ(tcp_parse(seg, n, &p->h), TCP_OK);
		p->payload = (uint32_t)(n - p->h.hdr_len);
	}
	return 0;
}

static const struct utcp_link_ops wire_ops = {.output = wire_output};

/* A stack with interface 0 (MTU mtu0) and, when two, interface 1 (MTU
 * 1500). cfg NULL: the defaults with a fixed secret. */
static struct wire *wire_new(const struct utcp_stack_config *cfg, uint16_t mtu0, bool two)
{
	struct wire *w = calloc(1, sizeof(*w));
	REQUIRE(w != NULL);
	struct utcp_stack_config c;
	if (cfg) {
		c = *cfg;
	} else {
		utcp_stack_config_default(&c);
		memcpy(c.secret, "conformance-ip!!", 16);
	}
	REQUIRE_EQ(utcp_stack_new(&c, &w->s), 0);
	for (int i = 0; i < 2; i++)
		w->link[i] = (struct wlink){w, i};
	struct utcp_iface_config i0 = {.name = "a0", .addr = A0, .prefix_len = 24, .mtu = mtu0,
				       .ops = &wire_ops, .link_ctx = &w->link[0]};
	REQUIRE_EQ(utcp_iface_add(w->s, &i0), 0);
	if (two) {
		struct utcp_iface_config i1 = {.name = "a1", .addr = A1, .prefix_len = 24,
					       .mtu = 1500, .ops = &wire_ops,
					       .link_ctx = &w->link[1]};
		REQUIRE_EQ(utcp_iface_add(w->s, &i1), 1);
	}
	return w;
}

/* Let time pass up to t, running every timer on its deadline. */
static void wire_run_until(struct wire *w, utcp_time_us t)
{
	utcp_time_us next;
	while ((next = utcp_stack_next_deadline(w->s)) <= t) {
		if (next > w->now)
			w->now = next;
		utcp_stack_poll(w->s, w->now);
	}
	if (t > w->now)
		w->now = t;
	utcp_stack_poll(w->s, w->now);
}

/* A datagram arrives on interface iface now. */
static void wire_in(struct wire *w, int iface, const struct fx_dgram *d)
{
	uint8_t pkt[IPV4_HDR_LEN + 40 + TCP_MAX_HDR_LEN + 2048];
	size_t n = fx_dgram_build(d, pkt, sizeof(pkt));
	utcp_stack_input(w->s, iface, pkt, n, w->now);
}

/* A TCP segment from src:sport to dst:80 (no options unless o). */
static void wire_seg(struct wire *w, int iface, uint32_t src, uint32_t dst, uint8_t flags,
		     uint32_t seq, uint32_t ack, const char *data, const struct utcp_tcp_opts *o)
{
	struct fx_dgram d = {.src = src, .dst = dst, .exact_addrs = true, .data = data,
			     .len = data ? strlen(data) : 0};
	d.h = (struct tcp_hdr){.sport = 4000, .dport = 80, .seq = seq, .ack = ack,
			       .flags = flags, .wnd = 8192};
	if (o)
		d.h.opts = *o;
	wire_in(w, iface, &d);
}

/* The next datagram the stack sent that the test has not looked at. */
static const struct wpkt *wire_next(struct wire *w)
{
	return w->rd < w->n_out ? &w->out[w->rd++] : NULL;
}

/* Sockets of any kind (connections, listeners, new) the stack holds. */
static unsigned sockets_alive(struct wire *w)
{
	unsigned n = 0;
	for (struct usock *u = w->s->all_head; u; u = u->all_next)
		n++;
	return n;
}

/* Every descriptor is closed by now: let TIME_WAIT (2 * 30 s) and any
 * retransmission run out, check that nothing is left, free. */
static void wire_free(struct wire *w)
{
	wire_run_until(w, w->now + UTCP_SEC(1000));
	CHECK_EQ(sockets_alive(w), 0);
	CHECK_EQ(w->csum_ok, w->tcp_out); /* MUST-2, in every test of this file */
	utcp_stack_free(w->s);
	free(w);
}

/* Close fd with SO_LINGER 0: a RST, nothing left behind. */
static void wire_abort(struct wire *w, int fd)
{
	struct utcp_linger lg = {1, 0};
	REQUIRE_EQ(utcp_setsockopt(w->s, fd, UTCP_SOL_SOCKET, UTCP_SO_LINGER, &lg, sizeof(lg)), 0);
	REQUIRE_EQ(utcp_close(w->s, fd), 0);
}

static const struct utcp_tcp_opts mss1460 = {.has_mss = true, .mss = 1460};

/* A listener on port 80, any local address. */
static int wire_listen(struct wire *w)
{
	int fd = utcp_socket(w->s);
	REQUIRE(fd >= 0);
	struct utcp_sockaddr any = {0, 80};
	REQUIRE_EQ(utcp_bind(w->s, fd, &any), 0);
	REQUIRE_EQ(utcp_listen(w->s, fd, 8), 0);
	return fd;
}

/* ---- MUST-43, MUST-44, MUST-45: the local address ---- */

/* MUST-44: an active open with no local address takes the one of the
 * interface IP picks for the destination, before the SYN leaves (and
 * getsockname says so at once); MUST-45: every later segment uses it. */
TEST(rfc9293_must44_unbound_connect_takes_the_address_of_the_route)
{
	struct wire *w = wire_new(NULL, 1500, true);
	static const struct {
		uint32_t to, want_src;
		int iface;
	} cases[] = {{P1, A1, 1}, {P0, A0, 0}, {0x08080808u, A0, 0} /* default route */};
	for (size_t i = 0; i < 3; i++) {
		int fd = utcp_socket(w->s);
		struct utcp_sockaddr to = {cases[i].to, 80}, me;
		REQUIRE_EQ(utcp_connect(w->s, fd, &to), -EINPROGRESS);
		REQUIRE_EQ(utcp_getsockname(w->s, fd, &me), 0);
		CHECK_EQ(me.addr, cases[i].want_src);
		const struct wpkt *syn = wire_next(w);
		REQUIRE(syn != NULL);
		CHECK_EQ(syn->h.flags, UTCP_TH_SYN);
		CHECK_EQ(syn->ip.src, cases[i].want_src);
		CHECK_EQ(syn->ip.dst, cases[i].to);
		CHECK_EQ(syn->iface, cases[i].iface);
		/* The peer answers; the ACK and data leave from the same address. */
		struct fx_dgram sa = {.src = cases[i].to, .dst = cases[i].want_src};
		sa.h = (struct tcp_hdr){.sport = 80, .dport = me.port, .seq = 7000,
					.ack = syn->h.seq + 1,
					.flags = UTCP_TH_SYN | UTCP_TH_ACK, .wnd = 8192};
		wire_in(w, cases[i].iface, &sa);
		REQUIRE_EQ(utcp_send(w->s, fd, "data", 4, 0), 4);
		const struct wpkt *p;
		int n = 0;
		while ((p = wire_next(w)) != NULL) {
			CHECK_EQ(p->ip.src, cases[i].want_src);
			CHECK_EQ(p->h.sport, me.port);
			n++;
		}
		CHECK_EQ(n, 2); /* the handshake's ACK and the data */
		wire_abort(w, fd);
		p = wire_next(w);
		REQUIRE(p != NULL);
		CHECK(p->h.flags & UTCP_TH_RST);
		CHECK_EQ(p->ip.src, cases[i].want_src); /* even the RST */
	}
	wire_free(w);
}

/* MUST-43: the application may name the local address of an active open;
 * the SYN leaves from it, whichever interface the route takes. A local
 * address that is not ours is refused. */
TEST(rfc9293_must43_connect_from_a_chosen_local_address)
{
	struct wire *w = wire_new(NULL, 1500, true);
	int fd = utcp_socket(w->s);
	struct utcp_sockaddr bad = {0x0a000063u, 0};
	CHECK_EQ(utcp_bind(w->s, fd, &bad), -EADDRNOTAVAIL);
	struct utcp_sockaddr me = {A1, 0}, to = {P0, 80}, got;
	REQUIRE_EQ(utcp_bind(w->s, fd, &me), 0);
	REQUIRE_EQ(utcp_connect(w->s, fd, &to), -EINPROGRESS);
	REQUIRE_EQ(utcp_getsockname(w->s, fd, &got), 0);
	CHECK_EQ(got.addr, A1);
	const struct wpkt *syn = wire_next(w);
	REQUIRE(syn != NULL);
	CHECK_EQ(syn->ip.src, A1); /* the chosen address ... */
	CHECK_EQ(syn->iface, 0);   /* ... out of the interface that reaches P0 */
	CHECK(wire_next(w) == NULL);
	REQUIRE_EQ(utcp_close(w->s, fd), 0);
	wire_free(w);
}

/* MUST-45 on the passive side: a listener on every address answers from
 * the address the SYN was sent to, and keeps using it. */
TEST(rfc9293_must45_passive_open_answers_from_the_address_called)
{
	struct wire *w = wire_new(NULL, 1500, true);
	int lfd = wire_listen(w);
	wire_seg(w, 1, P1, A1, UTCP_TH_SYN, 5000, 0, NULL, &mss1460);
	const struct wpkt *sa = wire_next(w);
	REQUIRE(sa != NULL);
	CHECK_EQ(sa->h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
	CHECK_EQ(sa->ip.src, A1);
	CHECK_EQ(sa->ip.dst, P1);
	CHECK_EQ(sa->iface, 1);
	wire_seg(w, 1, P1, A1, UTCP_TH_ACK, 5001, sa->h.seq + 1, "hello", NULL);
	int fd = utcp_accept(w->s, lfd, NULL);
	REQUIRE(fd >= 0);
	struct utcp_sockaddr me;
	REQUIRE_EQ(utcp_getsockname(w->s, fd, &me), 0);
	CHECK_EQ(me.addr, A1);
	REQUIRE_EQ(utcp_send(w->s, fd, "world", 5, 0), 5);
	char buf[8];
	REQUIRE_EQ(utcp_recv(w->s, fd, buf, sizeof(buf), 0), 5);
	REQUIRE_EQ(utcp_close(w->s, fd), 0);
	const struct wpkt *p;
	int n = 0;
	while ((p = wire_next(w)) != NULL) {
		CHECK_EQ(p->ip.src, A1);
		CHECK_EQ(p->iface, 1);
		n++;
	}
	CHECK_EQ(n, 2); /* "world" (carrying the ACK of "hello"), then the FIN */
	REQUIRE_EQ(utcp_close(w->s, lfd), 0);
	wire_free(w);
}

/* ---- MUST-46, MUST-57, MUST-63: addresses that are not one host ---- */

/* MUST-46: an active open to a broadcast (limited, or directed to a
 * subnet we are on), multicast or otherwise invalid remote address is an
 * error, and nothing is sent. */
TEST(rfc9293_must46_connect_to_broadcast_or_multicast_refused)
{
	struct wire *w = wire_new(NULL, 1500, false);
	static const uint32_t bad[] = {
	    0xffffffffu, /* limited broadcast */
	    0xe0000001u, /* 224.0.0.1, all hosts */
	    0xeffffffau, /* 239.255.255.250 */
	    0xf0000001u, /* class E */
	    0x00000000u, /* "this host" */
	    0x7f000001u, /* loopback, from a wire interface */
	    BC0,         /* the directed broadcast of our subnet (RFC 1122 3.2.1.3) */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = utcp_socket(w->s);
		struct utcp_sockaddr to = {bad[i], 80};
		CHECK_EQ(utcp_connect(w->s, fd, &to), -EINVAL);
		CHECK_EQ(utcp_close(w->s, fd), 0);
	}
	wire_run_until(w, UTCP_SEC(5));
	CHECK(wire_next(w) == NULL);
	/* A unicast address still works. */
	int fd = utcp_socket(w->s);
	struct utcp_sockaddr ok = {P0, 80};
	CHECK_EQ(utcp_connect(w->s, fd, &ok), -EINPROGRESS);
	const struct wpkt *syn = wire_next(w);
	REQUIRE(syn != NULL);
	CHECK_EQ(syn->ip.dst, P0);
	REQUIRE_EQ(utcp_close(w->s, fd), 0);
	wire_free(w);
}

/* MUST-57: a SYN addressed to a broadcast or multicast address is dropped
 * without a word, even with a listener on every address of the port. */
TEST(rfc9293_must57_syn_to_broadcast_or_multicast_dropped)
{
	struct wire *w = wire_new(NULL, 1500, true);
	int lfd = wire_listen(w);
	static const uint32_t dst[] = {0xffffffffu, 0xe0000001u, BC0, 0xc0a801ffu};
	for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++)
		wire_seg(w, 0, P0, dst[i], UTCP_TH_SYN, 5000, 0, NULL, &mss1460);
	wire_run_until(w, UTCP_SEC(5));
	CHECK(wire_next(w) == NULL);
	struct utcp_stats st;
	utcp_stack_stats(w->s, &st);
	CHECK_EQ(st.ip_drop_not_ours, 4);
	CHECK_EQ(st.tcp_in, 0);
	CHECK_EQ(sockets_alive(w), 1); /* no child was made */
	/* The same SYN to our own address is answered. */
	wire_seg(w, 0, P0, A0, UTCP_TH_SYN, 5000, 0, NULL, &mss1460);
	const struct wpkt *sa = wire_next(w);
	REQUIRE(sa != NULL);
	CHECK_EQ(sa->h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
	REQUIRE_EQ(utcp_close(w->s, lfd), 0);
	wire_free(w);
}

/* MUST-63: a SYN whose source cannot be one host (this-network, loopback,
 * multicast, class E, limited broadcast, the directed broadcast of the
 * subnet it came from) is ignored: no SYN,ACK, no RST, no connection. */
TEST(rfc9293_must63_syn_from_invalid_source_ignored)
{
	struct wire *w = wire_new(NULL, 1500, false);
	int lfd = wire_listen(w);
	static const uint32_t src[] = {0x00000000u, 0x00000005u, 0x7f000001u, 0xe0000001u,
				       0xf0000005u, 0xffffffffu, BC0};
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		wire_seg(w, 0, src[i], A0, UTCP_TH_SYN, 5000, 0, NULL, &mss1460);
		/* nor a segment for no connection (it would earn a RST) */
		wire_seg(w, 0, src[i], A0, UTCP_TH_ACK, 5000, 1234, NULL, NULL);
	}
	wire_run_until(w, UTCP_SEC(5));
	CHECK(wire_next(w) == NULL);
	struct utcp_stats st;
	utcp_stack_stats(w->s, &st);
	CHECK_EQ(st.ip_drop_bad_src, 14);
	CHECK_EQ(st.tcp_rst_out, 0);
	CHECK_EQ(sockets_alive(w), 1);
	REQUIRE_EQ(utcp_close(w->s, lfd), 0);
	wire_free(w);
}

/* ---- MUST-48, MUST-49, SHLD-21, SHLD-22: TTL and Diffserv ---- */

/* MUST-49: the TTL of outgoing segments is configurable: stack-wide
 * (utcp_stack_config.ttl) and per connection (UTCP_UTCP_TTL), for the
 * SYN, data, and a listener's children. */
TEST(rfc9293_must49_ttl_configurable)
{
	struct utcp_stack_config cfg;
	utcp_stack_config_default(&cfg);
	cfg.ttl = 100;
	struct wire *w = wire_new(&cfg, 1500, false);
	int a = utcp_socket(w->s), b = utcp_socket(w->s);
	int v = 7;
	REQUIRE_EQ(utcp_setsockopt(w->s, b, UTCP_SOL_UTCP, UTCP_UTCP_TTL, &v, sizeof(v)), 0);
	struct utcp_sockaddr to = {P0, 80};
	REQUIRE_EQ(utcp_connect(w->s, a, &to), -EINPROGRESS);
	REQUIRE_EQ(utcp_connect(w->s, b, &to), -EINPROGRESS);
	const struct wpkt *pa = wire_next(w), *pb = wire_next(w);
	REQUIRE(pa != NULL && pb != NULL);
	CHECK_EQ(pa->ip.ttl, 100);
	CHECK_EQ(pb->ip.ttl, 7);
	/* A RST for a port nobody listens on: the stack's TTL. */
	wire_seg(w, 0, P0, A0, UTCP_TH_SYN, 1, 0, NULL, NULL);
	const struct wpkt *rst = wire_next(w);
	REQUIRE(rst != NULL);
	CHECK(rst->h.flags & UTCP_TH_RST);
	CHECK_EQ(rst->ip.ttl, 100);
	/* A listener's TTL goes to its children. */
	int lfd = wire_listen(w);
	v = 33;
	REQUIRE_EQ(utcp_setsockopt(w->s, lfd, UTCP_SOL_UTCP, UTCP_UTCP_TTL, &v, sizeof(v)), 0);
	wire_seg(w, 0, P0, A0, UTCP_TH_SYN, 5000, 0, NULL, &mss1460);
	const struct wpkt *sa = wire_next(w);
	REQUIRE(sa != NULL);
	CHECK_EQ(sa->h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
	CHECK_EQ(sa->ip.ttl, 33);
	v = 0;
	CHECK_EQ(utcp_setsockopt(w->s, a, UTCP_SOL_UTCP, UTCP_UTCP_TTL, &v, sizeof(v)), -EINVAL);
	utcp_close(w->s, a);
	utcp_close(w->s, b);
	utcp_close(w->s, lfd);
	wire_free(w);
}

/* MUST-48: the application sets the Diffserv field of what it sends;
 * SHLD-22: TCP passes it to IP unchanged; SHLD-21: it may change during
 * the connection, and the next segment carries the new value. */
TEST(rfc9293_must48_tos_set_passed_unchanged_and_changeable)
{
	struct wire *w = wire_new(NULL, 1500, false);
	int lfd = wire_listen(w);
	int v = 0xb8; /* EF */
	REQUIRE_EQ(utcp_setsockopt(w->s, lfd, UTCP_SOL_UTCP, UTCP_UTCP_TOS, &v, sizeof(v)), 0);
	wire_seg(w, 0, P0, A0, UTCP_TH_SYN, 5000, 0, NULL, &mss1460);
	const struct wpkt *sa = wire_next(w);
	REQUIRE(sa != NULL);
	CHECK_EQ(sa->ip.tos, 0xb8); /* the SYN,ACK of a child */
	wire_seg(w, 0, P0, A0, UTCP_TH_ACK, 5001, sa->h.seq + 1, NULL, NULL);
	int fd = utcp_accept(w->s, lfd, NULL);
	REQUIRE(fd >= 0);
	REQUIRE_EQ(utcp_send(w->s, fd, "one", 3, 0), 3);
	const struct wpkt *p = wire_next(w);
	REQUIRE(p != NULL);
	CHECK_EQ(p->payload, 3);
	CHECK_EQ(p->ip.tos, 0xb8);
	/* Changed mid-connection (AF11). */
	v = 0x28;
	REQUIRE_EQ(utcp_setsockopt(w->s, fd, UTCP_SOL_UTCP, UTCP_UTCP_TOS, &v, sizeof(v)), 0);
	int got = -1;
	size_t len = sizeof(got);
	REQUIRE_EQ(utcp_getsockopt(w->s, fd, UTCP_SOL_UTCP, UTCP_UTCP_TOS, &got, &len), 0);
	CHECK_EQ(got, 0x28);
	wire_seg(w, 0, P0, A0, UTCP_TH_ACK, 5001, sa->h.seq + 4, NULL, NULL);
	REQUIRE_EQ(utcp_send(w->s, fd, "two", 3, 0), 3);
	p = wire_next(w);
	REQUIRE(p != NULL);
	CHECK_EQ(p->payload, 3);
	CHECK_EQ(p->ip.tos, 0x28);
	/* A connection that set nothing sends 0. */
	int c = utcp_socket(w->s);
	struct utcp_sockaddr to = {P0, 81};
	REQUIRE_EQ(utcp_connect(w->s, c, &to), -EINPROGRESS);
	p = wire_next(w);
	REQUIRE(p != NULL);
	CHECK_EQ(p->ip.tos, 0);
	v = 256;
	CHECK_EQ(utcp_setsockopt(w->s, c, UTCP_SOL_UTCP, UTCP_UTCP_TOS, &v, sizeof(v)), -EINVAL);
	utcp_close(w->s, c);
	wire_abort(w, fd);
	p = wire_next(w);
	REQUIRE(p != NULL);
	CHECK(p->h.flags & UTCP_TH_RST);
	CHECK_EQ(p->ip.tos, 0x28);
	utcp_close(w->s, lfd);
	wire_free(w);
}

/* ---- MUST-50: IP options ---- */

/* MUST-50: IP options TCP does not understand are ignored: a SYN and data
 * in datagrams with options (NOPs and end of list; record route; a
 * timestamp option) open the connection and are delivered. */
TEST(rfc9293_must50_segments_in_datagrams_with_ip_options_accepted)
{
	struct wire *w = wire_new(NULL, 1500, false);
	int lfd = wire_listen(w);
	static const uint8_t nops[4] = {1, 1, 1, 0};
	/* Record route (7), length 11, pointer 4, two empty slots; EOL. */
	static const uint8_t rr[12] = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	/* Timestamp (68), length 12, pointer 5, overflow/flag 0, two slots. */
	static const uint8_t ts[12] = {68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	struct fx_dgram d = {.src = P0, .dst = A0, .ip_opts = rr, .ip_opts_len = sizeof(rr)};
	d.h = (struct tcp_hdr){.sport = 4000, .dport = 80, .seq = 5000, .flags = UTCP_TH_SYN,
			       .wnd = 8192, .opts = mss1460};
	wire_in(w, 0, &d);
	const struct wpkt *sa = wire_next(w);
	REQUIRE(sa != NULL);
	CHECK_EQ(sa->h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
	CHECK_EQ(sa->h.ack, 5001);
	CHECK_EQ(sa->ip.hdr_len, IPV4_HDR_LEN); /* we send no IP options */
	d.ip_opts = nops;
	d.ip_opts_len = sizeof(nops);
	d.h = (struct tcp_hdr){.sport = 4000, .dport = 80, .seq = 5001, .ack = sa->h.seq + 1,
			       .flags = UTCP_TH_ACK, .wnd = 8192};
	d.data = "abc";
	d.len = 3;
	wire_in(w, 0, &d);
	d.ip_opts = ts;
	d.ip_opts_len = sizeof(ts);
	d.h.seq = 5004;
	d.data = "defg";
	d.len = 4;
	wire_in(w, 0, &d);
	int fd = utcp_accept(w->s, lfd, NULL);
	REQUIRE(fd >= 0);
	char buf[16];
	REQUIRE_EQ(utcp_recv(w->s, fd, buf, sizeof(buf), 0), 7);
	CHECK(memcmp(buf, "abcdefg", 7) == 0);
	wire_run_until(w, w->now + UTCP_MS(50));
	const struct wpkt *ack = wire_next(w);
	REQUIRE(ack != NULL);
	CHECK_EQ(ack->h.ack, 5008);
	utcp_close(w->s, fd);
	utcp_close(w->s, lfd);
	wire_free(w);
}

/* ---- MUST-67, SHLD-6: the MSS an interface allows ---- */

/* SHLD-6 and MUST-67: the MSS we announce comes from the MTU of the
 * interface the connection uses, minus 40: never more than what we can
 * receive (one MTU at least, more with reassembly) minus 20 for IP and 20
 * for TCP; TCP_MAXSEG can lower it, never raise it past the interface. */
TEST(rfc9293_must67_announced_mss_fits_the_interface_mtu)
{
	static const struct {
		uint16_t mtu;
		int maxseg; /* 0: not set */
		uint16_t want;
	} cases[] = {{1500, 0, 1460}, {576, 0, 536}, {9000, 0, 8960}, {1280, 0, 1240},
		     {1500, 9000, 1460}, {1500, 1000, 1000}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wire *w = wire_new(NULL, cases[i].mtu, false);
		int fd = utcp_socket(w->s);
		if (cases[i].maxseg) {
			int v = cases[i].maxseg;
			REQUIRE_EQ(utcp_setsockopt(w->s, fd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, &v,
						   sizeof(v)),
				   0);
		}
		struct utcp_sockaddr to = {P0, 80};
		REQUIRE_EQ(utcp_connect(w->s, fd, &to), -EINPROGRESS);
		const struct wpkt *syn = wire_next(w);
		REQUIRE(syn != NULL);
		CHECK(syn->h.opts.has_mss);
		if (syn->h.opts.mss != cases[i].want)
			test_fail_at(__FILE__, __LINE__, "MTU %u, TCP_MAXSEG %d: mss %u, want %u",
				     cases[i].mtu, cases[i].maxseg, syn->h.opts.mss,
				     cases[i].want);
		CHECK(syn->h.opts.mss + 40u <= cases[i].mtu);
		utcp_close(w->s, fd);
		/* A listener's SYN,ACK says the same. */
		int lfd = wire_listen(w);
		if (cases[i].maxseg) {
			int v = cases[i].maxseg;
			REQUIRE_EQ(utcp_setsockopt(w->s, lfd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, &v,
						   sizeof(v)),
				   0);
		}
		wire_seg(w, 0, P0, A0, UTCP_TH_SYN, 5000, 0, NULL, NULL);
		const struct wpkt *sa = wire_next(w);
		REQUIRE(sa != NULL);
		CHECK_EQ(sa->h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
		CHECK(sa->h.opts.has_mss);
		CHECK_EQ(sa->h.opts.mss, cases[i].want);
		utcp_close(w->s, lfd);
		wire_free(w);
	}
}

/* MUST-69 on the wire: the option list of every SYN and SYN,ACK we send
 * fills its header exactly, or, after an End of Option List, only zeros
 * follow. */
TEST(rfc9293_must69_sent_options_end_in_zero_padding)
{
	struct wire *w = wire_new(NULL, 1500, false);
	int lfd = wire_listen(w);
	int c = utcp_socket(w->s);
	struct utcp_sockaddr to = {P0, 81};
	REQUIRE_EQ(utcp_connect(w->s, c, &to), -EINPROGRESS); /* SYN: mss, wscale */
	struct utcp_tcp_opts o = {.has_mss = true, .mss = 1460, .has_wscale = true, .wscale = 7};
	wire_seg(w, 0, P0, A0, UTCP_TH_SYN, 5000, 0, NULL, &o); /* SYN,ACK: mss, wscale */
	int n = 0;
	const struct wpkt *p;
	while ((p = wire_next(w)) != NULL) {
		const uint8_t *opt = p->b + p->ip.hdr_len + TCP_HDR_LEN;
		size_t len = p->h.hdr_len - TCP_HDR_LEN, i = 0;
		CHECK(len > 0);
		while (i < len && opt[i] != TCP_OPT_EOL)
			i += opt[i] == TCP_OPT_NOP ? 1 : opt[i + 1];
		CHECK(i <= len);
		for (; i < len; i++)
			CHECK_EQ(opt[i], 0);
		n++;
	}
	CHECK_EQ(n, 2);
	utcp_close(w->s, c);
	utcp_close(w->s, lfd);
	wire_free(w);
}

/* MUST-2: every segment we send carries a correct checksum (computed over
 * the pseudo-header, header, options and data): a SYN,ACK with options,
 * data of odd and even lengths, a FIN, a RST for a port nobody listens
 * on, a RST that aborts. */
TEST(rfc9293_must2_every_segment_sent_is_checksummed)
{
	struct wire *w = wire_new(NULL, 1500, false);
	int lfd = wire_listen(w);
	wire_seg(w, 0, P0, A0, UTCP_TH_SYN, 5000, 0, NULL, &mss1460);
	const struct wpkt *sa = wire_next(w);
	REQUIRE(sa != NULL);
	wire_seg(w, 0, P0, A0, UTCP_TH_ACK, 5001, sa->h.seq + 1, NULL, NULL);
	int fd = utcp_accept(w->s, lfd, NULL);
	REQUIRE(fd >= 0);
	int one = 1;
	REQUIRE_EQ(utcp_setsockopt(w->s, fd, UTCP_SOL_TCP, UTCP_TCP_NODELAY, &one, sizeof(one)),
		   0);
	static char data[1001];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 31 + 7);
	REQUIRE_EQ(utcp_send(w->s, fd, data, 1, 0), 1);
	REQUIRE_EQ(utcp_send(w->s, fd, data, 2, 0), 2);
	REQUIRE_EQ(utcp_send(w->s, fd, data, sizeof(data), 0), (long)sizeof(data));
	REQUIRE_EQ(utcp_shutdown(w->s, fd, UTCP_SHUT_WR), 0);
	struct fx_dgram closed = {.src = P0, .dst = A0}; /* to a closed port: RST */
	closed.h = (struct tcp_hdr){.sport = 4001, .dport = 81, .seq = 1, .flags = UTCP_TH_SYN};
	wire_in(w, 0, &closed);
	wire_run_until(w, w->now + UTCP_MS(10));
	wire_abort(w, fd);
	unsigned n = 0, data_segs = 0, rst = 0, fin = 0;
	const struct wpkt *p;
	while ((p = wire_next(w)) != NULL) {
		n++;
		data_segs += p->payload > 0;
		rst += (p->h.flags & UTCP_TH_RST) != 0;
		fin += (p->h.flags & UTCP_TH_FIN) != 0;
	}
	CHECK_EQ(data_segs, 3);
	CHECK_EQ(fin, 1);
	CHECK_EQ(rst, 2);
	CHECK_EQ(w->tcp_out, n + 1); /* and the SYN,ACK */
	CHECK_EQ(w->csum_ok, w->tcp_out);
	utcp_close(w->s, lfd);
	wire_free(w);
}
