/*
 * Tests of the pcap writer: the bytes of the file format, truncation at
 * the snap length, error reporting, and that tshark reads what we write.
 */
#include "../harness.h"
#include "utcp/pcap.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* A fresh temporary directory and a file name in it. */
struct tmpfile {
	char dir[32];
	char path[64];
};

static void tmp_make(struct tmpfile *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/utcp_pcap_XXXXXX");
	REQUIRE(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/t.pcap", t->dir);
}

static void tmp_remove(struct tmpfile *t)
{
	unlink(t->path);
	rmdir(t->dir);
}

/* Read a whole (small) file. Returns its length, or -1. */
static long slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}

static uint32_t host32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t host16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

TEST(pcap_header_and_record_layout)
{
	struct tmpfile t;
	tmp_make(&t);
	struct utcp_pcap *p;
	REQUIRE_EQ(utcp_pcap_open(t.path, UTCP_PCAP_LINKTYPE_RAW, 0, &p), 0);
	const uint8_t a[3] = {1, 2, 3}, b[5] = {4, 5, 6, 7, 8};
	CHECK_EQ(utcp_pcap_write(p, 0, a, sizeof(a)), 0);
	CHECK_EQ(utcp_pcap_write(p, UTCP_SEC(3) + 250, b, sizeof(b)), 0);
	CHECK_EQ(utcp_pcap_close(p), 0);

	uint8_t f[128];
	REQUIRE_EQ(slurp(t.path, f, sizeof(f)), 24 + 16 + 3 + 16 + 5);
	CHECK(host32(f) == 0xa1b2c3d4u);
	CHECK_EQ(host16(f + 4), 2);
	CHECK_EQ(host16(f + 6), 4);
	CHECK_EQ(host32(f + 8), 0);
	CHECK_EQ(host32(f + 12), 0);
	CHECK_EQ(host32(f + 16), 65535); /* snaplen 0 means 65535 */
	CHECK_EQ(host32(f + 20), 101);
	const uint8_t *r = f + 24;
	CHECK_EQ(host32(r), 0);
	CHECK_EQ(host32(r + 4), 0);
	CHECK_EQ(host32(r + 8), 3);
	CHECK_EQ(host32(r + 12), 3);
	CHECK(memcmp(r + 16, a, 3) == 0);
	r += 16 + 3;
	CHECK_EQ(host32(r), 3);
	CHECK_EQ(host32(r + 4), 250);
	CHECK_EQ(host32(r + 8), 5);
	CHECK_EQ(host32(r + 12), 5);
	CHECK(memcmp(r + 16, b, 5) == 0);
	tmp_remove(&t);
}

TEST(pcap_snaplen_truncates_and_keeps_original_length)
{
	struct tmpfile t;
	tmp_make(&t);
	struct utcp_pcap *p;
	REQUIRE_EQ(utcp_pcap_open(t.path, UTCP_PCAP_LINKTYPE_ETHERNET, 10, &p), 0);
	uint8_t pkt[40];
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	CHECK_EQ(utcp_pcap_write(p, 7, pkt, sizeof(pkt)), 0);
	CHECK_EQ(utcp_pcap_write(p, 8, pkt, 10), 0);
	CHECK_EQ(utcp_pcap_close(p), 0);

	uint8_t f[128];
	REQUIRE_EQ(slurp(t.path, f, sizeof(f)), 24 + 16 + 10 + 16 + 10);
	CHECK_EQ(host32(f + 16), 10);
	CHECK_EQ(host32(f + 20), 1);
	CHECK_EQ(host32(f + 24 + 4), 7);
	CHECK_EQ(host32(f + 24 + 8), 10);
	CHECK_EQ(host32(f + 24 + 12), 40);
	CHECK(memcmp(f + 40, pkt, 10) == 0);
	CHECK_EQ(host32(f + 50 + 8), 10);
	CHECK_EQ(host32(f + 50 + 12), 10);
	tmp_remove(&t);
}

