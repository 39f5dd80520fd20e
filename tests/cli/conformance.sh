# docs/CONFORMANCE.md stays true: every test it cites exists (in
# `utcp_tests -l`, or a command-line test of tests/cli/), none of those a
# "met" row cites is skipped, every "met" row cites one, every requirement
# row of the RFC 9293 checklist is there, and the summary counts match the
# tables.
#
#   sh tests/cli/conformance.sh
#
# UTCP_TESTS names the test binary (default: beside $UTCP, tests/utcp_tests);
# RFC9293_CHECKLIST the checklist (default: ../shared/RFC9293-CHECKLIST.md).
. tests/cli/lib.sh

DOC=docs/CONFORMANCE.md
# The checklist lives beside the project (../shared) in a checkout of the
# work tree; a clone elsewhere finds it in /work/shared.
if [ -z "${RFC9293_CHECKLIST:-}" ]; then
	for c in ../shared/RFC9293-CHECKLIST.md /work/shared/RFC9293-CHECKLIST.md; do
		[ -f "$c" ] && { RFC9293_CHECKLIST=$c; break; }
	done
fi
CHECKLIST=${RFC9293_CHECKLIST:-../shared/RFC9293-CHECKLIST.md}
TESTS=${UTCP_TESTS:-$(dirname "$UTCP")/tests/utcp_tests}

if [ ! -x "$TESTS" ]; then
	echo "   (building $TESTS)"
	${MAKE:-make} -s tests >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; }
fi
[ -x "$TESTS" ] || { fail conformance_tests_binary "$TESTS missing"; finish; }
[ -f "$DOC" ] || { fail conformance_doc "$DOC missing"; finish; }

# Every name a test could have: the test binary's list and the names the
# command-line tests report ("ok NAME" in tests/cli/*.sh).
"$TESTS" -l >"$TMP/names" || fail conformance_tests_list "$TESTS -l failed"
for f in tests/cli/*.sh; do
	[ "$f" = tests/cli/lib.sh ] && continue
	grep -o '\bok [a-z0-9_][a-z0-9_]*' "$f" | sed 's/^ok //'
done >>"$TMP/names"
sort -u "$TMP/names" -o "$TMP/names"

# The requirement rows: id|status|tests column|whole row.
awk -F'|' '
	/^\| (MUST|SHLD|MAY|REC)-[0-9]+ \|/ {
		id = $2; st = $5; t = $6
		gsub(/^ +| +$/, "", id); gsub(/^ +| +$/, "", st)
		print id "\t" st "\t" t "\t" $0
	}' "$DOC" >"$TMP/rows"
[ -s "$TMP/rows" ] || fail conformance_rows "no requirement rows found in $DOC"

# Tests marked SKIP in the sources (TEST(name) followed by SKIP( before the
# next TEST): they show nothing.
awk '
	/^TEST\(/ { name = $0; sub(/^TEST\(/, "", name); sub(/\).*/, "", name); next }
	/SKIP\(/ && name != "" { print name; name = "" }' tests/*/*.c | sort -u >"$TMP/skipped"

bad=0
while IFS="$(printf '\t')" read -r id st tcol row; do
	case "$st" in
	"met" | "not yet" | "not applicable") ;;
	*) fail conformance_status "$id: status '$st' is not met / not yet / not applicable"
	   bad=1 ;;
	esac
	printf '%s\n' "$tcol" | grep -o '`[^`]*`' | tr -d '`' >"$TMP/cited_col"
	if [ "$st" = met ] && [ ! -s "$TMP/cited_col" ]; then
		fail conformance_met_needs_a_test "$id is met but cites no test"
		bad=1
	fi
	printf '%s\n' "$row" | grep -o '`[^`]*`' | tr -d '`' | while read -r name; do
		if ! grep -qx "$name" "$TMP/names"; then
			echo "FAIL conformance_cited_test_exists: $id cites '$name', which is no test"
			echo x >>"$TMP/missing"
		fi
	done
	if [ "$st" = met ]; then
		while read -r name; do
			if grep -qx "$name" "$TMP/skipped"; then
				echo "FAIL conformance_met_test_runs: $id is met by '$name', which is skipped"
				echo x >>"$TMP/missing"
			fi
		done <"$TMP/cited_col"
	fi
done <"$TMP/rows"
if [ -s "$TMP/missing" ]; then
	FAILS=$((FAILS + $(wc -l <"$TMP/missing")))
	bad=1
fi
[ $bad = 0 ] && ok conformance_cited_tests_exist

# Every place in the code a row names (file, or file:function) exists.
awk -F'|' '/^\| (MUST|SHLD|MAY|REC)-[0-9]+ \|/ { n = split($7, r, ","); for (i = 1; i <= n; i++) {
	ref = r[i]; gsub(/^ +| +$/, "", ref); split($2, id, " ")
	if (ref != "") print id[1] "\t" ref } }' "$DOC" >"$TMP/refs"
: >"$TMP/badref"
while IFS="$(printf '\t')" read -r id ref; do
	file=${ref%%:*}
	fn=$(printf '%s\n' "$ref" | sed -n 's/^[^:]*:\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p')
	if [ ! -f "$file" ]; then
		echo "$id: $ref: no file $file" >>"$TMP/badref"
	elif [ -n "$fn" ] && ! grep -qw "$fn" "$file"; then
		echo "$id: $ref: $fn is not in $file" >>"$TMP/badref"
	fi
done <"$TMP/refs"
if [ -s "$TMP/badref" ]; then
	fail conformance_code_references "$(head -5 "$TMP/badref" | tr '\n' ';')"
else
	ok conformance_code_references
fi

# Every requirement row of the checklist, as many times as it has rows.
if [ -f "$CHECKLIST" ]; then
	grep -oE '^\| (MUST|SHLD|MAY|REC)-[0-9]+ ' "$CHECKLIST" | tr -d '| ' | sort >"$TMP/want"
	cut -f1 "$TMP/rows" | sort >"$TMP/have"
	if cmp -s "$TMP/want" "$TMP/have"; then
		ok conformance_every_requirement_listed
	else
		diff "$TMP/want" "$TMP/have" | grep '^[<>]' | tr '\n' ' ' >"$TMP/diff"
		fail conformance_every_requirement_listed \
			"rows differ from the checklist (< checklist, > doc): $(cat "$TMP/diff")"
	fi
else
	skip conformance_every_requirement_listed "no checklist at $CHECKLIST"
fi

# The summary lines agree with the tables.
for class in MUST SHOULD MAY; do
	case $class in
	MUST) pat='^MUST-' lc=must ;;
	SHOULD) pat='^(SHLD|REC)-' lc=should ;;
	MAY) pat='^MAY-' lc=may ;;
	esac
	grep -E "$pat" "$TMP/rows" | cut -f2 >"$TMP/st"
	n=$(wc -l <"$TMP/st" | tr -d ' ')
	m=$(grep -cx 'met' "$TMP/st")
	y=$(grep -cx 'not yet' "$TMP/st")
	a=$(grep -cx 'not applicable' "$TMP/st")
	line="Summary: $class $n rows: $m met, $y not yet, $a not applicable."
	if grep -qxF "$line" "$DOC"; then
		ok "conformance_summary_$lc"
	else
		fail "conformance_summary_$lc" "the tables say: $line"
	fi
done
finish
