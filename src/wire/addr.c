/*
 * Dotted-quad text for IPv4 addresses (RFC 791 addresses in the usual
 * "a.b.c.d" notation), for configuration, tools and traces.
 */
#include "utcp/types.h"

#include <errno.h>
#include <stdio.h>

/* Read one decimal part 0..255 at *s and advance past it. Leading zeros
 * are refused: "010" means 8 to inet_aton and 10 to a human, so it is
 * rejected as inet_pton does. Returns 0 or -EINVAL. */
static int parse_octet(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint32_t v = 0;
	int digits = 0;

	while (*p >= '0' && *p <= '9' && digits < 4) {
		v = v * 10 + (uint32_t)(*p - '0');
		p++;
		digits++;
	}
	if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && **s == '0'))
		return -EINVAL;
	*s = p;
	*out = v;
	return 0;
}

int utcp_ipv4_parse(const char *text, uint32_t *out)
{
	uint32_t addr = 0;

	if (!text)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		uint32_t octet;
		if (i > 0 && *text++ != '.')
			return -EINVAL;
		if (parse_octet(&text, &octet) != 0)
			return -EINVAL;
		addr = (addr << 8) | octet;
	}
	if (*text != '\0')
		return -EINVAL;
	*out = addr;
	return 0;
}

const char *utcp_ipv4_format(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(addr >> 24), (unsigned)((addr >> 16) & 0xff),
		 (unsigned)((addr >> 8) & 0xff), (unsigned)(addr & 0xff));
	return buf;
}
