# utcp lab: each lesson prints what LESSONS.md says, from a real run, and
# changing a parameter changes what it prints.
. tests/cli/lib.sh

# in_order FILE STRING...: each STRING is on a line of FILE after the
# line of the one before it.
in_order() {
	f=$1
	shift
	last=0
	for s in "$@"; do
		n=$(grep -n -F -- "$s" "$f" | awk -F: -v l="$last" '$1 > l { print $1; exit }')
		[ -n "$n" ] || { echo "missing after line $last: $s"; return 1; }
		last=$n
	done
}

# The first table of segments in a lesson's output, as "from -> to segment".
segments() {
	awk '/^ +# +t \(ms\) +from -> to +segment/ { on = 1; next }
	     on && /^ *$/ { exit }
	     on && !/^ +-/ { print }' "$1" | sed -E 's/^ +[0-9]+ +[0-9.]+ +//' | tr -s ' '
}

# The whole output on one line: sentences the terminal wrapped read whole.
flat() { tr '\n' ' ' <"$1" | tr -s ' '; }

run() { # run NAME FILE ARGS...: the lab, exit status 0 expected
	name=$1 out=$2
	shift 2
	$UTCP lab "$@" --no-color >"$out" 2>"$TMP/err"
	st=$?
	if [ $st != 0 ]; then
		fail "$name" "utcp lab $* exited $st: $(cat "$TMP/err")"
		return 1
	fi
}

# --- L1: the ten segments with the lesson's numbers, the states, RST ---
run lab_handshake "$TMP/l1" handshake && {
	segments "$TMP/l1" >"$TMP/l1.seg"
	cat >"$TMP/l1.want" <<'EOF'
client -> server SYN 100(0) <mss 1024>
server -> client SYN 800(0) ack 101 <mss 1024>
client -> server 101(0) ack 801
client -> server 101(20) ack 801
server -> client 801(10) ack 121
client -> server 121(0) ack 811
client -> server FIN 121(0) ack 811
server -> client 811(0) ack 122
server -> client FIN 811(0) ack 122
client -> server 122(0) ack 812
EOF
	if cmp -s "$TMP/l1.seg" "$TMP/l1.want"; then ok lab_handshake_ten_segments
	else fail lab_handshake_ten_segments "got: $(cat "$TMP/l1.seg")"; fi
	if grep -q "client  CLOSED -> SYN_SENT -> ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED" "$TMP/l1" &&
	   grep -q "server  LISTEN -> SYN_RCVD -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSED" "$TMP/l1"; then
		ok lab_handshake_states
	else fail lab_handshake_states "states missing"; fi
	if flat "$TMP/l1" | grep -q "RST 0(0) ack 101: RST with ack 101" &&
	   flat "$TMP/l1" | grep -q "SO_ERROR is ECONNREFUSED"; then ok lab_handshake_closed_port_rst
	else fail lab_handshake_closed_port_rst "no RST / ECONNREFUSED"; fi
	if flat "$TMP/l1" | grep -q "sent again at 240 ms, 200 ms later, when its retransmission timer expired"
	then ok lab_handshake_lost_segment_resent
	else fail lab_handshake_lost_segment_resent "no retransmission after the RTO"; fi
}

# The numbers follow the parameters: another ISN, another MSS, another RTT.
run lab_handshake_isn "$TMP/l1b" handshake --client-isn 5000 --mss 536 --rtt 100ms && {
	segments "$TMP/l1b" >"$TMP/l1b.seg"
	cat >"$TMP/l1b.want" <<'EOF'
client -> server SYN 5000(0) <mss 536>
server -> client SYN 800(0) ack 5001 <mss 536>
client -> server 5001(0) ack 801
client -> server 5001(20) ack 801
server -> client 801(10) ack 5021
client -> server 5021(0) ack 811
client -> server FIN 5021(0) ack 811
server -> client 811(0) ack 5022
server -> client FIN 811(0) ack 5022
client -> server 5022(0) ack 812
EOF
	if cmp -s "$TMP/l1b.seg" "$TMP/l1b.want"; then ok lab_handshake_client_isn_follows
	else fail lab_handshake_client_isn_follows "got: $(cat "$TMP/l1b.seg")"; fi
	# the SYN,ACK leaves when the SYN arrives: one way, 50 ms
	if grep -Eq '^ +2 +50 +server -> client' "$TMP/l1b"; then ok lab_handshake_rtt_follows
	else fail lab_handshake_rtt_follows "the SYN,ACK is not at 50 ms"; fi
}

