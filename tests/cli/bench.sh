# utcp bench: the three figures, as JSON (small runs: this checks the tool,
# not the speed; no test asserts on wall-clock figures).
. tests/cli/lib.sh
$UTCP bench --bytes 20M --conns 2000 --idle 5000 --json >"$TMP/b.json" 2>"$TMP/b.err" ||
	fail bench_runs "exit status $? ($(cat "$TMP/b.err"))"
if grep -Eq '^\{"bulk_gbps":[0-9.]+,"conn_per_sec":[0-9]+,"bytes_per_conn":[0-9]+\}$' "$TMP/b.json"; then
	ok bench_json
else
	fail bench_json "$(cat "$TMP/b.json")"
fi
$UTCP bench --only nosuch >/dev/null 2>&1; [ $? = 2 ] && ok bench_bad_argument || fail bench_bad_argument "status"
$UTCP bench --help | grep -q bytes_per_conn && ok bench_help || fail bench_help "no help"
finish
