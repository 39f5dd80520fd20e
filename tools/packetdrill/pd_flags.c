/*
 * --so_flags: the stack options a packetdrill run can set, as
 * "key=value,key=value". docs/PACKETDRILL.md lists them. Times need a unit
 * (us, ms, s) so that "rto_min=200" cannot be read two ways; sizes are
 * bytes, with an optional k or m (x1024).
 */
#define _GNU_SOURCE
#include "pd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The defaults a script sees without flags. The local address is fixed
 * because the library cannot see packetdrill's --local_ip (which, unset,
 * is random): run packetdrill with --local_ip=192.168.0.2, or set both. */
static void defaults(struct pd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	utcp_stack_config_default(&cfg->stack);
	cfg->local_ip = utcp_ipv4(192, 168, 0, 2);
	cfg->prefix_len = 16;
	cfg->mtu = 1500;
	strcpy(cfg->cc, "reno");
}

static int parse_time(const char *v, utcp_time_us *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v)
		return -EINVAL;
	utcp_time_us unit;
	if (strcmp(end, "us") == 0)
		unit = 1;
	else if (strcmp(end, "ms") == 0)
		unit = 1000;
	else if (strcmp(end, "s") == 0)
		unit = 1000000;
	else
		return -EINVAL;
	if (n > UINT64_MAX / unit)
		return -EINVAL;
	*out = n * unit;
	return 0;
}

static int parse_u32(const char *v, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		n *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		n *= 1024 * 1024, end++;
	if (*end != '\0' || n > max)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

static int copy_str(const char *v, char *dst, size_t cap)
{
	if (strlen(v) >= cap)
		return -EINVAL;
	strcpy(dst, v);
	return 0;
}

/* One key=value. Returns 0, -EINVAL (bad value) or -ENOENT (unknown key). */
static int apply(struct pd_config *cfg, const char *k, const char *v)
{
	struct utcp_stack_config *s = &cfg->stack;
	uint32_t n;
	int r;
	if (strcmp(k, "msl") == 0)
		return parse_time(v, &s->msl);
	if (strcmp(k, "rto_initial") == 0)
		return parse_time(v, &s->rto_initial);
	if (strcmp(k, "rto_min") == 0)
		return parse_time(v, &s->rto_min);
	if (strcmp(k, "rto_max") == 0)
		return parse_time(v, &s->rto_max);
	if (strcmp(k, "delack") == 0)
		return parse_time(v, &s->delack);
	if (strcmp(k, "rcvbuf") == 0)
		return parse_u32(v, 1u << 30, &s->rcvbuf);
	if (strcmp(k, "sndbuf") == 0)
		return parse_u32(v, 1u << 30, &s->sndbuf);
	if (strcmp(k, "syn_retries") == 0)
		return parse_u32(v, 100, &s->syn_retries);
	if (strcmp(k, "iw") == 0)
		return parse_u32(v, 1000, &s->initial_window);
	if (strcmp(k, "cc") == 0)
		return copy_str(v, cfg->cc, sizeof(cfg->cc));
	if (strcmp(k, "trace") == 0)
		return copy_str(v, cfg->trace_path, sizeof(cfg->trace_path));
	if (strcmp(k, "local_ip") == 0)
		return utcp_ipv4_parse(v, &cfg->local_ip);
	if (strcmp(k, "prefix_len") == 0) {
		if ((r = parse_u32(v, 32, &n)) == 0)
			cfg->prefix_len = (uint8_t)n;
		return r;
	}
	if (strcmp(k, "mtu") == 0) {
		if ((r = parse_u32(v, 65535, &n)) == 0 && n < 68)
			r = -EINVAL;
		if (r == 0)
			cfg->mtu = (uint16_t)n;
		return r;
	}
	return -ENOENT;
}

int pd_flags_parse(const char *flags, struct pd_config *cfg, char *err, size_t errlen)
{
	defaults(cfg);
	char buf[1024];
	if (flags && strlen(flags) >= sizeof(buf)) {
		snprintf(err, errlen, "flags longer than %zu bytes", sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, flags ? flags : "");
	char *save = NULL;
	for (char *item = strtok_r(buf, ", ", &save); item;
	     item = strtok_r(NULL, ", ", &save)) {
		char *eq = strchr(item, '=');
		if (!eq) {
			snprintf(err, errlen, "'%s' is not key=value", item);
			return -EINVAL;
		}
		*eq = '\0';
		int r = apply(cfg, item, eq + 1);
		if (r == -ENOENT) {
			snprintf(err, errlen, "unknown flag '%s'", item);
			return -EINVAL;
		}
		if (r) {
			snprintf(err, errlen, "bad value '%s' for %s", eq + 1, item);
			return -EINVAL;
		}
	}
	cfg->stack.cc = cfg->cc;
	return 0;
}
