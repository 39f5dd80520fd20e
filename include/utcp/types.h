/*
 * Basic types shared by every part of utcp's public API.
 *
 * Time is always passed in by the caller: utcp never reads a clock. A time
 * is a count of microseconds on any monotonic timeline the caller chooses
 * (virtual time in the simulator, CLOCK_MONOTONIC on a real link).
 */
#ifndef UTCP_TYPES_H
#define UTCP_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Absolute time or duration in microseconds. */
typedef uint64_t utcp_time_us;

/* "No deadline": returned when nothing is scheduled. */
#define UTCP_TIME_NEVER UINT64_MAX

#define UTCP_MS(x) ((utcp_time_us)(x) * 1000u)
#define UTCP_SEC(x) ((utcp_time_us)(x) * 1000000u)

/* An IPv4 endpoint. Both fields are in host byte order. */
struct utcp_sockaddr {
	uint32_t addr;
	uint16_t port;
};

/* Build an IPv4 address in host byte order from its dotted-quad parts. */
static inline uint32_t utcp_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return ((uint32_t)a << 24) | ((uint32_t)b << 16) | ((uint32_t)c << 8) | d;
}

/*
 * Parse "a.b.c.d" into a host-order address.
 * Returns 0, or -EINVAL when the text is not a dotted quad.
 */
int utcp_ipv4_parse(const char *text, uint32_t *out);

/* Format a host-order address as "a.b.c.d" into buf (at least 16 bytes). */
const char *utcp_ipv4_format(uint32_t addr, char *buf, size_t len);

#endif
