/*
 * A pcap file writer (the classic libpcap format, microsecond stamps), so
 * that any capture utcp makes opens in tcpdump, tshark and Wireshark.
 */
#ifndef UTCP_PCAP_H
#define UTCP_PCAP_H

#include "utcp/types.h"

#define UTCP_PCAP_LINKTYPE_ETHERNET 1
#define UTCP_PCAP_LINKTYPE_RAW 101 /* raw IPv4/IPv6 datagrams */

struct utcp_pcap;

/* Create (truncate) path and write the file header. Returns 0 and sets
 * *out, or a negative errno from the file system, or -ENOMEM. */
int utcp_pcap_open(const char *path, uint32_t linktype, uint32_t snaplen,
		   struct utcp_pcap **out);

/* Append one packet captured at time `at` (microseconds; written as
 * seconds and microseconds). Packets longer than snaplen are truncated in
 * the file and keep their original length. Returns 0 or -errno. */
int utcp_pcap_write(struct utcp_pcap *p, utcp_time_us at, const uint8_t *pkt,
		    size_t len);

/* Flush and close. Returns 0 or the first write error seen. NULL is fine. */
int utcp_pcap_close(struct utcp_pcap *p);

#endif
