/*
 * Fixtures for scenario tests.
 *
 * Two stacks: hosts A (10.0.0.1) and B (10.0.0.2) on one simulated link;
 * every trace event of both is recorded, so a test asserts the exact
 * segments and states each end went through.
 *
 * Raw peer: host A is a stack, P (10.0.0.2) is a raw node the test drives
 * segment by segment (smoltcp style): send exactly this at time T, expect
 * exactly that, expect nothing until T.
 *
 * Segments print in the lesson's notation ("SYN 100(0) win 6144 <mss 1024>"),
 * so a failure reads like the lesson.
 */
#ifndef UTCP_TEST_FIXTURE_H
#define UTCP_TEST_FIXTURE_H

#include "../harness.h"
#include "utcp/utcp.h"
#include "wire/tcp.h"

#include <errno.h>
#include <stdbool.h>

#define FX_A 0
#define FX_B 1
#define FX_ADDR_A 0x0a000001u /* 10.0.0.1 */
#define FX_ADDR_B 0x0a000002u /* 10.0.0.2 */

struct fx_event {
	int host; /* FX_A or FX_B */
	struct utcp_trace_event ev;
};

/* Options for fx_new; zero means the default noted. */
struct fx_opts {
	uint64_t seed;        /* 1 */
	utcp_time_us delay;   /* one-way delay, 10 ms */
	uint64_t rate_bps;    /* infinite */
	uint32_t queue_pkts;  /* unlimited */
	double loss;          /* both directions */
	struct utcp_stack_config cfg_a, cfg_b; /* used when has_cfg */
	bool has_cfg;
	bool raw_peer;        /* B is a raw node (see fx_raw_*) */
};

struct fixture {
	struct utcp_sim *w;
	int node[2];
	int ch_ab, ch_ba;
	struct utcp_stack *s[2]; /* s[FX_B] is NULL with a raw peer */
	struct fx_event *ev;
	size_t n_ev, cap_ev;
	/* raw peer: segments the stack sent to P, in order */
	struct fx_raw_seg *raw;
	size_t n_raw, cap_raw, raw_read;
	size_t n_raw_other; /* non-TCP datagrams A sent to P */
};

struct fx_raw_seg {
	utcp_time_us at;
	struct tcp_hdr h;
	uint32_t len;
	uint8_t data[2048];
	uint32_t src, dst;
	uint8_t tos; /* the IP TOS byte: DSCP, and the ECN field in its low bits */
};

/* The default stack configuration of the fixtures (secret from the seed,
 * defaults otherwise). */
void fx_default_cfg(struct utcp_stack_config *c);

struct fixture *fx_new(const struct fx_opts *o);
/* Free the world, whatever it still holds (FX_END checks for leaks first). */
void fx_free(struct fixture *f);

/* Sockets left in host h's stack (connections in any state, listeners, new). */
unsigned fx_sockets_alive(struct fixture *f, int host);

static inline struct utcp_stack *fx_stack(struct fixture *f, int host)
{
	return f->s[host];
}

void fx_run(struct fixture *f, utcp_time_us d);
void fx_run_until(struct fixture *f, utcp_time_us t);
utcp_time_us fx_now(struct fixture *f);

/* A listener on host h, port p (ISN pinned when isn != 0). Returns fd. */
int fx_listen(struct fixture *f, int h, uint16_t port, uint32_t isn);
/* A connection from host h to the other host's port (ISN pinned when
 * isn != 0). Returns fd (connect returned -EINPROGRESS). */
int fx_connect(struct fixture *f, int h, uint16_t port, uint32_t isn);
/* Set an int option (asserts success). */
void fx_setint(struct fixture *f, int h, int fd, int level, int name, int v);

/* Segments sent by host h (SEG_OUT), in order; returns how many. */
size_t fx_sent(struct fixture *f, int h, const struct fx_event **out, size_t max);
/* Lesson notation of a traced segment. */
const char *fx_seg_str(const struct utcp_trace_seg *g, char *buf, size_t len);
/* The states connection conn_id of host h went through, as
 * "CLOSED SYN_SENT ESTABLISHED ..." (first "from", then every "to"). */
