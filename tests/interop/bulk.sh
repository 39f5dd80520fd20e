# 200 MiB each way between utcp and the kernel through echo, discard and
# source, checked by SHA-256; and the throughput of each direction beside
# kernel -> kernel over a veth pair, measured in the same run (printed,
# never asserted: LESSONS-style numbers for the closing note).
. tests/interop/lib.sh
interop_require "bulk_kernel_to_utcp_discard bulk_utcp_to_kernel_source bulk_echo_both_ways \
	bulk_utcp_connect_to_kernel bulk_veth_reference"
SIZE=${BULK_BYTES:-209715200}
head -c "$SIZE" /dev/urandom >"$TMP/data.bin"
WANT=$(sha "$TMP/data.bin")
dev_up tap 3 || { fail bulk_setup "cannot make the TAP device"; exit 1; }
RATES=""

# serve_app APP PORT: utcp serve in the background, ready.
serve_app() {
	utcp_bg "$TMP/$2.log" serve --tap "$DEV" --addr "$UADDR/24" --port "$2" --app "$1" \
		--ctl "$TMP/ctl"
	SERVE=$BGPID
	wait_ctl "$TMP/ctl" || { fail bulk_setup "utcp serve did not start: $(cat "$TMP/$2.log")"; exit 1; }
}
mbit() { sed -n 's/.*mbit=\([0-9]*\).*/\1/p' "$1"; }

serve_app discard 9
nsx $KPEER send "$UADDR" 9 "$TMP/data.bin" >"$TMP/k2u.txt" 2>&1
sleep 0.2
stop "$SERVE"
if grep -q "^discard $KADDR:[0-9]* received=$SIZE sent=0 sha256=$WANT\$" "$TMP/9.log"; then
	ok bulk_kernel_to_utcp_discard
	RATES="$RATES kernel->utcp(TAP):$(mbit "$TMP/k2u.txt")"
else fail bulk_kernel_to_utcp_discard "$(cat "$TMP/k2u.txt" "$TMP/9.log")"; fi

serve_app "source:$SIZE" 19
nsx $KPEER recv "$UADDR" 19 >"$TMP/u2k.txt" 2>&1
sleep 0.2
stop "$SERVE"
src_sha=$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$TMP/19.log")
if [ -n "$src_sha" ] && grep -q "received=$SIZE sha256=$src_sha" "$TMP/u2k.txt"; then
	ok bulk_utcp_to_kernel_source
	RATES="$RATES utcp->kernel(TAP):$(mbit "$TMP/u2k.txt")"
else fail bulk_utcp_to_kernel_source "$(cat "$TMP/u2k.txt" "$TMP/19.log")"; fi

serve_app echo 7
if nsx $KPEER echo "$UADDR" 7 "$SIZE" >"$TMP/echo.txt" 2>&1 && grep -q 'intact=True' "$TMP/echo.txt"
then ok bulk_echo_both_ways; RATES="$RATES echo-each-way(TAP):$(mbit "$TMP/echo.txt")"
else fail bulk_echo_both_ways "$(cat "$TMP/echo.txt")"; fi
stop "$SERVE"

# utcp as the client: utcp connect sends the file to a kernel sink.
nsx $KPEER serve-sink 5001 1 >"$TMP/sink.txt" 2>&1 &
SINK=$!
PIDS="$PIDS $SINK"
wait_until 5 grep -q listening "$TMP/sink.txt"
if nsx "$UTCP" connect --tap "$DEV" --addr "$UADDR/24" --send "$TMP/data.bin" --recv /dev/null \
	"$KADDR:5001" 2>"$TMP/conn.err"; then :; else fail bulk_utcp_connect_to_kernel "$(cat "$TMP/conn.err")"; fi
wait "$SINK"
if grep -q "received=$SIZE sha256=$WANT" "$TMP/sink.txt"; then
	ok bulk_utcp_connect_to_kernel
	RATES="$RATES utcp-connect->kernel(TAP):$(mbit "$TMP/sink.txt")"
else fail bulk_utcp_connect_to_kernel "$(cat "$TMP/sink.txt")"; fi

# The reference: kernel -> kernel over a veth pair between two namespaces.
NS2="utcp-$T-peer-$$"
if ns_extra "$NS2" && nsx ip link add "va$$" type veth peer name "vb$$" netns "$NS2" &&
   nsx ip addr add 10.78.3.1/24 dev "va$$" && nsx ip link set "va$$" up &&
   ip netns exec "$NS2" ip addr add 10.78.3.2/24 dev "vb$$" &&
   ip netns exec "$NS2" ip link set "vb$$" up; then
	ip netns exec "$NS2" $KPEER serve-sink 5002 1 >"$TMP/vsink.txt" 2>&1 &
	VS=$!
	PIDS="$PIDS $VS"
	wait_until 5 grep -q listening "$TMP/vsink.txt"
	nsx $KPEER send 10.78.3.2 5002 "$TMP/data.bin" >"$TMP/veth.txt" 2>&1
	wait "$VS"
	if grep -q "received=$SIZE sha256=$WANT" "$TMP/vsink.txt"; then
		ok bulk_veth_reference
		RATES="$RATES kernel->kernel(veth):$(mbit "$TMP/veth.txt")"
	else fail bulk_veth_reference "$(cat "$TMP/veth.txt" "$TMP/vsink.txt")"; fi
else
	fail bulk_veth_reference "cannot make the veth pair"
fi
echo "   throughput of $SIZE bytes, Mbit/s:$RATES"
finish
