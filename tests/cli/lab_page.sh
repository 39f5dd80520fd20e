# utcp lab --out: the page. Headless Chromium loads DIR/index.html from
# disk: every lesson's SVGs are there and drawn, nothing is logged to the
# console, and a screenshot is saved next to the binary (build/) as a
# test artifact.
. tests/cli/lib.sh

BUILD_DIR=$(dirname "$UTCP")
OUT=$BUILD_DIR/lab-page
SHOT=$BUILD_DIR/lab-screenshot.png
rm -rf "$OUT" "$SHOT"

if ! $UTCP lab --out "$OUT" --no-color >"$TMP/tour" 2>"$TMP/err"; then
	fail lab_page_written "utcp lab --out failed: $(cat "$TMP/err")"
	finish
fi
if [ -s "$OUT/index.html" ] && grep -q "$OUT/index.html" "$TMP/tour"; then ok lab_page_written
else fail lab_page_written "no $OUT/index.html, or the tour does not say where it is"; fi

# Self-contained: no scripts, no style sheets or images fetched from anywhere.
if grep -Eiq '<script|<link|<img|src=|@import|url\([^#]' "$OUT/index.html"; then
	fail lab_page_self_contained "the page loads something: $(grep -Eio '<script|<link|<img|src=|@import|url\([^#]' "$OUT/index.html" | head -3)"
else ok lab_page_self_contained; fi

# Every lesson's files: its SVGs, and for the runs a pcap and a trace.
for f in handshake-seq.svg window-seq.svg window-window.svg congestion-cwnd.svg congestion-reno.svg \
	fast-retransmit-seq.svg states-fsm.svg states-normal.svg half-close-shut-wr.svg \
	time-wait-seq.svg time-wait-pile.svg reuse-addr.svg collapse-collapse.svg \
	handshake.pcap handshake.jsonl window.pcap congestion.jsonl; do
	[ -s "$OUT/$f" ] || fail lab_page_files "missing or empty: $OUT/$f"
done
ok lab_page_files

if ! need_cmd chromium chromium; then
	skip lab_page_chromium "chromium is not installed and could not be installed"
	finish
fi
CHROME="chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir=$TMP/profile --enable-logging=stderr --v=0"
URL="file://$(cd "$OUT" && pwd)/index.html"

# The DOM as the browser built it.
# shellcheck disable=SC2086
timeout 120 $CHROME --dump-dom "$URL" >"$TMP/dom.html" 2>"$TMP/chrome.log"
if [ ! -s "$TMP/dom.html" ]; then
	fail lab_page_loads "chromium produced no DOM: $(tail -3 "$TMP/chrome.log")"
	finish
fi
ok lab_page_loads

# Each lesson's section has its SVGs, each with drawing in it.
awk '
	/<section class="lesson" id="lesson-/ { match($0, /id="lesson-[a-z-]*"/); lesson = substr($0, RSTART + 11, RLENGTH - 12) }
	/<svg / { n[lesson]++; inside = 1; body = "" }
	inside { body = body $0 }
	/<\/svg>/ && inside { inside = 0; if (body ~ /<(path|text|circle|rect)/ && length(body) > 500) drawn[lesson]++ }
	END { for (l in n) print l, n[l], drawn[l] + 0 }
' "$TMP/dom.html" | sort >"$TMP/svgs"
for l in handshake window collapse congestion fast-retransmit states half-close time-wait reuse; do
	line=$(grep "^$l " "$TMP/svgs")
	set -- $line
	if [ -z "$line" ] || [ "$2" -lt 1 ] || [ "$2" != "$3" ]; then
		fail lab_page_svgs "lesson $l: $line (lesson, SVGs, drawn)"
	fi
done
ok lab_page_svgs

# Nothing on the console: no script error, no failed load.
if grep -E ':CONSOLE|Uncaught' "$TMP/chrome.log" >"$TMP/console"; then
	fail lab_page_console "$(head -3 "$TMP/console")"
else ok lab_page_console; fi

# The screenshot, at a laptop's size, kept as an artifact.
# shellcheck disable=SC2086
timeout 120 $CHROME --hide-scrollbars --window-size=1440,900 --screenshot="$SHOT" "$URL" \
	>/dev/null 2>>"$TMP/chrome.log"
if [ -s "$SHOT" ] && [ "$(wc -c <"$SHOT")" -gt 20000 ]; then
	ok "lab_page_screenshot ($SHOT)"
else fail lab_page_screenshot "no screenshot at $SHOT"; fi
finish
