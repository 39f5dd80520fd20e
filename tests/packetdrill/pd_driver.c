/* The test driver's loader and packet verbs (pd_driver.h). */
#include "pd_driver.h"

#include "wire/ipv4.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* packetdrill loads with RTLD_DEEPBIND; ASan refuses it, so a sanitized
 * build loads without (the adapter has no symbol clash to guard against). */
#if defined(__SANITIZE_ADDRESS__)
#define PDT_DEEPBIND 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PDT_DEEPBIND 0
#endif
#endif
#ifndef PDT_DEEPBIND
#define PDT_DEEPBIND RTLD_DEEPBIND
#endif

/* $UTCP_PD_SO, else the library next to the build's tests/ directory. */
static void so_path(char *buf, size_t len)
{
	const char *env = getenv("UTCP_PD_SO");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, len, "%s/../libutcp_packetdrill.so", exe);
}

void pdt_open(struct pdt *t, const char *flags)
{
	char path[PATH_MAX + 32];
	so_path(path, sizeof(path));
	memset(t, 0, sizeof(*t));
	t->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | PDT_DEEPBIND);
	if (!t->dl)
		test_fail_at(__FILE__, __LINE__, "dlopen %s: %s", path, dlerror());
	REQUIRE(t->dl != NULL);
	packetdrill_interface_init_t init;
	*(void **)&init = dlsym(t->dl, "packetdrill_interface_init");
	REQUIRE(init != NULL);
	init(flags, &t->ifc);
	REQUIRE(t->ifc.userdata != NULL);
	t->lport = 8080;
	t->rport = 40000;
	t->t0 = 0;
	t->t0 = pdt_now(t);
}

void pdt_close(struct pdt *t)
{
	if (t->ifc.free)
		t->ifc.free(t->ifc.userdata);
	if (t->dl)
		dlclose(t->dl);
	memset(t, 0, sizeof(*t));
}

long long pdt_now(struct pdt *t)
{
	struct timeval tv;
	t->ifc.gettimeofday(t->ifc.userdata, &tv, NULL);
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec - t->t0;
}

void pdt_sleep_until(struct pdt *t, long long at)
{
	long long now = pdt_now(t);
	if (at > now)
		t->ifc.usleep(t->ifc.userdata, (useconds_t)(at - now));
}

struct sockaddr_in pdt_addr(uint32_t addr, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(addr);
	a.sin_port = htons(port);
	return a;
}

void pdt_inject(struct pdt *t, const struct pdt_seg *s)
{
	uint8_t pkt[IPV4_HDR_LEN + TCP_MAX_HDR_LEN + 2048];
	struct tcp_hdr h;
	memset(&h, 0, sizeof(h));
	h.sport = t->rport;
	h.dport = t->lport;
	h.seq = PDT_PEER_ISN + s->seq;
	h.ack = t->stack_isn + s->ack;
	h.flags = s->flags;
	h.wnd = s->win ? s->win : 65535;
	h.opts = s->opts;
	uint8_t *seg = pkt + IPV4_HDR_LEN;
	size_t hlen = tcp_emit(seg, &h);
	REQUIRE(s->len <= 2048);
	for (uint32_t i = 0; i < s->len; i++)
		seg[hlen + i] = (uint8_t)('a' + i % 26);
	size_t tcp_len = hlen + s->len;
	tcp_fill_checksum(seg, tcp_len, PDT_REMOTE, PDT_LOCAL);
	struct ipv4_hdr ip = {
		.total_len = (uint16_t)(IPV4_HDR_LEN + tcp_len),
		.ttl = 64,
		.proto = IPV4_PROTO_TCP,
		.src = PDT_REMOTE,
		.dst = PDT_LOCAL,
	};
	ipv4_emit(pkt, &ip);
	REQUIRE_EQ(t->ifc.netdev_send(t->ifc.userdata, pkt, IPV4_HDR_LEN + tcp_len), 0);
}

static void describe(char *buf, size_t len, const struct pdt_seg *s)
{
	struct tcp_hdr h;
	memset(&h, 0, sizeof(h));
	h.flags = s->flags;
	h.seq = s->seq;
	h.ack = s->ack;
	h.wnd = s->win;
	h.opts = s->opts;
	tcp_format(buf, len, &h, s->len);
}

