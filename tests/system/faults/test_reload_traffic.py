#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: SIGHUP reloads (allow-list and VNI filter changes that keep the
traffic allowed, and the log level) while traffic flows lose nothing: every
datagram sent is delivered, none is dropped for any reason, and the daemon
logs each reload."""

import os
import signal
import threading
import time

from faultlib import (Daemon, Dump, balance, fail, inner_frame, log, require_binaries,
                      send_paced, sender, settled_stats, vxlan, host_port, SANITIZED)

require_binaries()
d = Daemon([("vx", "127.0.0.1", "vxlan", ["allow = 127.0.0.0/8", "vni = 1, 2"])],
           rings=2, ring_size="16M").start()
try:
    dumps = [Dump(r, d.ring_dir, os.path.join(d.tmp, f"{r}.pcap")) for r in d.ring_names()]
    for x in dumps:
        x.wait_attached()
    n = 40000 if not SANITIZED else 12000
    frames = [vxlan(1 + i % 2, inner_frame(i)) for i in range(n)]
    result = {}
    t = threading.Thread(target=lambda: result.update(
        sent=send_paced(sender(), host_port(d.addr("vx")), frames, pps=20000)))
    t.start()
    variants = [("allow = 127.0.0.1/32", "vni = 1, 2, 3"),
                ("allow = 127.0.0.0/8, ::1/128", "vni = 2, 1"),
                ("allow = 127.0.0.0/16", "vni =")]
    reloads = 0
    base = open(d.conf).read()
    while t.is_alive() and reloads < 12:
        allow, vni = variants[reloads % len(variants)]
        text = base.replace("allow = 127.0.0.0/8", allow).replace("vni = 1, 2", vni)
        level = "debug" if reloads % 2 else "info"
        text = text.replace("[metrics]", f"[log]\nlevel = {level}\n\n[metrics]") \
            if "[log]" not in text else text
        with open(d.conf + ".new", "w") as f:
            f.write(text)
        os.replace(d.conf + ".new", d.conf)
        d.proc.send_signal(signal.SIGHUP)
        reloads += 1
        time.sleep(0.15)
    t.join(timeout=120)
    sent = result["sent"]
    stats = settled_stats(d, sent)
    tot = balance(stats, sent)
    dropped = {k: v for k, v in tot["drops"].items() if v}
    if dropped or tot["delivered"] != sent:
        fail(f"reloads under traffic lost packets: sent {sent}, delivered {tot['delivered']}, "
             f"drops {dropped}")
    for x in dumps:
        x.stop()
    if sum(x.count() for x in dumps) != sent:
        fail("consumers did not receive every packet")
    text = d.read_log().lower()
    if text.count("reload") < reloads:
        fail(f"{reloads} SIGHUPs but the log mentions fewer reloads:\n{d.read_log()}")
    log(f"{reloads} reloads during {sent} packets: all delivered, no drops")
    log("PASS")
finally:
    d.cleanup()
