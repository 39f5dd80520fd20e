/*
 * The congestion-control registry: the built-in algorithms by name, and
 * the checks an operations table must pass.
 */
#include "tcp/cc.h"

#include <errno.h>
#include <string.h>

static const struct tcp_cc_ops *const builtins[] = {
	&tcp_cc_reno,
	&tcp_cc_textbook,
	&tcp_cc_fixed,
};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i]->name, name) == 0)
			return builtins[i];
	return NULL;
}

int tcp_cc_validate(const struct tcp_cc_ops *ops)
{
	if (!ops || !ops->name || !ops->init || !ops->on_ack || !ops->ssthresh)
		return -EINVAL;
	if (strlen(ops->name) == 0 || strlen(ops->name) > 15)
		return -EINVAL;
	if (ops->priv_size > TCP_CC_PRIV_BYTES)
		return -EINVAL;
	return 0;
}

uint32_t tcp_cc_initial_window_bytes(uint32_t mss, uint32_t segments)
{
	if (segments == 10) {
		/* RFC 6928 section 2: min(10*MSS, max(2*MSS, 14600)). */
		uint32_t cap = 2 * mss > 14600 ? 2 * mss : 14600;
		return 10 * mss < cap ? 10 * mss : cap;
	}
	return (segments ? segments : 1) * mss;
}