/* Read the next datagram out of the stack into *got (relative numbers).
 * Returns its script time, or -1 when the stack will send nothing. */
static long long receive(struct pdt *t, struct pdt_seg *got)
{
	uint8_t pkt[65536];
	size_t n = sizeof(pkt);
	long long at;
	REQUIRE_EQ(t->ifc.netdev_receive(t->ifc.userdata, pkt, &n, &at), 0);
	if (n == 0)
		return -1;
	struct ipv4_hdr ip;
	struct tcp_hdr h;
	REQUIRE_EQ(ipv4_parse(pkt, n, &ip), IPV4_OK);
	REQUIRE_EQ(ip.src, PDT_LOCAL);
	REQUIRE_EQ(ip.dst, PDT_REMOTE);
	REQUIRE_EQ(tcp_parse(pkt + ip.hdr_len, ip.total_len - ip.hdr_len, &h), TCP_OK);
	if (h.flags & UTCP_TH_SYN)
		t->stack_isn = h.seq;
	memset(got, 0, sizeof(*got));
	got->flags = h.flags;
	got->seq = h.seq - t->stack_isn;
	got->ack = (h.flags & UTCP_TH_ACK) ? h.ack - PDT_PEER_ISN : 0;
	got->win = h.wnd;
	got->len = ip.total_len - ip.hdr_len - h.hdr_len;
	got->opts = h.opts;
	t->lport = h.sport;
	return at - t->t0;
}

bool pdt_expect(struct pdt *t, long long at, const struct pdt_seg *want, struct pdt_seg *got)
{
	struct pdt_seg tmp;
	got = got ? got : &tmp;
	long long when = receive(t, got);
	char w[160], g[160];
	describe(w, sizeof(w), want);
	if (when < 0) {
		test_fail_at(__FILE__, __LINE__, "expected %s at %lld us, got nothing", w,
			     at);
		return false;
	}
	describe(g, sizeof(g), got);
	bool ok = got->flags == want->flags && got->seq == want->seq &&
		  got->ack == want->ack && got->len == want->len &&
		  (!want->win || got->win == want->win) &&
		  (!want->opts.has_mss || got->opts.mss == want->opts.mss) &&
		  (at < 0 || when == at);
	if (!ok)
		test_fail_at(__FILE__, __LINE__, "expected %s at %lld us, got %s at %lld us",
			     w, at, g, when);
	return ok;
}

bool pdt_expect_nothing(struct pdt *t)
{
	struct pdt_seg got;
	long long when = receive(t, &got);
	if (when >= 0) {
		char g[160];
		describe(g, sizeof(g), &got);
		test_fail_at(__FILE__, __LINE__, "expected nothing, got %s at %lld us", g,
			     when);
	}
	return when < 0;
}

int pdt_passive_open(struct pdt *t, int *lfd)
{
	void *u = t->ifc.userdata;
	int fd = t->ifc.socket(u, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	REQUIRE(fd >= 0);
	int one = 1;
	REQUIRE_EQ(t->ifc.setsockopt(u, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	struct sockaddr_in a = pdt_addr(PDT_LOCAL, t->lport);
	REQUIRE_EQ(t->ifc.bind(u, fd, (struct sockaddr *)&a, sizeof(a)), 0);
	REQUIRE_EQ(t->ifc.listen(u, fd, 1), 0);
	long long now = pdt_now(t);
	struct pdt_seg syn = {.flags = UTCP_TH_SYN, .win = 32792};
	syn.opts.has_mss = true;
	syn.opts.mss = 1000;
	pdt_inject(t, &syn);
	struct pdt_seg synack = {.flags = UTCP_TH_SYN | UTCP_TH_ACK, .ack = 1};
	synack.opts.has_mss = true;
	synack.opts.mss = 1460;
	REQUIRE(pdt_expect(t, now, &synack, NULL));
	pdt_inject(t, &(struct pdt_seg){.flags = UTCP_TH_ACK, .seq = 1, .ack = 1});
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int c = t->ifc.accept(u, fd, (struct sockaddr *)&peer, &plen);
	REQUIRE(c >= 0);
	CHECK_EQ(plen, sizeof(peer));
	CHECK_EQ(ntohl(peer.sin_addr.s_addr), PDT_REMOTE);
	CHECK_EQ(ntohs(peer.sin_port), t->rport);
	*lfd = fd;
	return c;
}