const char *fx_states(struct fixture *f, int h, uint32_t conn_id, char *buf, size_t len);
/* conn_id of the socket behind fd. */
uint32_t fx_conn_id(struct fixture *f, int h, int fd);
/* Check that host h sent exactly these segments (lesson notation) in order
 * since event index `from`; prints both lists on mismatch. */
void fx_expect_sent(struct fixture *f, int h, size_t from, const char *const *want,
		    size_t n, const char *file, int line);
#define FX_EXPECT_SENT(f, h, from, ...)                                            \
	do {                                                                      \
		const char *const want_[] = {__VA_ARGS__};                        \
		fx_expect_sent((f), (h), (from), want_, sizeof(want_) / sizeof(want_[0]), \
			       __FILE__, __LINE__);                               \
	} while (0)

/* --- raw peer --- */

/* Build and send a segment from P to A:aport. opts may be NULL. */
void fx_raw_send(struct fixture *f, uint16_t sport, uint16_t aport, uint8_t flags,
		 uint32_t seq, uint32_t ack, uint16_t wnd, const void *data, uint32_t len,
		 const struct utcp_tcp_opts *opts);
/* The next segment A sent to P that the test has not looked at, or NULL. */
const struct fx_raw_seg *fx_raw_next(struct fixture *f);
/* Lesson notation of a raw segment. */
const char *fx_raw_str(const struct fx_raw_seg *s, char *buf, size_t len);
/* Expect the next unread segment to print exactly as `want`
 * (fails when none or different). Returns it. */
const struct fx_raw_seg *fx_raw_expect(struct fixture *f, const char *want,
				       const char *file, int line);
#define FX_RAW_EXPECT(f, want) fx_raw_expect((f), (want), __FILE__, __LINE__)
/* Expect that A sent nothing more. */
void fx_raw_expect_none(struct fixture *f, const char *file, int line);
#define FX_RAW_EXPECT_NONE(f) fx_raw_expect_none((f), __FILE__, __LINE__)

/* --- helpers for the state-machine, RFC-rule and lesson L5-L7 tests --- */

/* SO_ERROR of fd on host h: the pending error as a positive errno, or 0
 * (reading it clears it, as getsockopt(SO_ERROR) does). */
int fx_so_error(struct fixture *f, int h, int fd);
/* TCP_INFO of fd on host h (asserts success). */
struct utcp_tcp_info fx_info(struct fixture *f, int h, int fd);
/* State of the connection behind fd (TCP_INFO). */
enum utcp_tcp_state fx_state(struct fixture *f, int h, int fd);
/* When connection conn_id of host h last entered state `to`, or
 * UTCP_TIME_NEVER if it never did. */
utcp_time_us fx_state_at(struct fixture *f, int h, uint32_t conn_id,
			 enum utcp_tcp_state to);
/* Segments host h has sent so far (the `from` of FX_EXPECT_SENT). */
size_t fx_n_sent(struct fixture *f, int h);
/* Host h's counters: fx_stats(f, FX_A).tcp_rst_out. */
struct utcp_stats fx_stats(struct fixture *f, int h);
/* Count of host h's connections in state st (utcp_count_by_state). */
uint32_t fx_count(struct fixture *f, int h, enum utcp_tcp_state st);
/* A socket on host h with 4 KiB buffers (no window scaling, so windows
 * print as plain byte counts) and the ISN pinned when isn != 0. */
int fx_socket_4k(struct fixture *f, int h, uint32_t isn);
/* Close fd with SO_LINGER 0: an abort (RST), nothing left behind. */
void fx_abort(struct fixture *f, int h, int fd);

/* How every test ends (lwIP's rule): let `settle` pass (0: no time), check
 * that neither host holds a socket any more (connection, listener,
 * TIME_WAIT), and free the world. A leak is reported at the caller's line. */
void fx_end(struct fixture *f, utcp_time_us settle, const char *file, int line);
#define FX_END(f, settle) fx_end((f), (settle), __FILE__, __LINE__)
/* Long enough for a TIME_WAIT of the default MSL (2 x 30 s) to end. */
#define FX_TIME_WAIT_OVER UTCP_SEC(61)

/* --- the raw-peer connection most RFC tests start from --- */

/* P's port: P connects from it to A's port 80. */
#define FX_PP 4000

