#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves [dedup] against real kernel mirroring of BOTH ends of a
conversation: a client and a server namespace joined by a veth; tc mirrors
both directions of the client's end into one kernel VXLAN device (VNI 42)
and both directions of the server's end into another (VNI 43), each sending
to udpcapd in a third namespace over its own link. Every packet on the wire
therefore reaches udpcapd twice, from two sources with two VNIs.
With dedup off, every TCP packet is twice in the rings. With window_us set,
the IP packets in the rings equal one copy of the conversation: the same
packets, counts and bytes as a tcpdump capture on the client's veth, and the
'duplicate' count equals the number removed. Look-alikes stay: an identical
IPv4/UDP packet sent again 300 ms later (outside the window) and two ICMP
echoes that differ only in their identifier are all delivered.
Needs root (namespaces, tc); skips loudly otherwise."""

import collections
import os
import shutil
import signal
import subprocess
import sys
import time

import steerlib
from udpcap_daemon import Daemon

CONNECTIONS = 20
PORT = 8080
WINDOW_US = 20000
TAG = f"{os.getpid()}"
NS_C, NS_S, NS_D = f"udc{TAG}", f"uds{TAG}", f"udd{TAG}"

CLIENT = f"""
import socket, sys, time
ok = 0
for i in range({CONNECTIONS}):
    for attempt in range(20):
        try:
            s = socket.create_connection(("10.78.1.2", {PORT}), timeout=5)
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit("cannot connect")
    s.sendall(b"GET / HTTP/1.0\\r\\nHost: s\\r\\n\\r\\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    ok += data.startswith(b"HTTP/1.0 200")
print(ok)
"""

# Hand-built packets with every IPv4 field fixed (the kernel would vary the ID).
LOOKALIKES = """
import socket, struct, time

def csum(b):
    b += bytes(len(b) & 1)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff

def ipv4(proto, payload, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                    socket.inet_aton("10.78.1.1"), socket.inet_aton("10.78.1.2"))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

def echo(ident):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"same payload" * 4
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]

s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
data = b"identical datagram"
udp = ipv4(17, struct.pack("!HHHH", 40000, 9, 8 + len(data), 0) + data, 0x4242)
s.sendto(udp, ("10.78.1.2", 0))
time.sleep(0.3)  # far outside the window: a new packet that looks the same
s.sendto(udp, ("10.78.1.2", 0))
for ident in (0x1111, 0x2222):  # back to back, inside the window
    s.sendto(ipv4(1, echo(ident), 0x4343), ("10.78.1.2", 0))
