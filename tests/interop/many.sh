# Many connections: 1000 short ones each way in a row (all succeed, and
# utcp's table is empty once TIME_WAIT has run out: no leaked state), and
# 1000 held open at once to echo, each echoing its own data.
. tests/interop/lib.sh
interop_require "many_kernel_to_utcp_1000 many_utcp_to_kernel_1000 many_utcp_table_empty \
	many_held_1000"
dev_up tap 6 || { fail many_setup "cannot make the TAP device"; exit 1; }

utcp_bg "$TMP/echo.log" serve --tap "$DEV" --addr "$UADDR/24" --port 7 --app echo \
	--ctl "$TMP/ctl" --msl 1
SERVE=$BGPID
wait_ctl "$TMP/ctl" || { fail many_setup "utcp serve did not start: $(cat "$TMP/echo.log")"; exit 1; }
if nsx $KPEER many "$UADDR" 7 1000 >"$TMP/many.txt" 2>&1 && grep -q 'bad=0' "$TMP/many.txt" &&
   [ "$(grep -c '^echo .* received=[0-9]* sent=[0-9]*$' "$TMP/echo.log")" = 1000 ]; then
	ok many_kernel_to_utcp_1000
else fail many_kernel_to_utcp_1000 "$(cat "$TMP/many.txt"; tail -3 "$TMP/echo.log")"; fi
only_listener() { [ "$("$UTCP" netstat --ctl "$TMP/ctl" --summary)" = "LISTEN 1" ]; }
wait_until 5 only_listener || fail many_kernel_to_utcp_1000 \
	"utcp still holds: $("$UTCP" netstat --ctl "$TMP/ctl" --summary | tr '\n' ' ')"

if nsx $KPEER hold "$UADDR" 7 1000 >"$TMP/hold.txt" 2>&1 && grep -q 'held=1000 bad=0' "$TMP/hold.txt"
then ok many_held_1000
else fail many_held_1000 "$(cat "$TMP/hold.txt")"; fi
wait_until 5 only_listener || fail many_held_1000 \
	"utcp still holds: $("$UTCP" netstat --ctl "$TMP/ctl" --summary | tr '\n' ' ')"
stop "$SERVE"

# utcp -> kernel: 1000 in a row; utcp closes first, so it holds the
# TIME_WAITs (MSL 1 s); --drain exits only once its table is empty.
nsx $KPEER serve-echo 7000 1000 >"$TMP/kecho.txt" 2>&1 &
KE=$!
PIDS="$PIDS $KE"
wait_until 5 grep -q listening "$TMP/kecho.txt"
echo "one short message" >"$TMP/msg.txt"
utcp_bg "$TMP/conn.log" connect --tap "$DEV" --addr "$UADDR/24" --send "$TMP/msg.txt" \
	--recv /dev/null --repeat 1000 --msl 1 --drain --ctl "$TMP/ctl2" "$KADDR:7000"
CONN=$BGPID
# Watch its table while it runs: TIME_WAITs come, then go.
seen_tw=0
i=0
while kill -0 "$CONN" 2>/dev/null && [ $i -lt 600 ]; do
	"$UTCP" netstat --ctl "$TMP/ctl2" --summary 2>/dev/null | grep -q '^TIME_WAIT' && seen_tw=1
	sleep 0.1
	i=$((i + 1))
done
wait "$CONN"
st=$?
wait "$KE"
if [ $st = 0 ] && grep -q 'utcp connect: 1000 connections' "$TMP/conn.log"; then
	ok many_utcp_to_kernel_1000
else fail many_utcp_to_kernel_1000 "status $st: $(cat "$TMP/conn.log")"; fi
if [ $st = 0 ] && [ $seen_tw = 1 ]; then ok many_utcp_table_empty
else fail many_utcp_table_empty "status $st, TIME_WAIT seen: $seen_tw"; fi
finish
