#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Bounded libFuzzer smoke of fuzz_decap: builds a seed corpus in a fresh
# temp dir from the outer UDP payloads of PCAP_DIR/tunnels-*.pcap plus the
# handcrafted samples, then runs RUNS executions. Fails on any crash, leak,
# sanitizer report or invariant failure. If the captures are missing it
# says so loudly and fuzzes from the handcrafted seeds only. libFuzzer's
# default error exit code is 77, which meson would count as SKIP: use 1.
# Usage: run_fuzz.sh FUZZER MAKE_SEEDS PCAP_DIR RUNS
set -euo pipefail
fuzzer=$1 make_seeds=$2 pcap_dir=$3 runs=$4
# UBSan only reports and goes on unless told to stop
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
tmp=$(mktemp -d /tmp/udpcap-fuzz-decap.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus"
shopt -s nullglob
pcaps=("$pcap_dir"/tunnels-*.pcap)
if [ ${#pcaps[@]} -eq 0 ]; then
	echo "WARNING: no $pcap_dir/tunnels-*.pcap: seeding from handcrafted samples only" >&2
fi
"$make_seeds" "$tmp/corpus" "${pcaps[@]}"
set +e
"$fuzzer" -runs="$runs" -seed=1 -max_len=2048 -detect_leaks=1 -print_final_stats=1 \
	-error_exitcode=1 -timeout_exitcode=1 -timeout=60 \
	-artifact_prefix="$tmp/" "$tmp/corpus" >"$tmp/log" 2>&1
rc=$?
set -e
tail -40 "$tmp/log"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: fuzz_decap exited $rc"
	for a in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$tmp"/oom-*; do
		echo "artifact $a:"; od -An -tx1 "$a" | head -20
	done
	exit "$rc"
fi
