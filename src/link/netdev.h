/*
 * Linux TAP and TUN devices as utcp links: a TAP device carries Ethernet
 * frames (the stack adds an Ethernet interface and runs ARP), a TUN device
 * carries IPv4 datagrams (an IP interface, as in the simulator). Both are
 * opened through /dev/net/tun without the packet-information prefix
 * (IFF_NO_PI), non-blocking, so an event loop (loop.h) drives them.
 */
#ifndef UTCP_LINK_NETDEV_H
#define UTCP_LINK_NETDEV_H

#include "utcp/stack.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum netdev_kind { NETDEV_TAP, NETDEV_TUN };

struct netdev {
	int fd; /* -1 when closed */
	enum netdev_kind kind;
	char name[16];   /* IFNAMSIZ */
	uint16_t mtu;    /* the device's MTU: the largest IP datagram */
	bool created;    /* it did not exist: ours, and gone when we close it */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t tx_errors; /* writes the kernel refused (device down, ...) */
};

/* Attach to the device `name`, creating it when there is none (then it is
 * brought up, without an address: the kernel's side is the user's to
 * configure). Returns 0, or a negative errno: -ENOENT without
 * /dev/net/tun, -EPERM without CAP_NET_ADMIN, -EINVAL when `name` is a
 * device of another kind, -EBUSY when another process has it. */
int netdev_open(struct netdev *d, enum netdev_kind kind, const char *name);
void netdev_close(struct netdev *d);

/* Read one packet into buf. Returns its length, 0 when none is waiting,
 * or a negative errno. */
ssize_t netdev_read(struct netdev *d, uint8_t *buf, size_t cap);

/* The link's output (ctx: struct netdev *): one write per packet. */
extern const struct utcp_link_ops netdev_link_ops;

/* The interface configuration for d: kind, MTU, and for a TAP a station
 * address of our own, 02:75 ("u") followed by the IPv4 address, locally
 * administered and readable in a capture (the device's own address is the
 * kernel's side). */
void netdev_iface_config(struct netdev *d, uint32_t addr, uint8_t prefix_len,
			 struct utcp_iface_config *ic);

#endif
