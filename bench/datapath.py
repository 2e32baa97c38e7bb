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

With --plot FILE it then sweeps the offered rate (--sweep) over the bare
receiver, udpcapd with each backend and, as root, the privileged
alternative: a kernel VXLAN device in a network namespace of its own read
with AF_PACKET by tcpdump; it draws CPU per packet against the rate the
sender reached, for the receiving process and for sender + receiver (on
loopback the kernel's receive work mostly runs in the sender's context;
/proc/stat's total would count whoever else uses the machine). Needs gnuplot.

The "dedup" row is the first backend with [dedup] window_us = 200 (the
traffic has no copies, so it pays the lookup and insert of every packet);
its cost is printed against the same backend without it.

With --compare OTHER_BUILD_DIR, OTHER's udpcapd runs too, interleaved with
this build's, and a last table gives this build's CPU per packet over
OTHER's (< 1.00: this build is cheaper): how a change moved the data path.

The ring-group rows (--groups, on by default) are the first backend with 4
rings, once as one group and once with a second group of 1 ring ([rings rec]:
4 + 1 rings, a dump draining every ring); the second group's cost is printed
as the ratio of udpcapd's CPU per packet (receivers and the group's writer
thread) against the one-group row of the same run. As root, a "4+TAP" row
adds a [tap NAME] output to the one group of 4 rings: a TAP device made by
tools/udpcap-tap-setup (removed afterwards) with tcpdump -w /dev/null reading
it, so udpcapd pays the write and the kernel's delivery to a packet socket,
as it would feeding an IDS; its ratio against the one-group row is printed
too.

Usage: bench/datapath.py BUILD_DIR [--packets N] [--reps R] [--paced-fraction F]
                         [--backends recvmmsg,io_uring] [--dedup-us US] [--no-groups]
                         [--rows REGEX]
                         [--plot FILE.svg [--sweep 25000,...,max] [--sweep-seconds S]
                          [--skip-table]]
                         [--compare OTHER_BUILD_DIR]
"""
import atexit
import argparse
import json
import os
import re
import resource
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

# the second ring group of the group rows: one ring, as a recorder's
GROUP_REC = "\n[rings rec]\ncount = 1\nsize = 64M\n"

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


def children_cpu_ns():
    """User + system time of the children reaped so far (the sender, once it has run):
    on loopback the kernel's receive path mostly runs in the sender's context."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((r.ru_utime + r.ru_stime) * 1e9)


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
    snd0 = children_cpu_ns()
    res = send(h, pcap, f"127.0.0.1:{port}", packets, rate)
    snd1 = children_cpu_ns()
    time.sleep(0.3)  # let it drain its queue
    cpu1, sys1, sw1 = proc_cpu_ns(p.pid), system_busy_ns(), proc_switches(p.pid)
    p.send_signal(signal.SIGTERM)
    out = json.loads(p.stdout.readline())
    p.wait(timeout=30)
    return {"sent": res["packets"], "pps": res["pps"], "received": out["packets"],
            "drops": res["packets"] - out["packets"], "cpu_ns": cpu1 - cpu0,
            "sys_ns": sys1 - sys0, "switches": sw1 - sw0, "sender_ns": snd1 - snd0}


