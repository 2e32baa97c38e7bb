#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that udpcapd's counters match the traffic this test sent, reason by
reason, in all three views: udpcapctl stats --json, the udpcapctl stats table
and the Prometheus page (which promtool accepts, scraped live). Real UDP on
loopback into the real daemon: valid VXLAN (delivered, or ring_full in a
tiny ring with no consumer), a VNI outside vni =, a clear I flag
(vxlan_no_vni), 10 KB datagrams (delivered whole like the valid ones, or
ring_full; none truncated) and a listener whose
allow-list excludes 127.0.0.1 (not_allowed). Then a consumer attaches and
rings/stats/metrics show its pid and the ring draining; udpcapctl rings
agrees with the ring headers read directly (--dir); --watch prints rates.
ts_fallbacks, uring_enobufs and each listener's steering mode and eBPF
select failures are in the JSON and on the page."""

import json
import os
import re
import sys
import time
import urllib.error

import obs_live as L  # noqa: E402

VALID, VNI_FILTERED, NO_VNI, BIG, NOT_ALLOWED = 500, 15, 7, 5, 11
# 500 x 1.4 KB cannot fit two rings of the smallest size (256 KiB): ring_full for sure
INNER = 1400


def send_traffic(d):
    vx, deny = d.port("vx"), d.port("deny")
    sent = 0
    sent += L.send(vx, [L.vxlan(100 + i % 50, L.inner_frame(i, INNER)) for i in range(VALID)])
    sent += L.send(vx, [L.vxlan(500, L.inner_frame(i, 200)) for i in range(VNI_FILTERED)])
    sent += L.send(vx, [L.vxlan(100, L.inner_frame(i, 200), flags=0x00) for i in range(NO_VNI)])
    sent += L.send(vx, [L.vxlan(100, L.inner_frame(i, 10000)) for i in range(BIG)])
    sent += L.send(deny, [L.vxlan(100, L.inner_frame(i, 200)) for i in range(NOT_ALLOWED)])
    return sent


def by_name(items):
    return {x["name"]: x for x in items}


def check_json(s):
    for key in ("steering", "totals", "listeners", "rings", "version", "backend",
                "steering_unparsed", "uptime_ns", "start_time_ns", "ts_fallbacks",
                "uring_enobufs"):
        if key not in s:
            L.fail(f"stats JSON lacks {key!r}")
    if s.get("ts_fallbacks") != 0 or s.get("uring_enobufs") != 0:
        L.fail(f"ts_fallbacks {s.get('ts_fallbacks')}, uring_enobufs {s.get('uring_enobufs')}: "
               "both should be 0 here")
    for x in s["listeners"]:
        if x.get("steering") not in ("ebpf", "cbpf", "kernel") or \
                x.get("steering_select_failed") != 0:
            L.fail(f"listener {x['name']}: steering {x.get('steering')!r}, "
                   f"steering_select_failed {x.get('steering_select_failed')!r}")
    if s["steering"] not in ("ebpf", "cbpf", "kernel"):
        L.fail(f"steering {s['steering']!r}")
    ls = by_name(s["listeners"])
    vx, deny = ls["vx"], ls["deny"]
    ring_full = vx["drops"]["ring_full"]
    want_vx = {"socket": 0, "not_allowed": 0, "vni_filtered": VNI_FILTERED,
               "vxlan_no_vni": NO_VNI, "truncated": 0}
    for reason, n in want_vx.items():
        if vx["drops"][reason] != n:
            L.fail(f"listener vx drops[{reason}] = {vx['drops'][reason]}, sent {n}")
    if not (0 < ring_full < VALID) or vx["delivered"] + ring_full != VALID + BIG:
        L.fail(f"vx delivered {vx['delivered']} + ring_full {ring_full} != {VALID + BIG} "
               "(or one of them is 0)")
    if vx["received"] != VALID + VNI_FILTERED + NO_VNI + BIG:
        L.fail(f"vx received {vx['received']}")
    if deny["received"] != NOT_ALLOWED or deny["drops"]["not_allowed"] != NOT_ALLOWED or \
            deny["delivered"] != 0:
        L.fail(f"listener deny: {deny}")
    # nothing else dropped anywhere
    for l in (vx, deny):
        extra = {k: v for k, v in l["drops"].items()
                 if v and k not in want_vx and k not in ("ring_full", "not_allowed")}
        if extra:
            L.fail(f"unexpected drops on {l['name']}: {extra}")
    t = s["totals"]
    if t["received"] != vx["received"] + deny["received"] or \
            t["delivered"] != vx["delivered"]:
        L.fail(f"totals {t} do not add up")
    for reason in t["drops"]:
        if t["drops"][reason] != vx["drops"][reason] + deny["drops"][reason]:
            L.fail(f"totals drops[{reason}] do not add up")
    # rings: delivered and ring_full split over rings, matching the ring's own counters
    rings = s["rings"]
    if sum(r["delivered"] for r in rings) != t["delivered"] or \
            sum(r["drops"]["ring_full"] for r in rings) != ring_full:
        L.fail(f"rings do not add up to the totals: {rings}")
    for r in rings:
        if r["written_packets"] != r["delivered"] or r["full_packets"] != r["drops"]["ring_full"]:
            L.fail(f"ring {r['name']}: header counters disagree: {r}")
        if r["consumer_pid"] != 0 or r["size"] != 262144:
            L.fail(f"ring {r['name']}: consumer/size: {r}")
        if abs(r["fill"] - r["used"] / r["size"]) > 1e-6:
            L.fail(f"ring {r['name']}: fill {r['fill']} != used/size")
    if max(r["fill"] for r in rings) < 0.5:
        L.fail("a ring that dropped ring_full should be nearly full")
    if s["steering"] == "ebpf" and s["steering_unparsed"]["vxlan_no_vni"] != NO_VNI:
        L.fail(f"eBPF steering: unparsed {s['steering_unparsed']}, wanted vxlan_no_vni={NO_VNI}")
    return vx, deny, ring_full


def check_table(d, s, ring_full):
    r = L.ctl("stats", "-s", d.control, check=0)
    rows = L.table_rows(r.stdout)
    if f"steering {s['steering']}" not in r.stdout:
        L.fail(f"table does not name the steering mode:\n{r.stdout}")
    nums, drops = rows[("listener", "vx")]
    if nums[:2] != [str(VALID + VNI_FILTERED + NO_VNI + BIG), str(VALID + BIG - ring_full)]:
        L.fail(f"table vx row: {nums}\n{r.stdout}")
    want = {"vni_filtered": VNI_FILTERED, "vxlan_no_vni": NO_VNI, "ring_full": ring_full}
    if drops != want:
        L.fail(f"table vx drops {drops}, wanted {want}\n{r.stdout}")
    nums, drops = rows[("listener", "deny")]
    if nums[:2] != [str(NOT_ALLOWED), "0"] or drops != {"not_allowed": NOT_ALLOWED}:
        L.fail(f"table deny row: {nums} {drops}\n{r.stdout}")
    nums, drops = rows[("listener", "TOTAL")]
    if drops != dict(want, not_allowed=NOT_ALLOWED):
        L.fail(f"table TOTAL drops {drops}\n{r.stdout}")
    for ring in s["rings"]:
        nums, drops = rows[("ring", ring["name"])]
        if nums[0] != str(ring["delivered"]) or nums[1] != str(ring["bytes"]) or \
                drops.get("ring_full", 0) != ring["drops"]["ring_full"] or nums[3] != "-":
            L.fail(f"table ring row {ring['name']}: {nums} {drops}\n{r.stdout}")
    if "steering could not parse:" not in r.stdout:
        L.fail("table lacks the steering parse-failure line")
    L.log(r.stdout)


def check_metrics(d, s, ring_full):
    status, ctype, text = d.scrape()
    if status != 200 or not ctype.startswith("text/plain; version=0.0.4"):
        L.fail(f"GET /metrics: {status} {ctype}")
    L.promtool_check(text)
    m, typed = L.parse_metrics(text)
    M = lambda name, **kw: L.metric(m, name, **kw)  # noqa: E731
    # counters that used to be collected but never shown
    for name in ("udpcapd_timestamp_fallbacks_total", "udpcapd_uring_enobufs_total"):
        if M(name) != 0:
            L.fail(f"metrics: {name} = {M(name)}, want 0")
    for x in s["listeners"]:
        if M("udpcapd_listener_steering_mode", listener=x["name"], mode=x["steering"]) != 1:
            L.fail(f"metrics: listener {x['name']} steering mode is not {x['steering']}")
        if M("udpcapd_steering_select_failed_total", listener=x["name"]) != 0:
            L.fail(f"metrics: steering_select_failed of {x['name']}")
    if M("udpcapd_received_packets_total", listener="vx") != \
            VALID + VNI_FILTERED + NO_VNI + BIG:
        L.fail("metrics: received vx")
    if M("udpcapd_received_packets_total", listener="deny") != NOT_ALLOWED:
        L.fail("metrics: received deny")
    want = {("vx", "vni_filtered"): VNI_FILTERED, ("vx", "vxlan_no_vni"): NO_VNI,
            ("vx", "truncated"): 0, ("vx", "ring_full"): ring_full,
            ("vx", "socket"): 0, ("vx", "not_allowed"): 0,
            ("deny", "not_allowed"): NOT_ALLOWED, ("deny", "ring_full"): 0}
    for (listener, reason), n in want.items():
        got = M("udpcapd_dropped_packets_total", listener=listener, reason=reason)
        if got != n:
            L.fail(f"metrics: dropped{{{listener},{reason}}} = {got}, sent {n}")
    delivered = sum(M("udpcapd_delivered_packets_total", ring=r["name"], group="default")
                    for r in s["rings"])
    if delivered != VALID + BIG - ring_full:
        L.fail(f"metrics: delivered {delivered}")
    for r in s["rings"]:
        n = r["name"]
        if M("udpcapd_delivered_bytes_total", ring=n, group="default") != r["bytes"] or \
                M("udpcapd_ring_size_bytes", ring=n, group="default") != r["size"] or \
                M("udpcapd_ring_consumer_attached", ring=n, group="default") != 0 or \
                M("udpcapd_ring_dropped_packets_total", ring=n, group="default",
                  reason="ring_full") != \
                r["drops"]["ring_full"] or \
                abs(M("udpcapd_ring_fill_ratio", ring=n, group="default") - r["fill"]) > 1e-6:
            L.fail(f"metrics: ring {n} disagrees with JSON {r}")
    if M("udpcapd_steering_mode", mode=s["steering"]) != 1 or \
            sum(v for (name, _), v in m.items() if name == "udpcapd_steering_mode") != 1:
        L.fail("metrics: steering mode")
    if M("udpcapd_build_info", version=s["version"]) != 1:
        L.fail("metrics: build info")
    if abs(M("udpcapd_start_time_seconds") - s["start_time_ns"] / 1e9) > 0.01:
        L.fail("metrics: start time")
    if M("udpcapd_steering_unparsed_packets_total", reason="vxlan_no_vni") != \
            s["steering_unparsed"]["vxlan_no_vni"]:
        L.fail("metrics: steering unparsed")
    for name, kind in typed.items():
        if kind == "counter" and not name.endswith("_total"):
            L.fail(f"counter {name} without _total")
    try:
        d.scrape("/other")
        L.fail("GET /other did not 404")
    except urllib.error.HTTPError as e:
        if e.code != 404:
            L.fail(f"GET /other: {e.code}")


def check_consumer(d, s):
    full = max(s["rings"], key=lambda r: r["fill"])
    out = os.path.join(d.tmp, "dump.pcap")
    dump = L.harness.Dump(full["name"], d.ring_dir, out)
    dump.wait_attached()
    try:
        def attached():
            r = by_name(L.stats_json(d)["rings"])[full["name"]]
            return r["consumer_pid"] == dump.proc.pid and r["fill"] == 0
        L.harness.wait_until(attached, 30, "the consumer's pid and an empty ring in stats")
        r = L.ctl("rings", "-s", d.control, check=0)
        row = [l for l in r.stdout.splitlines() if l.startswith(full["name"] + " ")]
        if not row or str(dump.proc.pid) not in row[0].split():
            L.fail(f"udpcapctl rings does not show consumer {dump.proc.pid}:\n{r.stdout}")
        m, _ = L.parse_metrics(d.scrape()[2])
        if L.metric(m, "udpcapd_ring_consumer_attached", ring=full["name"], group="default") != 1:
            L.fail("metrics: consumer not attached")
        table = L.table_rows(L.ctl("stats", "-s", d.control, check=0).stdout)
        if table[("ring", full["name"])][0][3] != str(dump.proc.pid):
            L.fail(f"stats table: consumer column {table[('ring', full['name'])]}")
    finally:
        dump.stop()
    if dump.count() != full["delivered"]:
        L.fail(f"the consumer read {dump.count()} packets, stats said {full['delivered']}")


def check_rings(d, s):
    r = json.loads(L.ctl("rings", "--json", "-s", d.control, check=0).stdout)
    daemon = by_name(r["rings"])
    if set(daemon) != {"worker-0", "worker-1"}:
        L.fail(f"rings --json: {r}")
    one = json.loads(L.ctl("rings", "worker-1", "--json", "-s", d.control, check=0).stdout)
    if [x["name"] for x in one["rings"]] != ["worker-1"]:
        L.fail(f"rings worker-1: {one}")
    direct = by_name(json.loads(L.ctl("rings", "--dir", d.ring_dir, "--json", check=0).stdout)
                     ["rings"])
    for name, x in daemon.items():
        y = direct[name]
        if (x["size"], x["generation"], x["written_packets"]) != \
                (y["size"], y["generation"], y["written_packets"]) or \
                y["producer_pid"] != d.proc.pid:
            L.fail(f"rings --dir disagrees with the daemon for {name}: {x} vs {y}")
    text = L.ctl("rings", "--dir", d.ring_dir, check=0).stdout
    if "worker-0" not in text or "GENERATION" not in text:
        L.fail(f"rings --dir table:\n{text}")
    # unknown ring: 5, from the daemon and from --dir
    L.ctl("rings", "worker-9", "-s", d.control, check=5)
    L.ctl("stats", "--ring", "worker-9", "-s", d.control, check=5)
    L.ctl("rings", "worker-9", "--dir", d.ring_dir, check=5)
    one = L.stats_json(d, "--ring", "worker-0")
    if [x["name"] for x in one["rings"]] != ["worker-0"]:
        L.fail("stats --ring worker-0")
    # -c CONFIG finds the socket through [control] socket
    L.ctl("stats", "-f", d.conf, check=0)


def check_watch(d):
    r = L.ctl("stats", "-s", d.control, "--watch", "0.2", "--count", "2", check=0)
    if r.stdout.count("--- rates over") != 2 or "RECEIVED/s" not in r.stdout:
        L.fail(f"--watch output:\n{r.stdout}")
    r = L.ctl("stats", "-s", d.control, "--json", "--watch", "0.1", "--count", "1", check=0)
    lines = r.stdout.strip().splitlines()
    if len(lines) != 2 or not all(json.loads(x)["ok"] for x in lines):
        L.fail(f"--json --watch output:\n{r.stdout}")


def main():
    L.harness.require_binaries()
    d = L.Daemon([("vx", "127.0.0.1", "vxlan", ["vni = 100-199"]),
                  ("deny", "127.0.0.1", "vxlan", ["allow = 10.0.0.0/8"])],
                 rings=2, ring_size="256K", metrics=True)
    try:
        d.start()
        sent = send_traffic(d)
        s = L.wait_received(d, sent)
        s = L.stats_json(d)
        vx, deny, ring_full = check_json(s)
        L.log(f"sent {sent}: delivered {vx['delivered']}, ring_full {ring_full}, "
              f"steering {s['steering']}")
        check_table(d, s, ring_full)
        check_metrics(d, s, ring_full)
        check_rings(d, s)
        check_watch(d)
        check_consumer(d, s)
        rc = d.stop()
        if rc != 0:
            L.fail(f"udpcapd exited {rc}:\n{d.read_log()}")
        if os.path.exists(d.control):
            L.fail("the control socket is still there after the daemon stopped")
    finally:
        d.cleanup()
    L.log("PASS")


if __name__ == "__main__":
    main()
