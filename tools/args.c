/* Command-line parsing shared by the subcommands; see args.h. */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *args_prog = "utcp";

_Noreturn void args_usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", args_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(EXIT_USAGE);
}

void args_init(struct args *a, int argc, char **argv)
{
	a->argc = argc;
	a->argv = argv;
	a->i = 1;
}

const char *args_next(struct args *a, bool (*needs_value)(const char *name),
		      const char **val, bool *positional)
{
	static char name[64];
	*val = NULL;
	*positional = false;
	if (a->i >= a->argc)
		return NULL;
	const char *arg = a->argv[a->i++];
	if (strncmp(arg, "--", 2) != 0 || arg[2] == 0) {
		*positional = true;
		*val = arg;
		return arg;
	}
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	if (n >= sizeof(name))
		args_usage_error("unknown option '%s'", arg);
	memcpy(name, arg + 2, n);
	name[n] = 0;
	if (!needs_value(name)) {
		if (eq)
			args_usage_error("option '--%s' takes no value", name);
		return name;
	}
	if (eq) {
		*val = eq + 1;
	} else {
		if (a->i >= a->argc)
			args_usage_error("option '--%s' needs a value", name);
		*val = a->argv[a->i++];
	}
	return name;
}

/* A number followed by a unit from the table; factor applied. */
struct unit {
	const char *suffix;
	double factor;
};

static double parse_with_units(const char *opt, const char *v, const struct unit *units,
			       const char *example)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (end == v || errno || !isfinite(x) || x < 0)
		args_usage_error("bad value '%s' for --%s: expected %s", v, opt, example);
	for (const struct unit *u = units; u->suffix; u++)
		if (strcasecmp(end, u->suffix) == 0)
			return x * u->factor;
	args_usage_error("bad unit in '%s' for --%s: expected %s", v, opt, example);
}

uint64_t parse_size(const char *opt, const char *v)
{
	static const struct unit units[] = {
		{"", 1},         {"b", 1},       {"k", 1e3},  {"kb", 1e3},
		{"kib", 1024.0}, {"m", 1e6},     {"mb", 1e6}, {"mib", 1048576.0},
		{"g", 1e9},      {"gb", 1e9},    {"gib", 1073741824.0}, {NULL, 0},
	};
	double x = parse_with_units(opt, v, units, "a size such as 4096, 64KiB or 20M");
	if (x > 1e15)
		args_usage_error("value '%s' for --%s is too large", v, opt);
	return (uint64_t)llround(x);
}

utcp_time_us parse_duration(const char *opt, const char *v)
{
	static const struct unit units[] = {
		{"us", 1}, {"ms", 1e3}, {"s", 1e6}, {"", 1e6}, {"min", 60e6}, {NULL, 0},
	};
	double x = parse_with_units(opt, v, units, "a duration such as 20ms or 1s");
	if (x > 1e13)
		args_usage_error("value '%s' for --%s is too large", v, opt);
	return (utcp_time_us)llround(x);
}

uint64_t parse_rate(const char *opt, const char *v)
{
	static const struct unit units[] = {
		{"bit", 1},    {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9},
		{"bps", 8},    {"kbps", 8e3}, {"mbps", 8e6}, {"gbps", 8e9},
		{NULL, 0},
	};
	double x = parse_with_units(opt, v, units, "a rate such as 100mbit or 1gbit");
	if (x > 1e13)
		args_usage_error("value '%s' for --%s is too large", v, opt);
	return (uint64_t)llround(x);
}

double parse_fraction(const char *opt, const char *v)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (end == v || errno || !isfinite(x))
		args_usage_error("bad value '%s' for --%s: expected a percentage such as 1%%", v,
				 opt);
	if (*end == '%') {
		x /= 100;
		end++;
	}
	if (*end || x < 0 || x > 1)
		args_usage_error("bad value '%s' for --%s: expected 0%% to 100%%", v, opt);
	return x;
}

uint64_t parse_uint(const char *opt, const char *v, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (end == v || *end || errno || v[0] == '-' || x < min || x > max)
		args_usage_error("bad value '%s' for --%s: expected a whole number from %llu to %llu",
				 v, opt, (unsigned long long)min, (unsigned long long)max);
	return x;
}

const char *fmt_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= 1000000000ull)
		snprintf(buf, len, "%.2f GB", b / 1e9);
	else if (b >= 1000000ull)
		snprintf(buf, len, "%.2f MB", b / 1e6);
	else if (b >= 1000ull)
		snprintf(buf, len, "%.2f kB", b / 1e3);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	return buf;
}
