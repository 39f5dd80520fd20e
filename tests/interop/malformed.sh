# Malformed frames written into the device from the kernel's side (an
# AF_PACKET socket) while a connection carries data: utcp stays up, counts
# each kind under its own counter, and the connection finishes intact.
. tests/interop/lib.sh
interop_require "malformed_counted malformed_connection_carries_on malformed_stack_still_answers"
dev_up tap 7 || { fail malformed_setup "cannot make the TAP device"; exit 1; }
utcp_bg "$TMP/echo.log" serve --tap "$DEV" --addr "$UADDR/24" --port 7 --app echo --ctl "$TMP/ctl"
SERVE=$BGPID
wait_ctl "$TMP/ctl" || { fail malformed_setup "utcp serve did not start: $(cat "$TMP/echo.log")"; exit 1; }
MAC=$(printf '02:75:0a:4d:07:02')
ROUNDS=50

nsx $KPEER echo "$UADDR" 7 104857600 >"$TMP/echo.txt" 2>&1 &
EC=$!
PIDS="$PIDS $EC"
sleep 0.3
nsx $KPEER inject "$DEV" "$MAC" "$KADDR" "$UADDR" $ROUNDS >"$TMP/inject.txt" 2>&1 ||
	fail malformed_counted "injection failed: $(cat "$TMP/inject.txt")"
wait "$EC"
if grep -q 'intact=True' "$TMP/echo.txt"; then ok malformed_connection_carries_on
else fail malformed_connection_carries_on "$(cat "$TMP/echo.txt")"; fi

"$UTCP" netstat --ctl "$TMP/ctl" --stats >"$TMP/stats.txt"
missing=""
for c in ip_drop_short ip_drop_checksum tcp_drop_checksum ip_drop_total_len tcp_drop_short \
	arp_drop_short arp_drop_format arp_drop_op arp_drop_bad_sender eth_drop_ethertype \
	frag_drop_bad_len; do
	n=$(awk -v c="$c" '$1 == c {print $2}' "$TMP/stats.txt")
	[ "${n:-0}" -ge $ROUNDS ] || missing="$missing $c=${n:-0}"
done
if [ -z "$missing" ]; then ok "malformed_counted ($(cat "$TMP/inject.txt"))"
else fail malformed_counted "counters below $ROUNDS:$missing"; fi

if nsx $KPEER many "$UADDR" 7 10 >"$TMP/many.txt" 2>&1 && grep -q 'bad=0' "$TMP/many.txt" &&
   kill -0 "$SERVE"; then ok malformed_stack_still_answers
else fail malformed_stack_still_answers "$(cat "$TMP/many.txt")"; fi
stop "$SERVE"
finish
