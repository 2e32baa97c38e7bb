#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Soak run (not a test): udpcapd with one draining consumer per ring and a
steady, moderate replayed load for a chosen duration. Every interval it
prints the daemon's RSS, fd count, threads, delivered/dropped counters and
the accounting check (sent == received + socket drops, received ==
delivered + other drops), and at the end whether RSS and fds stayed flat.

    bench/soak.py BUILD_DIR [--minutes 10] [--pps 50000] [--rings 2]
                  [--backend recvmmsg|io_uring] [--interval 60]

Traffic goes to 127.0.0.1 only; everything it starts, it stops."""

import argparse
import json
import os
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("--minutes", type=float, default=10)
ap.add_argument("--pps", type=int, default=50000)
ap.add_argument("--rings", type=int, default=2)
ap.add_argument("--backend", default="recvmmsg")
ap.add_argument("--interval", type=float, default=60)
args = ap.parse_args()

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["UDPCAP_BUILD_ROOT"] = os.path.abspath(args.build)
os.environ.setdefault("UDPCAP_SOURCE_ROOT", root)
sys.path.insert(0, os.path.join(root, "tests", "pylib"))
from faultlib import (Daemon, Dump, UDPCAPCTL, fd_count, rss_kib,  # noqa: E402
                      write_pcap_frames)

d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=args.rings, ring_size="64M",
           backend=args.backend, rcvbuf="16M").start()
dumps, replay = [], None
try:
    dumps = [Dump(r, d.ring_dir, "/dev/null") for r in d.ring_names()]
    for x in dumps:
        x.wait_attached()
    pcap = os.path.join(d.tmp, "flows.pcap")
    write_pcap_frames(pcap, 1000)
    seconds = int(args.minutes * 60)
    replay = subprocess.Popen(
        [UDPCAPCTL, "replay", pcap, "--to", d.addr("vx"), "--encap", "vxlan",
         "--src-port", "random", "--rate", str(args.pps), "--loop", "1000000000",
         "--max-seconds", str(seconds), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = d.proc.pid
    start = time.monotonic()
    first = None
    print(f"soak: {args.minutes} min at {args.pps} pps, {args.rings} rings, "
          f"backend {args.backend}", flush=True)
    print(f"{'min':>5} {'rss_kib':>8} {'fds':>4} {'thr':>4} {'received':>11} "
          f"{'delivered':>11} {'drops':>8} {'books':>6}", flush=True)
    while replay.poll() is None:
        time.sleep(min(args.interval, max(0.5, seconds + 1 - (time.monotonic() - start))))
        if d.proc.poll() is not None:
            sys.exit(f"soak: udpcapd died:\n{d.read_log()}")
        s = d.stats()
        t = s["totals"]
        drops = sum(t["drops"].values())
        sock = t["drops"].get("socket", 0)
        ok = t["delivered"] + drops - sock == t["received"]
        rss, fds = rss_kib(pid), fd_count(pid)
        threads = len(os.listdir(f"/proc/{pid}/task"))
        first = first or (rss, fds)
        print(f"{(time.monotonic() - start) / 60:5.1f} {rss:8d} {fds:4d} {threads:4d} "
              f"{t['received']:11d} {t['delivered']:11d} {drops:8d} {'exact' if ok else 'OFF':>6}",
              flush=True)
    out, _ = replay.communicate(timeout=60)
    sent = json.loads(out)["packets"]
    time.sleep(2)
    t = d.stats()["totals"]
    sock = t["drops"].get("socket", 0)
    other = sum(t["drops"].values()) - sock
    exact = sent == t["received"] + sock and t["received"] == t["delivered"] + other
    rss, fds = rss_kib(pid), fd_count(pid)
    print(f"soak: sent {sent}, received {t['received']}, delivered {t['delivered']}, "
          f"drops {dict((k, v) for k, v in t['drops'].items() if v)}", flush=True)
    print(f"soak: accounting {'exact' if exact else 'NOT exact'}; RSS {first[0]} -> {rss} KiB; "
          f"fds {first[1]} -> {fds}", flush=True)
    sys.exit(0 if exact and fds == first[1] else 1)
finally:
    if replay and replay.poll() is None:
        replay.kill()
    for x in dumps:
        x.stop()
    d.cleanup()
