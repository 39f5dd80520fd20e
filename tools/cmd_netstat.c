/*
 * `utcp netstat --ctl PATH`: the connections of a running utcp stack (one
 * started with --ctl PATH), as `ss -tan` prints the kernel's: State,
 * Recv-Q, Send-Q, local and peer address. -i adds each connection's
 * internals as `ss -ti` does; --summary counts connections by state as
 * LESSONS L6's netstat | awk one-liner; --stats prints the stack's
 * counters. The control protocol is in docs/REAL_LINKS.md.
 */
#define _GNU_SOURCE
#include "args.h"
#include "realnet.h"
#include "tools.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static const char netstat_help[] =
	"usage: utcp netstat --ctl PATH [-i | --summary | --stats]\n"
	"\n"
	"Show the connections of the utcp stack listening on control socket PATH\n"
	"(utcp serve/connect/get --ctl PATH), as ss -tan shows the kernel's.\n"
	"\n"
	"  --ctl PATH       the stack's control socket (required)\n"
	"  -i, --info       add each connection's internals (cwnd, ssthresh, srtt, rto,\n"
	"                   retransmissions, windows), as ss -ti\n"
	"  --summary        count connections by state (states with none are left out)\n"
	"  --stats          print every counter of the stack\n"
	"  --help           show this help\n"
	"\n"
	"Exit status: 0, 1 when the stack cannot be reached, 2 for a bad argument.\n";

enum netstat_mode { NS_CONNS, NS_INFO, NS_SUMMARY, NS_STATS };

static bool netstat_needs_value(const char *name)
{
	return strcmp(name, "ctl") == 0;
}

/* Ask the stack; returns its answer (malloc'd) or NULL after a message. */
static char *query(const char *path, const char *req)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		args_usage_error("path '%s' for --ctl is too long", path);
	memcpy(sa.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", args_prog, path, realnet_errtext(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char line[64];
	int n = snprintf(line, sizeof(line), "%s\n", req);
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	if (!buf || write(fd, line, (size_t)n) != n) {
		fprintf(stderr, "%s: %s: %s\n", args_prog, path, realnet_errtext(errno));
		free(buf);
		close(fd);
		return NULL;
	}
	for (;;) {
		if (len + 1 == cap) {
			char *b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = 0;
	close(fd);
	return buf;
}

/* Value of key=... in a record line, copied into out. */
static const char *field(const char *line, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	for (const char *p = line; (p = strstr(p, key)) != NULL; p += klen) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t n = strcspn(v, " \n");
			if (n >= cap)
				n = cap - 1;
			memcpy(out, v, n);
			out[n] = 0;
			return out;
		}
	}
	snprintf(out, cap, "?");
	return out;
}

static double ms_of(const char *us)
{
	return strtod(us, NULL) / 1000.0;
}

static void print_conn(const char *line, bool info)
{
	char st[16], rq[16], sq[16], lo[32], pe[32];
	printf("%-12s %-6s %-6s %-21s %-21s\n", field(line, "state", st, sizeof(st)),
	       field(line, "recv_q", rq, sizeof(rq)), field(line, "send_q", sq, sizeof(sq)),
	       field(line, "local", lo, sizeof(lo)), field(line, "peer", pe, sizeof(pe)));
	if (!info || !strcmp(st, "LISTEN"))
		return;
	char cc[16], mss[16], rmss[16], cwnd[16], ssth[16], srtt[16], rttvar[16], rto[16];
	char rt[16], to[16], fr[16], sw[16], rw[16], un[16], bo[16], ecn[16];
	printf("\t cc:%s mss:%s rcvmss:%s cwnd:%s ssthresh:%s rtt:%.3f/%.3f rto:%.0f "
	       "retrans:%s/%s fast_retrans:%s backoff:%s snd_wnd:%s rcv_wnd:%s unacked:%s%s\n",
	       field(line, "cc", cc, sizeof(cc)), field(line, "snd_mss", mss, sizeof(mss)),
	       field(line, "rcv_mss", rmss, sizeof(rmss)), field(line, "cwnd", cwnd, sizeof(cwnd)),
	       field(line, "ssthresh", ssth, sizeof(ssth)),
	       ms_of(field(line, "srtt_us", srtt, sizeof(srtt))),
	       ms_of(field(line, "rttvar_us", rttvar, sizeof(rttvar))),
	       ms_of(field(line, "rto_us", rto, sizeof(rto))), field(line, "retrans", rt, sizeof(rt)),
	       field(line, "timeouts", to, sizeof(to)), field(line, "fast_retrans", fr, sizeof(fr)),
	       field(line, "backoff", bo, sizeof(bo)), field(line, "snd_wnd", sw, sizeof(sw)),
	       field(line, "rcv_wnd", rw, sizeof(rw)), field(line, "unacked", un, sizeof(un)),
	       strcmp(field(line, "ecn", ecn, sizeof(ecn)), "1") ? "" : " ecn");
}

static int show(enum netstat_mode mode, char *answer)
{
	if (!strncmp(answer, "error ", 6)) {
		fprintf(stderr, "%s: the stack answered: %s", args_prog, answer + 6);
		return 1;
	}
	if (mode == NS_CONNS || mode == NS_INFO)
		printf("%-12s %-6s %-6s %-21s %-21s\n", "State", "Recv-Q", "Send-Q",
		       "Local Address:Port", "Peer Address:Port");
	for (char *line = strtok(answer, "\n"); line; line = strtok(NULL, "\n")) {
		char name[32];
		unsigned long long n;
		if (mode == NS_SUMMARY) {
			/* LESSONS L6: "TIME_WAIT 814", states with none left out */
			if (sscanf(line, "state %31s %llu", name, &n) == 2 && n > 0)
				printf("%s %llu\n", name, n);
		} else if (mode == NS_STATS) {
			if (sscanf(line, "stat %31s %llu", name, &n) == 2)
				printf("%-28s %llu\n", name, n);
		} else if (!strncmp(line, "conn ", 5)) {
			print_conn(line, mode == NS_INFO);
		}
	}
	return 0;
}

int cmd_netstat(int argc, char **argv)
{
	args_prog = "utcp netstat";
	enum netstat_mode mode = NS_CONNS;
	const char *ctl = NULL;
	struct args a;
	const char *name, *v;
	bool pos;
	args_init(&a, argc, argv);
	while ((name = args_next(&a, netstat_needs_value, &v, &pos))) {
		if (pos && !strcmp(v, "-i"))
			mode = NS_INFO;
		else if (pos)
			args_usage_error("unexpected argument '%s'", v);
		else if (!strcmp(name, "help")) {
			fputs(netstat_help, stdout);
			return 0;
		} else if (!strcmp(name, "ctl"))
			ctl = v;
		else if (!strcmp(name, "info"))
			mode = NS_INFO;
		else if (!strcmp(name, "summary"))
			mode = NS_SUMMARY;
		else if (!strcmp(name, "stats"))
			mode = NS_STATS;
		else
			args_usage_error("unknown option '--%s'", name);
	}
	if (!ctl)
		args_usage_error("missing --ctl PATH");
	static const char *const req[] = {"conns", "conns", "summary", "stats"};
	char *answer = query(ctl, req[mode]);
	if (!answer)
		return 1;
	int status = show(mode, answer);
	free(answer);
	return status;
}
