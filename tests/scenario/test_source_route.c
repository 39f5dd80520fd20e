/*
 * IP source routes and TCP (RFC 9293 3.9.2.1, RFC 791 3.1, RFC 1122
 * 3.2.1.8): an application's route on an active open (MUST-51) that a
 * received one does not replace (MUST-52); a passive open answering by the
 * reverse of its SYN's route (MUST-53), a later route replacing it
 * (SHLD-24); received routes dropped unless the stack accepts them (RFC
 * 7126's advice, Linux's default), and never forwarded.
 *
 * One stack, 10.0.0.1/24, driven directly: its output is kept byte for
 * byte so each test reads the IP header and options of every datagram.
 */
#include "fixture.h"

#include "stack/stack_internal.h"

#include "wire/bytes.h"
#include "wire/ipv4.h"

#include <stdlib.h>

#define A 0x0a000001u  /* us */
#define R1 0x0a0000feu /* a router on our subnet */
#define R2 0xac100001u /* a router further on */
#define P 0xc0a80505u  /* the peer, off our subnet */

struct sr_wire {
	struct utcp_stack *s;
	utcp_time_us now;
	uint8_t out[16][2048];
	size_t len[16], n;
};

static int sr_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sr_wire *w = ctx;
	REQUIRE(w->n < 16 && len <= 2048);
	memcpy(w->out[w->n], pkt, len);
	w->len[w->n++] = len;
	return 0;
}

static const struct utcp_link_ops sr_ops = {.output = sr_output};

static struct sr_wire *sr_new_mtu(bool accept, uint16_t mtu)
{
	struct sr_wire *w = calloc(1, sizeof(*w));
	REQUIRE(w != NULL);
	struct utcp_stack_config c;
	fx_default_cfg(&c);
	c.accept_source_route = accept;
	REQUIRE_EQ(utcp_stack_new(&c, &w->s), 0);
	struct utcp_iface_config i0 = {.name = "a0", .addr = A, .prefix_len = 24, .mtu = mtu,
				       .ops = &sr_ops, .link_ctx = w};
	REQUIRE_EQ(utcp_iface_add(w->s, &i0), 0);
	return w;
}

static struct sr_wire *sr_new(bool accept)
{
	return sr_new_mtu(accept, 1500);
}

static void sr_free(struct sr_wire *w)
{
	utcp_stack_free(w->s);
	free(w);
}

/* Datagram i as the stack sent it: IP header, its source route (if any),
 * and the TCP header checked against the final destination `to`. */
static void sr_sent(struct sr_wire *w, size_t i, uint32_t to, struct ipv4_hdr *ip,
		    struct ipv4_srr *srr, bool *has_srr, struct tcp_hdr *h)
{
	REQUIRE(i < w->n);
	REQUIRE_EQ(ipv4_parse(w->out[i], w->len[i], ip), IPV4_OK);
	*has_srr = ipv4_find_srr(w->out[i], ip, srr) == IPV4_SRR_FOUND;
	const uint8_t *seg = w->out[i] + ip->hdr_len;
	size_t n = ip->total_len - ip->hdr_len;
	/* RFC 9293 3.1: the pseudo-header names the final destination,
	 * whatever the IP header's destination (the first hop) says. */
	CHECK(tcp_checksum_ok(seg, n, A, to));
	REQUIRE_EQ(tcp_parse(seg, n, h), TCP_OK);
}

/* A TCP segment from P:sport to A:dport, with a source route of the given
 * recorded hops (none when n == 0), complete or not. */
