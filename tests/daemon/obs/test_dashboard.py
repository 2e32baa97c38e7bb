#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: the Grafana dashboard conf/grafana/udpcapd-dashboard.json queries
only what udpcapd exports. Every metric name in its queries (panels and
template variables) is a family on a live /metrics page of the real daemon,
every label its queries group by or print is on that family's samples (or
is 'instance', which Prometheus adds), every query is valid PromQL to
promtool, and the dashboard shows what operators ask for: received and
delivered rates, drops by reason, ring fill, consumers attached, steering
mode."""

import json
import os
import re
import shutil
import subprocess
import tempfile

import obs_live
from obs_live import Daemon, fail, log, parse_metrics, vxlan, inner_frame
from harness import require_binaries

SRC = os.environ.get("UDPCAP_SOURCE_ROOT",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
DASHBOARD = os.path.join(SRC, "conf", "grafana", "udpcapd-dashboard.json")
WANTED = ["udpcapd_received_packets_total", "udpcapd_delivered_packets_total",
          "udpcapd_dropped_packets_total", "udpcapd_ring_fill_ratio",
          "udpcapd_ring_consumer_attached", "udpcapd_steering_mode"]


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


def main():
    require_binaries()
    with open(DASHBOARD) as f:
        dash = json.load(f)
    qs = queries(dash)
    if not qs:
        fail("the dashboard has no queries")
    d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, metrics=True,
               extra="[dedup]\nwindow_us = 1000\n").start()
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


main()
