#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: udpcapd killed with SIGKILL and started again under live
consumers does not need the consumers restarted: they notice the new rings
and re-attach by themselves, and receive the traffic sent to the new daemon.
The dead daemon's stale rings are replaced (new inode, new generation), and
the ring directory holds exactly the new daemon's files."""

import os
import signal
import subprocess
import time

from faultlib import (Daemon, Dump, fail, inner_frame, log, require_binaries, send_paced,
                      sender, vxlan, host_port, wait_until, UDPCAPD)

require_binaries()
d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2).start()
try:
    dumps = {r: Dump(r, d.ring_dir, os.path.join(d.tmp, f"{r}.pcap")) for r in d.ring_names()}
    for dmp in dumps.values():
        dmp.wait_attached()
    sock = sender()
    dest = host_port(d.addr("vx"))
    send_paced(sock, dest, [vxlan(1, inner_frame(i)) for i in range(2000)], pps=20000)
    wait_until(lambda: sum(x.count() for x in dumps.values()) == 2000, 30,
               "the consumers to receive the first 2000 packets")
    inodes = {r: os.stat(os.path.join(d.ring_dir, r)).st_ino for r in d.ring_names()}

    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(timeout=30)
    d.proc = None
    log("udpcapd killed with SIGKILL; its rings are stale now")
    time.sleep(0.5)

    # the same config and the same port again: a restart, not a reconfiguration
    # (the harness listens on port 0; pin the port the first daemon got)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("listen = 127.0.0.1:0", "listen = " + d.addr("vx")))
    d.logf = open(d.log_path, "a")
    d.proc = subprocess.Popen([UDPCAPD, "-c", d.conf], stdout=d.logf,
                              stderr=subprocess.STDOUT)
    wait_until(lambda: all(os.path.exists(os.path.join(d.ring_dir, r)) and
                           os.stat(os.path.join(d.ring_dir, r)).st_ino != inodes[r]
                           for r in d.ring_names()), 30, "the restarted daemon's rings")
    wait_until(lambda: d.stats() is not None, 30, "the restarted daemon's control socket")

    # both consumers are still the same processes; they must re-attach by themselves
    for r, dmp in dumps.items():
        if dmp.proc.poll() is not None:
            fail(f"the consumer of {r} exited ({dmp.proc.returncode}) instead of re-attaching")

    def attached_all():
        s = d.stats()
        return s and all(x.get("consumer_pid") for x in s["rings"])
    wait_until(attached_all, 30, "both consumers to re-attach to the new rings")
    send_paced(sock, dest, [vxlan(1, inner_frame(10000 + i)) for i in range(2000)], pps=20000)
    try:
        wait_until(lambda: sum(x.count() for x in dumps.values()) == 4000, 30,
                   "the consumers to receive the 2000 packets sent after the restart")
    except SystemExit:
        for r, dmp in dumps.items():
            rc, err = dmp.stop()
            log(f"{r}: {dmp.count()} packets written; rc {rc}; {err}")
        log(f"stats: {d.stats()['totals']}")
        log(d.read_log())
        raise

    expected = set(d.ring_names())
    present = set(os.listdir(d.ring_dir))
    rings_present = {p for p in present if not p.endswith(".wake") and not p.startswith(".")}
    if rings_present != expected:
        fail(f"ring dir after restart holds {sorted(present)}; expected rings {sorted(expected)}")
    for dmp in dumps.values():
        rc, err = dmp.stop()
        if rc != 0:
            fail(f"consumer exited {rc}: {err}")
    log(f"consumers re-attached across a SIGKILL restart; ring dir: {sorted(present)}")
    log("PASS")
finally:
    d.cleanup()
