/* Starting a stack on a TAP or TUN device; see realnet.h. */
#define _GNU_SOURCE
#include "realnet.h"

#include "args.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

const char realnet_help[] =
	"  --tap IF         use the TAP device IF (Ethernet; created when missing)\n"
	"  --tun IF         use the TUN device IF (IPv4 only; created when missing)\n"
	"  --addr A/N       utcp's address and prefix length, e.g. 10.7.0.2/24\n"
	"  --gw A           next hop for addresses off the subnet (default: none)\n"
	"  --pcap FILE      capture what crosses the device (Ethernet or raw IPv4)\n"
	"  --ctl PATH       answer `utcp netstat --ctl PATH` on this Unix socket\n"
	"  --msl DURATION   maximum segment lifetime: TIME_WAIT lasts 2*MSL (default 30s)\n"
	"  --ecn N          ECN (RFC 3168), as Linux's net.ipv4.tcp_ecn: 1 ask for it and\n"
	"                   accept it, 2 accept it when asked (default), 0 off\n";

const char *realnet_errtext(int err)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

bool realnet_needs_value(const char *name)
{
	static const char *const names[] = {"tap", "tun", "addr", "gw", "pcap", "ctl", "msl", "ecn"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

static void parse_addr(struct realnet_opts *o, const char *v)
{
	char text[32];
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	if (!slash || n >= sizeof(text))
		args_usage_error("bad value '%s' for --addr: expected an address and a prefix "
				 "length such as 10.7.0.2/24", v);
	memcpy(text, v, n);
	text[n] = 0;
	if (utcp_ipv4_parse(text, &o->addr) != 0 || o->addr == 0)
		args_usage_error("bad address in '%s' for --addr", v);
	o->prefix_len = (uint8_t)parse_uint("addr", slash + 1, 1, 32);
	o->have_addr = true;
}

bool realnet_option(struct realnet_opts *o, const char *name, const char *v)
{
	if (!strcmp(name, "tap") || !strcmp(name, "tun")) {
		if (o->have_dev)
			args_usage_error("give one of --tap and --tun, once");
		if (!*v || strlen(v) >= sizeof(((struct netdev *)0)->name))
			args_usage_error("bad device name '%s' for --%s (1 to 15 characters)", v, name);
		o->dev = v;
		o->kind = name[1] == 'a' ? NETDEV_TAP : NETDEV_TUN;
		o->have_dev = true;
	} else if (!strcmp(name, "addr")) {
		parse_addr(o, v);
	} else if (!strcmp(name, "gw")) {
		if (utcp_ipv4_parse(v, &o->gateway) != 0)
			args_usage_error("bad value '%s' for --gw: expected an IPv4 address", v);
	} else if (!strcmp(name, "pcap")) {
		o->pcap = v;
	} else if (!strcmp(name, "ctl")) {
		if (strlen(v) >= sizeof(((struct ctl_server *)0)->path))
			args_usage_error("path '%s' for --ctl is too long", v);
		o->ctl = v;
	} else if (!strcmp(name, "msl")) {
		o->msl = parse_duration(name, v);
		if (o->msl == 0)
			args_usage_error("--msl must be more than 0");
	} else if (!strcmp(name, "ecn")) {
		o->ecn = (uint8_t)parse_uint(name, v, UTCP_ECN_OFF, UTCP_ECN_ACCEPT);
		o->have_ecn = true;
	} else {
		return false;
	}
	return true;
}

void realnet_require(const struct realnet_opts *o)
{
	if (!o->have_dev)
		args_usage_error("missing --tap IF or --tun IF");
	if (!o->have_addr)
		args_usage_error("missing --addr A/N");
}

static struct loop *signal_loop;

static void on_signal(int sig)
{
	(void)sig;
	if (signal_loop)
		signal_loop->stop = 1;
}

static void install_signals(struct loop *l)
{
	signal_loop = l;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: epoll_wait returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int make_stack(struct realnet *r, const struct realnet_opts *o, utcp_event_fn on_event,
		      void *ctx)
{
	struct utcp_stack_config cfg;
	utcp_stack_config_default(&cfg);
	if (getrandom(cfg.secret, sizeof(cfg.secret), 0) != (ssize_t)sizeof(cfg.secret))
		return -errno;
	if (o->msl)
		cfg.msl = o->msl;
	if (o->have_ecn)
		cfg.ecn = o->ecn;
	cfg.on_event = on_event;
	cfg.event_ctx = ctx;
	int err = utcp_stack_new(&cfg, &r->stack);
	/* The stack's clock starts at 0: bring it to the loop's now before
	 * anything is armed (ARP, a SYN), or the first poll would find every
	 * timer long overdue and resend at once. */
	if (!err)
		utcp_stack_poll(r->stack, loop_now());
	return err;
}

int realnet_start(struct realnet *r, const struct realnet_opts *o, utcp_event_fn on_event,
		  void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->ctl.fd = -1;
	r->loop.epfd = -1;
	int err = netdev_open(&r->dev, o->kind, o->dev);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", args_prog, o->dev, realnet_errtext(-err));
		return 1;
	}
	const char *what = "the stack";
	struct utcp_iface_config ic;
	netdev_iface_config(&r->dev, o->addr, o->prefix_len, &ic);
	ic.gateway = o->gateway;
	if (o->pcap) {
		what = o->pcap;
		err = pcap_link_open(&r->pcap, o->pcap,
				     o->kind == NETDEV_TAP ? UTCP_PCAP_LINKTYPE_ETHERNET
							   : UTCP_PCAP_LINKTYPE_RAW,
				     ic.ops, ic.link_ctx);
		if (err)
			goto fail;
		r->capturing = true;
		ic.ops = &pcap_link_ops;
		ic.link_ctx = &r->pcap;
	}
	what = "the stack";
	if ((err = make_stack(r, o, on_event, ctx)) != 0 || (err = loop_init(&r->loop, r->stack)))
		goto fail;
	if ((r->iface = utcp_iface_add(r->stack, &ic)) < 0) {
		err = r->iface;
		goto fail;
	}
	if ((err = loop_attach_netdev(&r->loop, &r->dev, r->iface,
				      r->capturing ? &r->pcap : NULL)) != 0)
		goto fail;
	if (o->ctl) {
		what = o->ctl;
		if ((err = ctl_open(&r->ctl, o->ctl, r->stack, &r->loop)) != 0)
			goto fail;
	}
	install_signals(&r->loop);
	return 0;
fail:
	fprintf(stderr, "%s: %s: %s\n", args_prog, what, realnet_errtext(-err));
	realnet_stop(r);
	return 1;
}

int realnet_stop(struct realnet *r)
{
	int status = 0;
	signal_loop = NULL;
	ctl_close(&r->ctl);
	if (r->loop.rxbuf)
		loop_fini(&r->loop);
	utcp_stack_free(r->stack);
	r->stack = NULL;
	if (r->capturing) {
		int err = pcap_link_close(&r->pcap);
		if (err) {
			fprintf(stderr, "%s: capture: %s\n", args_prog, realnet_errtext(-err));
			status = 1;
		}
		r->capturing = false;
	}
	netdev_close(&r->dev);
	return status;
}
