/*
 * A small packetdrill of our own: loads build/libutcp_packetdrill.so the
 * way packetdrill does (dlopen, packetdrill_interface_init) and plays
 * scripted exchanges through the function table only, so CI checks the
 * adapter without packetdrill.
 *
 * Times are script times: microseconds since pdt_open, on the adapter's
 * virtual clock. Sequence numbers are relative, as in packetdrill scripts:
 * ours (the driver plays the remote peer) from PDT_PEER_ISN, the stack's
 * from the ISN of the first SYN it sends. A mismatch prints both segments
 * in the lesson's notation.
 */
#ifndef UTCP_TEST_PD_DRIVER_H
#define UTCP_TEST_PD_DRIVER_H

#define _GNU_SOURCE
#include "../../tools/packetdrill/pd_abi.h"
#include "../harness.h"
#include "wire/tcp.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define PDT_LOCAL 0xc0a80002u  /* 192.168.0.2: the adapter's default address */
#define PDT_REMOTE 0xc000020au /* 192.0.2.10: the peer the driver plays */
#define PDT_PEER_ISN 1000000u
#define PDT_MS 1000LL

struct pdt {
	void *dl;
	struct packetdrill_interface ifc;
	long long t0;       /* virtual time of script time 0 */
	uint16_t lport, rport;
	uint32_t stack_isn; /* learned from the stack's SYN or SYN,ACK */
};

/* One segment, relative sequence numbers; flags are UTCP_TH_*. */
struct pdt_seg {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint32_t len;           /* payload bytes (inject: filled with 'a'+i%26) */
	struct utcp_tcp_opts opts;
};

/* Load the adapter and start an instance with these --so_flags.
 * REQUIREs success. */
void pdt_open(struct pdt *t, const char *flags);
void pdt_close(struct pdt *t);

/* Script time now (reads gettimeofday, which ticks by 1 us). */
long long pdt_now(struct pdt *t);
/* usleep until script time `at` (no-op if past). */
void pdt_sleep_until(struct pdt *t, long long at);

/* Inject a segment from the peer (rport -> lport). */
void pdt_inject(struct pdt *t, const struct pdt_seg *s);
/* The next segment out of the stack must be `want` (flags, seq, ack,
 * len; win and MSS when non-zero) leaving at script time `at` exactly
 * (at < 0: any time). Returns true if so; reports a failure otherwise.
 * A SYN or SYN,ACK sets the stack's ISN. */
bool pdt_expect(struct pdt *t, long long at, const struct pdt_seg *want, struct pdt_seg *got);
/* The stack has nothing more to send, ever. */
bool pdt_expect_nothing(struct pdt *t);

/* Handshake as the passive side: socket, bind lport, listen, SYN in at
 * script time now, SYN,ACK out, ACK in, accept. Returns the accepted fd
 * (the listener is *lfd). */
int pdt_passive_open(struct pdt *t, int *lfd);

/* Linux-style sockaddr_in for address/port in host order. */
struct sockaddr_in pdt_addr(uint32_t addr, uint16_t port);

#endif
