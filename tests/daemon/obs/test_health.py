#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: the real udpcapd's /healthz and /readyz on the metrics listener
follow the data path. With [health] require_consumers = yes, /readyz is 503
naming each ring without a consumer, 200 once udpcapctl dump holds every
ring, 503 again when one consumer leaves and 200 when it comes back. With
max_dropping_ms set, a ring kept full (ring_full drops over consecutive
samples) makes /readyz 503 naming the ring, and 200 again once the drops
stop. /healthz stays 200 throughout; both answer JSON saying why."""

import json
import os
import time
import urllib.error
import urllib.request

import obs_live
from obs_live import Daemon, fail, log, vxlan, inner_frame
from harness import Dump, require_binaries, wait_until


def get(d, path):
    """(status, parsed JSON body) of GET PATH; a 503 is an answer, not an error."""
    url = f"http://127.0.0.1:{d.metrics_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            status, ctype, body = r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        status, ctype, body = e.code, e.headers.get("Content-Type"), e.read()
    if ctype != "application/json":
        fail(f"{path}: Content-Type {ctype!r}, wanted application/json")
    try:
        doc = json.loads(body)
    except ValueError:
        fail(f"{path}: body is not JSON: {body!r}")
    if not isinstance(doc.get("why"), list) or not doc["why"]:
        fail(f"{path}: no reasons in {doc}")
    key = "ready" if path == "/readyz" else "alive"
    if doc.get(key) is not (status == 200):
        fail(f"{path}: status {status} but {key} = {doc.get(key)} in {doc}")
    return status, doc


def wait_status(d, path, want, what, contains=None):
    last = {}

    def ok():
        last["r"] = get(d, path)
        status, doc = last["r"]
        return status == want and (contains is None or any(contains in w for w in doc["why"]))

    wait_until(ok, 30, lambda: f"{path} {want} ({what}); last answer {last.get('r')}")
    log(f"{path} {want}: {what}: {last['r'][1]['why']}")
    return last["r"][1]


def alive(d):
    status, doc = get(d, "/healthz")
    if status != 200:
        fail(f"/healthz {status} while the daemon is serving: {doc}")


def consumers():
    d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, ring_size="1M", metrics=True,
               extra="[health]\nrequire_consumers = yes\n").start()
    try:
        alive(d)
        doc = wait_status(d, "/readyz", 503, "no consumers yet", "worker-1 has no consumer")
        if not any("worker-0 has no consumer" in w for w in doc["why"]):
            fail(f"/readyz does not name worker-0 either: {doc}")
        dumps = {r: Dump(r, d.ring_dir, os.path.join(d.tmp, f"{r}-a.pcap"))
                 for r in d.ring_names()}
        for dmp in dumps.values():
            dmp.wait_attached()
        wait_status(d, "/readyz", 200, "a consumer on every ring")
        alive(d)
        dumps["worker-1"].stop()
        doc = wait_status(d, "/readyz", 503, "worker-1's consumer left",
                          "worker-1 has no consumer")
        if any("worker-0" in w for w in doc["why"]):
            fail(f"/readyz blames worker-0, whose consumer is attached: {doc}")
        alive(d)
        again = Dump("worker-1", d.ring_dir, os.path.join(d.tmp, "worker-1-b.pcap"))
        again.wait_attached()
        wait_status(d, "/readyz", 200, "worker-1's consumer is back")
        again.stop()
        dumps["worker-0"].stop()
    finally:
        d.cleanup()


def dropping():
    d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=1, ring_size="64K", metrics=True,
               extra="[health]\nmax_dropping_ms = 300\n").start()
    try:
        wait_status(d, "/readyz", 200, "no consumer required, nothing dropped")
        frame = vxlan(7, inner_frame(1, 200))
        sent, doc = 0, None
        # bounded: at most 100000 datagrams (2000 rounds, 10 s); stops once /readyz fails
        while sent < 100000:
            sent += obs_live.send(d.port("vx"), [frame] * 50)
            time.sleep(0.005)
            status, doc = get(d, "/readyz")
            if status == 503:
                break
        else:
            fail(f"/readyz stayed 200 while {sent} datagrams filled a ring nobody reads: "
                 f"{doc}")
        if not any("worker-0 has been dropping" in w for w in doc["why"]):
            fail(f"/readyz 503 without naming the dropping ring: {doc}")
        log(f"/readyz 503 after {sent} datagrams into a full ring: {doc['why']}")
        alive(d)
        ring_full = obs_live.stats_json(d)["totals"]["drops"]["ring_full"]
        if ring_full == 0:
            fail("no ring_full drops counted, yet /readyz said the ring was dropping")
        wait_status(d, "/readyz", 200, "the drops stopped")
        alive(d)
    finally:
        d.cleanup()


require_binaries()
consumers()
dropping()
log("PASS")
