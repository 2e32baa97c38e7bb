#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves udpcapctl replay's behaviour as seen by a plain UDP receiver on
loopback (no daemon): every datagram arrives in capture order with the
payload replay promised (raw: the frame; vxlan: 8-byte header with the VNI,
then the frame; --as-is: the captured UDP payload); --src-port flow keeps one
port per flow direction and usually differs between the two directions,
random spreads over many ports, fixed:N uses N; --loop and --count bound the
packets, --rate paces (the run cannot finish before count/rate), --max-seconds
bounds the time; IPv6 destinations work; bad arguments exit 2; --json reports
what was sent.
"""
import atexit
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

import harness as h  # noqa: E402


class Receiver:
    def __init__(self, host="127.0.0.1"):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind((host, 0))
        self.addr = h.fmt_addr(host, self.s.getsockname()[1])

    def drain(self, n, timeout=10):
        """n datagrams as (payload, source port); fewer if they stop coming."""
        got = []
        self.s.settimeout(timeout * (3 if h.SANITIZED else 1))
        try:
            while len(got) < n:
                data, src = self.s.recvfrom(70000)
                got.append((data, src[1]))
        except socket.timeout:
            pass
        return got


def replay(args, check=True):
    r = subprocess.run([h.UDPCAPCTL, "replay"] + args + ["--json"], capture_output=True,
                       text=True, timeout=120)
    if check and r.returncode != 0:
        h.fail(f"replay {args}: exit {r.returncode}: {r.stderr}")
    return json.loads(r.stdout) if r.returncode == 0 else r


def main():
    if not os.access(h.UDPCAPCTL, os.X_OK):
        h.fail(f"{h.UDPCAPCTL} is not built")
    tmp = tempfile.mkdtemp(prefix="udpcap-replay-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    # 20 flows, each a request and a reply (the reverse direction)
    frames = []
    for i in range(20):
        frames.append(h.eth_ipv4_udp(f"10.0.0.{i + 1}", "10.9.9.9", 40000 + i, 53, b"q%d" % i))
        frames.append(h.eth_ipv4_udp("10.9.9.9", f"10.0.0.{i + 1}", 53, 40000 + i, b"r%d" % i))
    pcap = os.path.join(tmp, "flows.pcap")
    h.write_pcap(pcap, frames)

    rx = Receiver()
    res = replay([pcap, "--to", rx.addr, "--encap", "raw"])
    got = rx.drain(len(frames))
    if [g[0] for g in got] != frames or res["packets"] != len(frames):
        h.fail(f"raw: {len(got)} datagrams, not the {len(frames)} frames in order")
    # flow (the default): a flow direction keeps its port in the second pass
    res = replay([pcap, "--to", rx.addr, "--encap", "raw", "--loop", "2"])
    got2 = rx.drain(2 * len(frames))
    first, second = got2[:len(frames)], got2[len(frames):]
    if [g[1] for g in first] != [g[1] for g in second]:
        h.fail("--src-port flow: a flow direction changed source port between passes")
    differ = sum(1 for i in range(0, len(frames), 2) if first[i][1] != first[i + 1][1])
    if differ < 10:
        h.fail(f"--src-port flow: only {differ} of 20 flows use different ports per direction")
    h.log(f"ok: raw payloads in order; flow ports stable per direction, "
          f"{differ}/20 flows differ by direction")

    res = replay([pcap, "--to", rx.addr, "--encap", "vxlan", "--vni", "4242",
                  "--src-port", "random", "--loop", "5"])
    got = rx.drain(5 * len(frames))
    if len(got) != 5 * len(frames) or res["packets"] != 5 * len(frames):
        h.fail(f"vxlan --loop 5: {len(got)} datagrams")
    for i, (data, _) in enumerate(got):
        if data[:8] != b"\x08\0\0\0" + struct.pack(">I", 4242 << 8) or \
                data[8:] != frames[i % len(frames)]:
            h.fail(f"vxlan datagram {i}: {data[:16].hex()}")
    nports = len({p for _, p in got})
    if nports < 20:
        h.fail(f"--src-port random: only {nports} source ports over 200 datagrams")
    fixed = h.free_udp_port()
    replay([pcap, "--to", rx.addr, "--encap", "geneve", "--src-port", f"fixed:{fixed}",
            "--count", "7"])
    got = rx.drain(7)
    if len(got) != 7 or {p for _, p in got} != {fixed}:
        h.fail(f"fixed:{fixed} --count 7: {len(got)} datagrams from {({p for _, p in got})}")
    h.log(f"ok: vxlan header + VNI, random over {nports} ports, fixed port, --count")

    # --as-is: the captured UDP payloads, unchanged
    outer = [h.eth_ipv4_udp("192.0.2.1", "192.0.2.2", 5555, 4789,
                            b"\x08\0\0\0\0\0\x01\0" + f) for f in frames[:6]]
    tun = os.path.join(tmp, "tunnel.pcap")
    h.write_pcap(tun, outer)
    replay([tun, "--to", rx.addr, "--as-is"])
    got = rx.drain(6)
    if [g[0] for g in got] != [b"\x08\0\0\0\0\0\x01\0" + f for f in frames[:6]]:
        h.fail("--as-is did not send the captured UDP payloads unchanged")
    h.log("ok: --as-is sends the captured UDP payloads")

    # IPv6 destination
    rx6 = Receiver("::1")
    replay([pcap, "--to", rx6.addr, "--encap", "geneve+vxlan", "--count", "3"])
    if len(rx6.drain(3)) != 3:
        h.fail("IPv6 destination: datagrams missing")
    h.log("ok: IPv6 destination")

    # pacing and bounds
    res = replay([pcap, "--to", rx.addr, "--encap", "raw", "--rate", "400", "--count", "100",
                  "--loop", "3"])
    rx.drain(100)
    if res["packets"] != 100 or res["elapsed_s"] < 99 / 400:
        h.fail(f"--rate 400 --count 100: {res}")
    res = replay([pcap, "--to", rx.addr, "--encap", "raw", "--rate", "200", "--loop", "1000",
                  "--max-seconds", "0.5"])
    if not res["timed_out"] or res["packets"] >= 40000:
        h.fail(f"--max-seconds 0.5: {res}")
    rx.drain(res["packets"], timeout=2)
    h.log(f"ok: --rate paces ({res['packets']} sent in {res['elapsed_s']:.2f} s at 200 pps), "
          "--max-seconds stops")

    for bad in ([pcap], [pcap, "--to", rx.addr], [pcap, "--to", rx.addr, "--encap", "gre"],
                [pcap, "--to", "nocolon", "--encap", "raw"],
                [pcap, "--to", rx.addr, "--encap", "raw", "--loop", "0"],
                [pcap, "--to", rx.addr, "--encap", "raw", "--src-port", "fixed:70000"],
                [pcap, "--to", rx.addr, "--encap", "raw", "--as-is"],
                # --as-is keeps the captured tunnel headers: a VNI cannot apply
                [pcap, "--to", rx.addr, "--as-is", "--vni", "7"],
                [pcap, "--to", rx.addr, "--as-is", "--geneve-options", "2"]):
        r = replay(bad, check=False)
        if not isinstance(r, subprocess.CompletedProcess) or r.returncode != 2 or \
                "udpcapctl replay:" not in r.stderr:
            h.fail(f"replay {bad}: expected exit 2 with a message")
    r = replay(["/nonexistent.pcap", "--to", rx.addr, "--encap", "raw"], check=False)
    if r.returncode != 1:
        h.fail("an unreadable capture must exit 1")
    h.log("ok: usage errors exit 2, unreadable capture exits 1")
    h.log("PASS")


if __name__ == "__main__":
    main()
