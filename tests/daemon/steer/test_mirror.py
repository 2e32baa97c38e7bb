#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves symmetric steering against real kernel mirroring: a client and a
server namespace joined by a veth carry 40 real HTTP/TCP connections; tc
mirrors both directions of the client's veth (u32 match-all, action mirred)
into a kernel VXLAN device whose remote is udpcapd in a third namespace.
The kernel VXLAN device picks the outer source port per direction, so the
two directions of one connection arrive with different outer ports.
For steering = ebpf and cbpf every connection (both directions) must be in
exactly one of the 4 rings and >= 2 rings must be used; steering = kernel is
the control and must split connections (its count is printed).
The daemon also runs two more ring groups, 'ids' (3 rings) and 'rec' (1
ring): in every mode each holds exactly the default group's packets and
splits no connection (their ring is the inner-flow hash the daemon computes
itself, so even steering = kernel leaves them whole). And a TAP output
(udpcap-tap-setup's device): two AF_PACKET readers in one PACKET_FANOUT_HASH
group on it get exactly the default group's packets between them, split no
connection and drop nothing, the host sends nothing out of it, and its
books are exact: every packet the listener delivered was written to it.
Needs root (namespaces, tc); skips loudly otherwise."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import steerlib  # noqa: E402
from udpcap_daemon import Daemon

TAP = "udpcap0"
READERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib",
                       "fanout_readers.py")

CONNECTIONS = 40
PORT = 8080
TAG = f"{os.getpid()}"
NS_C, NS_S, NS_D = f"usc{TAG}", f"uss{TAG}", f"usd{TAG}"
CLIENT = f"""
import socket, sys, time
ok = 0
ports = set()
for i in range({CONNECTIONS}):
    for attempt in range(20):
        try:
            s = socket.create_connection(("10.77.1.2", {PORT}), timeout=5)
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit("cannot connect")
    ports.add(s.getsockname()[1])
    s.sendall(b"GET / HTTP/1.0\\r\\nHost: s\\r\\n\\r\\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    ok += data.startswith(b"HTTP/1.0 200")
# the kernel may reuse a client port: one 4-tuple for two connections
print(ok, len(ports))
"""

WAIT_SERVER = f"""
import socket, sys, time
for attempt in range(100):
    try:
        socket.create_connection(("10.77.1.2", {PORT}), timeout=2).close()
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
    sh("ip", "link", "add", "c0", "netns", NS_C, "type", "veth", "peer", "s0", "netns", NS_S)
    sh("ip", "link", "add", "m0", "netns", NS_C, "type", "veth", "peer", "d0", "netns", NS_D)
    for ns, dev, addr in ((NS_C, "c0", "10.77.1.1/24"), (NS_S, "s0", "10.77.1.2/24"),
                          (NS_C, "m0", "10.77.2.1/24"), (NS_D, "d0", "10.77.2.2/24")):
        sh("ip", "addr", "add", addr, "dev", dev, ns=ns)
        sh("ip", "link", "set", dev, "up", ns=ns)
    for ns in (NS_C, NS_S, NS_D):
        sh("ip", "link", "set", "lo", "up", ns=ns)
    # inner frames + 50 bytes of VXLAN stay under the 1500-byte underlay
    sh("ip", "link", "set", "c0", "mtu", "1400", ns=NS_C)
    sh("ip", "link", "set", "s0", "mtu", "1400", ns=NS_S)
    sh("ip", "link", "add", "vx0", "type", "vxlan", "id", "42", "local", "10.77.2.1",
       "remote", "10.77.2.2", "dstport", "4789", "dev", "m0", ns=NS_C)
    sh("ip", "link", "set", "vx0", "up", ns=NS_C)
    sh("tc", "qdisc", "add", "dev", "c0", "clsact", ns=NS_C)
    for direction in ("ingress", "egress"):
        sh("tc", "filter", "add", "dev", "c0", direction, "protocol", "all", "u32", "match",
           "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", "vx0", ns=NS_C)
    # the daemon's TAP output, as udpcap-tap@.service creates it (owned by root here)
    setup = os.path.join(os.environ.get("UDPCAP_SOURCE_ROOT", ""), "tools", "udpcap-tap-setup")
    sh(setup, "--user", "root", TAP, ns=NS_D)


GROUPS = (f"\n[rings ids]\ncount = 3\nsize = 4M\n\n[rings rec]\ncount = 1\nsize = 4M\n"
          f"\n[tap ids]\ninterface = {TAP}\n")


def group_files(rings, files):
    """{group: [file...]} by ring name: worker-N (default), ids-N, rec-N."""
    out = {}
    for ring, f in zip(rings, files):
        out.setdefault(ring.rsplit("-", 1)[0], []).append(f)
    return out


def check_groups(mode, by_group, failures):
    """Every group holds the default group's packets and splits no connection."""
    want = sorted(p for f in by_group["worker"] for p in steerlib.read_pcap(f))
    for g in ("ids", "rec"):
        got = sorted(p for f in by_group[g] for p in steerlib.read_pcap(f))
        flows, split, used, packets = steerlib.analyse(by_group[g])
        print(f"steering {mode}: group {g}: {flows} flows, {split} split, packets per ring "
              f"{packets}")
        if got != want:
            failures.append(f"{mode}: group {g} holds {len(got)} packets, the default group "
                            f"{len(want)} (or different ones)")
        if split:
            failures.append(f"{mode}: group {g} split {split} connections")


