#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: a consumer killed with SIGKILL mid-stream releases its ring by
itself; a new consumer attaches to the same ring and resumes receiving; the
other ring's consumer is unaffected (no drops, keeps receiving); and the
daemon's books stay exact: sent == received + socket drops, received ==
delivered + drops."""

import os
import signal
import time

from faultlib import (Daemon, Dump, balance, fail, inner_frame, log, require_binaries,
                      send_paced, sender, settled_stats, vxlan, host_port, SANITIZED)

require_binaries()
d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, ring_size="8M").start()
try:
    out = d.tmp
    dumps = {r: Dump(r, d.ring_dir, os.path.join(out, f"{r}-a.pcap")) for r in d.ring_names()}
    for dmp in dumps.values():
        dmp.wait_attached()
    sock = sender()
    dest = host_port(d.addr("vx"))
    n = 20000 if not SANITIZED else 6000
    frames = [vxlan(7, inner_frame(i)) for i in range(n)]

    sent = send_paced(sock, dest, frames[: n // 2], pps=20000)
    time.sleep(0.5)
    victim = dumps["worker-0"]
    before = victim.count()
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(timeout=30)
    log(f"killed the consumer of worker-0 after it wrote {before} packets")
    if before == 0:
        fail("the killed consumer had received nothing; the test proves nothing")

    again = Dump("worker-0", d.ring_dir, os.path.join(out, "worker-0-b.pcap"))
    again.wait_attached()
    sent += send_paced(sock, dest, frames[n // 2:], pps=20000)

    stats = settled_stats(d, sent)
    time.sleep(1.0)
    rc, err = again.stop()
    if rc != 0:
        fail(f"the new consumer exited {rc}: {err}")
    resumed = again.count()
    if resumed == 0:
        fail("the new consumer of worker-0 received nothing after re-attaching")
    rc1, _ = dumps["worker-1"].stop()
    other = dumps["worker-1"].count()
    stats = d.stats()
    t = balance(stats, sent)
    rings = {r["name"]: r for r in stats["rings"]}
    if sum(rings["worker-1"]["drops"].values()) != 0:
        fail(f"worker-1 was disturbed: {rings['worker-1']['drops']}")
    if other != rings["worker-1"]["delivered"]:
        fail(f"worker-1's consumer wrote {other} packets, ring delivered "
             f"{rings['worker-1']['delivered']}")
    log(f"sent {sent}; worker-0: {before} before the kill, {resumed} after re-attach; "
        f"worker-1: {other}; totals {t}")
    log("PASS")
finally:
    d.cleanup()