# --- L2: the advertised windows in order, the consistent version noted ---
run lab_window "$TMP/l2" window && {
	if grep -q "6144 4096 2048 0 2048 4096 2048 4096 6144 6144" "$TMP/l2"; then ok lab_window_windows
	else fail lab_window_windows "$(grep -A1 'advertised windows' "$TMP/l2" | head -2)"; fi
	if in_order "$TMP/l2" "8001(0) ack 6145 win 0" "8001(0) ack 6145 win 2048" \
		"8001(0) ack 6145 win 4096" "FIN 7169(1024) ack 8001 win 4096" "8001(0) ack 8194 win 2048" \
		"8001(0) ack 8194 win 4096" "8001(0) ack 8194 win 6144" >"$TMP/why"; then ok lab_window_steps
	else fail lab_window_steps "$(cat "$TMP/why")"; fi
	if flat "$TMP/l2" | grep -q "A sent 8192 bytes in all, the last 2048 in 2 segments"; then
		ok lab_window_says_2048_not_4096
	else fail lab_window_says_2048_not_4096 "no note"; fi
	if flat "$TMP/l2" | grep -q "persist timer expires and A sends a probe"; then ok lab_window_persist_probe
	else fail lab_window_persist_probe "no probe"; fi
}
run lab_window_rwnd "$TMP/l2b" window --rwnd 4096 && {
	if grep -Eq "^ +1 +10 +SYN 8000\(0\) ack 1 win 4096 <mss 1024>" "$TMP/l2b" &&
	   ! grep -q "6144 4096 2048 0 2048 4096 2048 4096 6144 6144" "$TMP/l2b"; then ok lab_window_rwnd_follows
	else fail lab_window_rwnd_follows "the window did not follow --rwnd 4096"; fi
}

# --- L3: the textbook cwnd curve, exactly; then another ssthresh ---
run lab_congestion "$TMP/l3" congestion && {
	if grep -q "1 2 4 8 16 17 18 19 20 21 22 23 24 1 2 4 8 12 13 14 15 16 8 9 10 11 12" "$TMP/l3"; then
		ok lab_congestion_textbook_curve
	else fail lab_congestion_textbook_curve "$(grep -A1 'cwnd per round (segments)' "$TMP/l3" | head -2)"; fi
	if grep -q "timeout: ssthresh 12, cwnd 1" "$TMP/l3" && grep -q "3 duplicate ACKs: ssthresh 8, cwnd 8" "$TMP/l3"
	then ok lab_congestion_events
	else fail lab_congestion_events "no timeout / fast recovery rounds"; fi
	if grep -q "fast_retransmit" "$TMP/l3" && grep -Eq "^ +[0-9]+ +timeout " "$TMP/l3"; then ok lab_congestion_reno_beside
	else fail lab_congestion_reno_beside "no Reno events"; fi
}
run lab_congestion_ssthresh "$TMP/l3b" congestion --ssthresh 8 && {
	if grep -q "1 2 4 8 9 10 11 12 13 14 15 16 1 2 4 8 9 10 11 12 6 7" "$TMP/l3b"; then
		ok lab_congestion_ssthresh_follows
	else fail lab_congestion_ssthresh_follows "$(grep -A1 'cwnd per round (segments)' "$TMP/l3b" | head -2)"; fi
}

# --- L3: fast retransmit, M1 ... M6 ---
run lab_fast_retransmit "$TMP/fr" fast-retransmit && {
	if in_order "$TMP/fr" "M3: lost" "ACK of M1" "ACK of M2" "duplicate ACK 1" "duplicate ACK 2" \
		"duplicate ACK 3" "M3 again" >"$TMP/why"; then ok lab_fast_retransmit_m1_m6
	else fail lab_fast_retransmit_m1_m6 "$(cat "$TMP/why")"; fi
}
run lab_fast_retransmit_drop "$TMP/fr5" fast-retransmit --drop 5 && {
	if flat "$TMP/fr5" | grep -q "Only 1 duplicate ACK(s) came, fewer than three"; then ok lab_fast_retransmit_drop_follows
	else fail lab_fast_retransmit_drop_follows "--drop 5 did not fall back to the timer"; fi
}

# --- L4: every transition but LISTEN -> SYN_SENT ---
run lab_states "$TMP/l4" states && {
	missing=$(grep -E '^    \[ \] ' "$TMP/l4" | sed 's/^ *//')
	case "$missing" in
	"[ ] LISTEN -> SYN_SENT"*) ok lab_states_transitions ;;
	*) fail lab_states_transitions "not taken: $missing" ;;
	esac
	if grep -q "FIN_WAIT_1 -> CLOSING -> TIME_WAIT" "$TMP/l4" && grep -q "SYN_SENT -> SYN_RCVD -> ESTABLISHED" "$TMP/l4" &&
	   grep -q "FIN_WAIT_1 -> TIME_WAIT -> CLOSED" "$TMP/l4" && grep -q "LISTEN -> SYN_RCVD -> LISTEN" "$TMP/l4"
	then ok lab_states_runs
	else fail lab_states_runs "a run's states are missing"; fi
}

