/*
 * TAP and TUN devices (Linux's Documentation/networking/tuntap.rst):
 * open /dev/net/tun, TUNSETIFF with IFF_TAP or IFF_TUN and IFF_NO_PI.
 * TUNSETIFF attaches to an existing device of that name and kind (a
 * persistent one, made with `ip tuntap add`), or creates a device that
 * lives as long as our descriptor. The MTU is the device's (SIOCGIFMTU).
 *
 * One driver for both kinds: they differ only in one flag, in what the
 * stack does with the packets, and in the pcap link type.
 */
#define _GNU_SOURCE
#include "link/netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* The name into a request; callers have checked it fits. */
static void set_name(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, name, strlen(name));
}

/* ioctl on an AF_INET datagram socket: the interface requests' home. */
static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int r = ioctl(s, req, ifr) < 0 ? -errno : 0;
	close(s);
	return r;
}

static int bring_up(const char *name)
{
	struct ifreq ifr;
	set_name(&ifr, name);
	int r = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (r)
		return r;
	ifr.ifr_flags |= IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

/* Attaching turns the device's carrier on, but the kernel starts sending
 * on it (its queueing discipline) only when its link watcher runs, up to
 * a second later; until then what it sends us, such as the answer to our
 * first ARP request, is dropped. The link watcher sets operstate too:
 * wait for that, a bounded while. */
static void wait_operational(const char *name)
{
	char path[64], state[16];
	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", name);
	for (int ms = 0; ms < 2000; ms++) {
		FILE *f = fopen(path, "r");
		if (!f)
			return; /* no sysfs here: nothing to wait on */
		bool got = fgets(state, sizeof(state), f) != NULL;
		fclose(f);
		if (!got || strncmp(state, "down", 4) != 0)
			return; /* "up", or "unknown" where there is no carrier */
		struct timespec t = {0, 1000000};
		nanosleep(&t, NULL);
	}
}

int netdev_open(struct netdev *d, enum netdev_kind kind, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->kind = kind;
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	memcpy(d->name, name, strlen(name));
	d->created = if_nametoindex(name) == 0;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	set_name(&ifr, name);
	ifr.ifr_flags = (short)((kind == NETDEV_TAP ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	d->fd = fd;
	if (d->created) {
		int err = bring_up(d->name);
		if (err) {
			netdev_close(d);
			return err;
		}
	}
	wait_operational(d->name);
	set_name(&ifr, d->name);
	int err = if_ioctl(SIOCGIFMTU, &ifr);
	if (err) {
		netdev_close(d);
		return err;
	}
	d->mtu = (uint16_t)(ifr.ifr_mtu > 65535 ? 65535 : ifr.ifr_mtu);
	return 0;
}

void netdev_close(struct netdev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

ssize_t netdev_read(struct netdev *d, uint8_t *buf, size_t cap)
{
	for (;;) {
		ssize_t n = read(d->fd, buf, cap);
		if (n >= 0) {
			d->rx_packets++;
			d->rx_bytes += (uint64_t)n;
			return n;
		}
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -errno;
	}
}

static int netdev_output(void *ctx, const uint8_t *pkt, size_t len)
{
	struct netdev *d = ctx;
	for (;;) {
		ssize_t n = write(d->fd, pkt, len);
		if (n == (ssize_t)len) {
			d->tx_packets++;
			d->tx_bytes += len;
			return 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* The kernel's side is down (EIO) or short of memory: a
		 * lost packet, which TCP recovers from. */
		d->tx_errors++;
		return n < 0 ? -errno : -EIO;
	}
}

const struct utcp_link_ops netdev_link_ops = {.output = netdev_output};

void netdev_iface_config(struct netdev *d, uint32_t addr, uint8_t prefix_len,
			 struct utcp_iface_config *ic)
{
	memset(ic, 0, sizeof(*ic));
	ic->name = d->name;
	ic->addr = addr;
	ic->prefix_len = prefix_len;
	ic->mtu = d->mtu;
	ic->ops = &netdev_link_ops;
	ic->link_ctx = d;
	ic->kind = d->kind == NETDEV_TAP ? UTCP_IFACE_ETHERNET : UTCP_IFACE_IP;
	const uint8_t mac[6] = {0x02, 0x75, (uint8_t)(addr >> 24), (uint8_t)(addr >> 16),
				(uint8_t)(addr >> 8), (uint8_t)addr};
	memcpy(ic->mac, mac, sizeof(mac));
}
