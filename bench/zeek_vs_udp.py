#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Zeek benchmark (not a test): Zeek's CPU per packet on `shmring::`
(udpcapd receives and decapsulates, Zeek reads the ring) against the
baseline of Zeek 9's built-in `udp::` source (Zeek receives and
decapsulates itself), on the same VXLAN traffic in the same run.

A capture (default wikipedia.pcap) is replayed looped as VXLAN at each
--rates value (packets per second; 0 = as fast as udpcapctl sends: the
most one Zeek takes) for --seconds, either straight to `zeek -i
udp::127.0.0.1:PORT` or to udpcapd, whose one ring `zeek -i
shmring::worker-0` reads. Both Zeeks run the default scripts and nothing
else. The two sources alternate run by run (--reps runs each, order
swapped every run); each cell is the median. CPU = user + system of all
of the process's threads from the first packet sent until the packets are
all read (socket queue or ring empty); per packet = CPU / packets Zeek
counted received (its own exit summary). udpcapd's CPU is measured the same
way and shown separately.

Usage: bench/zeek_vs_udp.py BUILD_DIR ZEEK9 PLUGIN_DIR [--rates 20000,100000,0]
       [--seconds S] [--reps R] [--pcap FILE]
"""
import argparse
import atexit
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "pylib"))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """user + system seconds of all of pid's threads so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def udp_rx_queue(port):
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[1] == f"0100007F:{port:04X}":
                return int(cols[4].split(":")[1], 16)
    return None


class Run:
    def __init__(self, h, zeek, env, cwd, args):
        os.makedirs(cwd, exist_ok=True)
        self.h, self.cwd = h, cwd
        self.out = open(os.path.join(cwd, "zeek.out"), "w+")
        self.p = subprocess.Popen([zeek, "-C"] + args, cwd=cwd, env=env, stdout=self.out,
                                  stderr=subprocess.STDOUT)

    def received(self):
        """Stop Zeek; the packets its exit summary counts received."""
        self.p.send_signal(signal.SIGTERM)
        if self.h.stop_process(self.p, signal.SIGTERM, 120) is None:
            sys.exit("zeek ignored SIGTERM")
        self.out.seek(0)
        text = self.out.read()
        m = re.search(r"(\d+) packets received on interface", text)
        if not m:
            sys.exit(f"zeek printed no packet summary:\n{text}")
        return int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build")
    ap.add_argument("zeek")
    ap.add_argument("plugin_dir")
    ap.add_argument("--pcap", default="wikipedia.pcap")
    ap.add_argument("--rates", default="20000,100000,0")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ["UDPCAP_BUILD_ROOT"] = build
    os.environ.setdefault("UDPCAP_PCAP_DIR", os.path.join(HERE, "..", "..", "shared", "pcaps"))
    import harness as h  # after UDPCAP_BUILD_ROOT is set
    from ringwatch import rings, wait_consumers
    pcap = a.pcap if os.path.isabs(a.pcap) else os.path.join(h.pcap_dir(), a.pcap)
    env = dict(os.environ, ZEEK_PLUGIN_PATH=os.path.abspath(a.plugin_dir),
               LD_LIBRARY_PATH=os.path.join(build, "lib"))
    tmp = tempfile.mkdtemp(prefix="udpcap-zeek-vs-udp-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    rates = [int(r) for r in a.rates.split(",")]

    daemon = h.Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=1, ring_size="256M")
    atexit.register(daemon.cleanup)
    daemon.start()
    local = os.path.join(tmp, "ring.zeek")
    with open(local, "w") as f:
        f.write(f'redef ShmRing::ring_dir = "{daemon.ring_dir}";\n')

    def send(to, rate):
        count = int(rate * a.seconds) if rate else int(200000 * a.seconds)
        extra = ["--loop", "1000000", "--count", str(count), "--rate", str(rate),
                 "--max-seconds", str(a.seconds * 10 + 10)]
        return h.replay(pcap, to, encap="vxlan", extra=extra)["packets"]

    def run_udp(rate, n):
        port = h.free_udp_port()
        r = Run(h, a.zeek, env, os.path.join(tmp, f"udp-{rate}-{n}"),
                ["-i", f"udp::127.0.0.1:{port}"])
        h.wait_until(lambda: udp_rx_queue(port) is not None or r.p.poll() is not None, 60,
                     "zeek -i udp:: to bind")
        c0 = cpu_s(r.p.pid)
        sent = send(f"127.0.0.1:{port}", rate)
        h.wait_until(lambda: udp_rx_queue(port) == 0, 120, "zeek -i udp:: to read it all")
        cpu = cpu_s(r.p.pid) - c0
        return sent, r.received(), cpu, 0.0

    def run_ring(rate, n):
        r = Run(h, a.zeek, env, os.path.join(tmp, f"ring-{rate}-{n}"),
                ["-i", "shmring::worker-0", local])
        wait_consumers(daemon.ring_dir, [r.p], "zeek")
        w0 = rings(daemon.ring_dir)["worker-0"]["written_packets"]
        c0, d0 = cpu_s(r.p.pid), cpu_s(daemon.proc.pid)
        sent = send(daemon.addr("vx"), rate)

        def settled():
            x = rings(daemon.ring_dir)["worker-0"]
            if x["used"] or x["written_packets"] != settled.last:
                settled.last = x["written_packets"]
                return False
            return True
        settled.last = w0
        h.wait_until(settled, 300, "zeek to drain the ring")
        cpu, dcpu = cpu_s(r.p.pid) - c0, cpu_s(daemon.proc.pid) - d0
        return sent, r.received(), cpu, dcpu

    results = {}
    for rate in rates:
        for n in range(a.reps):
            order = [("udp::", run_udp), ("shmring::", run_ring)]
            for name, fn in order if n % 2 == 0 else reversed(order):
                results.setdefault((rate, name), []).append(fn(rate, n))

    print(f"{os.path.basename(pcap)} looped as VXLAN, {a.seconds:g} s per run, {a.reps} "
          f"interleaved runs per cell, medians; CPU = user + sys, us per packet Zeek received")
    print(f"{'rate pps':>9} {'source':>10} {'sent':>8} {'received':>9} {'zeek us':>8} "
          f"{'udpcapd us':>10} {'zeek ratio':>10} {'+udpcapd ratio':>14}")
    for rate in rates:
        base = None
        for name in ("udp::", "shmring::"):
            rs = results[(rate, name)]
            sent = statistics.median(r[0] for r in rs)
            recv = statistics.median(r[1] for r in rs)
            zus = statistics.median(r[2] / max(r[1], 1) * 1e6 for r in rs)
            dus = statistics.median(r[3] / max(r[1], 1) * 1e6 for r in rs)
            if base is None:
                base = zus
            print(f"{rate or 'max':>9} {name:>10} {sent:8.0f} {recv:9.0f} {zus:8.2f} "
                  f"{dus:10.2f} {zus / base:10.2f} {(zus + dus) / base:14.2f}")


if __name__ == "__main__":
    main()