static void sr_input(struct sr_wire *w, const uint32_t *hops, unsigned n, uint16_t sport,
		     uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
		     const struct utcp_tcp_opts *o, bool complete)
{
	uint8_t pkt[128], opts[40];
	size_t optlen = 0;
	if (n) {
		struct ipv4_srr r = {.type = IPV4_OPT_LSRR, .n = (uint8_t)n};
		for (unsigned i = 0; i < n; i++)
			r.addr[i] = hops[i];
		r.ptr = (uint8_t)(complete ? 4 + 4 * n : 4);
		optlen = ipv4_emit_srr(opts, &r);
	}
	struct tcp_hdr h = {.sport = sport, .dport = dport, .seq = seq, .ack = ack,
			    .flags = flags, .wnd = 65535};
	if (o)
		h.opts = *o;
	size_t iphl = IPV4_HDR_LEN + optlen;
	size_t hl = tcp_emit(pkt + iphl, &h);
	tcp_fill_checksum(pkt + iphl, hl, P, A);
	struct ipv4_hdr ip = {.total_len = (uint16_t)(iphl + hl), .ttl = 60,
			      .proto = IPV4_PROTO_TCP, .src = P, .dst = A};
	ipv4_emit_opts(pkt, &ip, opts, optlen);
	utcp_stack_input(w->s, 0, pkt, ip.total_len, w->now);
}

/* A socket with the application's route r connects to P:80 (the SYN is
 * datagram 0). */
static int sr_connect(struct sr_wire *w, const struct utcp_source_route *r)
{
	int fd = utcp_socket(w->s);
	REQUIRE_EQ(utcp_setsockopt(w->s, fd, UTCP_SOL_UTCP, UTCP_UTCP_SOURCE_ROUTE, r, sizeof(*r)),
		   0);
	struct utcp_sockaddr to = {P, 80};
	REQUIRE_EQ(utcp_connect(w->s, fd, &to), -EINPROGRESS);
	return fd;
}

TEST(rfc9293_must51_must52_application_source_route)
{
	struct sr_wire *w = sr_new(true);
	struct utcp_source_route r = {.strict = 0, .n = 2, .hop = {R1, R2}};
	int fd = sr_connect(w, &r);
	struct ipv4_hdr ip;
	struct ipv4_srr srr;
	struct tcp_hdr h;
	bool has;
	sr_sent(w, 0, P, &ip, &srr, &has, &h);
	/* To the first hop; the option lists R2, then the peer. */
	CHECK_EQ(ip.dst, R1);
	REQUIRE(has);
	CHECK_EQ(srr.type, IPV4_OPT_LSRR);
	REQUIRE_EQ(srr.n, 2);
	CHECK_EQ(srr.addr[0], R2);
	CHECK_EQ(srr.addr[1], P);
	CHECK_EQ(srr.ptr, 4);
	CHECK_EQ(ip.hdr_len, 32);
	CHECK_EQ(h.flags, UTCP_TH_SYN);
	/* The option's 12 bytes come off the MSS we announce. */
	CHECK_EQ(h.opts.mss, 1500 - 40 - 12);
	/* The SYN,ACK comes back by another route: ours is kept (MUST-52). */
	const uint32_t other[1] = {0x0a0000fdu};
	struct utcp_tcp_opts mss = {.has_mss = true, .mss = 1460};
	sr_input(w, other, 1, 80, h.sport, UTCP_TH_SYN | UTCP_TH_ACK, 9000, h.seq + 1, &mss, true);
	REQUIRE_EQ(w->n, 2);
	sr_sent(w, 1, P, &ip, &srr, &has, &h);
	CHECK_EQ(h.flags, UTCP_TH_ACK);
	CHECK_EQ(ip.dst, R1);
	CHECK(has && srr.n == 2 && srr.addr[1] == P);
	utcp_close(w->s, fd);
	sr_free(w);
}

