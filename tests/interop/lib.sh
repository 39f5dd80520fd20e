# Shared helpers of the interop tests (POSIX sh): utcp on a TAP or TUN
# device, the Linux kernel on the other side, inside a network namespace
# the test creates and deletes (by name) whatever happens. Everything
# runs in that namespace: utcp (which opens the device there), the
# kernel's programs (curl, ping, ss, python3), so no packet leaves it.
#
#   interop_require "name ..."   skip those checks (with the reason) unless
#                                root, /dev/net/tun, ip and python3 are here
#   ns_up                        make the namespace $NS
#   dev_up tap|tun N             a device in it: $DEV, kernel side 10.77.N.1/24
#                                ($KADDR), utcp's 10.77.N.2 ($UADDR)
#   nsx CMD...                   run CMD in the namespace
#   utcp_bg LOG ARGS...          start `utcp ARGS` there; $! is in $BGPID
#   wait_ctl PATH                wait until a stack answers on PATH
#   stop PID                     SIGTERM, and wait for it
. tests/cli/lib.sh
KPEER="python3 tests/interop/kpeer.py"
T=$(basename "$0" .sh)
NS="utcp-$T-$$"
PIDS=""
NS_MADE=""
NS_EXTRA=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -n "$NS_MADE" ] && ip netns del "$NS" 2>/dev/null
	for n in $NS_EXTRA; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

interop_require() {
	why=""
	if [ "$(id -u)" != 0 ]; then why="needs root (network namespaces, TAP/TUN devices)"
	elif [ ! -c /dev/net/tun ]; then why="/dev/net/tun does not exist"
	elif ! need_cmd ip iproute2; then why="ip (iproute2) is not installed"
	elif ! need_cmd python3 python3; then why="python3 is not installed"
	elif ! ip netns add "$NS" 2>"$TMP/ns.err"; then why="cannot make a namespace: $(cat "$TMP/ns.err")"
	fi
	if [ -n "$why" ]; then
		for n in $1; do skip "$n" "$why"; done
		exit 0
	fi
	NS_MADE=1
	ip netns exec "$NS" ip link set lo up
	# The kernel's side speaks IPv4 only: no IPv6 chatter on the devices.
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	return 0
}

nsx() { ip netns exec "$NS" "$@"; }

# ns_extra NAME: another namespace, deleted with the first.
ns_extra() {
	ip netns add "$1" || return 1
	NS_EXTRA="$NS_EXTRA $1"
	ip netns exec "$1" ip link set lo up
}

dev_up() {
	DEV="u$1$$"
	KADDR="10.77.$2.1"
	UADDR="10.77.$2.2"
	nsx ip tuntap add dev "$DEV" mode "$1" || return 1
	nsx ip addr add "$KADDR/24" dev "$DEV" && nsx ip link set "$DEV" up
}

utcp_bg() {
	log=$1
	shift
	ip netns exec "$NS" "$UTCP" "$@" >"$log" 2>&1 &
	BGPID=$!
	PIDS="$PIDS $BGPID"
}

wait_ctl() {
	i=0
	while [ $i -lt 100 ]; do
		"$UTCP" netstat --ctl "$1" >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# wait_until SECONDS CMD...: retry CMD every 0.1 s.
wait_until() {
	limit=$(($1 * 10))
	shift
	i=0
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# pcap_clean NAME FILE: tshark's expert info shows no malformed packet and
# no bad checksum (IP and TCP checksums verified).
pcap_clean() {
	if ! need_cmd tshark tshark; then
		skip "$1" "tshark is not installed and could not be installed"
		return
	fi
	tshark -r "$2" -q -z expert >"$TMP/expert.txt" 2>&1 || { fail "$1" "tshark failed"; return; }
	bad=$(tshark -r "$2" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
		-Y 'tcp.checksum.status == 0 || ip.checksum.status == 0 || icmp.checksum.status == 0 || _ws.malformed' \
		2>/dev/null | wc -l)
	total=$(tshark -r "$2" 2>/dev/null | wc -l)
	if grep -Eiq 'malformed|bad checksum|checksum.*incorrect' "$TMP/expert.txt" || [ "$bad" != 0 ]; then
		fail "$1" "$bad bad of $total packets: $(grep -Ei 'malformed|checksum' "$TMP/expert.txt")"
	elif [ "$total" -lt 5 ]; then
		fail "$1" "only $total packets captured"
	else
		ok "$1 ($total packets)"
	fi
}