time.sleep(0.3)
"""

WAIT_SERVER = f"""
import socket, sys, time
for attempt in range(100):
    try:
        socket.create_connection(("10.78.1.2", {PORT}), timeout=2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("the HTTP server in the server namespace did not come up")
"""


def sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stdout.strip()}")
    return r.stdout


def cleanup():
    for ns in (NS_C, NS_S, NS_D):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL, check=False)


def topology():
    for ns in (NS_C, NS_S, NS_D):
        sh("ip", "netns", "add", ns)
        # IPv4 only: IPv6 neighbour discovery would add traffic nobody asked for
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
        sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    sh("ip", "link", "add", "c0", "netns", NS_C, "type", "veth", "peer", "s0", "netns", NS_S)
    sh("ip", "link", "add", "m0", "netns", NS_C, "type", "veth", "peer", "d0", "netns", NS_D)
    sh("ip", "link", "add", "n0", "netns", NS_S, "type", "veth", "peer", "d1", "netns", NS_D)
    for ns, dev, addr in ((NS_C, "c0", "10.78.1.1/24"), (NS_S, "s0", "10.78.1.2/24"),
                          (NS_C, "m0", "10.78.2.1/24"), (NS_D, "d0", "10.78.2.2/24"),
                          (NS_S, "n0", "10.78.3.1/24"), (NS_D, "d1", "10.78.3.2/24")):
        sh("ip", "addr", "add", addr, "dev", dev, ns=ns)
        sh("ip", "link", "set", dev, "up", ns=ns)
    # inner frames + 50 bytes of VXLAN stay under the 1500-byte underlay
    sh("ip", "link", "set", "c0", "mtu", "1400", ns=NS_C)
    sh("ip", "link", "set", "s0", "mtu", "1400", ns=NS_S)
    # one mirror session per end: its own VXLAN device, VNI and source address
    for ns, vx, vni, local, remote, under, dev in (
            (NS_C, "vx0", "42", "10.78.2.1", "10.78.2.2", "m0", "c0"),
            (NS_S, "vx1", "43", "10.78.3.1", "10.78.3.2", "n0", "s0")):
        sh("ip", "link", "add", vx, "type", "vxlan", "id", vni, "local", local, "remote",
           remote, "dstport", "4789", "dev", under, ns=ns)
        sh("ip", "link", "set", vx, "up", ns=ns)
        sh("tc", "qdisc", "add", "dev", dev, "clsact", ns=ns)
        for direction in ("ingress", "egress"):
            sh("tc", "filter", "add", "dev", dev, direction, "protocol", "all", "u32", "match",
               "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", vx, ns=ns)


def ip_packet(linktype, frame):
    """The IPv4 packet of an Ethernet frame (bytes from the IP header), or None."""
    if linktype != 1 or len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    return frame[14:14 + int.from_bytes(frame[16:18], "big")]


def is_tcp(p):
    return p[9] == 6 and PORT in (int.from_bytes(p[20:22], "big"),
                                 int.from_bytes(p[22:24], "big"))


class Capture:
    """tcpdump on the client's veth: the one-copy reference."""

    def __init__(self, path):
        self.path = path
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS_C, "tcpdump", "-i", "c0", "-U", "-n", "-w", path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        if "listening on" not in line:
            raise RuntimeError(f"tcpdump did not start: {line}")

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)
        return [p for p in (ip_packet(lt, f) for lt, f in steerlib.read_pcap(self.path)) if p]


def run(window_us, udpcapd, udpcapctl, tmp):
    name = f"dedup{window_us}"
    conf, ringdir = steerlib.config(tmp, name, "auto", "0.0.0.0:4789")
    with open(conf, "a") as f:
        f.write(f"[dedup]\nwindow_us = {window_us}\n")
    d = Daemon(config=conf, log_path=tmp(f"{name}.log"), prefix=["ip", "netns", "exec", NS_D],
               udpcapd=udpcapd).start()
    try:
        dumpers = steerlib.Dumpers(udpcapctl, ringdir, d.rings, tmp.path, name)
        cap = Capture(tmp(f"{name}-c0.pcap"))
        try:
            ok = int(sh("python3", "-c", CLIENT, ns=NS_C))
            sh("python3", "-c", LOOKALIKES, ns=NS_C)
            time.sleep(1.0)  # let the last mirrored frames reach the rings
        finally:
            rc = d.stop()
            files = dumpers.stop()
            wire = cap.stop()
    finally:
        d.stop()
    rings = [p for path in files for p in (ip_packet(lt, f) for lt, f in steerlib.read_pcap(path))
             if p]
    st = d.final_stats()
    return ok, rc, wire, rings, st


