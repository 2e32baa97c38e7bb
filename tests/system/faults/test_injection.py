#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: packets from a source outside a listener's allow-list never reach
a ring, even interleaved with allowed traffic at full pace and carrying
valid tunnels: each one is counted as not_allowed, the allowed ones are all
delivered, and no injected payload appears in any ring's output."""

import os
import struct

from faultlib import (Daemon, Dump, balance, eth_ipv4_udp, fail, log, read_pcap,
                      require_binaries, send_paced, sender, settled_stats, vxlan, host_port)

MARK_OK = b"ALLOWED!"
MARK_BAD = b"INJECTED"


def frame(mark, i):
    return eth_ipv4_udp("10.9.0.1", "10.9.0.2", 1000 + i % 3000, 80, mark + struct.pack("!I", i))


require_binaries()
d = Daemon([("vx", "127.0.0.1", "vxlan", ["allow = 127.0.0.2/32, ::1/128"])], rings=2).start()
try:
    dumps = [Dump(r, d.ring_dir, os.path.join(d.tmp, f"{r}.pcap")) for r in d.ring_names()]
    for x in dumps:
        x.wait_attached()
    dest = host_port(d.addr("vx"))
    good = sender(bind="127.0.0.2")
    evil = [sender(bind="127.0.0.1"), sender(bind="127.0.0.3"), sender(bind="127.1.2.3")]
    n_ok = n_bad = 0
    for burst in range(20):
        n_ok += send_paced(good, dest, [vxlan(1, frame(MARK_OK, burst * 500 + i))
                                        for i in range(500)], pps=40000)
        s = evil[burst % 3]
        n_bad += send_paced(s, dest, [vxlan(1, frame(MARK_BAD, burst * 500 + i))
                                      for i in range(500)], pps=40000)
    stats = settled_stats(d, n_ok + n_bad)
    t = balance(stats, n_ok + n_bad)
    if t["drops"]["not_allowed"] != n_bad:
        fail(f"not_allowed {t['drops']['not_allowed']} != injected {n_bad}")
    if t["delivered"] != n_ok:
        fail(f"delivered {t['delivered']} != allowed {n_ok}")
    for x in dumps:
        x.stop()
    seen_ok = 0
    for x in dumps:
        for _, data, _ in read_pcap(x.out)[2]:
            if MARK_BAD in data:
                fail(f"an injected packet reached {x.out}")
            seen_ok += MARK_OK in data
    if seen_ok != n_ok:
        fail(f"rings held {seen_ok} allowed packets, {n_ok} were sent")
    log(f"{n_ok} allowed delivered, {n_bad} injected from 3 sources counted not_allowed, "
        "none in any ring")
    log("PASS")
finally:
    d.cleanup()
