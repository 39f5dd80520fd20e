/*
 * Command-line parsing shared by the utcp subcommands, in the habits of
 * ss, curl and nc: long options with values ("--rtt 20ms" or
 * "--rtt=20ms"), --help on every subcommand, and a bad argument reported
 * in one line that names it, with exit status 2.
 */
#ifndef UTCP_TOOLS_ARGS_H
#define UTCP_TOOLS_ARGS_H

#include "utcp/types.h"

#include <stdbool.h>
#include <stdint.h>

#define EXIT_USAGE 2

/* The program and subcommand names, for messages ("utcp sim: ..."). */
extern const char *args_prog;

/* Print "utcp CMD: MESSAGE" and exit with status 2. */
_Noreturn void args_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Iterate argv: returns the option name without dashes ("rtt") and sets
 * *val to its value (from "=v" or the next argument) when needs_value says
 * the option takes one; returns NULL at the end. Non-option arguments are
 * returned with *positional set. */
struct args {
	int argc, i;
	char **argv;
};
void args_init(struct args *a, int argc, char **argv);
const char *args_next(struct args *a, bool (*needs_value)(const char *name),
		      const char **val, bool *positional);

/* Value parsers: each exits with a one-line message naming the option on
 * a bad value. */
uint64_t parse_size(const char *opt, const char *v);      /* 20M, 1.5G, 4096, 64KiB */
utcp_time_us parse_duration(const char *opt, const char *v); /* 20ms, 1s, 500us */
uint64_t parse_rate(const char *opt, const char *v);      /* 100mbit, 1gbit, 10kbit (bits/s) */
double parse_fraction(const char *opt, const char *v);    /* 1%, 0.01 */
uint64_t parse_uint(const char *opt, const char *v, uint64_t min, uint64_t max);

/* Human forms for output: "20.0 MB", "1.234 s". */
const char *fmt_bytes(uint64_t b, char *buf, size_t len);

#endif
