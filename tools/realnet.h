/*
 * What `utcp serve`, `connect` and `get` share: the options that put a
 * stack on a real link (--tap/--tun, --addr, --gw, --pcap, --ctl, --msl,
 * --ecn),
 * and starting it: the device, the stack with a random secret, the
 * interface, the event loop, the capture, the control socket, and SIGINT/
 * SIGTERM ending the loop so that captures are complete.
 */
#ifndef UTCP_TOOLS_REALNET_H
#define UTCP_TOOLS_REALNET_H

#include "link/loop.h"
#include "link/netdev.h"
#include "link/pcap_link.h"
#include "utcp/utcp.h"

#include <stdbool.h>

struct realnet_opts {
	const char *dev;      /* device name */
	enum netdev_kind kind;
	bool have_dev;
	uint32_t addr;        /* host order */
	uint8_t prefix_len;
	bool have_addr;
	uint32_t gateway;
	const char *pcap, *ctl;
	utcp_time_us msl;     /* 0: the stack's default */
	uint8_t ecn;          /* UTCP_ECN_*, as net.ipv4.tcp_ecn */
	bool have_ecn;        /* else the stack's default (accept) */
};

/* Help lines for these options. */
extern const char realnet_help[];

/* For args_next(): true when `name` is one of these options with a value. */
bool realnet_needs_value(const char *name);
/* Take option `name`; returns false when it is not one of ours. Bad
 * values end the program with status 2 (args.h). */
bool realnet_option(struct realnet_opts *o, const char *name, const char *val);
/* After parsing: a device and an address are required. */
void realnet_require(const struct realnet_opts *o);

struct ctl_server {
	int fd; /* -1: none */
	char path[108];
	struct utcp_stack *stack;
};

struct realnet {
	struct netdev dev;
	struct pcap_link pcap;
	bool capturing;
	struct utcp_stack *stack;
	struct loop loop;
	int iface;
	struct ctl_server ctl;
};

/* Start everything; on_event receives the stack's readiness events. On
 * failure prints why ("utcp serve: tap0: operation not permitted") and
 * returns non-zero, with nothing left open. */
int realnet_start(struct realnet *r, const struct realnet_opts *o, utcp_event_fn on_event,
		  void *ctx);
/* Stop and release everything. Returns non-zero if the capture failed. */
int realnet_stop(struct realnet *r);

/* strerror(err) in lower case, as messages quote it: "connection refused". */
const char *realnet_errtext(int err);

/* --- ctl.c: the control socket (docs/REAL_LINKS.md) --- */
int ctl_open(struct ctl_server *c, const char *path, struct utcp_stack *s, struct loop *l);
void ctl_close(struct ctl_server *c);

#endif
