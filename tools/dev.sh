#!/usr/bin/env bash
# udpcap developer entry point: the README's two commands.
#
#   tools/dev.sh run    install what is missing, build, run udpcapd on loopback
#                       with conf/udpcapd.conf and push real traffic through it
#   tools/dev.sh test   install what is missing, build (normal + ASan/UBSan with
#                       fuzzers) and run every test; prints the summary line
#   tools/dev.sh deb    install the build dependencies and build the Debian
#                       packages (debian/) into build-deb/
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

# Debian 12 packages the build, the tests and the demo need.
packages=(
	build-essential meson ninja-build pkg-config clang llvm
	liburing-dev libpcap-dev libbpf-dev bpftool libelf-dev zlib1g-dev
	libcmocka-dev libinih-dev libmicrohttpd-dev libsystemd-dev libcap-dev libjson-c-dev
	tshark tcpdump prometheus systemd iproute2 procps python3 libcap2-bin util-linux
	libclang-rt-14-dev groff-base man-db gnuplot-nox nftables
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

# Zeek's runtime libraries from Debian 12, for the builds in ../shared/zeek
# (its README lists them).
zeek_packages=(
	libpcap0.8 libssl3 zlib1g libmaxminddb0 libkrb5-3 libsqlite3-0 libzmq5
	liburing2 libstdc++6 python3 python3-git python3-semantic-version cmake
)
zeek_shared="$here/../shared/zeek"
# -Dzeek_config=... for the normal build; empty: meson looks on PATH.
zeek_config_opt=()

# TARBALL PREFIX: unpack a Zeek build under /opt unless that version is there.
zeek_unpack() {
	local tarball="$1" prefix="$2" version have=""
	version="$(basename "$tarball" | sed -E 's/^zeek-(.*)-debian12-amd64\.tar\.xz$/\1/')"
	[ -x "$prefix/bin/zeek-config" ] && have="$("$prefix/bin/zeek-config" --version)"
	if [ "$have" = "$version" ]; then
		echo "dev.sh: Zeek $version already in $prefix"
		return 0
	fi
	if [ -n "$have" ]; then
		echo "dev.sh: replacing Zeek $have in $prefix by $version"
		as_root rm -rf "$prefix"
	fi
	echo "dev.sh: unpacking Zeek $version into $prefix"
	# The prefix is fixed when Zeek is built: the tarball holds opt/<name>/.
	as_root tar -xJf "$tarball" -C /opt
	[ "$("$prefix/bin/zeek-config" --version)" = "$version" ]
}

# Use the Zeek on PATH, else the builds in ../shared/zeek: 8.2 and, when
# its tarball is there, 9.0 too (the plugin is built and tested for each).
zeek_setup() {
	local z8 z9 configs=()
	if command -v zeek-config >/dev/null; then
		echo "dev.sh: Zeek $(zeek-config --version) from PATH ($(command -v zeek-config))"
		return 0
	fi
	z8="$(ls "$zeek_shared"/zeek-8.*-debian12-amd64.tar.xz 2>/dev/null | tail -n 1 || true)"
	z9="$(ls "$zeek_shared"/zeek-9.*-debian12-amd64.tar.xz 2>/dev/null | tail -n 1 || true)"
	if [ -z "$z8" ] && [ -z "$z9" ]; then
		echo "dev.sh: SKIPPING ZEEK: no zeek-config on PATH and no Zeek build in" \
			"$zeek_shared; the plugin is not built and its tests are skipped" >&2
		return 0
	fi
	packages+=("${zeek_packages[@]}")
	install_missing
	if [ -n "$z8" ]; then
		zeek_unpack "$z8" /opt/zeek
		configs+=(/opt/zeek/bin/zeek-config)
	fi
	if [ -n "$z9" ]; then
		zeek_unpack "$z9" /opt/zeek-9
		configs+=(/opt/zeek-9/bin/zeek-config)
	fi
	zeek_config_opt=("-Dzeek_config=$(
		IFS=,
		echo "${configs[*]}"
	)")
}

build() { # DIR [meson setup args...]
	local dir="$1"
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"
			return 1
		}
	elif [ "$#" -gt 0 ]; then
		meson configure "$dir" "$@" >/dev/null
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

# The Zeek tests' time per Zeek, from names like "udpcap:zeekbridge+zeek9 / ...".
zeek_times() {
	python3 - "$1" <<'PY'
import json, os, sys
t = {}
for line in open(sys.argv[1]) if os.path.exists(sys.argv[1]) else []:
    r = json.loads(line)
    suites = r["name"].split(" / ")[0].split(":")[-1].split("+")
    if "zeekbridge" in suites:
        z = next((s for s in suites if s != "zeekbridge"), "first Zeek")
        t[z] = t.get(z, 0.0) + r.get("duration", 0.0)
for z, d in sorted(t.items()):
    print(f"zeekbridge suite ({z}): {d:.0f} s of test time")
PY
}

run_tests() {
	local status=0 total_p=0 total_f=0 total_s=0
	zeek_setup
	build build "${zeek_config_opt[@]}"
	CC=clang build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=enabled
	release_build || status=1
	for dir in build build-asan; do
		echo "=== meson test -C $dir"
		meson test -C "$dir" --print-errorlogs --no-rebuild --timeout-multiplier 3 || status=1
		read -r p f s < <(count_results "$dir/meson-logs/testlog.json")
		[ "$dir" = build ] && zeek_times "$dir/meson-logs/testlog.json"
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

# The Debian packages, built from a copy of the tree in build-deb/ (where
# dpkg-buildpackage writes them: beside the source). With a Zeek already
# installed (zeek-config on PATH, else /opt/zeek) the Zeek plugin package is
# built too, through the build profile pkg.udpcap.zeek (debian/README.source).
build_debs() {
	local out="$here/build-deb" src zeek_config="" profile=""
	packages=(build-essential dpkg-dev)
	install_missing
	src="$out/udpcap-$(dpkg-parsechangelog -l debian/changelog -S Version)"
	if command -v zeek-config >/dev/null; then
		zeek_config="$(command -v zeek-config)"
	elif [ -x /opt/zeek/bin/zeek-config ]; then
		zeek_config=/opt/zeek/bin/zeek-config
	fi
	[ -n "$zeek_config" ] && profile=pkg.udpcap.zeek
	rm -rf "$out"
	mkdir -p "$src"
	tar -C "$here" --exclude='./build*' --exclude='./obj-*' --exclude=./.git -c . | tar -C "$src" -x
	as_root apt-get build-dep -y -qq ${profile:+-P "$profile"} "$src" >/dev/null || {
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq ${profile:+-P "$profile"} "$src"
	}
	(cd "$src" && env ${zeek_config:+ZEEK_CONFIG="$zeek_config"} dpkg-buildpackage -us -uc -b ${profile:+--build-profiles="$profile"})
	rm -rf "$src"
	echo
	ls "$out"/*.deb
	echo "install: sudo apt install $out/udpcapd_*.deb $out/libudpcap0_*.deb"
}

case "${1:-}" in
run) install_missing && run_demo ;;
test) install_missing && run_tests ;;
deb) build_debs ;;
*)
	echo "usage: $0 run|test|deb" >&2
	exit 2
	;;
esac
