#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that real captures come out of udpcapd exactly as they went in.

The real daemon (backend from argv: recvmmsg or io_uring) runs with three
listeners at once — VXLAN on 127.0.0.1, GENEVE on ::1 (IPv6), GENEVE+VXLAN on
127.0.0.1 — and two rings. Every plain capture in ../shared/pcaps is replayed
encapsulated in VXLAN, GENEVE and GENEVE+VXLAN; every tunnel capture is
replayed as-is (its captured UDP payloads, byte for byte) to the listener of
its encapsulation. For each replay, udpcapctl dump drains both rings, and:
  - the union of the rings' packets equals the original frames (plain) or the
    inner packets tshark decodes from the capture (tunnels), byte for byte, as
    a multiset; within a ring the original order is kept;
  - timestamps are present, nanosecond, and monotonic per ring;
  - tcpdump -r and tshark -r read every dump file and see the same packets.
Every datagram is delivered, also the one over 9216 B (14 KB, captured with
GRO in tunnels-geneve-47101.pcap): udpcapd's stats show no drop reason at all.
"""
import collections
import os
import sys
import time

import harness as h  # noqa: E402

ENCAPS = ["vxlan", "geneve", "geneve+vxlan"]
LISTENERS = [("vxlan", "127.0.0.1", "vxlan", ()),
             ("geneve", "::1", "geneve", ()),
             ("gwlb", "127.0.0.1", "geneve+vxlan", ())]
LISTENER_OF = {"vxlan": "vxlan", "geneve": "geneve", "geneve+vxlan": "gwlb"}


def is_subsequence(seq, full):
    it = iter(full)
    return all(any(x == y for y in it) for x in seq)


def phases(pcaps):
    for name in h.PLAIN_PCAPS:
        for encap in ENCAPS:
            path = os.path.join(pcaps, name)
            yield (f"{name} in {encap}", path, encap, LISTENER_OF[encap],
                   h.pcap_frames(path), None, 0)
    for name, encap in h.TUNNEL_PCAPS.items():
        path = os.path.join(pcaps, name)
        inner = h.tshark_inner_frames(path, encap)
        linktypes = {lt for _, lt, _ in inner}
        if len(linktypes) != 1:
            h.fail(f"{name}: mixed inner link types {linktypes}")
        # GENEVE carrying bare IP is delivered as raw-IP packets
        linktype = "raw" if linktypes == {h.LINKTYPE_RAW} else None
        # none since every datagram up to 64 KiB is received whole; kept so the
        # books stay right should a capture ever hold more than a UDP payload
        oversize = sum(1 for _, _, n in inner if n > h.MAX_PAYLOAD)
        inner = [f for f, _, n in inner if n <= h.MAX_PAYLOAD]
        yield (f"{name} as-is", path, None, LISTENER_OF[encap], inner, linktype, oversize)


def run_phase(d, tmp, idx, label, path, encap, listener, expected, linktype, oversize,
              readers):
    outs = [os.path.join(tmp, f"p{idx:02d}-{r}.pcap") for r in d.ring_names()]
    dumps = [h.Dump(r, d.ring_dir, o, linktype=linktype or "en10mb")
             for r, o in zip(d.ring_names(), outs)]
    for dm in dumps:
        dm.wait_attached()
    t0 = time.time_ns()
    extra = ["--src-port", "random"]
    res = h.replay(path, d.addr(listener), encap, extra)
    if res["packets"] != len(expected) + oversize or res["errors"] or res["skipped"]:
        h.fail(f"{label}: replay sent {res['packets']} of {len(expected) + oversize}: {res}")
    h.wait_until(lambda: sum(dm.count() for dm in dumps) >= len(expected), 30,
                 lambda: f"{label}: {len(expected)} packets in the dumps "
                 f"(have {sum(dm.count() for dm in dumps)}; daemon counters: "
                 f"{(d.stats() or {}).get('totals')}; daemon log:\n{d.read_log()})")
    rings = []
    for dm in dumps:
        rc, err = dm.stop()
        if rc != 0:
            h.fail(f"{label}: dump exited {rc}: {err}")
        lt, nano, pkts = h.read_pcap(dm.out)
        if f"{len(pkts)} packets captured, 0 dropped by udpcap" not in err:
            h.fail(f"{label}: dump summary does not say {len(pkts)} captured, 0 dropped: {err}")
        if not nano:
            h.fail(f"{label}: {dm.out} is not a nanosecond pcap")
        want_lt = h.LINKTYPE_RAW if linktype == "raw" else h.LINKTYPE_EN10MB
        if lt != want_lt:
            h.fail(f"{label}: {dm.out} has link type {lt}, expected {want_lt}")
        if readers and pkts:
            h.check_with_readers(dm.out, pkts)
        rings.append(pkts)
    now = time.time_ns()
    got = [p[1] for ring in rings for p in ring]
    if collections.Counter(got) != collections.Counter(expected):
        missing = collections.Counter(expected) - collections.Counter(got)
        extra_ = collections.Counter(got) - collections.Counter(expected)
        h.fail(f"{label}: rings hold {len(got)} packets, expected {len(expected)}; "
               f"{sum(missing.values())} missing, {sum(extra_.values())} unexpected "
               f"(first missing: {next(iter(missing), b'').hex()[:80]}, "
               f"first unexpected: {next(iter(extra_), b'').hex()[:80]})")
    for i, ring in enumerate(rings):
        if not is_subsequence([p[1] for p in ring], expected):
            h.fail(f"{label}: ring {i} reordered packets")
        ts = [p[0] for p in ring]
        if any(b < a for a, b in zip(ts, ts[1:])):
            h.fail(f"{label}: ring {i} timestamps go backwards")
        if ts and (ts[0] < t0 - 5 * 10**9 or ts[-1] > now + 5 * 10**9):
            h.fail(f"{label}: ring {i} timestamps {ts[0]}..{ts[-1]} are not receive times "
                   f"({t0}..{now})")
    h.log(f"ok: {label}: {len(expected)} packets, per ring {[len(r) for r in rings]}" +
          (f", {oversize} over {h.MAX_PAYLOAD} B not delivered" if oversize else ""))
    return res["packets"]


def main():
    backend = sys.argv[1] if len(sys.argv) > 1 else "recvmmsg"
    h.require_binaries()
    pcaps = h.pcap_dir()
    d = h.Daemon(LISTENERS, rings=2, backend=backend).start()
    sent = 0
    oversize = 0
    try:
        h.log(f"udpcapd ({backend}) listening on " +
              ", ".join(f"{n}={d.addr(n)}" for n, *_ in LISTENERS))
        seen_encap = set()
        for idx, (label, path, encap, listener, expected, lt, big) in enumerate(phases(pcaps)):
            # tcpdump/tshark re-read the first plain dump per encapsulation and every tunnel one
            readers = encap is None or encap not in seen_encap
            seen_encap.add(encap)
            sent += run_phase(d, d.tmp, idx, label, path, encap, listener, expected, lt, big,
                              readers)
            oversize += big
        stats = d.stats()
        if stats is None:
            h.log("note: udpcapctl stats --json not available; accounting is checked by "
                  "traffic_accounting")
        else:
            received, delivered, drops = h.counters_total(stats)
            dropped = {k: v for k, v in drops.items() if v}
            want = {"truncated": oversize} if oversize else {}
            if received != sent or delivered != sent - oversize or dropped != want:
                h.fail(f"sent {sent}, daemon received {received}, delivered {delivered}, "
                       f"drops {dropped}; expected {sent - oversize} delivered, drops {want}")
            h.log(f"ok: daemon counted {received} received, {delivered} delivered, "
                  f"drops {dropped}")
        if not d.alive():
            h.fail(f"udpcapd died:\n{d.read_log()}")
        rc = d.stop()
        if rc != 0:
            h.fail(f"udpcapd exited {rc} on SIGTERM:\n{d.read_log()}")
    finally:
        d.cleanup()
    h.log(f"PASS: {sent} packets through udpcapd ({backend}) byte for byte")


if __name__ == "__main__":
    main()
