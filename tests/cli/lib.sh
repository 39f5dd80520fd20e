# Shared helpers of the command-line tests (POSIX sh). Each test prints
# "ok NAME", "FAIL NAME: why" or "SKIP NAME: why"; a skip is never a pass.
UTCP=${UTCP:-build/utcp}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/utcp-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
FAILS=0

ok() { echo "ok   $1"; }
fail() { echo "FAIL $1: $2"; FAILS=$((FAILS + 1)); }
skip() { echo "SKIP $1: $2"; }

# need_cmd CMD PACKAGE: make CMD available, installing the Debian package
# when missing and we may (root, apt-get present). Returns 1 if impossible.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "   (installing $2 for $1)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" \
			>"$TMP/apt.log" 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$TMP/apt.log" 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" \
			>>"$TMP/apt.log" 2>&1; }
	fi
	command -v "$1" >/dev/null 2>&1
}

finish() {
	[ "$FAILS" = 0 ] || { echo "$FAILS command-line test(s) failed"; exit 1; }
}