TEST(rfc9293_must53_passive_open_answers_by_the_reverse_route)
{
	struct sr_wire *w = sr_new(true);
	int lfd = utcp_socket(w->s);
	struct utcp_sockaddr any = {0, 80};
	REQUIRE_EQ(utcp_bind(w->s, lfd, &any), 0);
	REQUIRE_EQ(utcp_listen(w->s, lfd, 4), 0);
	/* P's SYN came through R2, then R1 (the routers recorded themselves). */
	const uint32_t hops[2] = {R2, R1};
	sr_input(w, hops, 2, 4000, 80, UTCP_TH_SYN, 1000, 0, NULL, true);
	REQUIRE_EQ(w->n, 1);
	struct ipv4_hdr ip;
	struct ipv4_srr srr;
	struct tcp_hdr h;
	bool has;
	sr_sent(w, 0, P, &ip, &srr, &has, &h);
	CHECK_EQ(h.flags, UTCP_TH_SYN | UTCP_TH_ACK);
	/* Back the way it came: R1 first, then R2, then P. */
	CHECK_EQ(ip.dst, R1);
	REQUIRE(has);
	REQUIRE_EQ(srr.n, 2);
	CHECK_EQ(srr.addr[0], R2);
	CHECK_EQ(srr.addr[1], P);
	CHECK_EQ(srr.ptr, 4);
	CHECK_EQ(h.opts.mss, 1500 - 40 - 12);
	/* SHLD-24: a later segment by a shorter route changes the return
	 * route: the ACK of its data goes to the new first hop. */
	sr_input(w, hops, 2, 4000, 80, UTCP_TH_ACK, 1001, h.seq + 1, NULL, true);
	const uint32_t shorter[1] = {0x0a0000fdu};
	int one = 1;
	int cfd = utcp_accept(w->s, lfd, NULL);
	REQUIRE(cfd >= 0);
	REQUIRE_EQ(utcp_setsockopt(w->s, cfd, UTCP_SOL_TCP, UTCP_TCP_QUICKACK, &one, sizeof(one)), 0);
	size_t before = w->n;
	sr_input(w, shorter, 1, 4000, 80, UTCP_TH_FIN | UTCP_TH_ACK, 1001, h.seq + 1, NULL, true);
	REQUIRE(w->n > before);
	sr_sent(w, w->n - 1, P, &ip, &srr, &has, &h);
	CHECK_EQ(h.ack, 1002);
	CHECK_EQ(ip.dst, 0x0a0000fdu);
	CHECK(has && srr.n == 1 && srr.addr[0] == P);
	utcp_close(w->s, cfd);
	utcp_close(w->s, lfd);
	sr_free(w);
}

TEST(source_route_dropped_unless_accepted_or_when_not_complete)
{
	const uint32_t hops[2] = {R2, R1};
	/* Default: a source-routed SYN is dropped and counted, unanswered. */
	struct sr_wire *w = sr_new(false);
	int lfd = utcp_socket(w->s);
	struct utcp_sockaddr any = {0, 80};
	REQUIRE_EQ(utcp_bind(w->s, lfd, &any), 0);
	REQUIRE_EQ(utcp_listen(w->s, lfd, 4), 0);
	sr_input(w, hops, 2, 4000, 80, UTCP_TH_SYN, 1000, 0, NULL, true);
	CHECK_EQ(w->n, 0);
	struct utcp_stats st;
	utcp_stack_stats(w->s, &st);
	CHECK_EQ(st.ip_drop_source_route, 1);
	/* Without a route the same SYN is answered. */
	sr_input(w, NULL, 0, 4000, 80, UTCP_TH_SYN, 1000, 0, NULL, true);
	CHECK_EQ(w->n, 1);
	utcp_close(w->s, lfd);
	sr_free(w);
	/* Accepting routes: one we are only a hop of (not complete) is
	 * still dropped: a host does not forward. */
	w = sr_new(true);
	lfd = utcp_socket(w->s);
	REQUIRE_EQ(utcp_bind(w->s, lfd, &any), 0);
	REQUIRE_EQ(utcp_listen(w->s, lfd, 4), 0);
	sr_input(w, hops, 2, 4000, 80, UTCP_TH_SYN, 1000, 0, NULL, false);
	CHECK_EQ(w->n, 0);
	utcp_stack_stats(w->s, &st);
	CHECK_EQ(st.ip_drop_source_route, 1);
	utcp_close(w->s, lfd);
	sr_free(w);
}