class TapDevice:
    """A TAP output's device for one run, made and guarded by udpcap-tap-setup,
    with tcpdump -w /dev/null reading it (root only)."""

    def __init__(self, h):
        self.setup = os.path.join(HERE, "..", "tools", "udpcap-tap-setup")
        self.name = f"udpcapb{os.getpid() % 100000}"
        subprocess.run([self.setup, "--user", "root", self.name], check=True,
                       stdout=subprocess.DEVNULL)
        self.reader = subprocess.Popen(["tcpdump", "-i", self.name, "-n", "-B", "65536",
                                        "-w", "/dev/null"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, text=True)
        if "listening on" not in self.reader.stderr.readline():
            self.close()
            sys.exit("tcpdump did not start on the TAP")

    def close(self):
        if self.reader.poll() is None:
            self.reader.send_signal(signal.SIGINT)
            self.reader.communicate(timeout=30)
        subprocess.run([self.setup, "--remove", self.name], check=False)


def run_daemon(h, backend, threads, pcap, packets, rate, dedup_us=0, udpcapd=None, rings=2,
               groups="", tap=False):
    if tap:
        dev = TapDevice(h)
        try:
            return run_daemon(h, backend, threads, pcap, packets, rate, dedup_us, udpcapd, rings,
                              groups + f"\n[tap bench]\ninterface = {dev.name}\n")
        finally:
            dev.close()
    d = h.Daemon([("vx", "127.0.0.1", "vxlan", ())], rings=rings, backend=backend,
                 ring_size="64M", rcvbuf="16M", threads=threads, udpcapd=udpcapd,
                 extra=(f"[dedup]\nwindow_us = {dedup_us}\n" if dedup_us else "") +
                 groups).start()
    dumps = []
    try:
        names = d.ring_names() + [r["name"] for r in d.stats()["rings"]
                                  if r.get("group", "default") != "default"]
        for r in names:
            dm = h.Dump(r, d.ring_dir, "/dev/null")
            dm.wait_attached()
            dumps.append(dm)
        s0 = d.stats()
        cpu0, sys0, sw0 = proc_cpu_ns(d.proc.pid), system_busy_ns(), proc_switches(d.proc.pid)
        snd0 = children_cpu_ns()
        res = send(h, pcap, d.addr("vx"), packets, rate)
        snd1 = children_cpu_ns()

        def settled():
            t = d.stats()["totals"]
            return t["received"] + t["drops"]["socket"] - \
                (s0["totals"]["received"] + s0["totals"]["drops"]["socket"]) >= res["packets"]
        deadline = time.monotonic() + 30
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.05)
        cpu1, sys1, sw1 = proc_cpu_ns(d.proc.pid), system_busy_ns(), proc_switches(d.proc.pid)
        s1 = d.stats()
        t, t0 = s1["totals"], s0["totals"]
        drops = {k: v - t0["drops"][k] for k, v in t["drops"].items() if v - t0["drops"][k]}
        for tap, tap0 in zip(s1.get("taps", []), s0.get("taps", [])):
            for k, v in tap["drops"].items():
                if v - tap0["drops"][k]:
                    drops[f"tap {k}"] = v - tap0["drops"][k]
        for dm in dumps:
            dm.stop()
        return {"sent": res["packets"], "pps": res["pps"],
                "received": t["received"] - t0["received"],
                "delivered": t["delivered"] - t0["delivered"],
                "drops": res["packets"] - (t["delivered"] - t0["delivered"]),
                "drop_reasons": drops, "cpu_ns": cpu1 - cpu0, "sys_ns": sys1 - sys0,
                "switches": sw1 - sw0, "sender_ns": snd1 - snd0}
    finally:
        for dm in dumps:
            if dm.proc.poll() is None:
                dm.proc.kill()
        d.cleanup()


