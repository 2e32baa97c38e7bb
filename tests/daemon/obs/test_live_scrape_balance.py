#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that scraping never perturbs delivery or the accounting: while a
bounded stream of datagrams (valid, VNI-filtered, malformed, 9.5 KB, from
a refused source) flows into the real udpcapd with a consumer on one ring,
two threads scrape /metrics and the control socket in a loop (the latter
as a plain client of docs/control-protocol.md, no udpcapctl); each burst of
traffic waits for a scrape of each kind, so they overlap for sure. Every counter
only ever grows between scrapes, every page passes promtool, and at the end
sent == delivered + sum(drops) in both the JSON and the metrics, with the
per-reason counts exact when the kernel dropped nothing."""

import json
import os
import socket
import sys
import threading
import time

import obs_live as L  # noqa: E402

TOTAL = 3000 if L.harness.SANITIZED else 20000
BURST = 200


def plan():
    """[(listener, datagram, kind)]: kinds in fixed proportions."""
    out = []
    for i in range(TOTAL):
        k = i % 100
        if k < 80:
            out.append(("vx", L.vxlan(100 + i % 50, L.inner_frame(i, 200)), "valid"))
        elif k < 88:
            out.append(("vx", L.vxlan(900, L.inner_frame(i, 120)), "vni_filtered"))
        elif k < 93:
            out.append(("vx", L.vxlan(100, L.inner_frame(i, 120), flags=0), "vxlan_no_vni"))
        elif k < 94:
            out.append(("vx", L.vxlan(100, L.inner_frame(i, 9500)), "large"))
        else:
            out.append(("deny", L.vxlan(100, L.inner_frame(i, 120)), "not_allowed"))
    return out


class ControlClient:
    """A bare client of the control protocol: one JSON object per line."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def call(self, request):
        self.s.sendall(json.dumps(request).encode() + b"\n")
        reply = json.loads(self.f.readline())
        if not reply.get("ok"):
            L.fail(f"control {request}: {reply}")
        return reply

    def close(self):
        self.f.close()
        self.s.close()


def interleave(scrapes, errors):
    """Between bursts, wait for both scrapers to finish a scrape: the traffic
    and the scraping really overlap, however the machine schedules them."""
    before = dict(scrapes)
    deadline = time.monotonic() + 60
    while any(scrapes[k] <= before[k] for k in scrapes) and not errors:
        if time.monotonic() > deadline:
            L.fail(f"a scraper made no progress for 60 s: {scrapes}")
        time.sleep(0.001)


def counters_of(stats):
    """Flat {key: value} of every counter in a stats reply."""
    flat = {}
    for scope in ("listeners", "rings"):
        for x in stats[scope]:
            for key in ("received", "delivered", "bytes"):
                flat[(scope, x["name"], key)] = x[key]
            for reason, n in x["drops"].items():
                flat[(scope, x["name"], reason)] = n
    return flat


def monotonic(prev, cur, where):
    for key, v in cur.items():
        if key in prev and v < prev[key]:
            L.fail(f"{where}: {key} went from {prev[key]} to {v}")


def main():
    L.harness.require_binaries()
    d = L.Daemon([("vx", "127.0.0.1", "vxlan", ["vni = 100-199"]),
                  ("deny", "127.0.0.1", "vxlan", ["allow = 10.0.0.0/8"])],
                 rings=2, ring_size="4M", metrics=True)
    stop = threading.Event()
    errors, scrapes = [], {"metrics": 0, "control": 0}
    dump = None
    try:
        d.start()
        dump = L.harness.Dump("worker-0", d.ring_dir, os.path.join(d.tmp, "w0.pcap"))
        dump.wait_attached()

        def scrape_metrics():
            prev = {}
            try:
                while not stop.is_set():
                    text = d.scrape()[2]
                    m, _ = L.parse_metrics(text)
                    monotonic(prev, {k: v for k, v in m.items() if k[0].endswith("_total")},
                                     "metrics")
                    prev = {k: v for k, v in m.items() if k[0].endswith("_total")}
                    if scrapes["metrics"] % 10 == 0:
                        L.promtool_check(text)
                    scrapes["metrics"] += 1
            except BaseException as e:  # noqa: BLE001 - reported by the main thread
                errors.append(f"metrics scraper: {e!r}")

        def scrape_control():
            prev = {}
            c = ControlClient(d.control)
            try:
                while not stop.is_set():
                    cur = counters_of(c.call({"cmd": "stats"}))
                    monotonic(prev, cur, "control")
                    prev = cur
                    scrapes["control"] += 1
            except BaseException as e:  # noqa: BLE001
                errors.append(f"control scraper: {e!r}")
            finally:
                c.close()

        threads = [threading.Thread(target=scrape_metrics, daemon=True),
                   threading.Thread(target=scrape_control, daemon=True)]
        for t in threads:
            t.start()
        sent, kinds = 0, {}
        traffic = plan()
        socks = {}
        for name in ("vx", "deny"):
            socks[name] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for i, (listener, data, kind) in enumerate(traffic):
                socks[listener].sendto(data, ("127.0.0.1", d.port(listener)))
                sent += 1
                kinds[kind] = kinds.get(kind, 0) + 1
                if i % BURST == BURST - 1:
                    interleave(scrapes, errors)
        finally:
            for s in socks.values():
                s.close()
        L.wait_received(d, sent)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        if errors:
            L.fail("; ".join(errors))

        s = L.stats_json(d)
        t = s["totals"]
        drops = sum(t["drops"].values())
        L.log(f"sent {sent} {kinds}; delivered {t['delivered']}, drops "
              f"{ {k: v for k, v in t['drops'].items() if v} }, scrapes {scrapes}")
        if t["delivered"] + drops != sent:
            L.fail(f"JSON: delivered {t['delivered']} + drops {drops} != sent {sent}")
        if t["received"] + t["drops"]["socket"] != sent:
            L.fail("JSON: received + socket drops != sent")
        m, _ = L.parse_metrics(d.scrape()[2])
        mdel = sum(v for (n, _), v in m.items() if n == "udpcapd_delivered_packets_total")
        mdrop = sum(v for (n, _), v in m.items() if n == "udpcapd_dropped_packets_total")
        if mdel + mdrop != sent:
            L.fail(f"metrics: delivered {mdel} + dropped {mdrop} != sent {sent}")
        if t["drops"]["socket"] == 0:
            if t["drops"]["truncated"]:
                L.fail(f"truncated: counted {t['drops']['truncated']}; 9.5 KB datagrams are "
                       "delivered whole")
            for kind in ("vni_filtered", "vxlan_no_vni", "not_allowed"):
                if t["drops"][kind] != kinds[kind]:
                    L.fail(f"{kind}: counted {t['drops'][kind]}, sent {kinds[kind]}")
            if t["delivered"] + t["drops"]["ring_full"] != kinds["valid"] + kinds["large"]:
                L.fail("valid and large datagrams: delivered + ring_full != sent")
        else:
            L.log(f"note: the kernel dropped {t['drops']['socket']} (counted); "
                  "per-reason counts checked only as a sum")
    finally:
        stop.set()
        if dump:
            dump.stop()
        d.cleanup()
    L.log("PASS")


if __name__ == "__main__":
    main()
