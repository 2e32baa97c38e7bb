#!/usr/bin/env bash
# Proves the README's first command ends well: tools/demo.sh starts udpcapd
# from conf/udpcapd.conf (made loopback), pushes traffic through it, every
# ring dump is read by tcpdump, stats are shown, and it cleans up after itself
# (no daemon, no ring directory left behind).
set -euo pipefail
build="${UDPCAP_BUILD_ROOT:?}"
src="${UDPCAP_SOURCE_ROOT:?}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

if ! timeout 120 "$src/tools/demo.sh" "$build" --no-wait >"$out" 2>&1; then
	cat "$out"
	echo "FAIL: tools/demo.sh exited non-zero"
	exit 1
fi
cat "$out"
fail() { echo "FAIL: $*"; exit 1; }
grep -q "notice: ready" "$out" || fail "udpcapd never said ready"
[ "$(grep -c ' packets captured, 0 dropped by udpcap' "$out")" -ge 2 ] || fail "no dump summary per ring"
grep -qE '^   [0-9:.]+ IP' "$out" || fail "tcpdump showed no packets"
grep -q "^TOTAL" "$out" || fail "no stats table"
grep -q "udpcapd is running with" "$out" || fail "no closing message"
ring_dir="$(sed -n 's/.*rings .* in \(.*\))\..*/\1/p' "$out" | head -1)"
[ -n "$ring_dir" ] || fail "demo did not name its ring directory"
[ -e "$ring_dir" ] && fail "ring directory $ring_dir left behind"
pid="$(sed -n 's/.*(pid \([0-9]*\);.*/\1/p' "$out" | head -1)"
[ -n "$pid" ] || fail "demo did not name the daemon pid"
kill -0 "$pid" 2>/dev/null && fail "udpcapd $pid still running"
echo "PASS"
