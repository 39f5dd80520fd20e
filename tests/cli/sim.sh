# utcp sim: verified transfers, determinism, pcap files tshark accepts.
. tests/cli/lib.sh

# The acceptance command of issue 2, twice: verified, goodput > 0, identical.
cmd="$UTCP sim --bytes 20M --rtt 20ms --rate 100mbit --queue 100 --loss 1% --seed 7 --json"
$cmd >"$TMP/a.json" 2>"$TMP/a.err" || fail sim_acceptance "exit status $? ($(cat "$TMP/a.err"))"
$cmd >"$TMP/b.json" 2>&1
if grep -q '"verified":true' "$TMP/a.json" &&
   grep -Eq '"goodput_mbps":[0-9]*[1-9][0-9]*\.|"goodput_mbps":0\.[0-9]*[1-9]' "$TMP/a.json"; then
	ok sim_acceptance_verified
else
	fail sim_acceptance_verified "$(cat "$TMP/a.json")"
fi
if cmp -s "$TMP/a.json" "$TMP/b.json"; then ok sim_same_command_same_object
else fail sim_same_command_same_object "$(cat "$TMP/a.json" "$TMP/b.json")"; fi
for key in bytes verified sim_seconds goodput_mbps retransmits timeouts fast_retransmits \
	client_state server_state; do
	grep -q "\"$key\":" "$TMP/a.json" || fail sim_json_keys "missing $key"
done
ok sim_json_keys

# A different seed gives a different run (the seed really drives the loss).
$UTCP sim --bytes 20M --rtt 20ms --rate 100mbit --queue 100 --loss 1% --seed 8 --json >"$TMP/c.json"
if cmp -s "$TMP/a.json" "$TMP/c.json"; then fail sim_seed_matters "seeds 7 and 8 gave the same run"
else ok sim_seed_matters; fi

# Text output names what it prints; the final states of a clean transfer.
$UTCP sim --bytes 1M >"$TMP/t.txt" || fail sim_text "exit status $?"
if grep -q "verified          yes" "$TMP/t.txt" && grep -q "client_state      TIME_WAIT" "$TMP/t.txt" &&
   grep -q "server_state      CLOSED" "$TMP/t.txt"; then ok sim_text
else fail sim_text "$(cat "$TMP/t.txt")"; fi

# The trace is JSON lines, one object per event, with segments and states.
$UTCP sim --bytes 100k --trace "$TMP/t.jsonl" --json >/dev/null || fail sim_trace "exit $?"
if grep -q '"type":"seg_out"' "$TMP/t.jsonl" && grep -q '"to":"TIME_WAIT"' "$TMP/t.jsonl" &&
   ! grep -qv '^{.*}$' "$TMP/t.jsonl"; then ok sim_trace_jsonl
else fail sim_trace_jsonl "unexpected trace content"; fi

# pcap: tshark reads it, sees no malformed packet and no bad checksum.
$UTCP sim --bytes 2M --loss 2% --seed 3 --pcap "$TMP/a.pcap" --json >/dev/null ||
	fail sim_pcap "exit status $?"
if need_cmd tshark tshark; then
	tshark -r "$TMP/a.pcap" -q -z expert >"$TMP/expert.txt" 2>&1 || fail sim_pcap_expert "tshark failed"
	if grep -Eiq 'malformed|bad checksum|checksum.*incorrect' "$TMP/expert.txt"; then
		fail sim_pcap_expert "$(cat "$TMP/expert.txt")"
	else
		n=$(tshark -r "$TMP/a.pcap" -o tcp.check_checksum:TRUE -Y 'tcp.checksum.status == 0 || ip.checksum.status == 0 || _ws.malformed' 2>/dev/null | wc -l)
		total=$(tshark -r "$TMP/a.pcap" 2>/dev/null | wc -l)
		if [ "$n" = 0 ] && [ "$total" -gt 1000 ]; then ok sim_pcap_expert
		else fail sim_pcap_expert "$n bad of $total packets"; fi
	fi
else
	skip sim_pcap_expert "tshark is not installed and could not be installed"
fi

# ECN (RFC 3168): the same path with queues that mark CE instead of
# overflowing. Without ECN the queue drops and TCP resends; with it
# nothing is lost or resent, the marks are counted, and the run is
# deterministic too.
path="--bytes 20M --rtt 20ms --rate 100mbit --queue 100 --json"
$UTCP sim $path >"$TMP/noecn.json" || fail sim_ecn "exit status $?"
$UTCP sim $path --ecn >"$TMP/ecn.json" || fail sim_ecn "exit status $?"
$UTCP sim $path --ecn >"$TMP/ecn2.json"
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; }
if grep -q '"ecn":false' "$TMP/noecn.json" && [ "$(num queue_drops "$TMP/noecn.json")" -gt 0 ] &&
   [ "$(num retransmits "$TMP/noecn.json")" -gt 0 ] && grep -q '"verified":true' "$TMP/ecn.json" &&
   grep -q '"ecn":true' "$TMP/ecn.json" && [ "$(num retransmits "$TMP/ecn.json")" = 0 ] &&
   [ "$(num timeouts "$TMP/ecn.json")" = 0 ] && [ "$(num queue_drops "$TMP/ecn.json")" = 0 ] &&
   [ "$(num ce_marks "$TMP/ecn.json")" -gt 0 ] && [ "$(num ecn_reductions "$TMP/ecn.json")" -gt 0 ]
then ok sim_ecn_marks_instead_of_drops
else fail sim_ecn_marks_instead_of_drops "$(cat "$TMP/noecn.json" "$TMP/ecn.json")"; fi
if cmp -s "$TMP/ecn.json" "$TMP/ecn2.json"; then ok sim_ecn_same_command_same_object
else fail sim_ecn_same_command_same_object "$(cat "$TMP/ecn.json" "$TMP/ecn2.json")"; fi
# --mark 0: ECN negotiated, nothing marked: the run is the one without ECN.
$UTCP sim $path --ecn --mark 0 >"$TMP/mark0.json"
if [ "$(num ce_marks "$TMP/mark0.json")" = 0 ] &&
   [ "$(num retransmits "$TMP/mark0.json")" = "$(num retransmits "$TMP/noecn.json")" ] &&
   [ "$(num queue_drops "$TMP/mark0.json")" = "$(num queue_drops "$TMP/noecn.json")" ]
then ok sim_ecn_without_marks_changes_nothing
else fail sim_ecn_without_marks_changes_nothing "$(cat "$TMP/mark0.json" "$TMP/noecn.json")"; fi

# Bad arguments: one line naming the argument, exit status 2.
for bad in "--rate 100x" "--loss 150%" "--bytes lots" "--frobnicate 1" "--cc cubic" "--mark x"; do
	# shellcheck disable=SC2086
	$UTCP sim $bad >"$TMP/o" 2>"$TMP/e"
	st=$?
	if [ $st = 2 ] && [ "$(wc -l <"$TMP/e")" = 1 ] && grep -q -- "${bad%% *}" "$TMP/e"; then :
	else fail sim_bad_argument "'$bad' gave status $st: $(cat "$TMP/e")"; fi
done
ok sim_bad_arguments
$UTCP sim --help >"$TMP/h" && grep -q -- "--loss" "$TMP/h" && grep -q -- "--ecn" "$TMP/h" &&
	grep -q -- "--mark N" "$TMP/h" && ok sim_help || fail sim_help "no help"
$UTCP nosuch >/dev/null 2>&1; [ $? = 2 ] && ok unknown_command || fail unknown_command "status"
finish
