#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Zeek benchmark (not a test): Zeek's CPU per packet when it reads a ring
(`zeek -i shmring::worker-0`) against the baseline of the same Zeek reading
the very same packets from a pcap file (`zeek -r`), in the same run.

One udpcapd with one ring. A capture (default http-bro.org.pcap) is replayed
--loops times as VXLAN, paced so that no socket drops; `udpcapctl dump`
writes what the ring carried to a pcap: the baseline input. Then a Zeek is
attached to the ring and stopped (SIGSTOP), the same replay fills the ring,
and the Zeek is continued and left to drain it. CPU = user + system of the
Zeek process (wait4 rusage), minus Zeek's start-up and shut-down cost (a
`zeek -r` of a one-packet file). Each cell is the median of --reps runs.

Usage: bench/zeek_ring.py BUILD_DIR ZEEK PLUGIN_DIR [--pcap FILE] [--loops N] [--reps R]
"""
import argparse
import atexit
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "pylib"))


def run_zeek(zeek, args, cwd, env, while_running=None):
    """Run zeek ARGS in cwd; returns its CPU seconds (user + sys). while_running(pid)
    is called after start; zeek must then end by itself or be told to by it."""
    os.makedirs(cwd, exist_ok=True)
    with open(os.path.join(cwd, "zeek.out"), "w") as out:
        p = subprocess.Popen([zeek, "-C"] + args, cwd=cwd, env=env, stdout=out,
                             stderr=subprocess.STDOUT)
    try:
        if while_running:
            while_running(p)
        _, status, ru = os.wait4(p.pid, 0)
    except BaseException:
        p.kill()
        raise
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, -signal.SIGTERM):
        with open(os.path.join(cwd, "zeek.out")) as f:
            sys.exit(f"zeek {' '.join(args)}: exit {p.returncode}\n{f.read()}")
    return ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build")
    ap.add_argument("zeek")
    ap.add_argument("plugin_dir")
    ap.add_argument("--pcap", default="http-bro.org.pcap")
    ap.add_argument("--loops", type=int, default=40)
    ap.add_argument("--rate", type=int, default=20000, help="replay packets per second")
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
    extra = os.environ.get("UDPCAP_ZEEK_ARGS", "").split()
    tmp = tempfile.mkdtemp(prefix="udpcap-zeek-bench-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)

    daemon = h.Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=1, ring_size="256M")
    atexit.register(daemon.cleanup)
    daemon.start()
    replay = ["--loop", str(a.loops), "--rate", str(a.rate), "--max-seconds", "120"]

    def written():
        return rings(daemon.ring_dir)["worker-0"]["written_packets"]

    def fill_ring():
        sent = h.replay(pcap, daemon.addr("vx"), encap="vxlan", extra=replay)["packets"]
        h.wait_until(lambda: written() >= fill_ring.total + sent, 120,
                     "udpcapd to write every packet")
        fill_ring.total += sent
        return sent
    fill_ring.total = 0

    # the baseline input: exactly what the ring carries, as a pcap
    baseline = os.path.join(tmp, "ring.pcap")
    dump = h.Dump("worker-0", daemon.ring_dir, baseline)
    dump.wait_attached()
    n = fill_ring()
    h.wait_until(lambda: dump.count() >= n, 120, "the dump to write every packet")
    dump.stop()
    one = os.path.join(tmp, "one.pcap")
    linktype, _, pkts = h.read_pcap(baseline)
    h.write_pcap(one, [pkts[0][1]], linktype)

    local = os.path.join(tmp, "ring.zeek")
    with open(local, "w") as f:
        f.write(f'redef ShmRing::ring_dir = "{daemon.ring_dir}";\n')

    def drain(p):
        wait_consumers(daemon.ring_dir, [p], "zeek")
        p.send_signal(signal.SIGSTOP)
        try:
            fill_ring()
        finally:
            p.send_signal(signal.SIGCONT)
        h.wait_until(lambda: rings(daemon.ring_dir)["worker-0"]["used"] == 0, 300,
                     "zeek to drain the ring")
        p.send_signal(signal.SIGTERM)

    rows = {"start-up (zeek -r, 1 packet)": [], "zeek -r FILE": [], "zeek -i shmring::": []}
    for rep in range(a.reps):
        rows["start-up (zeek -r, 1 packet)"].append(
            run_zeek(a.zeek, ["-r", one] + extra, os.path.join(tmp, f"one{rep}"), env))
        rows["zeek -r FILE"].append(
            run_zeek(a.zeek, ["-r", baseline] + extra, os.path.join(tmp, f"file{rep}"), env))
        rows["zeek -i shmring::"].append(
            run_zeek(a.zeek, ["-i", "shmring::worker-0", local] + extra,
                     os.path.join(tmp, f"ring{rep}"), env, drain))
    full = rings(daemon.ring_dir)["worker-0"]["full_packets"]
    if full:
        sys.exit(f"the ring dropped {full} packets: the runs are not comparable")

    med = {k: statistics.median(v) for k, v in rows.items()}
    start = med["start-up (zeek -r, 1 packet)"]
    print(f"{os.path.basename(pcap)} x {a.loops}: {n} packets per run, {a.reps} runs, "
          "median Zeek CPU (user + sys)")
    print(f"{'':32} {'CPU s':>8} {'us/packet':>10} {'ratio':>6}")
    base = (med["zeek -r FILE"] - start) / n
    for k, v in med.items():
        per = (v - start) / n if k != "start-up (zeek -r, 1 packet)" else None
        print(f"{k:32} {v:8.3f} " + (f"{per * 1e6:10.2f} {per / base:6.2f}" if per else ""))


if __name__ == "__main__":
    main()
