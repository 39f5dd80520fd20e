#!/bin/sh
# Run packetdrill scripts against utcp (build/libutcp_packetdrill.so) and
# print PASS/FAIL for each. packetdrill itself is built outside this tree
# (docs/PACKETDRILL.md); point PACKETDRILL at its binary.
#
#   PACKETDRILL=/work/pdbuild/.../packetdrill tools/packetdrill/pdrun.sh \
#       [-f SO_FLAGS] [-v] script.pkt|directory ...
#
# What a script asks of the host rather than of the stack is neutralised:
#  - shell commands (`sysctl ...`, `ip ...`, `tc ...`, as in
#    gtests/net/tcp/common/defaults.sh) find no-op sysctl, ip and tc first
#    on PATH: utcp has no such knobs, and the host's must not change;
#  - `%{ ... }%` code blocks (tcpi_* asserts, read by packetdrill with a
#    real getsockopt on the descriptor, which is not a kernel socket) become
#    a `true` command at the same time, so the rest of the script is judged;
#  - IPv6 scripts are reported as SKIP: utcp speaks IPv4 only.
set -u
so_flags=""
verbose=""
while getopts "f:v" opt; do
	case $opt in
	f) so_flags=$OPTARG ;;
	v) verbose=1 ;;
	*) echo "usage: $0 [-f so_flags] [-v] script.pkt|dir ..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
: "${PACKETDRILL:?set PACKETDRILL to the packetdrill binary}"
here=$(cd "$(dirname "$0")/../.." && pwd)
so=${UTCP_PD_SO:-$here/build/libutcp_packetdrill.so}
[ -f "$so" ] || { echo "no $so: run make first" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
for c in sysctl ip tc ethtool; do
	printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/$c"
	chmod +x "$tmp/bin/$c"
done

pass=0 fail=0 skip=0
run_one() {
	f=$1
	dir=$(cd "$(dirname "$f")" && pwd)
	if grep -q -- '--ip_version=ipv6' "$f"; then
		echo "SKIP $f (IPv6)"
		skip=$((skip + 1))
		return
	fi
	copy="$tmp/$(basename "$f")"
	perl -0pe 's/%\{.*?\}%/`true`/gs' "$f" >"$copy"
	out=$(cd "$dir" && PATH="$tmp/bin:$PATH" timeout 120 "$PACKETDRILL" \
		--so_filename="$so" --so_flags="$so_flags" --local_ip=192.168.0.2 \
		${verbose:+-v} "$copy" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "PASS $f"
		pass=$((pass + 1))
	else
		echo "FAIL $f"
		printf '%s\n' "$out" | sed 's/^/    /' | head -20
		fail=$((fail + 1))
	fi
}

for arg in "$@"; do
	if [ -d "$arg" ]; then
		for f in $(find "$arg" -name '*.pkt' | sort); do run_one "$f"; done
	else
		run_one "$arg"
	fi
done
echo "packetdrill: $pass passed, $fail failed, $skip skipped"
