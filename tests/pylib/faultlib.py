# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the fault suite (not a test): builds on the traffic harness
(the real udpcapd, udpcapctl replay/dump) and adds what fault tests need:
hand-built tunnel datagrams, two small C helpers on libudpcap (the reference
decap and a deliberately slow consumer), and process resource probes."""

import os
import random
import socket
import subprocess
import sys
import time

from harness import (Daemon, Dump, SANITIZED, BUILD, UDPCAPCTL, UDPCAPD, fail, log, replay,  # noqa: E402,F401
                     skip, wait_until, read_pcap, eth_ipv4_udp, require_binaries, write_pcap,
                     vxlan)
from udpcap_packets import inner_frame  # noqa: F401 (re-exported)


def write_pcap_frames(path, n):
    """A pcap of n frames of n different flows (n <= 1000)."""
    write_pcap(path, [inner_frame(i) for i in range(n)])


def sender(host="127.0.0.1", bind=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    if bind:
        s.bind((bind, 0))
    return s


def host_port(addr):
    host, port = addr.rsplit(":", 1)
    return host.strip("[]"), int(port)


def send_paced(sock, dest, datagrams, pps=50000, max_seconds=60):
    """Send datagrams at about pps, bounded by count and time. Returns the
    number sent (a datagram the kernel refused is retried briefly, never
    counted as sent)."""
    start = time.monotonic()
    sent = 0
    for d in datagrams:
        if time.monotonic() - start > max_seconds:
            break
        while True:
            try:
                sock.sendto(d, dest)
                break
            except (BlockingIOError, OSError) as e:
                if getattr(e, "errno", None) not in (11, 105):  # EAGAIN, ENOBUFS
                    raise
                time.sleep(0.001)
        sent += 1
        if pps and sent % 256 == 0:
            ahead = sent / pps - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    return sent


# ------------------------------------------------------------- C helpers

HELPERS = os.path.join(BUILD, "tests", "system", "faults")


def expected_reasons(items):
    """[(encap, datagram)] -> the drop label libudpcap's reference decap gives
    each datagram, or None where it decodes (tests/system/faults/decap_reasons.c)."""
    text = "".join(f"{e} {d.hex()}\n" for e, d in items)
    r = subprocess.run([os.path.join(HELPERS, "decap_reasons")], input=text,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail(f"decap_reasons failed: {r.stderr}")
    out = r.stdout.split()
    if len(out) != len(items):
        fail(f"decap_reasons answered {len(out)} of {len(items)}")
    return [None if x == "ok" else x for x in out]


class SlowConsumer:
    """tests/system/faults/slow_consumer.c: drains a ring at a bounded rate."""

    def __init__(self, ring_dir, ring, pps, seconds=600):
        self.proc = subprocess.Popen([os.path.join(HELPERS, "slow_consumer"), ring_dir, ring,
                                      str(pps), str(seconds)], stdout=subprocess.PIPE, text=True)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ------------------------------------------------------------- probes

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def capabilities(pid):
    caps = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Cap"):
                k, v = line.split(":")
                caps[k] = int(v.strip(), 16)
    return caps


def balance(stats, sent):
    """Fail unless sent == received + socket drops and
    received == delivered + every other drop, exactly."""
    t = stats["totals"]
    drops = t["drops"]
    sock = drops.get("socket", 0)
    other = sum(v for k, v in drops.items() if k != "socket")
    if t["received"] + sock != sent:
        fail(f"accounting: sent {sent} != received {t['received']} + socket drops {sock}")
    if t["delivered"] + other != t["received"]:
        fail(f"accounting: received {t['received']} != delivered {t['delivered']} + "
             f"drops {other} ({drops})")
    return t


def settled_stats(d, expect_total, timeout=30):
    """Stats once received + socket drops reached expect_total (the kernel may
    still hold datagrams in socket queues right after sending)."""
    last = None

    def done():
        nonlocal last
        last = d.stats()
        if not last:
            return False
        t = last["totals"]
        return t["received"] + t["drops"].get("socket", 0) >= expect_total
    try:
        wait_until(done, timeout, f"the daemon to account for {expect_total} datagrams")
    except SystemExit:
        fail(f"daemon accounted for fewer datagrams than sent; last stats: {last}")
    return last
