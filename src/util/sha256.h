/*
 * SHA-256 (FIPS 180-4), incremental: what `utcp serve --app discard`
 * prints for each connection, so that a test compares it with sha256sum.
 */
#ifndef UTCP_UTIL_SHA256_H
#define UTCP_UTIL_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;    /* message length so far */
	uint8_t block[64]; /* a partial block */
	size_t fill;       /* bytes in block */
	bool hw;           /* the CPU's SHA instructions (x86 SHA-NI) are used */
};

/* Uses the CPU's SHA instructions when it has them (set c->hw = false
 * after init to compare with the portable code). */
void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);
/* The digest as 64 lower-case hex digits and a NUL. */
void sha256_hex(const uint8_t digest[SHA256_LEN], char out[2 * SHA256_LEN + 1]);

#endif
