/* Helpers of the ECN tests: see ecn_peer.h. */
#include "ecn_peer.h"

struct fixture *ecn_world(uint8_t ecn)
{
	struct utcp_stack_config cfg;
	fx_default_cfg(&cfg);
	cfg.ecn = ecn;
	return fx_new_raw(&cfg);
}

int ecn_of(const struct fx_raw_seg *s)
{
	return s ? (int)ipv4_ecn_of(s->tos) : -1;
}

void ecn_send(struct fixture *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
	      const void *data, uint32_t len, enum ipv4_ecn ecn)
{
	struct fx_dgram d = {.tos = (uint8_t)ecn, .data = data, .len = len};
	d.h.sport = FX_PP;
	d.h.dport = 80;
	d.h.seq = seq;
	d.h.ack = ack;
	d.h.flags = flags;
	d.h.wnd = wnd;
	fx_raw_send_dgram(f, &d);
}

int ecn_accept(struct fixture *f, int *lfd, uint32_t buf, uint16_t mss, uint16_t wnd,
	       uint8_t syn_flags, const char *want_synack)
{
	*lfd = fx_listen_4k(f, FX_A, 80, 1000);
	if (buf != 4096) {
		fx_setint(f, FX_A, *lfd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, (int)buf);
		fx_setint(f, FX_A, *lfd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, (int)buf);
	}
	struct utcp_tcp_opts o = {.has_mss = true, .mss = mss};
	fx_raw_send(f, FX_PP, 80, UTCP_TH_SYN | syn_flags, 5000, 0, wnd, NULL, 0, &o);
	fx_run(f, UTCP_MS(20));
	const struct fx_raw_seg *sa;
	if (want_synack) {
		sa = FX_RAW_EXPECT(f, want_synack);
	} else {
		sa = fx_raw_next(f);
		REQUIRE(sa != NULL);
		REQUIRE_EQ(sa->h.flags, UTCP_TH_SYN | UTCP_TH_ACK | UTCP_TH_ECE);
	}
	CHECK_EQ(ecn_of(sa), IPV4_ECN_NOT_ECT);
	ecn_send(f, UTCP_TH_ACK, 5001, 1001, wnd, NULL, 0, IPV4_ECN_NOT_ECT);
	fx_run(f, UTCP_MS(10));
	int fd = utcp_accept(fx_stack(f, FX_A), *lfd, NULL);
	REQUIRE(fd >= 0);
	if (!want_synack)
		REQUIRE(fx_info(f, FX_A, fd).ecn);
	return fd;
}
