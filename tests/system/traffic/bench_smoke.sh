#!/usr/bin/env bash
# Proves the data-path benchmark still runs end to end (bench/datapath.py with
# a tiny packet count, both backends): every receiver row is printed with its
# ratio and no run failed. It asserts nothing about speed.
set -euo pipefail
out="$(timeout 300 /usr/bin/python3 "${UDPCAP_SOURCE_ROOT:?}/bench/datapath.py" \
	"${UDPCAP_BUILD_ROOT:?}" --packets 5000 --reps 1 --threads 0 2>&1)" || {
	echo "$out"
	echo "FAIL: bench/datapath.py exited non-zero"
	exit 1
}
echo "$out"
if grep -q "failed" <<<"$out"; then
	echo "FAIL: a benchmark run failed"
	exit 1
fi
for row in "bare recvmmsg" "bare +coalesce" "udpcapd recvmmsg t=0" "udpcapd io_uring t=0" \
	"udpcapd recvmmsg dedup"; do
	[ "$(grep -c "^  $row" <<<"$out")" -eq 2 ] || { echo "FAIL: no '$row' row per load"; exit 1; }
done
echo "PASS"