class FanoutReaders:
    """Two AF_PACKET readers in one PACKET_FANOUT_HASH group on the TAP."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.proc = subprocess.Popen(["ip", "netns", "exec", NS_D, "python3", READERS, TAP,
                                      prefix], stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the fanout readers did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out = self.proc.communicate(timeout=60)[0]
        return [f"{self.prefix}-{i}.pcap" for i in range(2)], json.loads(out.splitlines()[-1])


def check_tap(mode, want, files, readers, st, failures):
    """The fanout readers hold the default group's packets, split no connection,
    dropped nothing; the daemon's TAP books are exact."""
    got = sorted(p for f in files for p in steerlib.read_pcap(f))
    flows, split, used, packets = steerlib.analyse(files)
    drops = [r["tp_drops"] for r in readers["readers"]]
    print(f"steering {mode}: TAP {TAP}: readers got {packets} frames of {flows} flows, "
          f"{split} split, reader drops {drops}, host frames out {readers['outgoing']}; "
          f"tap received {st.get('tap.ids.received')}, written {st.get('tap.ids.delivered')}")
    if got != want:
        failures.append(f"{mode}: the TAP's readers got {len(got)} frames, the default group "
                        f"{len(want)} (or different ones)")
    if split or used < 2:
        failures.append(f"{mode}: the TAP's fanout readers split {split} connections, "
                        f"{used} readers used")
    if any(drops) or readers["outgoing"]:
        failures.append(f"{mode}: TAP reader drops {drops}, frames the host sent out "
                        f"{readers['outgoing']}")
    delivered = st.get("total.delivered", 0) + st.get("total.drop.ring_full", 0)
    tap_drops = sum(v for k, v in st.items() if k.startswith("tap.ids.drop."))
    if st.get("tap.ids.received") != delivered or \
            st.get("tap.ids.received") != st.get("tap.ids.delivered", 0) + tap_drops or \
            st.get("tap.ids.delivered") != len(got):
        failures.append(f"{mode}: TAP books: received {st.get('tap.ids.received')}, written "
                        f"{st.get('tap.ids.delivered')}, drops {tap_drops}; the listener "
                        f"delivered {delivered}, the readers got {len(got)}")


