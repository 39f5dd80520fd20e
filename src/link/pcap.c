/*
 * A pcap file writer: the classic libpcap format (not pcapng), which
 * tcpdump, tshark and Wireshark all read.
 *
 * File header (24 bytes, in the writer's byte order, which readers detect
 * from the magic): magic 0xa1b2c3d4 (microsecond stamps), version 2.4,
 * thiszone 0, sigfigs 0, snaplen, linktype. Then per packet a 16-byte
 * record header (ts_sec, ts_usec, incl_len, orig_len) and incl_len bytes.
 */
#include "utcp/pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC_US	     0xa1b2c3d4u
#define PCAP_SNAPLEN_DEFAULT 65535u
#define PCAP_BUFSIZE	     65536

struct utcp_pcap {
	FILE *f;
	uint32_t snaplen;
	int err;		/* first error seen (negative errno), or 0 */
	char buf[PCAP_BUFSIZE]; /* stdio's buffer for f */
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v)); /* host byte order, as the format wants */
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Write len bytes. Returns 0, or the first error of this writer (remembered,
 * so that close reports it too). */
static int put_bytes(struct utcp_pcap *p, const void *data, size_t len)
{
	if (p->err)
		return p->err;
	errno = 0;
	if (len && fwrite(data, 1, len, p->f) != len)
		p->err = errno ? -errno : -EIO;
	return p->err;
}

/* Create path and write the file header. Returns 0 and sets *out, or
 * -EINVAL (bad argument), -ENOMEM, or the -errno of fopen or the write. */
int utcp_pcap_open(const char *path, uint32_t linktype, uint32_t snaplen, struct utcp_pcap **out)
{
	if (!path || !out)
		return -EINVAL;
	struct utcp_pcap *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->snaplen = snaplen ? snaplen : PCAP_SNAPLEN_DEFAULT;
	errno = 0;
	p->f = fopen(path, "wb");
	if (!p->f) {
		int err = errno ? -errno : -EIO;
		free(p);
		return err;
	}
	setvbuf(p->f, p->buf, _IOFBF, sizeof(p->buf));

	uint8_t hdr[24];
	put32(hdr, PCAP_MAGIC_US);
	put16(hdr + 4, 2); /* version 2.4 */
	put16(hdr + 6, 4);
	put32(hdr + 8, 0);  /* thiszone: stamps are UTC (virtual time) */
	put32(hdr + 12, 0); /* sigfigs */
	put32(hdr + 16, p->snaplen);
	put32(hdr + 20, linktype);
	int err = put_bytes(p, hdr, sizeof(hdr));
	if (err) {
		fclose(p->f);
		free(p);
		return err;
	}
	*out = p;
	return 0;
}

/* Append one record, keeping at most snaplen bytes of the packet.
 * Returns 0 or the writer's first error. */
int utcp_pcap_write(struct utcp_pcap *p, utcp_time_us at, const uint8_t *pkt, size_t len)
{
	if (!p || (!pkt && len))
		return -EINVAL;
	size_t incl = len < p->snaplen ? len : p->snaplen;
	uint8_t rec[16];
	put32(rec, (uint32_t)(at / 1000000));
	put32(rec + 4, (uint32_t)(at % 1000000));
	put32(rec + 8, (uint32_t)incl);
	put32(rec + 12, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	int err = put_bytes(p, rec, sizeof(rec));
	return err ? err : put_bytes(p, pkt, incl);
}

/* Flush and close p (NULL is fine). Returns 0 or the first error seen,
 * including one from the final flush. */
int utcp_pcap_close(struct utcp_pcap *p)
{
	if (!p)
		return 0;
	errno = 0;
	if (fclose(p->f) != 0 && !p->err)
		p->err = errno ? -errno : -EIO;
	int err = p->err;
	free(p);
	return err;
}
