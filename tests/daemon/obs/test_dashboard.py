#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: the Grafana dashboard conf/grafana/udpcapd-dashboard.json queries
only what udpcapd exports. Every metric name in its queries (panels and
template variables) is a family on a live /metrics page of the real daemon,
every label its queries group by or print is on that family's samples (or
is 'instance', which Prometheus adds), every query is valid PromQL to
promtool, and the dashboard shows what operators ask for: received and
delivered rates, drops by reason, ring fill, consumers attached, steering
mode, and for a [tap NAME] output frames written, drops by reason and
whether it is up.

The TAP families have samples only with a TAP device, so as root the test
runs in a network namespace of its own with a TAP it creates there; not as
root their labels go unchecked, said loudly."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import obs_live
from obs_live import Daemon, fail, log, parse_metrics, vxlan, inner_frame
from harness import require_binaries

SRC = os.environ.get("UDPCAP_SOURCE_ROOT",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
DASHBOARD = os.path.join(SRC, "conf", "grafana", "udpcapd-dashboard.json")
WANTED = ["udpcapd_received_packets_total", "udpcapd_delivered_packets_total",
          "udpcapd_dropped_packets_total", "udpcapd_ring_fill_ratio",
          "udpcapd_ring_consumer_attached", "udpcapd_steering_mode",
          "udpcapd_tap_written_packets_total", "udpcapd_tap_dropped_packets_total",
          "udpcapd_tap_up"]
TAP = "udpdash0"


def queries(dash):
    """(where, expr, legend) of every query: panel targets and template variables."""
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                out.append((f"panel '{p.get('title')}'", t["expr"], t.get("legendFormat", "")))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            out.append((f"variable ${v['name']}", q, ""))
    return out


def promql(expr):
    """The expression with Grafana's macros and variables filled in."""
    return expr.replace("$__rate_interval", "5m").replace("$instance", ".*")


def check_promtool(qs):
    if not shutil.which("promtool"):
        log("SKIP (part): promtool not installed (Debian package 'prometheus'); "
            "queries not parsed")
        return
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": promql(e)}
        for i, (_, e, _) in enumerate(qs) if not e.startswith("label_values(")]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
        json.dump(rules, f)  # JSON is YAML
        f.flush()
        r = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True,
                           text=True, timeout=60)
    if r.returncode != 0:
        fail(f"promtool rejects a dashboard query:\n{r.stdout}{r.stderr}")
    log(f"promtool: {len(rules['groups'][0]['rules'])} queries parse")


def make_tap():
    """Inside our own network namespace: lo up and a TAP udpcapd (this user) may attach to."""
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "tuntap", "add", "dev", TAP, "mode", "tap", "user", str(os.geteuid()),
                 "multi_queue"],
                ["ip", "link", "set", TAP, "up"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"{' '.join(cmd)}: {r.stdout}{r.stderr}")
    return f"[tap dash]\ninterface = {TAP}\n"


def main(inside):
    require_binaries()
    with open(DASHBOARD) as f:
        dash = json.load(f)
    qs = queries(dash)
    if not qs:
        fail("the dashboard has no queries")
    tap = make_tap() if inside else ""
    d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, metrics=True,
               extra="[dedup]\nwindow_us = 1000\n" + tap).start()
    try:
        obs_live.send(d.port("vx"), [vxlan(7, inner_frame(i, 100)) for i in range(50)])
        status, _, text = d.scrape()
        if status != 200:
            fail(f"/metrics answered {status}")
    finally:
        d.cleanup()
    samples, typed = parse_metrics(text)
    labels = {}
    for (name, lab), _ in samples.items():
        labels.setdefault(name, set()).update(k for k, _ in lab)
    used = set()
    for where, expr, legend in qs:
        names = set(re.findall(r"\budpcapd_[a-z0-9_]+", expr))
        if not names:
            fail(f"{where}: query {expr!r} uses no udpcapd metric")
        for n in sorted(names - typed.keys()):
            fail(f"{where}: metric {n} is not on the live /metrics page")
        used |= names
        if not inside and any(n.startswith("udpcapd_tap_") for n in names):
            log(f"SKIP (part): not root, no TAP device: the labels of {where} go unchecked")
            continue
        have = set().union(*(labels.get(n, set()) for n in names)) | {"instance"}
        want = set()
        for group in re.findall(r"\bby \(([^)]*)\)", expr):
            want |= {x.strip() for x in group.split(",") if x.strip()}
        want |= set(re.findall(r"\{\{(\w+)\}\}", legend))
        for lab in sorted(want - have):
            fail(f"{where}: label '{lab}' is not on {sorted(names)}")
    for n in WANTED:
        if n not in used:
            fail(f"the dashboard does not show {n}")
    check_promtool(qs)
    log(f"{len(qs)} queries over {len(used)} metrics, all on the live page: {sorted(used)}")
    log("PASS")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        main(True)
    elif os.geteuid() == 0 and shutil.which("unshare"):
        # the TAP and everything written to it stay in a network namespace of their own
        sys.exit(subprocess.run(["unshare", "--net", sys.executable, os.path.abspath(__file__),
                                 "--inside"]).returncode)
    else:
        main(False)
