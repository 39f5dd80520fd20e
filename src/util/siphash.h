/*
 * SipHash-2-4 (Aumasson and Bernstein): a keyed pseudo-random function,
 * used for ISNs (RFC 9293 3.4.1), ephemeral ports (RFC 6056) and hash-table
 * seeds, so that outsiders cannot predict them (MUST-9).
 */
#ifndef UTCP_UTIL_SIPHASH_H
#define UTCP_UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