# --- L5 ---
run lab_half_close "$TMP/l5" half-close && {
	f=$(flat "$TMP/l5")
	case "$f" in
	*'send(fd, "more", 4) = -EPIPE'*'recv(fd, buf, 4096) ... = 3000'*'close(fd) = 0. Only a reference goes'*'sent 0 segments: no FIN'*'send(fd2, "x", 1) = -EPIPE'*)
		ok lab_half_close_calls ;;
	*) fail lab_half_close_calls "the calls' results are not as the lesson says" ;;
	esac
}

# --- L6: EADDRNOTAVAIL when the ports run out, then each remedy ---
run lab_time_wait "$TMP/l6" time-wait && {
	if grep -q "connect() = -EADDRNOTAVAIL" "$TMP/l6" && grep -q "client:  TIME_WAIT 10" "$TMP/l6"; then
		ok lab_time_wait_ports_run_out
	else fail lab_time_wait_ports_run_out "no EADDRNOTAVAIL"; fi
	f=$(flat "$TMP/l6")
	for r in "(a) wait" "(b) reuse TIME_WAIT" "(c) shorter MSL" "(d) keep-alive"; do
		case "$f" in
		*"$r:"*" works: "*) ;;
		*) fail lab_time_wait_remedies "remedy $r does not work"; continue ;;
		esac
	done
	case "$f" in
	*"(a) wait"*works*"(b) reuse"*works*"(c) shorter"*works*"(d) keep-alive"*works*) ok lab_time_wait_remedies ;;
	esac
	case "$f" in
	*"2 x MSL"*"restarted at"*) ok lab_time_wait_2msl_and_lost_ack ;;
	*) fail lab_time_wait_2msl_and_lost_ack "no 2MSL or restart" ;;
	esac
}
run lab_time_wait_ports "$TMP/l6b" time-wait --ports 4 --msl 5s && {
	if grep -q "client:  TIME_WAIT 4" "$TMP/l6b" && flat "$TMP/l6b" | grep -q "wait 2 MSL (10 s)"; then
		ok lab_time_wait_ports_follow
	else fail lab_time_wait_ports_follow "--ports 4 --msl 5s not followed"; fi
}

# --- L7 ---
run lab_reuse "$TMP/l7" reuse && {
	f=$(flat "$TMP/l7")
	case "$f" in
	*"bind(0.0.0.0:80) = -EADDRINUSE"*"bind(0.0.0.0:80) = 0. With SO_REUSEADDR on both"*"= -EADDRINUSE. A socket without SO_REUSEPORT"*)
		ok lab_reuse_calls ;;
	*) fail lab_reuse_calls "EADDRINUSE / SO_REUSEADDR / SO_REUSEPORT not as expected" ;;
	esac
}

# --- collapse: throughput stays with congestion control, falls without ---
run lab_collapse "$TMP/cl" collapse --senders 12 && {
	with=$(awk '$1 == 12 && NF == 5 { print $5 }' "$TMP/cl")
	without=$(awk '$1 == 12 && NF == 5 { print $3 }' "$TMP/cl")
	if [ -z "$with" ] || ! awk -v v="$with" 'BEGIN { exit !(v > 0.9) }'; then
		fail lab_collapse "with congestion control: '$with'"
	elif [ "$without" = "-" ]; then
		skip lab_collapse_without "the \"fixed\" algorithm is not registered in src/tcp/cc.c"
		ok lab_collapse_with
	elif awk -v v="$without" 'BEGIN { exit !(v < 0.6) }'; then ok lab_collapse
	else fail lab_collapse "without congestion control: $without"; fi
}

# --- narration in Chinese; arguments ---
run lab_lang_zh "$TMP/zh" handshake --lang zh && {
	if grep -q "客户端调用 connect()" "$TMP/zh" && grep -q "SYN 100(0) <mss 1024>" "$TMP/zh"; then ok lab_lang_zh
	else fail lab_lang_zh "no Chinese narration"; fi
}
for bad in "nosuch" "handshake --client-isn abc" "handshake --lang fr" "window --rwnd 10" "--frobnicate"; do
	# shellcheck disable=SC2086
	$UTCP lab $bad >"$TMP/o" 2>"$TMP/e"
	st=$?
	if [ $st != 2 ] || [ "$(wc -l <"$TMP/e")" != 1 ]; then
		fail lab_bad_arguments "'$bad' gave status $st: $(cat "$TMP/e")"
	fi
done
ok lab_bad_arguments
if $UTCP lab --help | grep -q "fast-retransmit" && $UTCP lab time-wait --help | grep -q -- "--ports"; then
	ok lab_help
else fail lab_help "no help"; fi
finish
