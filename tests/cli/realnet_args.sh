# serve, connect, get, netstat: --help, and bad arguments answered in one
# line naming them, with status 2 (no device needed: nothing is opened).
. tests/cli/lib.sh
for c in serve connect get netstat; do
	if $UTCP $c --help >"$TMP/h" 2>&1 && grep -q "usage: utcp $c" "$TMP/h"; then :
	else fail "${c}_help" "$(head -3 "$TMP/h")"; fi
done
ok realnet_help
bad() { # bad NAME EXPECTED-WORD ARGS...
	name=$1 word=$2
	shift 2
	$UTCP "$@" >"$TMP/o" 2>"$TMP/e"
	st=$?
	if [ $st = 2 ] && [ "$(wc -l <"$TMP/e")" = 1 ] && grep -q -- "$word" "$TMP/e"; then :
	else fail "$name" "status $st: $(cat "$TMP/e")"; fi
}
bad serve_no_dev "--tap" serve --addr 10.0.0.2/24 --port 80 --app echo
bad serve_bad_addr "10.0.0/24" serve --tap t0 --addr 10.0.0/24 --port 80 --app echo
bad serve_bad_app "gopher" serve --tap t0 --addr 10.0.0.2/24 --port 80 --app gopher
bad serve_bad_dir "/nonexistent" serve --tap t0 --addr 10.0.0.2/24 --port 80 --app http:/nonexistent
bad serve_bad_port "port" serve --tap t0 --addr 10.0.0.2/24 --port 70000 --app echo
bad serve_both_devs "tun" serve --tap t0 --tun t1 --addr 10.0.0.2/24 --port 80 --app echo
bad connect_no_target "HOST:PORT" connect --tap t0 --addr 10.0.0.2/24
bad connect_bad_target "10.0.0.1" connect --tap t0 --addr 10.0.0.2/24 10.0.0.1
bad connect_repeat_stdin "repeat" connect --tap t0 --addr 10.0.0.2/24 --send - --repeat 2 10.0.0.1:7
bad get_bad_url "ftp://" get --tap t0 --addr 10.0.0.2/24 ftp://10.0.0.1/x
bad get_bad_msl "msl" get --tap t0 --addr 10.0.0.2/24 --msl 0 http://10.0.0.1/x
bad serve_bad_ecn "ecn" serve --tap t0 --addr 10.0.0.2/24 --port 80 --app echo --ecn 3
bad connect_bad_ecn "ecn" connect --tap t0 --addr 10.0.0.2/24 --ecn on 10.0.0.1:7
bad netstat_no_ctl "--ctl" netstat --summary
bad netstat_bad_option "frob" netstat --ctl /tmp/x --frob
ok realnet_bad_arguments
# A stack that is not there: status 1 and the errno's words.
$UTCP netstat --ctl "$TMP/none.sock" >"$TMP/o" 2>"$TMP/e"
st=$?
if [ $st = 1 ] && grep -q "no such file or directory" "$TMP/e"; then ok netstat_no_stack
else fail netstat_no_stack "status $st: $(cat "$TMP/e")"; fi
finish