TEST(pcap_reports_file_errors)
{
	struct utcp_pcap *p = NULL;
	CHECK_EQ(utcp_pcap_open("/nonexistent/dir/x.pcap", 1, 0, &p), -ENOENT);
	CHECK(p == NULL);
	CHECK_EQ(utcp_pcap_close(NULL), 0);
	if (access("/dev/full", W_OK) != 0)
		SKIP("/dev/full not available");
	/* Writes are buffered, so the error shows when the buffer is flushed:
	 * at the latest, on close. */
	REQUIRE_EQ(utcp_pcap_open("/dev/full", 1, 0, &p), 0);
	uint8_t big[4096] = {0};
	int err = 0;
	for (int i = 0; i < 64 && !err; i++)
		err = utcp_pcap_write(p, 0, big, sizeof(big));
	CHECK_EQ(err, -ENOSPC);
	CHECK_EQ(utcp_pcap_write(p, 0, big, 1), -ENOSPC);
	CHECK_EQ(utcp_pcap_close(p), -ENOSPC);
}

/* Ones' complement sum (RFC 1071) of len bytes, folded, not complemented. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A SYN 10.0.0.1:4321 -> 10.0.0.2:80 with 4 payload bytes, both checksums
 * correct. Returns its length. */
static size_t build_syn(uint8_t *pkt)
{
	static const uint8_t addrs[8] = {10, 0, 0, 1, 10, 0, 0, 2};
	memset(pkt, 0, 44);
	pkt[0] = 0x45; /* IPv4, 20-byte header */
	put16(pkt + 2, 44);
	put16(pkt + 4, 0x1234);
	pkt[6] = 0x40; /* DF */
	pkt[8] = 64;   /* TTL */
	pkt[9] = 6;    /* TCP */
	memcpy(pkt + 12, addrs, sizeof(addrs));
	put16(pkt + 10, ~sum16(0, pkt, 20) & 0xffff);
	uint8_t *t = pkt + 20;
	put16(t, 4321);
	put16(t + 2, 80);
	put16(t + 4, 0x0102); /* seq 0x01020304 */
	put16(t + 6, 0x0304);
	t[12] = 5 << 4;
	t[13] = 0x02; /* SYN */
	put16(t + 14, 65535);
	memcpy(t + 20, "abcd", 4);
	/* Pseudo-header (RFC 9293 3.1): addresses, zero, protocol, length. */
	uint8_t pseudo[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 24};
	uint32_t s = sum16(sum16(0, pseudo, sizeof(pseudo)), t, 24);
	put16(t + 16, ~s & 0xffff);
	return 44;
}

TEST(pcap_tshark_reads_tcp)
{
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		SKIP("tshark not installed");
	struct tmpfile t;
	tmp_make(&t);
	struct utcp_pcap *p;
	REQUIRE_EQ(utcp_pcap_open(t.path, UTCP_PCAP_LINKTYPE_RAW, 0, &p), 0);
	uint8_t pkt[64];
	size_t len = build_syn(pkt);
	CHECK_EQ(utcp_pcap_write(p, UTCP_SEC(1) + 5, pkt, len), 0);
	CHECK_EQ(utcp_pcap_close(p), 0);

	char cmd[256], out[256] = "";
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -o ip.check_checksum:TRUE "
		 "-o tcp.check_checksum:TRUE -T fields -e tcp.srcport "
		 "-e tcp.dstport -e ip.checksum.status -e tcp.checksum.status "
		 "-e frame.time_epoch 2>/dev/null",
		 t.path);
	FILE *f = popen(cmd, "r");
	REQUIRE(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	CHECK_EQ(pclose(f), 0);
	/* Ports, both checksums good (status 1), the stamp 1.000005 s. */
	static const char want[] = "4321\t80\t1\t1\t1.000005";
	CHECK(strncmp(out, want, sizeof(want) - 1) == 0);
	if (strncmp(out, want, sizeof(want) - 1) != 0)
		fprintf(stderr, "    tshark printed: %s\n", out);
	tmp_remove(&t);
}
