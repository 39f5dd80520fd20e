/* A link decorator that captures to pcap; see pcap_link.h. */
#define _GNU_SOURCE
#include "link/pcap_link.h"

#include <time.h>

static utcp_time_us wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (utcp_time_us)ts.tv_sec * 1000000u + (utcp_time_us)ts.tv_nsec / 1000u;
}

static void record(struct pcap_link *pl, const uint8_t *pkt, size_t len)
{
	int r = utcp_pcap_write(pl->pcap, wall_now(), pkt, len);
	if (r && !pl->err)
		pl->err = r;
}

int pcap_link_open(struct pcap_link *pl, const char *path, uint32_t linktype,
		   const struct utcp_link_ops *inner, void *inner_ctx)
{
	pl->inner = inner;
	pl->inner_ctx = inner_ctx;
	pl->err = 0;
	return utcp_pcap_open(path, linktype, 65535, &pl->pcap);
}

void pcap_link_input(struct pcap_link *pl, const uint8_t *pkt, size_t len)
{
	record(pl, pkt, len);
}

static int pcap_link_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct pcap_link *pl = ctx;
	record(pl, pkt, len);
	return pl->inner->output(pl->inner_ctx, pkt, len);
}

const struct utcp_link_ops pcap_link_ops = {.output = pcap_link_output};

int pcap_link_close(struct pcap_link *pl)
{
	int r = utcp_pcap_close(pl->pcap);
	pl->pcap = NULL;
	return pl->err ? pl->err : r;
}
