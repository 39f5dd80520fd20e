/*
 * The utcp command: one binary, a subcommand per job, each with --help.
 */
#include "tools.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
	{"sim", cmd_sim, "a bulk transfer between two simulated hosts"},
	{"bench", cmd_bench, "stack-to-stack throughput, connection rate, memory"},
	{"lab", cmd_lab, "the TCP lab: every lesson run on the stack, drawn and explained"},
	{"serve", cmd_serve, "serve echo, discard, source or HTTP on a TAP/TUN device"},
	{"connect", cmd_connect, "connect over a TAP/TUN device, send, half-close, receive"},
	{"get", cmd_get, "an HTTP/1.1 client over a TAP/TUN device (keep-alive)"},
	{"netstat", cmd_netstat, "the connections of a running stack (--ctl), as ss -tan"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: utcp COMMAND [OPTIONS]   (utcp COMMAND --help for its options)\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "utcp: unknown command '%s' (see utcp --help)\n", argv[1]);
	return 2;
}
