#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Proves that <udpcap/parse.h> still compiles for the BPF target
# (`compile`: clang -O2 -target bpf -Wall -Wextra -Werror) and that the
# kernel verifier accepts it as an sk_reuseport program with every
# encapsulation path live (`verify`: bpftool prog load, needs root), also
# under the stricter rules that apply with CAP_BPF alone (no CAP_PERFMON,
# no CAP_SYS_ADMIN), which is how udpcapd loads its steering program.
# Skips loudly (exit 77) when clang lacks the BPF target, or for `verify`
# when not root / no bpftool. Without a bpffs at /sys/fs/bpf (CI runners,
# containers) it mounts one in a private mount namespace of its own, so the
# verifier check runs everywhere and the host's mounts stay as they were.
set -euo pipefail
mode=${1:?compile or verify}
src=${UDPCAP_SOURCE_ROOT:?run through meson test}
skip() { echo "SKIP: $*"; echo "SKIP: $*" >&2; exit 77; }

if [ "$mode" = verify ] && [ "$(id -u)" = 0 ] && [ -z "${UDPCAP_BPF_PRIVATE_NS:-}" ] &&
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
	command -v unshare >/dev/null || { echo "FAIL: unshare missing, cannot mount bpffs privately"; exit 1; }
	UDPCAP_BPF_PRIVATE_NS=1 exec unshare --mount --propagation private -- bash "$0" "$@"
fi

command -v clang >/dev/null || skip "clang not installed: cannot check parse.h for the BPF target"
clang -print-targets 2>/dev/null | grep -qw bpf || skip "clang has no bpf target"
tmp=$(mktemp -d /tmp/udpcap-parse-bpf.XXXXXX)
pin=""
cleanup() { [ -n "$pin" ] && rm -f "$pin"; rm -rf "$tmp"; }
trap cleanup EXIT

multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
clang -O2 -g -target bpf -Wall -Wextra -Werror \
	-I"$src/lib/include" -I"/usr/include/$multiarch" \
	-c "$src/tests/lib/parse/parse_check.bpf.c" -o "$tmp/parse_check.bpf.o"
echo "compiled parse.h for the BPF target: $(stat -c %s "$tmp/parse_check.bpf.o") bytes"
[ "$mode" = compile ] && exit 0

[ "$(id -u)" = 0 ] || skip "not root: cannot load a BPF program to run the verifier"
command -v bpftool >/dev/null || skip "bpftool not installed"
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
	[ -n "${UDPCAP_BPF_PRIVATE_NS:-}" ] || { echo "FAIL: no private mount namespace for bpffs"; exit 1; }
	mount -t bpf bpf /sys/fs/bpf || { echo "FAIL: cannot mount bpffs at /sys/fs/bpf as root"; exit 1; }
	echo "mounted bpffs at /sys/fs/bpf in a private mount namespace"
fi
pin=/sys/fs/bpf/udpcap_parse_check_$$_$RANDOM
if ! bpftool prog load "$tmp/parse_check.bpf.o" "$pin" type sk_reuseport 2>"$tmp/log"; then
	tail -40 "$tmp/log"
	echo "FAIL: the verifier rejected parse.h"
	exit 1
fi
bpftool prog show pinned "$pin"
rm -f "$pin"
echo "verifier accepted parse.h (sk_reuseport, all encapsulations)"
command -v setpriv >/dev/null || skip "setpriv missing: CAP_BPF-only verifier rules not checked"
if ! setpriv --inh-caps=-all --bounding-set=-sys_admin,-perfmon,-net_admin -- \
	bpftool prog load "$tmp/parse_check.bpf.o" "$pin" type sk_reuseport 2>"$tmp/log"; then
	tail -40 "$tmp/log"
	echo "FAIL: the verifier rejected parse.h with CAP_BPF only (no CAP_PERFMON)"
	exit 1
fi
echo "verifier accepted parse.h with CAP_BPF only"
