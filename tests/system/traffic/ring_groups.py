#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves ring groups ([rings NAME]) on real traffic through the real daemon.

udpcapd (backend from argv: recvmmsg or io_uring) runs with two receiver
threads, the default group of 4 rings and three more groups: 'ids' with 3 rings (a count that is neither the socket
count nor a divisor of it, so each of its rings gets packets from both
threads), 'rec' with 1 ring (the recorder) and 'slow', 1 ring of 64 KiB that
nobody reads. Every plain shared capture is replayed in VXLAN while
udpcapctl dump drains the rings of default, ids and rec. Then:
  - default, ids and rec each hold every replayed frame exactly once (as a
    multiset, byte for byte), and no inner connection is split across the
    rings of any group; within a flow the order is the capture's;
  - the slow group's ring filled and dropped (ring_full), but only there:
    the other groups lost nothing, so a stalled consumer of one group costs
    no other group a packet;
  - each group's books are exact on their own: received = delivered + drops
    per group, and every group received what the listener delivered;
  - stats --json names every ring's group.
"""
import collections
import os
import sys

import harness as h  # noqa: E402

from steerlib import flow_key  # noqa: E402

GROUPS = {"default": ("worker", 4), "ids": ("ids", 3), "rec": ("rec", 1)}
EXTRA = """
[rings ids]
count = 3
size = 8M

[rings rec]
count = 1
size = 16M
name = rec-%d

[rings slow]
count = 1
size = 64K
"""


def group_books(stats):
    """{group: (received, delivered, {drop: n})} summed over its rings."""
    out = {}
    for r in stats["rings"]:
        rec, dlv, drops = out.get(r["group"], (0, 0, collections.Counter()))
        drops.update({k: v for k, v in r["drops"].items() if v})
        out[r["group"]] = (rec + r["received"], dlv + r["delivered"], drops)
    return out


def main():
    backend = sys.argv[1] if len(sys.argv) > 1 else "recvmmsg"
    h.require_binaries()
    pcaps = h.pcap_dir()
    d = h.Daemon([("vx", "127.0.0.1", "vxlan", ())], rings=4, ring_size="8M", threads=2,
                 backend=backend, extra=EXTRA).start()
    try:
        names = {g: [f"{p}-{i}" for i in range(n)] for g, (p, n) in GROUPS.items()}
        outs = {g: [os.path.join(d.tmp, f"{r}.pcap") for r in rs] for g, rs in names.items()}
        dumps = {g: [h.Dump(r, d.ring_dir, o, linktype="en10mb")
                     for r, o in zip(names[g], outs[g])] for g in GROUPS}
        for g in dumps:
            for dm in dumps[g]:
                dm.wait_attached()
        expected = []
        for name in h.PLAIN_PCAPS:
            path = os.path.join(pcaps, name)
            frames = h.pcap_frames(path)
            res = h.replay(path, d.addr("vx"), "vxlan", ["--src-port", "random"])
            if res["packets"] != len(frames) or res["errors"] or res["skipped"]:
                h.fail(f"{name}: replay sent {res['packets']} of {len(frames)}: {res}")
            expected += frames
        n = len(expected)
        for g in GROUPS:
            h.wait_until(lambda: sum(dm.count() for dm in dumps[g]) >= n, 60,
                         lambda: f"group {g}: {n} packets in its dumps (have "
                         f"{sum(dm.count() for dm in dumps[g])}; "
                         f"{group_books(d.stats() or {'rings': []})})")
        got = {}
        for g in GROUPS:
            got[g] = []
            for dm in dumps[g]:
                rc, err = dm.stop()
                if rc != 0 or "0 dropped by udpcap" not in err:
                    h.fail(f"group {g}: dump {dm.out}: exit {rc}: {err}")
                got[g].append([p[1] for p in h.read_pcap(dm.out)[2]])

        want = collections.Counter(expected)
        flows_in_capture = collections.defaultdict(list)
        for f in expected:
            flows_in_capture[flow_key(1, f)].append(f)
        for g, rings in got.items():
            union = collections.Counter(f for r in rings for f in r)
            if union != want:
                h.fail(f"group {g}: its rings hold {sum(union.values())} frames, expected "
                       f"{n}: {sum((want - union).values())} missing, "
                       f"{sum((union - want).values())} extra")
            where = collections.defaultdict(set)
            per_flow = collections.defaultdict(list)
            for i, r in enumerate(rings):
                for f in r:
                    k = flow_key(1, f)
                    if k is not None:
                        where[k].add(i)
                    per_flow[k].append(f)
            split = [k for k, s in where.items() if len(s) > 1]
            if split:
                h.fail(f"group {g}: {len(split)} of {len(where)} connections split across "
                       f"its rings")
            for k, frames in per_flow.items():
                if k is not None and frames != flows_in_capture[k]:
                    h.fail(f"group {g}: a flow's packets are out of capture order")
            h.log(f"ok: group {g}: {n} frames once each, {len(where)} connections unsplit, "
                  f"per ring {[len(r) for r in rings]}")

        stats = d.stats()
        if stats is None:
            h.fail("udpcapctl stats --json failed")
        received, delivered, drops = h.counters_total(stats)
        if received != n or delivered != n or any(drops.values()):
            h.fail(f"listener books: received {received}, delivered {delivered}, drops "
                   f"{drops}; expected {n} each, no drops")
        books = group_books(stats)
        if set(books) != {"default", "ids", "rec", "slow"}:
            h.fail(f"stats --json ring groups: {sorted(books)}")
        for g, (rec, dlv, dr) in books.items():
            if rec != n or rec != dlv + sum(dr.values()):
                h.fail(f"group {g}: received {rec}, delivered {dlv}, drops {dict(dr)}; "
                       f"the listener delivered {n}")
            if g != "slow" and (dlv != n or dr):
                h.fail(f"group {g} lost packets: delivered {dlv}, drops {dict(dr)}")
        _, dlv, dr = books["slow"]
        if not dr.get("ring_full") or set(dr) != {"ring_full"}:
            h.fail(f"group slow (64 KiB, no consumer): delivered {dlv}, drops {dict(dr)}; "
                   f"expected ring_full")
        h.log(f"ok: books exact per group; slow group delivered {dlv}, ring_full "
              f"{dr['ring_full']}, no other group lost a packet")
    finally:
        d.cleanup()
    h.log("PASS")


if __name__ == "__main__":
    main()
