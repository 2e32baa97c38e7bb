#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Data-path benchmark (not a test): CPU per packet of udpcapd, with each
receive backend, against a bare recvmmsg receiver that only counts packets
(bench/bare_recv), at the same offered load from one sender.

The sender is udpcapctl replay (one socket, sendmmsg batches of 64) sending
VXLAN with 100 B inner UDP payloads over 1024 inner flows. udpcapd runs with
2 rings and a udpcapctl dump -w /dev/null draining each. The baseline is the plain bare receiver; a second bare row sleeps 200 us
after a short batch like udpcapd's coalesce_us, to show the daemon's own
cost when both batch alike. Two loads:
  max    - the sender as fast as it goes (the same sender for every receiver)
  paced  - --rate at a fraction of the slowest receiver's max-load rate
udpcapd runs with [receive] threads = 0 (a thread per ring) and threads = 1.
Receiver CPU = user+sys of all its threads (sum of /proc/PID/task/*/schedstat
run time, ns); system CPU = all CPUs' busy time from /proc/stat (sender,
kernel softirq and receiver together). Each cell is the median of --reps runs.

The "dedup" row is the first backend with [dedup] window_us = 200 (the
traffic has no copies, so it pays the lookup and insert of every packet);
its cost is printed against the same backend without it.

Usage: bench/datapath.py BUILD_DIR [--packets N] [--reps R] [--paced-fraction F]
                         [--backends recvmmsg,io_uring] [--dedup-us US]
"""
import atexit
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

# The replayed pcap repeats its 1024 packets byte for byte: a window shorter
# than one loop at the sender's top rate (> 1 ms) keeps them all distinct.
DEDUP_US = 200

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "pylib"))


def proc_cpu_ns(pid):
    """Run time of every thread of PID, in ns (schedstat: user + system)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass  # a thread that just exited
    return total


def proc_switches(pid):
    """Context switches of every thread of PID: how often it slept and woke."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def system_busy_ns():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    tick = 1e9 / os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - idle) * tick


def make_pcap(h, path, flows=1024):
    """142 B Ethernet/IPv4/UDP frames (100 B payload), one per flow."""
    frames = [h.eth_ipv4_udp(f"10.{i >> 8 & 255}.{i & 255}.1", "10.200.0.1", 10000 + i, 80,
                             bytes(100)) for i in range(flows)]
    h.write_pcap(path, frames)


def send(h, pcap, to, packets, rate):
    args = ["--src-port", "fixed:" + str(h.free_udp_port()), "--count", str(packets),
            "--loop", str(packets // 1024 + 1), "--max-seconds", "60"]
    if rate:
        args += ["--rate", str(int(rate))]
    return h.replay(pcap, to, "vxlan", args)


def run_bare(h, bare, pcap, packets, rate, coalesce_us=0):
    port = h.free_udp_port()
    p = subprocess.Popen([bare, "127.0.0.1", str(port), str(16 << 20), "64", str(coalesce_us)],
                         stdout=subprocess.PIPE, text=True)
    if not p.stdout.readline().startswith("ready"):
        sys.exit("bare_recv did not start")
    cpu0, sys0, sw0 = proc_cpu_ns(p.pid), system_busy_ns(), proc_switches(p.pid)
    res = send(h, pcap, f"127.0.0.1:{port}", packets, rate)
    time.sleep(0.3)  # let it drain its queue
    cpu1, sys1, sw1 = proc_cpu_ns(p.pid), system_busy_ns(), proc_switches(p.pid)
    p.send_signal(signal.SIGTERM)
    out = json.loads(p.stdout.readline())
    p.wait(timeout=30)
    return {"sent": res["packets"], "pps": res["pps"], "received": out["packets"],
            "drops": res["packets"] - out["packets"], "cpu_ns": cpu1 - cpu0,
            "sys_ns": sys1 - sys0, "switches": sw1 - sw0}


def run_daemon(h, backend, threads, pcap, packets, rate, dedup_us=0):
    d = h.Daemon([("vx", "127.0.0.1", "vxlan", ())], rings=2, backend=backend,
                 ring_size="64M", rcvbuf="16M", threads=threads,
                 extra=f"[dedup]\nwindow_us = {dedup_us}\n" if dedup_us else "").start()
    dumps = []
    try:
        for r in d.ring_names():
            dm = h.Dump(r, d.ring_dir, "/dev/null")
            dm.wait_attached()
            dumps.append(dm)
        s0 = d.stats()
        cpu0, sys0, sw0 = proc_cpu_ns(d.proc.pid), system_busy_ns(), proc_switches(d.proc.pid)
        res = send(h, pcap, d.addr("vx"), packets, rate)

        def settled():
            t = d.stats()["totals"]
            return t["received"] + t["drops"]["socket"] - \
                (s0["totals"]["received"] + s0["totals"]["drops"]["socket"]) >= res["packets"]
        deadline = time.monotonic() + 30
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.05)
        cpu1, sys1, sw1 = proc_cpu_ns(d.proc.pid), system_busy_ns(), proc_switches(d.proc.pid)
        t, t0 = d.stats()["totals"], s0["totals"]
        drops = {k: v - t0["drops"][k] for k, v in t["drops"].items() if v - t0["drops"][k]}
        for dm in dumps:
            dm.stop()
        return {"sent": res["packets"], "pps": res["pps"],
                "received": t["received"] - t0["received"],
                "delivered": t["delivered"] - t0["delivered"],
                "drops": res["packets"] - (t["delivered"] - t0["delivered"]),
                "drop_reasons": drops, "cpu_ns": cpu1 - cpu0, "sys_ns": sys1 - sys0,
                "switches": sw1 - sw0}
    finally:
        for dm in dumps:
            if dm.proc.poll() is None:
                dm.proc.kill()
        d.cleanup()


def median(runs):
    key = sorted(runs, key=lambda r: r["cpu_ns"] / max(r["received"], 1))
    return key[len(key) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--packets", type=int, default=2_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--paced-fraction", type=float, default=0.7)
    ap.add_argument("--backends", default="recvmmsg,io_uring")
    ap.add_argument("--threads", default="0,1",
                    help="udpcapd [receive] threads values to run (0 = one per ring)")
    ap.add_argument("--dedup-us", type=int, default=DEDUP_US,
                    help="[dedup] window_us of the 'dedup' row (0: no such row)")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ["UDPCAP_BUILD_ROOT"] = build
    import harness as h  # after UDPCAP_BUILD_ROOT is set
    h.UDPCAPD = os.path.join(build, "daemon", "udpcapd")
    h.UDPCAPCTL = os.path.join(build, "tools", "udpcapctl")
    bare = os.path.join(build, "bench", "bare_recv")
    tmp = tempfile.mkdtemp(prefix="udpcap-bench-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    pcap = os.path.join(tmp, "flows.pcap")
    make_pcap(h, pcap)

    receivers = [("bare recvmmsg", lambda rate: run_bare(h, bare, pcap, a.packets, rate)),
                 ("bare +coalesce 200us",
                  lambda rate: run_bare(h, bare, pcap, a.packets, rate, 200))]
    for b in a.backends.split(","):
        for t in (int(x) for x in a.threads.split(",")):
            receivers.append((f"udpcapd {b} t={t}",
                              lambda rate, b=b, t=t: run_daemon(h, b, t, pcap, a.packets, rate)))
    first = a.backends.split(",")[0]
    if a.dedup_us:
        receivers.append((f"udpcapd {first} dedup",
                          lambda rate: run_daemon(h, first, 0, pcap, a.packets, rate,
                                                  a.dedup_us)))

    results = {}
    print(f"{a.packets} packets per run, 100 B inner payload (VXLAN 150 B datagrams), "
          f"1024 flows, 2 rings, median of {a.reps}; CPUs: {os.cpu_count()}")
    for load in ("max", "paced"):
        rate = 0
        if load == "paced":
            rate = a.paced_fraction * min(r["pps"] for (n, l), r in results.items()
                                          if l == "max")
        # interleaved, so a busy moment of the machine hits every receiver alike
        runs = {name: [] for name, _ in receivers}
        for _ in range(a.reps):
            for name, fn in receivers:
                try:
                    runs[name].append(fn(rate))
                except SystemExit as e:
                    print(f"  {name} at {load}: failed: {e}")
        for name, rs in runs.items():
            if rs:
                results[(name, load)] = median(rs)
        print(f"\nload {load}" + (f" ({rate:.0f} pps)" if rate else " (sender as fast as it goes)"))
        print(f"  {'receiver':<22} {'sent pps':>9} {'received':>9} {'drops':>6} "
              f"{'rx ns/pkt':>9} {'vs bare':>7} {'pkts/wake':>9} {'system ns/pkt':>13}")
        base = results.get(("bare recvmmsg", load))
        for name, _ in receivers:
            r = results.get((name, load))
            if not r:
                continue
            per = r["cpu_ns"] / max(r["received"], 1)
            ratio = per / (base["cpu_ns"] / max(base["received"], 1)) if base else float("nan")
            sysper = r["sys_ns"] / max(r["received"], 1)
            print(f"  {name:<22} {r['pps']:>9.0f} {r['received']:>9} {r['drops']:>6} "
                  f"{per:>9.0f} {ratio:>7.2f} {r['received'] / max(r['switches'], 1):>9.1f} "
                  f"{sysper:>13.0f}"
                  + (f"  drops by reason {r['drop_reasons']}" if r.get("drop_reasons") else ""))
        on = results.get((f"udpcapd {first} dedup", load))
        off = results.get((f"udpcapd {first} t=0", load))
        if on and off:
            per_on = on["cpu_ns"] / max(on["received"], 1)
            per_off = off["cpu_ns"] / max(off["received"], 1)
            print(f"  dedup cost: {per_on - per_off:+.0f} ns/pkt, {per_on / per_off:.2f}x "
                  f"udpcapd {first} t=0 without it (goal <= 30 ns; bench/bench_dedup "
                  f"measures the table alone)")
    print("\nbare +coalesce: the bare receiver sleeping 200 us after a short batch, as udpcapd "
          "does by default\n(coalesce_us = 200): the like-for-like baseline for udpcapd's own "
          "per-packet work.")
    print("t=0: [receive] threads = 0 (one receiver thread per ring, the default); t=1: one "
          "thread owns both rings' sockets.\npkts/wake: packets per context switch of the "
          "receiver (its batching). system ns/pkt counts every process on the machine.\n"
          "targets: udpcapd recvmmsg <= 1.10 x bare, io_uring <= 0.95 x bare, "
          "0 drops at the sender's max rate")


if __name__ == "__main__":
    main()
