#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: under an offered load well above what the consumers drain, for at
least 30 s, udpcapd neither crashes nor grows: its RSS and fd count stay flat
(sampled every second), and its books stay exact to the packet:
sent == received + socket drops, received == delivered + all other drops,
with ring_full (and possibly socket) drops doing the shedding."""

import json
import os
import subprocess
import tempfile
import time

from faultlib import (Daemon, SlowConsumer, balance, fail, fd_count, log, require_binaries,
                      rss_kib, settled_stats, write_pcap_frames, UDPCAPCTL, SANITIZED)

DURATION = 30
require_binaries()
d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, ring_size="1M", rcvbuf="1M").start()
consumers = []
try:
    consumers = [SlowConsumer(d.ring_dir, r, pps=2000) for r in d.ring_names()]
    pcap = os.path.join(d.tmp, "flows.pcap")
    write_pcap_frames(pcap, 512)
    replay = subprocess.Popen(
        [UDPCAPCTL, "replay", pcap, "--to", d.addr("vx"), "--encap", "vxlan",
         "--src-port", "random", "--loop", "100000000", "--max-seconds", str(DURATION),
         "--rate", "0", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []
    start = time.monotonic()
    while replay.poll() is None and time.monotonic() - start < DURATION + 30:
        if not d.alive():
            fail(f"udpcapd died under overload:\n{d.read_log()}")
        samples.append((rss_kib(d.proc.pid), fd_count(d.proc.pid)))
        time.sleep(1)
    out, err = replay.communicate(timeout=60)
    summary = json.loads(out)
    sent = summary["packets"]
    log(f"replay: {summary['packets']} packets in {summary['elapsed_s']:.1f} s "
        f"({summary['pps']:.0f} pps), {summary['errors']} send errors")
    if summary["elapsed_s"] < DURATION - 1:
        fail(f"overload lasted only {summary['elapsed_s']} s")
    stats = settled_stats(d, sent)
    t = balance(stats, sent)
    if t["drops"].get("ring_full", 0) == 0:
        fail(f"the load never exceeded what the consumers drain: {t}")
    # flat: after a warm-up of 5 s, RSS may not grow by more than 2 MiB and
    # the fd count may not change at all
    warm = samples[5:]
    rss0, fd0 = warm[0]
    rss_max = max(s[0] for s in warm)
    fds = {s[1] for s in warm}
    log(f"RSS {rss0} KiB -> max {rss_max} KiB over {len(warm)} samples; fds {sorted(fds)}")
    if rss_max - rss0 > 2048:
        fail(f"RSS grew under overload: {[s[0] for s in samples]}")
    if len(fds) != 1:
        fail(f"fd count changed under overload: {[s[1] for s in samples]}")
    log(f"accounting exact: {t}")
    log("PASS")
finally:
    for c in consumers:
        c.stop()
    d.cleanup()
