#!/usr/bin/env bash
# udpcap developer entry point: the README's two commands.
#
#   tools/dev.sh run    install what is missing, build, run udpcapd on loopback
#                       with conf/udpcapd.conf and push real traffic through it
#   tools/dev.sh test   install what is missing, build (normal + ASan/UBSan with
#                       fuzzers) and run every test; prints the summary line
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

# Debian 12 packages the build, the tests and the demo need.
packages=(
	build-essential meson ninja-build pkg-config clang llvm
	liburing-dev libpcap-dev libbpf-dev bpftool libelf-dev zlib1g-dev
	libcmocka-dev libinih-dev libmicrohttpd-dev libsystemd-dev libcap-dev libjson-c-dev
	tshark tcpdump prometheus systemd iproute2 procps python3 libcap2-bin util-linux
	libclang-rt-14-dev groff-base man-db gnuplot-nox
)

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing() {
	local missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "dev.sh: installing ${missing[*]}"
		as_root apt-get update -qq
		# tshark asks whether non-root users may capture; the default (no) is fine.
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
	fi
}

build() { # DIR [meson setup args...]
	local dir="$1"
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"
			return 1
		}
	fi
	meson compile -C "$dir"
}

# Prints "PASS FAIL SKIP" counted from a meson testlog.json.
count_results() {
	python3 - "$1" <<'PY'
import json, os, sys
p = f = s = 0
lines = open(sys.argv[1]) if os.path.exists(sys.argv[1]) else []
for line in lines:
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
}

# The release build docs/operations.md tells users to run, warning-free
# under -Werror with gcc (-O3) and clang (-O2); then a --prefix install whose
# programs must run as installed, finding libudpcap through their run path.
# (DESTDIR=/ installs into the prefix but skips the post-install hook, which
# would add users and sysctls to this machine.)
release_build() {
	local prefix="$here/build-release/prefix" b
	build build-release -Dbuildtype=release -Dzeek=disabled -Dprefix="$prefix" || return 1
	CC=clang build build-release-clang -Dbuildtype=release -Doptimization=2 -Dzeek=disabled ||
		return 1
	rm -rf "$prefix"
	meson install -C build-release --quiet --no-rebuild --destdir / >/dev/null || return 1
	for b in udpcapd udpcapctl; do
		env -u LD_LIBRARY_PATH "$prefix/sbin/$b" --version >/dev/null || {
			echo "dev.sh: $prefix/sbin/$b does not run as installed" >&2
			return 1
		}
	done
	echo "release builds (gcc -O3, clang -O2) clean; --prefix install runs from $prefix"
}

run_tests() {
	local status=0 total_p=0 total_f=0 total_s=0
	build build
	CC=clang build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=enabled
	release_build || status=1
	for dir in build build-asan; do
		echo "=== meson test -C $dir"
		meson test -C "$dir" --print-errorlogs --no-rebuild --timeout-multiplier 3 || status=1
		read -r p f s < <(count_results "$dir/meson-logs/testlog.json")
		total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
	done
	echo
	echo "udpcap: ${total_p} passed, ${total_f} failed, ${total_s} skipped"
	return $status
}

run_demo() {
	build build
	exec tools/demo.sh build
}

case "${1:-}" in
run) install_missing && run_demo ;;
test) install_missing && run_tests ;;
*)
	echo "usage: $0 run|test" >&2
	exit 2
	;;
esac