def main():
    if os.geteuid() != 0:
        steerlib.skip("needs root for network namespaces and tc (uid %d)" % os.geteuid())
    for tool in ("ip", "tc", "tcpdump"):
        if not shutil.which(tool):
            steerlib.skip(f"{tool} not installed")
    udpcapd, udpcapctl = steerlib.binaries()
    tmp = steerlib.Tmp("dedup")
    server = None
    failures = []
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    try:
        topology()
        os.makedirs(tmp("www"))
        with open(tmp("www", "index.html"), "w") as f:
            f.write("x" * 3000)  # a few segments per response
        server = subprocess.Popen(
            ["ip", "netns", "exec", NS_S, "python3", "-m", "http.server", str(PORT), "--bind",
             "10.78.1.2", "--directory", tmp("www")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sh("python3", "-c", WAIT_SERVER, ns=NS_C)

        # dedup off: the control, every packet twice
        ok, rc, wire, rings, st = run(0, udpcapd, udpcapctl, tmp)
        wire_tcp = [p for p in wire if is_tcp(p)]
        ring_tcp = [p for p in rings if is_tcp(p)]
        print(f"dedup off: {ok}/{CONNECTIONS} requests ok; TCP packets on c0 {len(wire_tcp)}, "
              f"in the rings {len(ring_tcp)}; duplicate {st.get('total.drop.duplicate')}; "
              f"exit {rc}")
        if ok != CONNECTIONS or rc != 0 or not wire_tcp:
            failures.append(f"off: {ok} requests ok, exit {rc}, {len(wire_tcp)} TCP on c0")
        if collections.Counter(ring_tcp) != collections.Counter(wire_tcp * 2):
            failures.append(f"off: the rings hold {len(ring_tcp)} TCP packets, not each of the "
                            f"{len(wire_tcp)} on c0 twice")
        if st.get("total.drop.duplicate") != 0:
            failures.append(f"off: duplicate = {st.get('total.drop.duplicate')}")

        # dedup on: one copy
        ok, rc, wire, rings, st = run(WINDOW_US, udpcapd, udpcapctl, tmp)
        wire_tcp = [p for p in wire if is_tcp(p)]
        ring_tcp = [p for p in rings if is_tcp(p)]
        dup = st.get("total.drop.duplicate")
        removed = st.get("total.received", 0) - st.get("total.delivered", 0)
        print(f"dedup on (window_us = {WINDOW_US}): {ok}/{CONNECTIONS} requests ok; IP packets "
              f"on c0 {len(wire)} ({sum(map(len, wire))} B), in the rings {len(rings)} "
              f"({sum(map(len, rings))} B); TCP {len(wire_tcp)} on c0, {len(ring_tcp)} in the "
              f"rings; received {st.get('total.received')}, delivered "
              f"{st.get('total.delivered')}, duplicate {dup}; exit {rc}")
        if ok != CONNECTIONS or rc != 0:
            failures.append(f"on: {ok} requests ok, exit {rc}")
        if collections.Counter(rings) != collections.Counter(wire):
            extra = collections.Counter(rings) - collections.Counter(wire)
            missing = collections.Counter(wire) - collections.Counter(rings)
            failures.append(f"on: rings != one copy of c0: {sum(extra.values())} extra, "
                            f"{sum(missing.values())} missing")
        if sum(map(len, rings)) != sum(map(len, wire)):
            failures.append("on: ring bytes differ from the capture's")
        # each IP packet on the wire arrived twice; non-IP frames (ARP) are never removed
        if dup != len(wire) or dup != removed:
            failures.append(f"on: duplicate = {dup}, wanted {len(wire)} (one per IP packet on "
                            f"c0) and received - delivered = {removed}")
        udp_same = [p for p in rings if p[9] == 17 and p.endswith(b"identical datagram")]
        echoes = {int.from_bytes(p[24:26], "big") for p in rings if p[9] == 1 and p[20] == 8}
        print(f"look-alikes in the rings: the identical UDP packet {len(udp_same)} times "
              f"(sent twice, 300 ms apart), echo request ids {sorted(map(hex, echoes))}")
        if len(udp_same) != 2:
            failures.append(f"on: the UDP packet sent twice outside the window is in the "
                            f"rings {len(udp_same)} times")
        if echoes != {0x1111, 0x2222}:
            failures.append(f"on: echo requests with ids {echoes}, wanted 0x1111 and 0x2222")
    finally:
        if server:
            server.terminate()
            server.wait()
        cleanup()
    return steerlib.report(failures, tmp)


if __name__ == "__main__":
    sys.exit(main())
