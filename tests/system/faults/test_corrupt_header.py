#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: a consumer that scribbles random values over the consumer-writable
part of a ring's shared header (its read index, sleep flag, pid) while
traffic flows cannot hurt the daemon: it keeps running and delivering, it
resets that ring and counts the resets, the other ring is untouched, and the
books stay exact. The producer trusts nothing the consumer writes."""

import mmap
import os
import random
import struct
import time

from faultlib import (Daemon, balance, fail, inner_frame, log, require_binaries, send_paced,
                      sender, settled_stats, vxlan, host_port, SANITIZED)

# docs/ring-format.md: the consumer's cache lines start at offset 384 (cons
# index) and 512 (sleeping flag, consumer pid); everything up to 640 is header.
CONSUMER_AREA = (384, 640)

require_binaries()
d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, ring_size="1M").start()
try:
    path = os.path.join(d.ring_dir, "worker-0")
    fd = os.open(path, os.O_RDWR)
    m = mmap.mmap(fd, 4096)
    rng = random.Random(1234)
    sock = sender()
    dest = host_port(d.addr("vx"))
    # big records so that even the short sanitizer run wraps the 1 MiB ring
    # many times: the producer reads the consumer's index when it needs room
    n = 12000 if not SANITIZED else 6000
    sent = 0
    for burst in range(30):
        frames = [vxlan(3, inner_frame(burst * 1000 + i, size=942))
                  for i in range(n // 30)]
        sent += send_paced(sock, dest, frames, pps=40000)
        for _ in range(50):
            off = rng.randrange(*CONSUMER_AREA) & ~7
            m[off:off + 8] = struct.pack("<Q", rng.getrandbits(64))
        if not d.alive():
            fail(f"udpcapd died after scribbling:\n{d.read_log()}")
    m.close()
    os.close(fd)
    stats = settled_stats(d, sent)
    if not d.alive():
        fail(f"udpcapd died:\n{d.read_log()}")
    t = balance(stats, sent)
    rings = {r["name"]: r for r in stats["rings"]}
    resets = rings["worker-0"].get("resets", 0)
    if resets == 0:
        fail(f"worker-0's header was scribbled over but no reset was counted: {rings['worker-0']}")
    if rings["worker-1"].get("resets", 0) != 0:
        fail(f"worker-1 was never touched but counts resets: {rings['worker-1']}")
    if rings["worker-1"]["delivered"] == 0 or rings["worker-0"]["delivered"] == 0:
        fail(f"delivery stopped: {rings}")
    log(f"sent {sent}; worker-0 resets {resets}; delivered {t['delivered']}; drops {t['drops']}")
    log("PASS")
finally:
    d.cleanup()
