#!/usr/bin/env bash
# Makes a Debian 12 (bookworm) base image from debootstrap and imports it into
# podman, for machines that cannot pull from a container registry. The
# Containerfiles next to this script build FROM it when given
# --build-arg DEBIAN_IMAGE=localhost/debian:bookworm.
#
#   make-base-image.sh [-m MIRROR] [-s SECURITY_MIRROR] [-r ROOTDIR [-n]] [IMAGE]
#
#   IMAGE      name to import as (default localhost/debian:bookworm)
#   -m MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   -s URL     Debian security mirror (default http://deb.debian.org/debian-security)
#   -r ROOTDIR keep the debootstrap root in ROOTDIR and reuse it next time
#              (default: a temporary directory, removed afterwards)
#   -n         only make (or reuse) ROOTDIR, import nothing (no podman needed)
#
# Needs root (debootstrap), debootstrap and, unless -n, podman.
set -euo pipefail

mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
rootdir=
root_only=
while getopts "m:s:r:nh" opt; do
	case "$opt" in
	m) mirror="$OPTARG" ;;
	s) security="$OPTARG" ;;
	r) rootdir="$OPTARG" ;;
	n) root_only=1 ;;
	h)
		sed -n '2,16s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
image="${1:-localhost/debian:bookworm}"

if [ -n "$root_only" ] && [ -z "$rootdir" ]; then
	echo "make-base-image.sh: -n needs -r ROOTDIR" >&2
	exit 2
fi

tools=(debootstrap)
if [ -z "$root_only" ]; then tools+=(podman); fi
for tool in "${tools[@]}"; do
	command -v "$tool" >/dev/null || {
		echo "make-base-image.sh: $tool not found (apt-get install $tool)" >&2
		exit 1
	}
done

tmp=
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT

if [ -z "$rootdir" ]; then
	tmp="$(mktemp -d)"
	rootdir="$tmp/root"
fi

# A root counts as made only once debootstrap finished and the marker exists:
# an interrupted run leaves no marker and starts over.
if [ ! -e "$rootdir/.udpcap-base-complete" ]; then
	rm -rf "$rootdir.partial"
	mkdir -p "$(dirname "$rootdir")"
	echo "make-base-image.sh: debootstrap bookworm from $mirror (a few minutes)"
	debootstrap --variant=minbase bookworm "$rootdir.partial" "$mirror" >"$rootdir.partial.log" 2>&1 || {
		tail -n 30 "$rootdir.partial.log" >&2
		echo "make-base-image.sh: debootstrap failed; full log in $rootdir.partial.log" >&2
		exit 1
	}
	cat >"$rootdir.partial/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
	# Image hygiene: no downloaded packages, no package lists, no host identity.
	chroot "$rootdir.partial" apt-get clean
	rm -rf "$rootdir.partial"/var/lib/apt/lists/* "$rootdir.partial"/var/log/*.log \
		"$rootdir.partial"/var/cache/debconf/*-old "$rootdir.partial"/etc/machine-id
	: >"$rootdir.partial/etc/hostname"
	touch "$rootdir.partial/.udpcap-base-complete"
	rm -rf "$rootdir"
	mv "$rootdir.partial" "$rootdir"
	rm -f "$rootdir.partial.log"
fi

if [ -n "$root_only" ]; then
	echo "make-base-image.sh: root ready in $rootdir"
	exit 0
fi

tar --exclude=./.udpcap-base-complete -C "$rootdir" -c . |
	podman import --change 'CMD ["/bin/bash"]' --message "debootstrap --variant=minbase bookworm" \
		- "$image" >/dev/null
echo "make-base-image.sh: imported $image"