def run_kernel(h, pcap, packets, rate):
    """The privileged alternative: a kernel VXLAN device in a network namespace
    of our own, read with AF_PACKET by tcpdump (TPACKET_V3 ring, -w /dev/null);
    the sender runs in that namespace too. Root only."""
    ns = f"udpcapbench{os.getpid()}"

    def ip(*args):
        subprocess.run(["ip", "netns", "exec", ns] + list(args), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        ip("ip", "link", "set", "lo", "up")
        # IPv4 only: the device's own IPv6 neighbour discovery would be captured too
        ip("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        ip("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        ip("ip", "link", "add", "vxb", "type", "vxlan", "id", "1", "dstport", "4789",
           "local", "127.0.0.1", "dev", "lo")
        ip("ip", "link", "set", "vxb", "up")
        p = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", "vxb", "-n", "-B",
                              "16384", "-w", "/dev/null"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if "listening on" not in p.stderr.readline():
            p.kill()
            sys.exit("tcpdump did not start on the VXLAN device")
        cpu0, sys0, sw0 = proc_cpu_ns(p.pid), system_busy_ns(), proc_switches(p.pid)
        args = ["ip", "netns", "exec", ns, h.UDPCAPCTL, "replay", pcap, "--to",
                "127.0.0.1:4789", "--encap", "vxlan", "--json", "--count", str(packets),
                "--loop", str(packets // 1024 + 1), "--max-seconds", "60"]
        if rate:
            args += ["--rate", str(int(rate))]
        snd0 = children_cpu_ns()
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        snd1 = children_cpu_ns()
        if r.returncode != 0:
            p.kill()
            sys.exit(f"replay into the namespace failed: {r.stderr}")
        res = json.loads(r.stdout)
        # tcpdump takes a TPACKET_V3 block when it is full or after 1 s
        time.sleep(1.3)
        cpu1, sys1, sw1 = proc_cpu_ns(p.pid), system_busy_ns(), proc_switches(p.pid)
        p.send_signal(signal.SIGINT)
        err = p.communicate(timeout=30)[1]
        got = re.search(r"(\d+) packets? captured", err)
        received = int(got.group(1)) if got else 0
        return {"sent": res["packets"], "pps": res["pps"], "received": received,
                "drops": res["packets"] - received, "cpu_ns": cpu1 - cpu0,
                "sys_ns": sys1 - sys0, "switches": sw1 - sw0, "sender_ns": snd1 - snd0}
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def sweep(receivers, rates, seconds, packets_max, reps):
    """{name: [(offered pps, receiver ns/pkt, sender + receiver ns/pkt)]} over RATES
    (0 = max). The second measure, not /proc/stat's system total, because this
    may run on a machine that others share."""
    points = {name: [] for name, _ in receivers}
    for rate in rates:
        packets = packets_max if not rate else max(1000, int(rate * seconds))
        for name, fn in receivers:
            runs = []
            for _ in range(reps):
                try:
                    runs.append(fn(rate, packets))
                except SystemExit as e:
                    print(f"  {name} at {rate or 'max'} pps: failed: {e}")
            if runs:
                r = median(runs)
                n = max(r["received"], 1)
                both = (r["cpu_ns"] + r["sender_ns"]) / n
                points[name].append((r["pps"], r["cpu_ns"] / n, both))
                print(f"  {name:<28} offered {r['pps']:>9.0f} pps  receiver "
                      f"{r['cpu_ns'] / n:>6.0f} ns/pkt  sender + receiver {both:>6.0f} ns/pkt"
                      f"  drops {r['drops']}")
    return points


def plot(points, path, title):
    """An SVG (or PNG, by PATH's suffix) of both CPU measures against offered rate."""
    gp = shutil.which("gnuplot")
    if not gp:
        sys.exit("--plot needs gnuplot (Debian package gnuplot-nox)")
    data = path + ".dat"
    series = [(name, pts) for name, pts in points.items() if pts]
    with open(data, "w") as f:
        for name, pts in series:
            f.write(f"# {name}\n")
            for x, rx, sy in sorted(pts):
                f.write(f"{x / 1000:.1f} {rx:.1f} {sy:.1f}\n")
            f.write("\n\n")
    term = "pngcairo size 1200,480" if path.endswith(".png") else \
        "svg size 1200,480 dynamic font 'sans,11'"
    curves = ", ".join(f"'{data}' index {i} using 1:COL with linespoints title '{name}'"
                       for i, (name, _) in enumerate(series))
    script = f"""set terminal {term}
set termoption noenhanced
set output '{path}'
set multiplot layout 1,2 title '{title}'
set grid
set key top right
set xlabel 'offered rate (kpps)'
set ylabel 'CPU ns per packet received'
set yrange [0:*]
set title 'receiving process (udpcapd, bare receiver, tcpdump)'
plot {curves.replace('COL', '2')}
set title 'sender + receiver processes (with the kernel work done for them)'
plot {curves.replace('COL', '3')}
unset multiplot
"""
    subprocess.run([gp], input=script, text=True, check=True)
    os.unlink(data)
    print(f"plot written to {path}")


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
    ap.add_argument("--no-groups", dest="groups", action="store_false",
                    help="leave out the ring-group rows")
    ap.add_argument("--rows", metavar="REGEX",
                    help="only the receivers whose row name matches (bare recvmmsg always)")
    ap.add_argument("--plot", metavar="FILE",
                    help="also sweep the offered rate and draw CPU per packet (SVG, or PNG "
                    "if FILE ends in .png; needs gnuplot)")
    ap.add_argument("--sweep", default="25000,50000,100000,200000,400000,max",
                    help="offered rates of the sweep, pps, 'max' = as fast as the sender goes")
    ap.add_argument("--sweep-seconds", type=float, default=2.0,
                    help="length of each paced run of the sweep")
    ap.add_argument("--skip-table", action="store_true",
                    help="only the sweep and the plot")
    ap.add_argument("--compare", metavar="OTHER_BUILD_DIR",
                    help="also run that build's udpcapd and compare CPU per packet")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ["UDPCAP_BUILD_ROOT"] = build
    import harness as h  # after UDPCAP_BUILD_ROOT is set
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
            if a.compare:
                other = os.path.join(os.path.abspath(a.compare), "daemon", "udpcapd")
                receivers.append((f"other {b} t={t}",
                                  lambda rate, b=b, t=t, o=other:
                                  run_daemon(h, b, t, pcap, a.packets, rate, udpcapd=o)))
    first = a.backends.split(",")[0]
    if a.dedup_us:
        receivers.append((f"udpcapd {first} dedup",
                          lambda rate: run_daemon(h, first, 0, pcap, a.packets, rate,
                                                  a.dedup_us)))

    if a.groups:
        receivers.append((f"udpcapd {first} 1 group",
                          lambda rate: run_daemon(h, first, 0, pcap, a.packets, rate, rings=4)))
        receivers.append((f"udpcapd {first} 4+1",
                          lambda rate: run_daemon(h, first, 0, pcap, a.packets, rate, rings=4,
                                                  groups=GROUP_REC)))
        if os.geteuid() == 0 and shutil.which("tcpdump") and shutil.which("nft"):
            receivers.append((f"udpcapd {first} 4+TAP",
                              lambda rate: run_daemon(h, first, 0, pcap, a.packets, rate,
                                                      rings=4, tap=True)))
        else:
            print("not root (or no tcpdump or nft): the 4+TAP row is left out")
    if a.rows:
        receivers = [r for r in receivers
                     if r[0] == "bare recvmmsg" or re.search(a.rows, r[0])]

    if a.plot:
        # the sweep's own receivers: each backend once, and the kernel path as root
        swept = [("bare recvmmsg", lambda rate, n: run_bare(h, bare, pcap, n, rate))]
        for b in a.backends.split(","):
            swept.append((f"udpcapd {b}",
                          lambda rate, n, b=b: run_daemon(h, b, 0, pcap, n, rate)))
        if os.geteuid() == 0 and shutil.which("tcpdump"):
            swept.append(("kernel vxlan + AF_PACKET",
                          lambda rate, n: run_kernel(h, pcap, n, rate)))
        else:
            print("not root (or no tcpdump): the kernel VXLAN + AF_PACKET path is left out")
    if a.skip_table:
        if not a.plot:
            sys.exit("--skip-table without --plot leaves nothing to do")
        do_plot(a, swept)
        return
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
        def cost(what, row, base, note):
            """One row's CPU per packet against another's of the same load."""
            r, b = results.get((row, load)), results.get((base, load))
            if r and b:
                per, per_b = (x["cpu_ns"] / max(x["received"], 1) for x in (r, b))
                print(f"  {what}: {per - per_b:+.0f} ns/pkt, {per / per_b:.2f}x {base} {note}")
        one = f"udpcapd {first} 1 group"
        cost("second ring group", f"udpcapd {first} 4+1", one,
             "(one group of 4 rings; goal <= 1.3x)")
        cost("TAP output", f"udpcapd {first} 4+TAP", one,
             "(one group of 4 rings; a write and the kernel's delivery to one packet socket "
             "per packet)")
        cost("dedup cost", f"udpcapd {first} dedup", f"udpcapd {first} t=0",
             "without it (goal <= 30 ns; bench/bench_dedup measures the table alone)")
    if a.compare:
        print(f"\nthis build's udpcapd CPU per packet over {a.compare}'s (< 1.00: cheaper)")
        for (name, load), r in sorted(results.items()):
            o = results.get((name.replace("udpcapd ", "other ", 1), load))
            if name.startswith("udpcapd ") and o:
                print(f"  {name:<22} {load:<6} "
                      f"{(r['cpu_ns'] / max(r['received'], 1)) / (o['cpu_ns'] / max(o['received'], 1)):.2f}")
    print("\nbare +coalesce: the bare receiver sleeping 200 us after a short batch, as udpcapd "
          "does by default\n(coalesce_us = 200): the like-for-like baseline for udpcapd's own "
          "per-packet work.")
    print("t=0: [receive] threads = 0 (one receiver thread per ring, the default); t=1: one "
          "thread owns both rings' sockets.\npkts/wake: packets per context switch of the "
          "receiver (its batching). system ns/pkt counts every process on the machine.\n"
          "targets: udpcapd recvmmsg <= 1.10 x bare, io_uring <= 0.95 x bare, "
          "0 drops at the sender's max rate")
    if a.plot:
        do_plot(a, swept)


def do_plot(a, swept):
    rates = [0 if r == "max" else int(r) for r in a.sweep.split(",")]
    print(f"\nsweep: offered rate {a.sweep} pps, {a.sweep_seconds} s per paced run, "
          f"{a.packets} packets at max, median of {a.reps}")
    points = sweep(swept, rates, a.sweep_seconds, a.packets, a.reps)
    plot(points, os.path.abspath(a.plot),
         f"CPU per packet, VXLAN 150 B datagrams (100 B inner payload), {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
