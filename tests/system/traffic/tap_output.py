#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves the TAP output ([tap NAME]) on the shared captures, in a network
namespace of its own, with udpcapd holding no capability at all.

The device comes from tools/udpcap-tap-setup (what udpcap-tap@.service runs),
owned by the daemon's user. udpcapd (backend from argv) runs a 4-ring
default group, a 1-ring recorder group 'rec' and the TAP; tcpdump reads the
TAP. Every plain capture is replayed in VXLAN and every tunnel capture as-is.
  - tcpdump on the TAP sees exactly the inner frames tshark extracts from
    the captures (and the plain captures' frames), byte for byte, each once,
    in capture order within a flow; raw IP inner packets (GENEVE carrying IP)
    with a synthetic Ethernet header; every group's rings hold every
    Ethernet frame once and no connection is split in the 4-ring group;
  - books: the TAP received every packet the listeners delivered, wrote
    them all (the device's RX count agrees) or counted them
    (tap_not_ethernet for PPP packets, tap_down while the device is down,
    logged both ways); tcpdump dropped none; the host sent nothing on it;
  - a deleted TAP: its frames count as tap_down until a device of that name
    exists again (ip tuntap add), then udpcapd attaches its queues to it on
    its own and writes to it, logging once each way (a device of that name
    owned by another user is refused, said once);
  - the host stack does not act on what it is written: ARP, ICMP, TCP, UDP
    (unicast to the TAP's MAC, broadcast from 0.0.0.0), IPv6 echo and a
    router advertisement get no answer, no neighbour entry, no address, no
    delivery to local sockets, while tcpdump sees them all; and without the
    nftables chain the broadcast does reach a local socket (the probes are
    real);
  - a TAP owned by another user, or a missing one, stops start-up with a
    message saying what to do; a reload that adds, removes or repoints a
    [tap NAME] is refused by name and the daemon keeps writing where it did.
Root only (namespaces, TAP devices); skips loudly otherwise."""
import collections
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

import harness as h  # noqa: E402
from steerlib import flow_key, install_tool  # noqa: E402

TAP = "udpcap0"
OTHER = "udpcap9"  # owned by another user
NO_CAPS = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--"]
LISTENERS = [("vxlan", "127.0.0.1", "vxlan", ()), ("geneve", "::1", "geneve", ()),
             ("gwlb", "127.0.0.1", "geneve+vxlan", ()),
             ("ppp", "127.0.0.1", "skip=4", ("dlt = ppp",))]
LISTENER_OF = {"vxlan": "vxlan", "geneve": "geneve", "geneve+vxlan": "gwlb"}
EXTRA = f"[rings rec]\ncount = 1\nsize = 16M\n\n[tap ids]\ninterface = {TAP}\n"


def sh(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        h.fail(f"{' '.join(args)}: {r.stdout}{r.stderr}")
    return r.stdout


def link_stats(dev):
    info = json.loads(sh("ip", "-s", "-j", "link", "show", "dev", dev))[0]["stats64"]
    return info["rx"]["packets"], info["tx"]["packets"]


def tap_of(stats):
    return [t for t in stats["taps"] if t["name"] == "ids"][0]


def synthetic(ip_packet):
    """The Ethernet frame udpcapd writes for a raw IP packet."""
    return bytes(12) + (b"\x86\xdd" if ip_packet[0] >> 4 == 6 else b"\x08\x00") + ip_packet


class Tcpdump:
    def __init__(self, out):
        self.out = out
        self.proc = subprocess.Popen(["tcpdump", "-i", TAP, "-n", "--immediate-mode", "-s", "0",
                                      "-B", "65536", "-w", out], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        h._children.append(self.proc)
        if "listening on" not in self.proc.stderr.readline():
            h.fail("tcpdump did not start on the TAP")

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        err = self.proc.communicate(timeout=30)[1]
        return [d for _, d, _ in h.read_pcap(self.out)[2]], err


def expected_traffic(pcaps):
    """[(label, path, encap or None, listener, ring frames, tap frames)]"""
    out = []
    for name in h.PLAIN_PCAPS:
        path = os.path.join(pcaps, name)
        frames = h.pcap_frames(path)
        out.append((name, path, "vxlan", "vxlan", frames, frames))
    for name, encap in h.TUNNEL_PCAPS.items():
        path = os.path.join(pcaps, name)
        inner = h.tshark_inner_frames(path, encap)
        eth = [f for f, lt, _ in inner if lt == h.LINKTYPE_EN10MB]
        tap = [f if lt == h.LINKTYPE_EN10MB else synthetic(f) for f, lt, _ in inner]
        out.append((name, path, None, LISTENER_OF[encap], eth, tap))
    return out


def check_refused_start(d, iface, words):
    """A daemon whose [tap] cannot be attached exits 1 saying WORDS."""
    d.extra = f"[tap bad]\ninterface = {iface}\n"
    d.write_config()
    r = subprocess.run(NO_CAPS + [h.UDPCAPD, "-c", d.conf], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 1 or words not in r.stdout + r.stderr:
        h.fail(f"[tap] on {iface}: exit {r.returncode}, expected 1 and '{words}':\n"
               f"{r.stdout}{r.stderr}")
    h.log(f"ok: [tap] on {iface} refused at start-up: '{words}'")


def probes(tap_mac):
    """Frames addressed to this host (10.99.0.1, the TAP's MAC) that a stack
    acting on them would answer or learn from."""
    peer_mac, bcast = b"\x02\0\0\0\0\x99", b"\xff" * 6
    me, peer = socket.inet_aton("10.99.0.1"), socket.inet_aton("10.99.0.2")
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, peer_mac, peer, bytes(6), me)

    def ipv4(proto, src, dst, l4):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 7, 0, 64, proto, 0, src, dst)
        return ip[:10] + struct.pack("!H", h.checksum(ip)) + ip[12:] + l4

    icmp = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"
    icmp = icmp[:2] + struct.pack("!H", h.checksum(icmp)) + icmp[4:]
    syn = struct.pack("!HHIIBBHHH", 40000, 8081, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    pseudo = peer + me + struct.pack("!BBH", 0, 6, len(syn))
    syn = syn[:16] + struct.pack("!H", h.checksum(pseudo + syn)) + syn[18:]
    ll_peer = socket.inet_pton(socket.AF_INET6, "fe80::2")
    all_nodes = socket.inet_pton(socket.AF_INET6, "ff02::1")

    def icmp6(typ, body):
        msg = struct.pack("!BBH", typ, 0, 0) + body
        pseudo6 = ll_peer + all_nodes + struct.pack("!I3xB", len(msg), 58)
        msg = msg[:2] + struct.pack("!H", h.checksum(pseudo6 + msg)) + msg[4:]
        return struct.pack("!IHBB16s16s", 6 << 28, len(msg), 58, 255, ll_peer, all_nodes) + msg

    prefix = struct.pack("!BBBBIII16s", 3, 4, 64, 0xc0, 86400, 14400, 0,
                         socket.inet_pton(socket.AF_INET6, "2001:db8:1::"))
    ra = icmp6(134, struct.pack("!BBHII", 64, 0, 1800, 0, 0) + prefix)
    v6 = b"\x33\x33\0\0\0\x01"
    return {
        "arp who-has": h.ether(arp, 0x0806, smac=peer_mac, dmac=bcast),
        "icmp echo": h.ether(ipv4(1, peer, me, icmp), smac=peer_mac, dmac=tap_mac),
        "tcp syn": h.ether(ipv4(6, peer, me, syn), smac=peer_mac, dmac=tap_mac),
        "udp unicast": h.ether(h.ipv4_udp("10.99.0.2", "10.99.0.1", 5000, 9999, b"u"),
                               smac=peer_mac, dmac=tap_mac),
        "udp broadcast": h.ether(h.ipv4_udp("0.0.0.0", "255.255.255.255", 68, 9999, b"b"),
                                 smac=peer_mac, dmac=bcast),
        "icmpv6 echo": h.ether(icmp6(128, struct.pack("!HH", 1, 1)), 0x86dd, smac=peer_mac,
                               dmac=v6),
        "router advertisement": h.ether(ra, 0x86dd, smac=peer_mac, dmac=v6),
    }


def send_frames(d, frames):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        port = int(d.addr("vxlan").rsplit(":", 1)[1])
        for f in frames:
            s.sendto(h.vxlan(7, f), ("127.0.0.1", port))


def wait_tap_received(d, n):
    h.wait_until(lambda: tap_of(d.stats())["received"] >= n, 30,
                 lambda: f"the TAP to receive {n}: {tap_of(d.stats())}")
    return tap_of(d.stats())


def snmp(proto):
    with open("/proc/net/snmp") as f:
        rows = [l.split() for l in f if l.startswith(proto + ":")]
    return dict(zip(rows[0][1:], (int(x) for x in rows[1][1:])))


def check_stack(d, dump):
    """Frames to this host's addresses get no reaction from its stack."""
    sh("ip", "addr", "add", "10.99.0.1/24", "dev", "lo")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    udp.bind(("0.0.0.0", 9999))
    udp.setblocking(False)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("10.99.0.1", 8081))
    tcp.listen(8)
    tcp.setblocking(False)
    # (not /sys: that is still the parent namespace's under unshare)
    mac = bytes.fromhex(json.loads(sh("ip", "-j", "link", "show", "dev", TAP))[0]["address"]
                        .replace(":", ""))
    frames = probes(mac)
    before = tap_of(d.stats())
    icmp0, rx0, tx0 = snmp("Icmp")["InMsgs"], *link_stats(TAP)
    send_frames(d, frames.values())
    after = wait_tap_received(d, before["received"] + len(frames))
    if after["delivered"] - before["delivered"] != len(frames):
        h.fail(f"the probes were not all written: {before} -> {after}")
    time.sleep(0.5)  # any answer would be immediate; give the stack a moment anyway
    rx1, tx1 = link_stats(TAP)
    got = []
    try:
        got.append(udp.recv(100))
    except BlockingIOError:
        pass
    try:
        got.append(tcp.accept())
    except BlockingIOError:
        pass
    neigh = sh("ip", "neigh", "show", "dev", TAP).strip()
    addrs = sh("ip", "addr", "show", "dev", TAP)
    routes = sh("ip", "-6", "route", "show", "dev", TAP).strip()
    icmp6 = subprocess.run(["ip", "-6", "route", "show", "2001:db8:1::/64"], capture_output=True,
                           text=True).stdout.strip()
    problems = []
    if rx1 - rx0 != len(frames):
        problems.append(f"device RX grew by {rx1 - rx0}, {len(frames)} written")
    if tx1 != tx0:
        problems.append(f"the host sent {tx1 - tx0} frames out of {TAP}")
    if got:
        problems.append(f"local sockets got {got}")
    if neigh:
        problems.append(f"neighbour entries: {neigh}")
    if "inet" in addrs or routes or icmp6:
        problems.append(f"addresses or routes appeared: {addrs} {routes} {icmp6}")
    if snmp("Icmp")["InMsgs"] != icmp0:
        problems.append("ICMP messages were received")
    if problems:
        h.fail("the host stack acted on frames written to the TAP: " + "; ".join(problems))
    h.log(f"ok: {len(frames)} probes ({', '.join(frames)}) written and seen on {TAP}; no "
          f"answer, neighbour, address, route or local delivery")

    # the control: without the nftables chain the broadcast from 0.0.0.0 gets in
    sh("nft", "delete", "chain", "netdev", "udpcap", "tap_" + TAP)
    try:
        send_frames(d, [frames["udp broadcast"]])
        h.wait_until(lambda: _recv(udp), 10, "the broadcast to reach the local socket "
                     "once the nftables chain is gone (the probes would prove nothing)")
        h.log("ok: control: without the nftables chain a broadcast from 0.0.0.0 reaches a "
              "local socket")
    finally:
        sh(SETUP, "--user", "root", TAP)
        udp.close()
        tcp.close()
    return len(frames) + 1


def _recv(s):
    try:
        return s.recv(100)
    except BlockingIOError:
        return None


def check_reload(d):
    base = open(d.conf).read()
    cases = [
        (base + "\n[tap extra]\ninterface = udpcap8\n", "reload: [tap extra] (added)"),
        (base.replace(f"[tap ids]\ninterface = {TAP}\n", ""), "reload: [tap ids] (removed)"),
        (base.replace(f"interface = {TAP}", "interface = udpcap8"),
         "reload: [tap ids] interface changed; that needs a restart"),
    ]
    for text, words in cases:
        start = len(d.read_log())
        with open(d.conf, "w") as f:
            f.write(text)
        d.proc.send_signal(signal.SIGHUP)
        h.wait_until(lambda: "some changes were refused" in d.read_log()[start:], 30,
                     lambda: f"the reload to finish:\n{d.read_log()[start:]}")
        if words not in d.read_log()[start:]:
            h.fail(f"reload: no '{words}' in the log:\n{d.read_log()[start:]}")
    with open(d.conf, "w") as f:
        f.write(base)
    before = tap_of(d.stats())
    send_frames(d, [h.eth_ipv4_udp("10.1.0.1", "10.2.0.1", 1000 + i, 80, b"r") for i in range(10)])
    after = wait_tap_received(d, before["received"] + 10)
    if after["delivered"] != before["delivered"] + 10:
        h.fail(f"after refused reloads the TAP wrote {after['delivered'] - before['delivered']} "
               f"of 10")
    h.log("ok: reloads adding, removing and repointing a [tap] were refused by name; still "
          "writing to " + TAP)
    return 10


def check_down(d):
    before = tap_of(d.stats())
    start = len(d.read_log())
    sh("ip", "link", "set", TAP, "down")
    h.wait_until(lambda: f"{TAP} is down" in d.read_log()[start:], 10, "the 'is down' warning")
    send_frames(d, [h.eth_ipv4_udp("10.1.0.1", "10.2.0.1", 2000 + i, 80, b"d") for i in range(20)])
    mid = wait_tap_received(d, before["received"] + 20)
    h.wait_until(lambda: "refuses frames" in d.read_log()[start:], 10, "the 'refuses frames' warning")
    sh("ip", "link", "set", TAP, "up")
    h.wait_until(lambda: "takes frames again" in d.read_log()[start:], 10, "'takes frames again'")
    send_frames(d, [h.eth_ipv4_udp("10.1.0.1", "10.2.0.1", 3000 + i, 80, b"u") for i in range(5)])
    after = wait_tap_received(d, before["received"] + 25)
    down = mid["drops"]["tap_down"] - before["drops"]["tap_down"]
    if down != 20 or mid["delivered"] != before["delivered"] or \
            after["delivered"] != before["delivered"] + 5:
        h.fail(f"TAP down: {before} -> {mid} -> {after}; expected 20 tap_down, then 5 written")
    h.log("ok: 20 frames while the TAP was down counted as tap_down and logged; written again "
          "once it is up")
    return 25


def check_recreate(d):
    """A deleted TAP: its frames count as tap_down; created again (ip tuntap add, as an
    operator would), udpcapd attaches to it on its own and writes to it again."""
    before = tap_of(d.stats())
    start = len(d.read_log())
    # what stopping udpcap-tap@ does: the device goes at once, queues attached or not
    sh(SETUP, "--remove", TAP)
    h.wait_until(lambda: f"{TAP} was deleted" in d.read_log()[start:], 10,
                 "the 'was deleted' warning")
    send_frames(d, [h.eth_ipv4_udp("10.1.0.1", "10.2.0.1", 4000 + i, 80, b"g") for i in range(20)])
    mid = wait_tap_received(d, before["received"] + 20)
    # first a device of that name that udpcapd may not attach to: said, then retried quietly
    sh("ip", "tuntap", "add", "dev", TAP, "mode", "tap", "user", "nobody", "multi_queue")
    h.wait_until(lambda: f"{TAP} belongs to another user" in d.read_log()[start:], 10,
                 "the warning that the new device belongs to another user")
    sh("ip", "link", "delete", "dev", TAP)
    sh("ip", "tuntap", "add", "dev", TAP, "mode", "tap", "user", "root", "multi_queue")
    sh(SETUP, "--user", "root", TAP)  # the host stack kept out again, and up
    h.wait_until(lambda: f"{TAP} exists again" in d.read_log()[start:], 10,
                 "the 'exists again' notice")
    rx0 = link_stats(TAP)[0]
    send_frames(d, [h.eth_ipv4_udp("10.1.0.1", "10.2.0.1", 5000 + i, 80, b"b") for i in range(5)])
    after = wait_tap_received(d, before["received"] + 25)
    rx1 = link_stats(TAP)[0]
    down = mid["drops"]["tap_down"] - before["drops"]["tap_down"]
    if down != 20 or mid["delivered"] != before["delivered"] or \
            after["delivered"] != before["delivered"] + 5 or \
            after["drops"]["tap_down"] != mid["drops"]["tap_down"] or rx1 - rx0 != 5:
        h.fail(f"TAP recreated: {before} -> {mid} -> {after}, device RX +{rx1 - rx0}; "
               f"expected 20 tap_down, then 5 written and received by the new device")
    log = d.read_log()[start:]
    lost, back = log.count(f"{TAP} was deleted"), log.count(f"{TAP} exists again")
    other = log.count(f"{TAP} belongs to another user")
    if lost != 1 or back != 1 or other != 1 or "2 queues attached" not in log:
        h.fail(f"TAP recreated: 'was deleted' logged {lost}x, 'belongs to another user' "
               f"{other}x, 'exists again' {back}x, expected once each, with 2 queues:\n{log}")
    h.log("ok: 20 frames while the TAP was deleted counted as tap_down; a device of another "
          "user refused (said once); created again, its 2 queues attached by udpcapd on its "
          "own (logged once each way) and 5 frames written")
    return 25


def check_ppp(d):
    before = tap_of(d.stats())
    port = int(d.addr("ppp").rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(6):
            s.sendto(b"HDR!" + b"\xff\x03\x00\x21" + h.ipv4_udp("10.3.0.1", "10.3.0.2", 7, 7,
                                                                 bytes([i])), ("127.0.0.1", port))
    after = wait_tap_received(d, before["received"] + 6)
    if after["drops"]["tap_not_ethernet"] - before["drops"]["tap_not_ethernet"] != 6:
        h.fail(f"PPP packets: {before} -> {after}; expected 6 tap_not_ethernet")
    h.log("ok: 6 PPP packets delivered to the rings, counted tap_not_ethernet for the TAP")
    return 6


SETUP = os.path.join(h.SOURCE, "tools", "udpcap-tap-setup")


def inside(backend):
    sh("ip", "link", "set", "lo", "up")
    sh(SETUP, "--user", "root", TAP)
    sh(SETUP, "--user", "nobody", OTHER)
    pcaps = h.pcap_dir()
    traffic = expected_traffic(pcaps)

    probe = h.Daemon(LISTENERS[:1], rings=2)
    try:
        check_refused_start(probe, OTHER, f"{OTHER} belongs to another user")
        check_refused_start(probe, "nosuch0", "interface nosuch0 does not exist")
    finally:
        probe.cleanup()

    d = h.Daemon(LISTENERS, rings=4, ring_size="8M", threads=2, backend=backend, extra=EXTRA)
    d.start(prefix=NO_CAPS)
    try:
        if f"tap ids: writing to {TAP} through 2 queues" not in d.read_log():
            h.fail("no TAP start-up line:\n" + d.read_log())
        rings = {"default": [f"worker-{i}" for i in range(4)], "rec": ["rec-0"]}
        dumps = {g: [h.Dump(r, d.ring_dir, os.path.join(d.tmp, r + ".pcap"), linktype="en10mb")
                     for r in rs] for g, rs in rings.items()}
        for dm in (x for g in dumps.values() for x in g):
            dm.wait_attached()
        dump = Tcpdump(os.path.join(d.tmp, "tap.pcap"))
        rx0 = link_stats(TAP)[0]
        sent, ring_want, tap_want = 0, [], []
        for label, path, encap, listener, ring_frames, tap_frames in traffic:
            res = h.replay(path, d.addr(listener), encap)
            if res["errors"] or res["packets"] != len(tap_frames):
                h.fail(f"{label}: replay sent {res['packets']} of {len(tap_frames)}: {res}")
            sent += res["packets"]
            ring_want += ring_frames
            tap_want += tap_frames
        st = wait_tap_received(d, sent)
        for g in dumps:
            h.wait_until(lambda: sum(dm.count() for dm in dumps[g]) >= len(ring_want), 60,
                         f"group {g}: {len(ring_want)} Ethernet frames in its dumps")
        rx1 = link_stats(TAP)[0]
        # the rings hold the replay alone: stop their dumps before the checks add frames
        for g in dumps:
            held = []
            for dm in dumps[g]:
                rc, derr = dm.stop()
                if rc != 0:
                    h.fail(f"dump {dm.out}: exit {rc}: {derr}")
                held.append([p for _, p, _ in h.read_pcap(dm.out)[2]])
            union = collections.Counter(f for r in held for f in r)
            if union != collections.Counter(ring_want):
                h.fail(f"group {g}: {sum(union.values())} frames, expected {len(ring_want)}")
            where = collections.defaultdict(set)
            for i, r in enumerate(held):
                for f in r:
                    if flow_key(1, f) is not None:
                        where[flow_key(1, f)].add(i)
            split = sum(1 for s in where.values() if len(s) > 1)
            if split:
                h.fail(f"group {g}: {split} connections split across its rings")
            h.log(f"ok: group {g}: {len(ring_want)} Ethernet frames once each, "
                  f"{len(where)} connections unsplit, per ring {[len(r) for r in held]}")

        extra = check_stack(d, dump)
        extra += check_reload(d)
        got, err = dump.stop()  # before the device goes down: tcpdump would stop there
        extra += check_down(d)
        extra += check_recreate(d)
        extra_ppp = check_ppp(d)
        stats = d.stats()
        # tcpdump on the TAP: the replayed frames first, then what the checks sent
        replayed = got[:len(tap_want)]
        if collections.Counter(replayed) != collections.Counter(tap_want):
            missing = collections.Counter(tap_want) - collections.Counter(replayed)
            h.fail(f"tcpdump on {TAP}: {len(replayed)} frames, expected {len(tap_want)}; "
                   f"{sum(missing.values())} missing or different; tcpdump: {err}")
        for k in {flow_key(1, f) for f in tap_want} - {None}:
            if [f for f in replayed if flow_key(1, f) == k] != \
                    [f for f in tap_want if flow_key(1, f) == k]:
                h.fail(f"tcpdump on {TAP}: a flow's frames are out of capture order")
        if rx1 - rx0 != len(tap_want):
            h.fail(f"{TAP} RX count grew by {rx1 - rx0}, {len(tap_want)} frames written")
        if "0 packets dropped by kernel" not in err:
            h.fail(f"tcpdump dropped frames: {err}")
        h.log(f"ok: tcpdump on {TAP}: {len(tap_want)} frames of {len(traffic)} captures byte "
              f"for byte, flows in order; 0 dropped by kernel")

        # books: every packet the listeners delivered went to the TAP, written or counted
        tap = tap_of(stats)
        listeners = sum(l["delivered"] + l["drops"]["ring_full"] for l in stats["listeners"])
        tap_drops = {k: v for k, v in tap["drops"].items() if v}
        total = sent + extra + extra_ppp
        if tap["received"] != listeners or tap["received"] != total or \
                tap["received"] != tap["delivered"] + sum(tap_drops.values()) or \
                tap_drops != {"tap_down": 40, "tap_not_ethernet": 6} or \
                tap["queues"] != 2 or not tap["up"]:
            h.fail(f"TAP books: {tap}; listeners delivered {listeners}, sent {total}")
        per_group = collections.Counter()
        for r in stats["rings"]:
            if any(r["drops"].values()):
                h.fail(f"ring {r['name']} dropped: {r['drops']}")
            per_group[r["group"]] += r["delivered"]
        if set(per_group.values()) != {listeners}:
            h.fail(f"groups delivered {dict(per_group)}, the listeners {listeners}")
        h.log(f"ok: TAP books exact: received {tap['received']} = written {tap['delivered']} "
              f"+ {tap_drops}")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.connect(d.control)
            c.sendall(b'{"cmd":"metrics"}\n')
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = c.recv(65536)
                if not chunk:
                    break
                reply += chunk
        metrics = json.loads(reply)["metrics"]
        line = f'udpcapd_tap_written_packets_total{{tap="ids",interface="{TAP}"}} ' \
               f'{tap["delivered"]}'
        if line not in metrics:
            h.fail(f"/metrics has no '{line}'")
        table = sh(h.UDPCAPCTL, "stats", "--socket", d.control)
        row = [l.split() for l in table.splitlines() if l.startswith("ids ")]
        if not row or row[0][1:4] != [TAP, str(tap["delivered"]), str(tap["bytes"])] or \
                "tap_down=40" not in row[0]:
            h.fail(f"udpcapctl stats shows no TAP row for ids:\n{table}")
        h.log("ok: /metrics and udpcapctl stats show the TAP's written and dropped counters")
        rc = d.stop()
        if rc != 0:
            h.fail(f"udpcapd exited {rc}:\n{d.read_log()}")
    finally:
        d.cleanup()
    h.log(f"PASS: TAP output ({backend})")


def main():
    backend = sys.argv[1] if len(sys.argv) > 1 else "recvmmsg"
    if len(sys.argv) > 2 and sys.argv[2] == "--inside":
        inside(backend)
        return
    if os.geteuid() != 0:
        h.skip("needs root: a network namespace and TAP devices of its own")
    for tool in ("unshare", "setpriv", "tcpdump", "tshark", "ip"):
        if not shutil.which(tool):
            h.skip(f"{tool} is not installed")
    h.require_binaries()
    install_tool("nft", "nftables")  # udpcap-tap-setup guards the TAP with it
    # everything in a private network namespace: the TAPs vanish with it
    r = subprocess.run(["unshare", "--net", sys.executable, os.path.abspath(__file__), backend,
                        "--inside"])
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
