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
