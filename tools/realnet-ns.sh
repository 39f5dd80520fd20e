#!/bin/sh
# A network namespace to try utcp on a real link by hand (docs/REAL_LINKS.md):
#
#   tools/realnet-ns.sh up NAME [N]   namespace NAME with TAP device tap0 whose
#                                     kernel side is 10.77.N.1/24 (N default 9);
#                                     utcp takes 10.77.N.2
#   tools/realnet-ns.sh down NAME     delete the namespace and all in it
#
# Everything stays inside the namespace: run utcp and the kernel's programs
# there with `ip netns exec NAME ...`.
set -e
case "$1" in
up)
	[ -n "$2" ] || { echo "usage: $0 up NAME [N]" >&2; exit 2; }
	n=${3:-9}
	ip netns add "$2"
	ip netns exec "$2" ip link set lo up
	ip netns exec "$2" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$2" ip tuntap add dev tap0 mode tap
	ip netns exec "$2" ip addr add "10.77.$n.1/24" dev tap0
	ip netns exec "$2" ip link set tap0 up
	echo "namespace $2: tap0, the kernel at 10.77.$n.1/24; give utcp --tap tap0 --addr 10.77.$n.2/24"
	;;
down)
	[ -n "$2" ] || { echo "usage: $0 down NAME" >&2; exit 2; }
	ip netns del "$2"
	;;
*)
	echo "usage: $0 up NAME [N] | down NAME" >&2
	exit 2
	;;
esac