/* A world with the raw peer P; A's stack configured by cfg (NULL: the
 * fixture's default, fx_default_cfg). */
struct fixture *fx_new_raw(const struct utcp_stack_config *cfg);
/* A listens on port 80 with 4 KiB buffers and ISS 1000 (*lfd); P connects
 * from FX_PP with ISN 5000, MSS 1460 and window p_wnd; A accepts. Then
 * (30 ms on) A's SND.NXT is 1001 and its RCV.NXT 5001; the handshake's
 * 20 ms RTT makes A's RTO the 200 ms minimum. Returns A's descriptor. */
int fx_raw_established(struct fixture *f, int *lfd, uint16_t p_wnd);
/* The end of a raw-peer test: abort A's fd and close its listener lfd
 * (either -1 for none), then FX_END 50 ms later. */
void fx_raw_end(struct fixture *f, int fd, int lfd, const char *file, int line);
#define FX_RAW_END(f, fd, lfd) fx_raw_end((f), (fd), (lfd), __FILE__, __LINE__)
/* P sends an ICMP error of type/code (mtu: the next-hop MTU of
 * "fragmentation needed", else 0) quoting the start of A's segment
 * A:aport -> P:pport with sequence number seq. */
void fx_raw_send_icmp(struct fixture *f, uint8_t type, uint8_t code, uint16_t mtu,
		      uint16_t aport, uint16_t pport, uint32_t seq);

/* Raw peer opens a connection to A's listener lfd on aport, from pport:
 * "SYN isn(0) win wnd <mss 1460>", A's SYN,ACK, then the ACK (at
 * now + 20 ms, arriving at +30 ms). Returns the accepted descriptor and
 * A's ISS in *a_iss. Segments A sent are consumed from the raw queue. */
int fx_raw_accept(struct fixture *f, int lfd, uint16_t pport, uint16_t aport,
		  uint32_t isn, uint16_t wnd, uint32_t *a_iss);
/* As fx_raw_send, with every header field given (the urgent pointer,
 * ports, options): h->hdr_len and the checksum are computed. */
void fx_raw_send_hdr(struct fixture *f, const struct tcp_hdr *h, const void *data,
		     uint32_t len);
/* A listener with 4 KiB buffers on host h, port `port` (children inherit
 * the buffers and the pinned ISN). Returns its descriptor. */
int fx_listen_4k(struct fixture *f, int h, uint16_t port, uint32_t isn);
/* Two stacks, 4 KiB buffers: B listens on 80 (ISN 800), A (ISN 100)
 * connects at the current time and B accepts 100 ms later. */
void fx_establish_4k(struct fixture *f, int *lfd, int *cfd, int *sfd);
/* A new two-stack world (the defaults) with that connection made. */
struct fixture *fx_new_established(int *lfd, int *cfd, int *sfd);

/* --- helpers for the RFC 9293 conformance tests (docs/CONFORMANCE.md) --- */

/* A datagram built byte by byte, for what tcp_emit() cannot say: IP
 * options, TOS and TTL, any addresses, raw TCP option bytes (unaligned,
 * unknown kinds, illegal lengths). Zero fields take the defaults noted. */
struct fx_dgram {
	uint32_t src, dst;      /* host order; 0: P (10.0.0.2) -> A (10.0.0.1) */
	bool exact_addrs;       /* src and dst as given, even 0.0.0.0 */
	uint8_t tos, ttl;       /* ttl 0: 64 */
	const uint8_t *ip_opts; /* IP options, ip_opts_len bytes (a multiple of 4) */
	size_t ip_opts_len;
	struct tcp_hdr h;          /* ports, seq, ack, flags, wnd, urp; h.opts is
				    * emitted unless tcp_opts is given */
	const uint8_t *tcp_opts;   /* raw TCP option bytes (a multiple of 4) */
	size_t tcp_opts_len;
	const void *data;
	size_t len;
};

/* Write the datagram into pkt (cap bytes): IPv4 header with its options
 * and checksum, TCP header, options and payload with the TCP checksum.
 * Returns its length. */
size_t fx_dgram_build(const struct fx_dgram *d, uint8_t *pkt, size_t cap);
/* Build it and send it from the raw peer P. */
void fx_raw_send_dgram(struct fixture *f, const struct fx_dgram *d);

#endif
