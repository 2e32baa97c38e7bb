#!/bin/sh
# meson install hook: on a real install (no DESTDIR) as root, do what a
# package's maintainer scripts would, so that `systemctl start udpcapd` is
# all that is left: create the udpcapd user and udpcap group, the ring
# directory, apply udpcapd's sysctl.d file, and make systemd see the unit.
# Staged installs (DESTDIR, packaging) are left alone.
#   $1 sysusers file  $2 tmpfiles file  $3 sysctl file
set -u
# meson 1.0 shows none of this script's output: keep it in the build's logs.
if [ -n "${MESON_BUILD_ROOT:-}" ] && [ -d "$MESON_BUILD_ROOT/meson-logs" ]; then
	exec >>"$MESON_BUILD_ROOT/meson-logs/post-install.log" 2>&1
	echo "udpcapd: post-install at $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
fi
if [ -n "${DESTDIR:-}" ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "udpcapd: not root; run as root: systemd-sysusers $1; systemd-tmpfiles --create $2; sysctl -p $3; systemctl daemon-reload" >&2
	exit 0
fi
run() {
	echo "udpcapd: $*"
	"$@" || echo "udpcapd: '$*' failed; run it by hand" >&2
}
command -v systemd-sysusers >/dev/null && run systemd-sysusers "$1"
command -v systemd-tmpfiles >/dev/null && run systemd-tmpfiles --create "$2"
command -v sysctl >/dev/null && run sysctl -q -p "$3"
if [ -d /run/systemd/system ]; then
	run systemctl daemon-reload
fi
exit 0
