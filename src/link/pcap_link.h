/*
 * A capturing link: wraps another link's output and records every packet
 * that leaves, and every packet the driver says arrived, into a pcap file
 * (smoltcp's PcapWriter middleware). Link type Ethernet for a TAP, RAW
 * (bare IPv4) for a TUN. Stamps are wall-clock time, as tcpdump's.
 */
#ifndef UTCP_LINK_PCAP_LINK_H
#define UTCP_LINK_PCAP_LINK_H

#include "utcp/pcap.h"
#include "utcp/stack.h"

struct pcap_link {
	const struct utcp_link_ops *inner;
	void *inner_ctx;
	struct utcp_pcap *pcap;
	int err; /* first write error (negative errno), 0 if none */
};

/* Open path and wrap inner. Returns 0 or a negative errno. */
int pcap_link_open(struct pcap_link *pl, const char *path, uint32_t linktype,
		   const struct utcp_link_ops *inner, void *inner_ctx);
/* Record a packet that arrived. */
void pcap_link_input(struct pcap_link *pl, const uint8_t *pkt, size_t len);
/* Close the file; returns 0 or the first error. */
int pcap_link_close(struct pcap_link *pl);

/* Output ops of the wrapper (ctx: struct pcap_link *). */
extern const struct utcp_link_ops pcap_link_ops;

#endif