TEST(wire_ipv4_srr_parse_reverse_emit)
{
	/* An option with a bad pointer is malformed; two routes are too. */
	uint8_t pkt[60] = {0};
	struct ipv4_srr r = {.type = IPV4_OPT_SSRR, .n = 2, .ptr = 12, .addr = {R2, R1}};
	size_t ol = ipv4_emit_srr(pkt + IPV4_HDR_LEN, &r);
	CHECK_EQ(ol, 12); /* one NOP, then 11 bytes */
	struct ipv4_hdr h = {.hdr_len = (uint8_t)(IPV4_HDR_LEN + ol)};
	struct ipv4_srr got;
	REQUIRE_EQ(ipv4_find_srr(pkt, &h, &got), IPV4_SRR_FOUND);
	CHECK_EQ(got.type, IPV4_OPT_SSRR);
	CHECK(ipv4_srr_complete(&got));
	struct ipv4_srr back;
	uint32_t first;
	REQUIRE_EQ(ipv4_srr_reverse(&got, P, &back, &first), 0);
	CHECK_EQ(first, R1);
	CHECK_EQ(back.addr[0], R2);
	CHECK_EQ(back.addr[1], P);
	pkt[IPV4_HDR_LEN + 3] = 5; /* pointer not on an address */
	CHECK_EQ(ipv4_find_srr(pkt, &h, &got), IPV4_SRR_MALFORMED);
	pkt[IPV4_HDR_LEN + 3] = 16; /* past the end + 1 */
	CHECK_EQ(ipv4_find_srr(pkt, &h, &got), IPV4_SRR_MALFORMED);
	pkt[IPV4_HDR_LEN + 3] = 4;
	pkt[IPV4_HDR_LEN + 2] = 10; /* a length that is not 3 + 4n */
	CHECK_EQ(ipv4_find_srr(pkt, &h, &got), IPV4_SRR_MALFORMED);
}

/* A long route on a small MTU leaves less than TCP_MIN_MSS for data: the
 * MSS stops there (datagrams are then fragmented) instead of shrinking to
 * crumbs or, under 40 + the option, wrapping round to 65 thousand. */
TEST(source_route_on_a_tiny_mtu_keeps_the_least_mss)
{
	struct sr_wire *w = sr_new_mtu(true, 120);
	struct utcp_source_route r = {.strict = 0, .n = 8};
	for (unsigned i = 0; i < 8; i++)
		r.hop[i] = R1 + i;
	int fd = sr_connect(w, &r);
	struct ipv4_hdr ip;
	struct ipv4_srr srr;
	struct tcp_hdr h;
	bool has;
	sr_sent(w, 0, P, &ip, &srr, &has, &h);
	REQUIRE(has);
	CHECK_EQ(ip.hdr_len, 56); /* 7 more hops and P: 35 bytes, padded to 36 */
	CHECK_EQ(h.opts.mss, TCP_MIN_MSS); /* 120 - 40 - 36 = 44 would be less */
	utcp_close(w->s, fd);
	sr_free(w);

	/* The longest option (9 addresses) on the smallest MTU IPv4 allows,
	 * 68: less than the headers and the option. */
	struct usock u = {.has_route = true};
	u.route.type = IPV4_OPT_LSRR;
	u.route.n = 9;
	u.route.ptr = 4;
	struct iface ifc = {.mtu = 68};
	CHECK_EQ(route_opt_len(&u), 40);
	CHECK_EQ(route_mss(&u, &ifc), TCP_MIN_MSS);
	ifc.mtu = 1500;
	CHECK_EQ(route_mss(&u, &ifc), 1500 - 40 - 40);
	u.has_route = false;
	CHECK_EQ(route_mss(&u, &ifc), 1460);
	CHECK_EQ(route_mss(&u, NULL), 536);
}
