#!/usr/bin/env bash
# udpcap demo (tools/dev.sh run ends here): run udpcapd with a loopback copy of
# conf/udpcapd.conf, push real mirrored traffic through it with udpcapctl replay,
# show what came out of each ring with tcpdump and the daemon's counters, then
# leave the daemon running until Ctrl-C. Works as root and as a normal user.
#
#   tools/demo.sh BUILD_DIR [--no-wait]
#
# --no-wait stops the daemon after showing everything instead of waiting for
# Ctrl-C (tests/system/traffic/demo_smoke.sh uses it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$here/build}" && pwd)"
no_wait=""
[ "${2:-}" = "--no-wait" ] && no_wait=1
udpcapd="$build/daemon/udpcapd"
udpcapctl="$build/tools/udpcapctl"
pcaps="$(cd "$here/.." && pwd)/shared/pcaps"
for b in "$udpcapd" "$udpcapctl"; do
	[ -x "$b" ] || { echo "demo: $b is not built" >&2; exit 1; }
done

# rings in shared memory when we may, like the real thing; else a temp dir
shm=/dev/shm
[ -w "$shm" ] || shm="${TMPDIR:-/tmp}"
work="$(mktemp -d "${TMPDIR:-/tmp}/udpcap-demo.XXXXXX")"
ring_dir="$(mktemp -d "$shm/udpcapd-demo.XXXXXX")"
conf="$work/udpcapd.conf"
daemon_pid=""
tail_pid=""

cleanup() {
	trap - EXIT INT TERM
	[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		echo
		echo "demo: stopping udpcapd"
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	rm -rf "$work" "$ring_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The example config, for loopback: listeners on 127.0.0.1 and ::1 port 0 (the
# kernel picks free ports, --ready-fd tells which), rings and control socket
# in private places, smaller rings, no metrics port that could clash.
python3 - "$here/conf/udpcapd.conf" "$conf" "$ring_dir" "$work/control.sock" <<'PY'
import re, sys
src, dst, ring_dir, control = sys.argv[1:]
out, section = [], None
for line in open(src):
    m = re.match(r"\s*\[([^\]]+)\]", line)
    if m:
        section = m.group(1).split()[0]
    key = re.match(r"\s*([a-z_]+)\s*=", line)
    key = key.group(1) if key else None
    if section == "rings" and key == "dir":
        line = f"dir = {ring_dir}\n"
    elif section == "rings" and key == "size":
        line = "size = 8M\n"
    elif section == "rings" and key == "count":
        line = "count = 2\n"
    elif section == "rings" and key == "group":
        line = "; " + line
    elif section == "listener" and key == "listen":
        line = "listen = 127.0.0.1:0\n"
    elif section == "control" and key == "socket":
        line = f"socket = {control}\n"
    elif section == "control" and key == "group":
        line = "; " + line
    elif section == "metrics" and key == "listen":
        line = "listen = 127.0.0.1:0\n"
    out.append(line)
# a GENEVE listener on IPv6 loopback next to the example's VXLAN one
out.append("\n[listener geneve]\nlisten = [::1]:0\nencap = geneve\n")
open(dst, "w").write("".join(out))
PY

echo "== udpcapd -c $conf"
mkfifo "$work/ready"
"$udpcapd" -c "$conf" --ready-fd 3 3>"$work/ready" >"$work/udpcapd.log" 2>&1 &
daemon_pid=$!
ready=""
if ! ready="$(timeout 30 cat "$work/ready")" || ! grep -q '^READY$' <<<"$ready"; then
	echo "demo: udpcapd did not start:" >&2
	cat "$work/udpcapd.log" >&2
	exit 1
fi
sed 's/^/   /' "$work/udpcapd.log"
vxlan="$(awk '$1 == "listener" && $2 == "vxlan" {print $3}' <<<"$ready")"
geneve="$(awk '$1 == "listener" && $2 == "geneve" {print $3}' <<<"$ready")"
mapfile -t rings < <(awk '$1 == "ring" {print $2}' <<<"$ready")

# one dump per ring, started before the traffic, ending on its own
dump_pids=()
for r in "${rings[@]}"; do
	"$udpcapctl" dump "$r" --dir "$ring_dir" -w "$work/$r.pcap" --timeout 4 2>"$work/$r.dump.log" &
	dump_pids+=($!)
done
for r in "${rings[@]}"; do
	for _ in $(seq 50); do
		grep -q "listening on ring" "$work/$r.dump.log" 2>/dev/null && break
		sleep 0.1
	done
done

echo
if [ -d "$pcaps" ]; then
	echo "== udpcapctl replay: real captures from $pcaps"
	"$udpcapctl" replay "$pcaps/http-bro.org.pcap" --to "$vxlan" --encap vxlan --src-port random
	"$udpcapctl" replay "$pcaps/tunnels-geneve-many-options.pcap" --to "$geneve" --as-is \
		--src-port random
else
	echo "== udpcapctl replay: $pcaps is absent, sending generated HTTP-like flows"
	python3 - "$work/gen.pcap" <<'PY'
import socket, struct, sys
def frame(i, reply):
    src, dst = (f"10.0.{i}.2", "192.0.2.80") if not reply else ("192.0.2.80", f"10.0.{i}.2")
    sp, dp = (40000 + i, 80) if not reply else (80, 40000 + i)
    data = (b"GET / HTTP/1.1\r\nHost: example\r\n\r\n" if not reply else
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    tcp = struct.pack("!HHIIBBHHH", sp, dp, 1, 1, 0x50, 0x18, 65535, 0, 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(200):
        for reply in (False, True):
            p = frame(i, reply)
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)) + p)
PY
	"$udpcapctl" replay "$work/gen.pcap" --to "$vxlan" --encap vxlan --src-port random
fi

for p in "${dump_pids[@]}"; do wait "$p" || true; done
for r in "${rings[@]}"; do
	echo
	echo "== udpcapctl dump $r -w $r.pcap; tcpdump -r $r.pcap (first lines)"
	sed 's/^/   /' "$work/$r.dump.log"
	tcpdump -r "$work/$r.pcap" -n -c 4 2>/dev/null | cut -c1-150 | sed 's/^/   /' || true
done

echo
echo "== udpcapctl stats"
if ! "$udpcapctl" stats --socket "$work/control.sock"; then
	echo "   (udpcapctl stats failed; the daemon logs its counters on SIGUSR1:)"
	kill -USR1 "$daemon_pid"
	sleep 0.5
	tail -n 5 "$work/udpcapd.log" | sed 's/^/   /'
fi

echo
echo "udpcapd is running with $conf (pid $daemon_pid; VXLAN on $vxlan, GENEVE on $geneve,"
echo "rings ${rings[*]} in $ring_dir). Try, in another terminal:"
echo "   $udpcapctl stats --socket $work/control.sock"
echo "   $udpcapctl dump ${rings[0]} --dir $ring_dir -w - | tcpdump -r - -n"
echo "   $udpcapctl replay $pcaps/wikipedia.pcap --to $vxlan --encap vxlan --loop 10"
if [ -n "$no_wait" ]; then
	echo "(--no-wait: stopping now)"
	exit 0
fi
echo "press Ctrl-C to stop"
tail -n 0 -f "$work/udpcapd.log" &
tail_pid=$!
wait "$daemon_pid" || true
daemon_pid=""
echo "demo: udpcapd exited"
