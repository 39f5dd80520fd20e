# Half-close and TIME_WAIT across stacks, observed on both sides: ss -tan
# in the namespace for the kernel, utcp netstat for utcp.
. tests/interop/lib.sh
interop_require "halfclose_kernel_fin_wait_2_utcp_close_wait halfclose_both_see_eof \
	time_wait_utcp_2msl_then_gone time_wait_kernel states_pcap"
need_cmd ss iproute2 || true
dev_up tap 5 || { fail states_setup "cannot make the TAP device"; exit 1; }
SIZE=8388608

# --- half-close: the kernel sends and shuts down; utcp keeps sending ---
utcp_bg "$TMP/src.log" serve --tap "$DEV" --addr "$UADDR/24" --port 19 --app "source:$SIZE" \
	--ctl "$TMP/ctl" --pcap "$TMP/states.pcap"
SERVE=$BGPID
wait_ctl "$TMP/ctl" || { fail states_setup "utcp serve did not start: $(cat "$TMP/src.log")"; exit 1; }
nsx $KPEER halfclose "$UADDR" 19 "$TMP/go" >"$TMP/hc.txt" 2>&1 &
HC=$!
PIDS="$PIDS $HC"
wait_until 10 grep -q phase=waiting "$TMP/hc.txt"
kernel_fw2() { nsx ss -tan state fin-wait-2 "dst $UADDR:19" | grep -q "$UADDR:19"; }
utcp_cw() { "$UTCP" netstat --ctl "$TMP/ctl" | grep -q "^CLOSE_WAIT .* $KADDR:"; }
if wait_until 5 kernel_fw2 && wait_until 5 utcp_cw; then
	nsx ss -tan "dst $UADDR:19" | sed -n 2p >"$TMP/ss.txt"
	"$UTCP" netstat --ctl "$TMP/ctl" | grep CLOSE_WAIT >"$TMP/ns.txt"
	ok "halfclose_kernel_fin_wait_2_utcp_close_wait (ss: $(awk '{print $1}' "$TMP/ss.txt"); utcp: $(awk '{print $1}' "$TMP/ns.txt"))"
else
	fail halfclose_kernel_fin_wait_2_utcp_close_wait \
		"ss: $(nsx ss -tan | tail -n +2 | tr '\n' ';') utcp: $("$UTCP" netstat --ctl "$TMP/ctl" | tr '\n' ';')"
fi
touch "$TMP/go"
wait "$HC"
sleep 0.3
stop "$SERVE"
src_sha=$(sed -n 's/^source .* sha256=\([0-9a-f]*\).*/\1/p' "$TMP/src.log")
if grep -q "phase=done received=$SIZE sha256=$src_sha" "$TMP/hc.txt" &&
   grep -q "^source $KADDR:[0-9]* received=22 sent=$SIZE " "$TMP/src.log"; then
	ok halfclose_both_see_eof
else fail halfclose_both_see_eof "$(cat "$TMP/hc.txt" "$TMP/src.log")"; fi

# --- TIME_WAIT at utcp: it closes first; MSL 1 s, so 2 s ---
utcp_bg "$TMP/tw.log" serve --tap "$DEV" --addr "$UADDR/24" --port 19 --app source:1000 \
	--ctl "$TMP/ctl" --msl 1 --pcap "$TMP/states2.pcap"
SERVE=$BGPID
wait_ctl "$TMP/ctl" || { fail states_setup "utcp serve did not start: $(cat "$TMP/tw.log")"; exit 1; }
nsx $KPEER recv "$UADDR" 19 >"$TMP/r.txt" 2>&1
"$UTCP" netstat --ctl "$TMP/ctl" >"$TMP/tw0.txt"
sleep 1.2
"$UTCP" netstat --ctl "$TMP/ctl" >"$TMP/tw1.txt"
sleep 1.6
"$UTCP" netstat --ctl "$TMP/ctl" >"$TMP/tw2.txt"
"$UTCP" netstat --ctl "$TMP/ctl" --summary >"$TMP/tw2s.txt"
if grep -q "^TIME_WAIT .* $KADDR:" "$TMP/tw0.txt" && grep -q "^TIME_WAIT .* $KADDR:" "$TMP/tw1.txt" &&
   ! grep -q "$KADDR:" "$TMP/tw2.txt" && [ "$(cat "$TMP/tw2s.txt")" = "LISTEN 1" ]; then
	ok time_wait_utcp_2msl_then_gone
else fail time_wait_utcp_2msl_then_gone "$(cat "$TMP/tw0.txt" "$TMP/tw1.txt" "$TMP/tw2.txt")"; fi
stop "$SERVE"

# --- TIME_WAIT at the kernel: it closes first ---
utcp_bg "$TMP/d.log" serve --tap "$DEV" --addr "$UADDR/24" --port 9 --app discard --ctl "$TMP/ctl"
SERVE=$BGPID
wait_ctl "$TMP/ctl" || { fail states_setup "utcp serve did not start: $(cat "$TMP/d.log")"; exit 1; }
echo "a few bytes" >"$TMP/few.txt"
nsx $KPEER send "$UADDR" 9 "$TMP/few.txt" >/dev/null 2>&1
if wait_until 3 sh -c "ip netns exec '$NS' ss -tan state time-wait | grep -q '$UADDR:9'"; then
	ok "time_wait_kernel ($(nsx ss -tan state time-wait | grep "$UADDR:9" | awk '{print $3, $4}'))"
else fail time_wait_kernel "$(nsx ss -tan | tail -n +2 | tr '\n' ';')"; fi
stop "$SERVE"
pcap_clean states_pcap "$TMP/states2.pcap"
pcap_clean states_pcap_halfclose "$TMP/states.pcap"
finish
