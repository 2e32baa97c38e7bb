#!/bin/bash
# Bounded smoke run of fuzz/fuzz_ring from generated seeds in a private
# corpus directory. Usage: run_fuzz_ring.sh FUZZER SEEDGEN RUNS
set -euo pipefail
fuzzer=$1 seedgen=$2 runs=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$seedgen" "$work/corpus"
exec "$fuzzer" -runs="$runs" -seed=1 -max_len=20000 -print_final_stats=1 "$work/corpus"
