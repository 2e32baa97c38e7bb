# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the live obs tests (not a test): the real udpcapd
(udpcap_daemon.Daemon, with metrics=True for the Prometheus endpoint),
handcrafted VXLAN datagrams, and readers of the three views of the
counters: udpcapctl stats --json, the udpcapctl table and the Prometheus
page."""

import json
import shutil
import re
import socket
import subprocess
import tempfile

import harness
from harness import UDPCAPCTL, fail, log, skip  # noqa: F401
from udpcap_daemon import Daemon  # noqa: F401 (re-exported)
from udpcap_packets import inner_frame, vxlan  # noqa: F401 (re-exported)

REASONS_CORE = ["socket", "not_allowed", "vni_filtered", "truncated", "ring_full"]


def send(port, datagrams, host="127.0.0.1"):
    """Send each datagram once; returns the number the kernel accepted."""
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        for d in datagrams:
            s.sendto(d, (host, port))
            sent += 1
    return sent


def ctl(*args, user=None, group="nogroup", check=None):
    """Run udpcapctl; returns CompletedProcess. check: expected exit status."""
    cmd = [UDPCAPCTL] + list(args)
    if user:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={group}", "--clear-groups"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check is not None and r.returncode != check:
        fail(f"{' '.join(cmd)}: exit {r.returncode}, wanted {check}\n"
             f"stdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def stats_json(d, *extra):
    r = ctl("stats", "--json", "-s", d.control, *extra, check=0)
    return json.loads(r.stdout)


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} and the HELP/TYPE names."""
    samples, typed = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            typed[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
        if not m:
            fail(f"unparsable metrics line: {line!r}")
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        samples[(m.group(1), frozenset(labels.items()))] = float(m.group(3))
    return samples, typed


def metric(samples, name, **labels):
    key = (name, frozenset(labels.items()))
    if key not in samples:
        fail(f"metric {name}{labels} missing")
    return samples[key]


def promtool_check(text):
    """promtool check metrics on TEXT; skips the check (loudly) if promtool is absent."""
    if not shutil.which("promtool"):
        log("SKIP (part): promtool not installed (Debian package 'prometheus'); "
            "the live page was not checked by promtool")
        return False
    with tempfile.TemporaryFile("w+") as f:
        f.write(text)
        f.seek(0)
        r = subprocess.run(["promtool", "check", "metrics"], stdin=f, capture_output=True,
                           text=True, timeout=60)
    if r.returncode != 0:
        fail(f"promtool check metrics rejected the live page:\n{r.stdout}{r.stderr}")
    return True


def table_rows(text):
    """{(section, name): (numbers, {reason: n})} from the udpcapctl stats table."""
    rows, section = {}, None
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] in ("LISTENER", "RING"):
            section = words[0].lower()
            continue
        if section is None:
            continue
        drops = {}
        nums = []
        for w in words[1:]:
            if "=" in w:
                k, v = w.split("=", 1)
                drops[k] = int(v)
            elif re.fullmatch(r"[0-9.]+%?|-", w):
                nums.append(w)
        rows[(section, words[0])] = (nums, drops)
    return rows


def wait_received(d, want, timeout=60):
    """Wait until every sent datagram was read or counted as a socket drop, and
    every one read has reached its end (delivered or dropped): the counters
    are read without locks, so a sample can catch a batch half counted."""
    last = {}

    def done():
        s = d.stats()
        if s is None:
            return False
        last["s"] = s
        t = s["totals"]
        return t["received"] + t["drops"]["socket"] >= want and \
            t["delivered"] + sum(t["drops"].values()) >= t["received"] + t["drops"]["socket"]

    try:
        harness.wait_until(done, timeout, f"{want} datagrams accounted")
    except SystemExit:
        log(f"last stats: {json.dumps(last.get('s'))}")
        raise
    return last["s"]