def run_mode(mode, udpcapd, udpcapctl, tmp, failures):
    conf, ringdir = steerlib.config(tmp, mode, mode, "10.77.2.2:4789")
    with open(conf, "a") as f:
        f.write(GROUPS)
    readers = FanoutReaders(tmp(f"{mode}-tap"))
    try:
        d = Daemon(config=conf, log_path=tmp(f"{mode}.log"),
                   prefix=["ip", "netns", "exec", NS_D], udpcapd=udpcapd).start()
    except (AssertionError, RuntimeError):
        readers.proc.kill()
        raise
    try:
        active = d.steering()
        dumpers = steerlib.Dumpers(udpcapctl, ringdir, d.rings, tmp.path, mode)
        try:
            ok, tuples = (int(x) for x in sh("python3", "-c", CLIENT, ns=NS_C).split())
            time.sleep(1.5)  # let the last mirrored frames reach the rings
        finally:
            # the daemon first: its rings close and the dumpers drain them, so
            # a late frame (a retransmission, IPv6 neighbour discovery on the
            # veths) is in a dump as well as in the daemon's final counters
            rc = d.stop()
            files = dumpers.stop()
    finally:
        d.stop()  # idempotent: covers a failure before the dumpers started
    tap_files, tap_stats = readers.stop()
    by_group = group_files(d.rings, files)
    check_groups(mode, by_group, failures)
    flows, split, used, packets = steerlib.analyse(by_group["worker"], lambda k: k[0] == 6 and
                                                   PORT in (k[2], k[4]))
    st = d.final_stats()
    check_tap(mode, sorted(p for f in by_group["worker"] for p in steerlib.read_pcap(f)),
              tap_files, tap_stats, st, failures)
    # counters.h: received == delivered + drops other than socket overflows
    drops = sum(v for k, v in st.items() if k.startswith("total.drop.") and k != "total.drop.socket")
    if sum(packets) != st.get("total.delivered") or st.get("total.received") != drops + sum(
            packets):
        rc = f"{rc}, but rings hold {sum(packets)} of {st.get('total.received')} received"
    print(f"steering {mode} (active: {active}): {ok}/{CONNECTIONS} HTTP requests ok over "
          f"{tuples} distinct 4-tuples, {flows} mirrored, {split} split across rings, "
          f"{used} rings used, packets per ring {packets}, daemon exit {rc}")
    return active, ok, tuples, flows, split, used, rc


def main():
    if os.geteuid() != 0:
        steerlib.skip("needs root for network namespaces and tc (uid %d)" % os.geteuid())
    for tool in ("ip", "tc"):
        if not shutil.which(tool):
            steerlib.skip(f"{tool} not installed")
    steerlib.install_tool("nft", "nftables")  # udpcap-tap-setup guards the TAP with it
    udpcapd, udpcapctl = steerlib.binaries()
    tmp = steerlib.Tmp("mirror")
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
             "10.77.1.2", "--directory", tmp("www")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # the server must accept before any daemon runs: failed attempts are flows too
        sh("python3", "-c", WAIT_SERVER, ns=NS_C)
        results = {}
        for mode in ("ebpf", "cbpf", "kernel"):
            results[mode] = run_mode(mode, udpcapd, udpcapctl, tmp, failures)
        for mode, (active, ok, tuples, flows, split, used, rc) in results.items():
            if active != mode:
                failures.append(f"{mode}: daemon steering is {active}")
            if ok != CONNECTIONS or flows != tuples:
                failures.append(f"{mode}: {ok} requests ok, {tuples} 4-tuples, {flows} seen")
            if rc != 0:
                failures.append(f"{mode}: udpcapd exited with {rc}")
            if mode != "kernel" and (split != 0 or used < 2):
                failures.append(f"{mode}: {split} connections split, {used} rings used")
        # the control: the kernel's outer hash must split some of the 40
        if results["kernel"][4] == 0:
            failures.append("kernel: no connection split (control did not show the problem)")
    finally:
        if server:
            server.terminate()
            server.wait()
        cleanup()
    return steerlib.report(failures, tmp)


if __name__ == "__main__":
    sys.exit(main())
