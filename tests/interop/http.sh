# The kernel's curl against `utcp serve --app http:DIR`, over TAP and TUN;
# ping; the captures are clean.
. tests/interop/lib.sh
interop_require "http_curl_1k http_curl_50m http_keepalive_100 http_404_and_escape ping_tap ping_tap_fragmented \
	http_pcap_tap tun_curl_1k tun_ping http_pcap_tun"
need_cmd curl curl || { skip http_all "curl is not installed"; exit 0; }
need_cmd ping iputils-ping || true

mkdir "$TMP/www"
head -c 1024 /dev/urandom >"$TMP/www/1k.bin"
head -c 52428800 /dev/urandom >"$TMP/www/50m.bin"
echo secret >"$TMP/outside.txt"
ln -s "$TMP/outside.txt" "$TMP/www/link-out"

dev_up tap 1 || { fail http_setup "cannot make the TAP device"; exit 1; }
utcp_bg "$TMP/serve.log" serve --tap "$DEV" --addr "$UADDR/24" --port 8080 \
	--app "http:$TMP/www" --ctl "$TMP/ctl" --pcap "$TMP/tap.pcap"
SERVE=$BGPID
wait_ctl "$TMP/ctl" || { fail http_setup "utcp serve did not start: $(cat "$TMP/serve.log")"; exit 1; }
URL="http://$UADDR:8080"

# curl_file NAME FILE: the kernel's curl fetches FILE, intact.
curl_file() {
	if nsx curl -sS -m 60 -o "$TMP/$2.got" "$URL/$2" 2>"$TMP/curl.err" &&
	   [ "$(sha "$TMP/$2.got")" = "$(sha "$TMP/www/$2")" ]; then ok "$1"
	else fail "$1" "$(cat "$TMP/curl.err")"; fi
}
curl_file http_curl_1k 1k.bin

# 100 requests on one connection: curl reuses it for URLs on one command line.
urls=""
i=0
while [ $i -lt 100 ]; do urls="$urls $URL/1k.bin -o /dev/null"; i=$((i + 1)); done
# shellcheck disable=SC2086
nsx curl -sS -m 60 -w '%{http_code} %{num_connects} %{size_download}\n' $urls \
	>"$TMP/ka.txt" 2>"$TMP/curl.err"
good=$(grep -c '^200 [01] 1024$' "$TMP/ka.txt")
conns=$(awk '{n += $2} END {print n}' "$TMP/ka.txt")
if [ "$good" = 100 ] && [ "$conns" = 1 ]; then ok http_keepalive_100
else fail http_keepalive_100 "$good of 100 OK over $conns connections: $(cat "$TMP/curl.err")"; fi

code404=$(nsx curl -s -m 10 -o /dev/null -w '%{http_code}' "$URL/missing.bin")
code403=$(nsx curl -s -m 10 --path-as-is -o /dev/null -w '%{http_code}' "$URL/../outside.txt")
codeln=$(nsx curl -s -m 10 -o /dev/null -w '%{http_code}' "$URL/link-out")
codeenc=$(nsx curl -s -m 10 --path-as-is -o /dev/null -w '%{http_code}' "$URL/%2e%2e/outside.txt")
if [ "$code404" = 404 ] && [ "$code403" = 403 ] && [ "$codeln" = 403 ] && [ "$codeenc" = 403 ]; then
	ok http_404_and_escape
else fail http_404_and_escape "missing $code404, ../ $code403, link out $codeln, %2e%2e $codeenc"; fi

if ! command -v ping >/dev/null 2>&1; then skip ping_tap "ping is not installed"
elif nsx ping -c 3 -i 0.2 -W 2 "$UADDR" >"$TMP/ping.txt" 2>&1 &&
	grep -q ' 0% packet loss' "$TMP/ping.txt"; then ok ping_tap
else fail ping_tap "$(tail -2 "$TMP/ping.txt")"; fi
# A large ping: the kernel fragments it, utcp reassembles and fragments its reply.
if command -v ping >/dev/null 2>&1; then
	if nsx ping -c 2 -i 0.2 -W 2 -s 4000 "$UADDR" >"$TMP/ping.txt" 2>&1 &&
	   grep -q ' 0% packet loss' "$TMP/ping.txt"; then ok ping_tap_fragmented
	else fail ping_tap_fragmented "$(tail -2 "$TMP/ping.txt")"; fi
fi
"$UTCP" netstat --ctl "$TMP/ctl" --stats >"$TMP/stats.txt"
stop "$SERVE"
grep -q "http 10.77.1.1:[0-9]* received=[0-9]* sent=[0-9]* requests=100" "$TMP/serve.log" ||
	fail http_keepalive_100 "the server did not log one connection with 100 requests"
pcap_clean http_pcap_tap "$TMP/tap.pcap"

# 50 MiB, without a capture (it would be as large).
utcp_bg "$TMP/serve2.log" serve --tap "$DEV" --addr "$UADDR/24" --port 8080 \
	--app "http:$TMP/www" --ctl "$TMP/ctl"
SERVE=$BGPID
wait_ctl "$TMP/ctl" || { fail http_setup "utcp serve did not start: $(cat "$TMP/serve2.log")"; exit 1; }
curl_file http_curl_50m 50m.bin
stop "$SERVE"

# The same over TUN: IP packets, no Ethernet, no ARP. This time utcp
# creates the device (and brings it up); the kernel's side gets its
# address afterwards.
DEV="utun$$" KADDR=10.77.2.1 UADDR=10.77.2.2
utcp_bg "$TMP/tun.log" serve --tun "$DEV" --addr "$UADDR/24" --port 80 \
	--app "http:$TMP/www" --ctl "$TMP/ctl2" --pcap "$TMP/tun.pcap"
SERVE=$BGPID
wait_ctl "$TMP/ctl2" && nsx ip addr add "$KADDR/24" dev "$DEV" ||
	{ fail tun_setup "utcp serve --tun did not start: $(cat "$TMP/tun.log")"; exit 1; }
if nsx curl -sS -m 20 -o "$TMP/tun.got" "http://$UADDR/1k.bin" 2>"$TMP/curl.err" &&
   cmp -s "$TMP/tun.got" "$TMP/www/1k.bin"; then ok tun_curl_1k
else fail tun_curl_1k "$(cat "$TMP/curl.err")"; fi
if ! command -v ping >/dev/null 2>&1; then skip tun_ping "ping is not installed"
elif nsx ping -c 2 -i 0.2 -W 2 "$UADDR" >"$TMP/ping.txt" 2>&1 &&
	grep -q ' 0% packet loss' "$TMP/ping.txt"; then ok tun_ping
else fail tun_ping "$(tail -2 "$TMP/ping.txt")"; fi
stop "$SERVE"
pcap_clean http_pcap_tun "$TMP/tun.pcap"
finish
