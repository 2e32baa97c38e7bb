#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves udpcapd's accounting over a run (backend from argv): every datagram
sent is delivered or counted under exactly one reason.

Two listeners (VXLAN and raw) on 127.0.0.1, two small rings:
  - jumbo: 9000 B inner frames in VXLAN (9008 B payload) are delivered whole,
    byte for byte; raw payloads of 9216 B, 9217 B and 12000 B are delivered
    whole too (nothing is cut below 64 KiB) and nothing counts "truncated";
  - full ring: with no consumer attached, a burst larger than the rings is
    sent paced; afterwards per ring delivered + ring_full == received, the
    ring's own written/full counters agree, and draining each ring with
    udpcapctl dump yields exactly its delivered count;
  - over the whole run: sent == received + drops[socket] and
    received == delivered + the sum of every other drop reason.
Counters come from udpcapctl stats --json (the daemon's control socket).
"""
import atexit
import os
import shutil
import sys
import tempfile

import harness as h  # noqa: E402

JUMBO = 9000


def frames_of(sizes, base=0):
    """Ethernet/IPv4/UDP frames of the given total sizes, each unique and of
    its own flow, so steering spreads them over the rings."""
    out = []
    for i, size in enumerate(sizes):
        n = base + i
        payload = n.to_bytes(4, "big") * ((size - 42) // 4 + 1)
        out.append(h.eth_ipv4_udp(f"10.1.{n >> 8 & 255}.{n & 255}", "10.2.0.1",
                                  1024 + n % 50000, 53, payload[:size - 42]))
    return out


def stats_or_fail(d):
    s = d.stats()
    if s is None:
        h.fail("udpcapctl stats --json gives no counters; accounting cannot be checked")
    return s


def drain(d, tmp, tag):
    """Dump every ring until it is empty; returns the packets per ring."""
    rings = []
    for r in d.ring_names():
        out = os.path.join(tmp, f"{tag}-{r}.pcap")
        dm = h.Dump(r, d.ring_dir, out, timeout=1.5 * (3 if h.SANITIZED else 1))
        rc, err = dm.stop(sig=0, timeout=60)
        if rc != 0:
            h.fail(f"dump {r}: exit {rc}: {err}")
        rings.append(h.read_pcap(out)[2])
    return rings


def main():
    backend = sys.argv[1] if len(sys.argv) > 1 else "recvmmsg"
    h.require_binaries()
    tmp = tempfile.mkdtemp(prefix="udpcap-acct-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    d = h.Daemon([("vx", "127.0.0.1", "vxlan", ()), ("raw", "127.0.0.1", "raw", ())],
                 rings=2, backend=backend, ring_size="64K").start()
    sent = 0
    deferred = []
    try:
        # jumbo in VXLAN: delivered whole
        jumbo = frames_of([JUMBO] * 6)
        h.write_pcap(os.path.join(tmp, "jumbo.pcap"), jumbo)
        sent += h.replay(os.path.join(tmp, "jumbo.pcap"), d.addr("vx"), "vxlan",
                         ["--src-port", "random"])["packets"]
        # raw: payloads beyond the common 9216 B are received whole too
        edge = frames_of([9216, 9217, 12000], base=100)
        h.write_pcap(os.path.join(tmp, "edge.pcap"), edge)
        sent += h.replay(os.path.join(tmp, "edge.pcap"), d.addr("raw"), "raw")["packets"]
        h.wait_until(lambda: stats_or_fail(d)["totals"]["received"] >= sent, 30,
                     "the daemon to receive the jumbo datagrams")
        got = [p for ring in drain(d, tmp, "jumbo") for p in ring]
        s = stats_or_fail(d)
        # reported at the end, so the full-ring checks still run
        if sorted(p[1] for p in got) != sorted(jumbo + edge) or \
                s["totals"]["drops"]["truncated"] != 0:
            deferred.append(f"jumbo/oversize: delivered sizes {sorted(len(p[1]) for p in got)}, "
                            f"truncated = {s['totals']['drops']['truncated']}; expected "
                            f"{len(jumbo)} x {JUMBO} B, 9216 B, 9217 B and 12000 B delivered, "
                            f"none truncated")
            h.log("FAILED (see the end): " + deferred[-1])
        else:
            h.log("ok: 9000 B inner frames and 9216, 9217 and 12000 B payloads delivered "
                  "whole, none truncated")

        # full rings, no consumer: paced so the socket queue never overflows
        before = {r["name"]: r for r in s["rings"]}
        burst = frames_of([400] * (1500 if h.SANITIZED else 3000), base=1000)
        h.write_pcap(os.path.join(tmp, "burst.pcap"), burst)
        rate = "5000" if h.SANITIZED else "20000"
        sent += h.replay(os.path.join(tmp, "burst.pcap"), d.addr("vx"), "vxlan",
                         ["--src-port", "random", "--rate", rate])["packets"]
        h.wait_until(lambda: stats_or_fail(d)["totals"]["received"] +
                     stats_or_fail(d)["totals"]["drops"]["socket"] >= sent, 60,
                     "the daemon to account for the burst")
        s = stats_or_fail(d)
        full = 0
        for r in s["rings"]:
            b = before[r["name"]]
            rx = r["received"] - b["received"]
            dl = r["delivered"] - b["delivered"]
            rf = r["drops"]["ring_full"] - b["drops"]["ring_full"]
            if dl + rf != rx:
                h.fail(f"{r['name']}: received {rx} != delivered {dl} + ring_full {rf}")
            if r["written_packets"] != r["delivered"] or r["full_packets"] != \
                    r["drops"]["ring_full"]:
                h.fail(f"{r['name']}: the ring counted {r['written_packets']} written, "
                       f"{r['full_packets']} full; the daemon {r['delivered']} delivered, "
                       f"{r['drops']['ring_full']} ring_full")
            full += rf
        if full == 0:
            h.fail("a burst of 3000 x 400 B into two 64 KiB rings with no consumer "
                   "filled nothing")
        rings = drain(d, tmp, "burst")
        for r, pkts in zip(s["rings"], rings):
            want = r["delivered"] - before[r["name"]]["delivered"]
            if len(pkts) != want:
                h.fail(f"{r['name']}: drained {len(pkts)} packets, the daemon delivered {want}")
        h.log(f"ok: full rings: {full} counted ring_full, the rest drained exactly")

        s = stats_or_fail(d)
        t = s["totals"]
        drops = t["drops"]
        other = sum(v for k, v in drops.items() if k != "socket")
        if sent != t["received"] + drops["socket"] or t["received"] != t["delivered"] + other:
            h.fail(f"accounting: sent {sent}, received {t['received']}, delivered "
                   f"{t['delivered']}, drops {drops}")
        h.log(f"ok: sent {sent} == received {t['received']} + socket drops {drops['socket']}; "
              f"received == delivered {t['delivered']} + drops {other} "
              f"({ {k: v for k, v in drops.items() if v} })")
        rc = d.stop()
        if rc != 0:
            h.fail(f"udpcapd exited {rc}:\n{d.read_log()}")
    finally:
        d.cleanup()
    if deferred:
        h.fail("; ".join(deferred))
    h.log("PASS")


if __name__ == "__main__":
    main()
