# `utcp get` against a kernel HTTP server (python3 -m http.server), and
# refused connections both ways.
. tests/interop/lib.sh
interop_require "get_50m_from_kernel get_repeat_reconnects get_404_fails get_over_tun \
	refused_kernel_to_utcp refused_utcp_to_kernel refused_pcap"
dev_up tap 4 || { fail get_setup "cannot make the TAP device"; exit 1; }
mkdir "$TMP/www"
head -c 52428800 /dev/urandom >"$TMP/www/50m.bin"
echo small >"$TMP/www/small.txt"
(cd "$TMP/www" && exec ip netns exec "$NS" python3 -m http.server --bind 0.0.0.0 8000) \
	>"$TMP/httpd.log" 2>&1 &
PIDS="$PIDS $!"
wait_until 10 nsx python3 -c "import socket; socket.create_connection(('$KADDR', 8000), 1)"

get() { nsx "$UTCP" get --tap "$DEV" --addr "$UADDR/24" "$@"; }

if get -o "$TMP/50m.got" "http://$KADDR:8000/50m.bin" >"$TMP/get.txt" 2>&1 &&
   [ "$(sha "$TMP/50m.got")" = "$(sha "$TMP/www/50m.bin")" ]; then
	ok "get_50m_from_kernel ($(cat "$TMP/get.txt"))"
else fail get_50m_from_kernel "$(cat "$TMP/get.txt")"; fi

# python's server speaks HTTP/1.0 and closes: each request a new connection.
if get --repeat 3 -o "$TMP/small.got" "http://$KADDR:8000/small.txt" >"$TMP/get.txt" 2>&1 &&
   grep -q '^3 requests over 3 connection(s): 3 ok' "$TMP/get.txt" &&
   cmp -s "$TMP/small.got" "$TMP/www/small.txt"; then ok get_repeat_reconnects
else fail get_repeat_reconnects "$(cat "$TMP/get.txt")"; fi

get "http://$KADDR:8000/nothing-here" >"$TMP/get.txt" 2>&1
st=$?
if [ $st = 1 ] && grep -q '1 4xx' "$TMP/get.txt"; then ok get_404_fails
else fail get_404_fails "status $st: $(cat "$TMP/get.txt")"; fi

# --tun works wherever --tap does: the same client over a TUN device.
TAPDEV=$DEV TAPK=$KADDR TAPU=$UADDR
if dev_up tun 8 && nsx "$UTCP" get --tun "$DEV" --addr "$UADDR/24" -o "$TMP/tun.got" \
	"http://$KADDR:8000/small.txt" >"$TMP/get.txt" 2>&1 && cmp -s "$TMP/tun.got" "$TMP/www/small.txt"
then ok get_over_tun
else fail get_over_tun "$(cat "$TMP/get.txt")"; fi
DEV=$TAPDEV KADDR=$TAPK UADDR=$TAPU

# The kernel connects where utcp has no listener: RST, "connection refused".
utcp_bg "$TMP/serve.log" serve --tap "$DEV" --addr "$UADDR/24" --port 7 --app echo \
	--ctl "$TMP/ctl" --pcap "$TMP/refused.pcap"
SERVE=$BGPID
wait_ctl "$TMP/ctl" || { fail get_setup "utcp serve did not start: $(cat "$TMP/serve.log")"; exit 1; }
if nsx $KPEER refused "$UADDR" 4444 >"$TMP/r.txt" 2>&1 && grep -q 'result=refused' "$TMP/r.txt"
then ok "refused_kernel_to_utcp ($(sed -n 's/.*error=//p' "$TMP/r.txt"))"
else fail refused_kernel_to_utcp "$(cat "$TMP/r.txt")"; fi
stop "$SERVE"
pcap_clean refused_pcap "$TMP/refused.pcap"

# utcp connects where the kernel has no listener: ECONNREFUSED, status 1.
nsx "$UTCP" connect --tap "$DEV" --addr "$UADDR/24" "$KADDR:4445" >"$TMP/c.out" 2>"$TMP/c.err"
st=$?
if [ $st = 1 ] && grep -q "utcp connect: $KADDR:4445: connection refused" "$TMP/c.err"; then
	ok refused_utcp_to_kernel
else fail refused_utcp_to_kernel "status $st: $(cat "$TMP/c.err")"; fi
finish
