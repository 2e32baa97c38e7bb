#!/usr/bin/env bash
# Proves the data-path benchmark still runs end to end (bench/datapath.py with
# a tiny packet count, both backends): every receiver row is printed with its
# ratio (the 4+TAP row too as root), no run failed, and its rate sweep draws an SVG with a curve per
# receiver (the kernel VXLAN + AF_PACKET one too when run as root). It
# asserts nothing about speed.
set -euo pipefail
svg="$(mktemp --suffix=.svg)"
trap 'rm -f "$svg"' EXIT
out="$(timeout 300 /usr/bin/python3 "${UDPCAP_SOURCE_ROOT:?}/bench/datapath.py" \
	"${UDPCAP_BUILD_ROOT:?}" --packets 5000 --reps 1 --threads 0 \
	--plot "$svg" --sweep 20000,max --sweep-seconds 0.25 2>&1)" || {
	echo "$out"
	echo "FAIL: bench/datapath.py exited non-zero"
	exit 1
}
echo "$out"
if grep -q "failed" <<<"$out"; then
	echo "FAIL: a benchmark run failed"
	exit 1
fi
rows=("bare recvmmsg" "bare +coalesce" "udpcapd recvmmsg t=0" "udpcapd io_uring t=0"
	"udpcapd recvmmsg dedup" "udpcapd recvmmsg 1 group" "udpcapd recvmmsg 4+1")
# the TAP row needs root (a TAP device) and nft (udpcap-tap-setup)
if [ "$(id -u)" -eq 0 ]; then
	command -v nft >/dev/null || apt-get install -y -qq nftables >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq nftables; } >/dev/null 2>&1 || true
	rows+=("udpcapd recvmmsg 4+TAP")
fi
for row in "${rows[@]}"; do
	[ "$(sed '/^sweep:/,$d' <<<"$out" | grep -c "^  $row")" -eq 2 ] || { echo "FAIL: no '$row' row per load"; exit 1; }
done
curves=("bare recvmmsg" "udpcapd recvmmsg" "udpcapd io_uring")
[ "$(id -u)" -eq 0 ] && curves+=("kernel vxlan + AF_PACKET")
/usr/bin/python3 - "$svg" "${curves[@]}" <<'PY' || exit 1
import sys
import xml.etree.ElementTree as ET

text = open(sys.argv[1]).read()
ET.fromstring(text)  # well-formed SVG
for name in sys.argv[2:]:
    if name.replace("&", "&amp;") not in text:
        sys.exit(f"FAIL: the plot has no curve '{name}'")
PY
echo "PASS"
