/* SHA-256 against the FIPS 180-4 / NIST example vectors. */
#include "../harness.h"

#include "util/sha256.h"

static const char *digest_of(const void *data, size_t len, size_t chunk, char *hex)
{
	struct sha256 c;
	uint8_t d[SHA256_LEN];
	sha256_init(&c);
	const uint8_t *p = data;
	while (len) {
		size_t n = len < chunk ? len : chunk;
		sha256_update(&c, p, n);
		p += n;
		len -= n;
	}
	sha256_final(&c, d);
	sha256_hex(d, hex);
	return hex;
}

TEST(sha256_nist_vectors)
{
	char hex[65];
	CHECK_STR(digest_of("", 0, 1, hex),
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_STR(digest_of("abc", 3, 1, hex),
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	for (size_t chunk = 1; chunk <= 64; chunk += 7)
		CHECK_STR(digest_of(two, strlen(two), chunk, hex),
			  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(sha256_a_million_a)
{
	static char a[1000000];
	memset(a, 'a', sizeof(a));
	char hex[65];
	CHECK_STR(digest_of(a, sizeof(a), 4099, hex),
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Where the CPU has SHA instructions, they and the portable rounds agree
 * on every length around block boundaries, fed in odd pieces. */
TEST(sha256_cpu_and_portable_agree)
{
	static uint8_t data[4096 + 200];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	struct sha256 probe;
	sha256_init(&probe);
	if (!probe.hw)
		SKIP("this CPU has no SHA instructions: only the portable code runs here");
	for (size_t len = 0; len < sizeof(data); len += len < 300 ? 1 : 61) {
		uint8_t d[2][SHA256_LEN];
		for (int hw = 0; hw < 2; hw++) {
			struct sha256 c;
			sha256_init(&c);
			c.hw = hw;
			for (size_t off = 0; off < len;) {
				size_t n = (off * 7 + 13) % 251 + 1;
				if (n > len - off)
					n = len - off;
				sha256_update(&c, data + off, n);
				off += n;
			}
			sha256_final(&c, d[hw]);
		}
		CHECK(memcmp(d[0], d[1], SHA256_LEN) == 0);
	}
}
