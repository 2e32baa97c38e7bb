#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves, through the real daemon, that `udpcapctl replay --src-port random`
of the shared pcaps (plain captures as VXLAN and GENEVE, tunnel captures
as-is) puts every inner flow, both directions, into exactly one ring, uses
>= 2 rings and delivers or counts every datagram, and that the stats show
the mode in use and (ebpf) the program's per-reason "unparsed" counters, for:
- steering = ebpf, udpcapd run as nobody with only CAP_BPF (setpriv);
- steering = auto, udpcapd run as nobody with no capability: it must end in
  cbpf (checked in its log) and steer just as well;
- steering = kernel as root: the control (split flows printed);
and that an explicit steering = ebpf without CAP_BPF makes udpcapd refuse
to start with a message naming CAP_BPF.
Needs root to switch users; skips loudly otherwise."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import steerlib  # noqa: E402
from udpcap_daemon import Daemon

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
CAP_BPF_ONLY = NOBODY + ["--inh-caps=+bpf", "--ambient-caps=+bpf"]

# (capture, replay arguments, listener encap); plain captures are wrapped
PCAPS = [
    ("http-bro.org.pcap", ["--encap", "vxlan"], "vxlan"),
    ("wikipedia.pcap", ["--encap", "geneve", "--geneve-options", "2"], "geneve"),
    ("smtp.pcap", ["--encap", "geneve+vxlan"], "geneve+vxlan"),
    ("ftp-ipv6-retr-samba.pcap", ["--encap", "vxlan"], "vxlan"),
    ("tunnels-geneve-47101.pcap", ["--as-is"], "geneve"),
    ("tunnels-vxlan-encapsulated-http.pcap", ["--as-is"], "vxlan"),
]


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def send_no_vni(addr, count=3):
    """VXLAN headers without the I flag: undecodable on purpose."""
    host, port = addr.rsplit(":", 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(count):
            s.sendto(bytes(16), (host, int(port)))
    return count


def query_stats(udpcapctl, sock):
    r = subprocess.run([udpcapctl, "stats", "--json", "-s", sock], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    try:
        return json.loads(r.stdout)
    except ValueError:
        print(f"udpcapctl stats failed: {r.stdout.strip()}")
        return {}


def run(name, mode, expect, prefix, udpcapd, udpcapctl, tmp, pcap_dir):
    """One daemon per capture; returns a list of failure strings."""
    failures = []
    total_split = 0
    for pcap, args, encap in PCAPS:
        tag = f"{name}-{encap}-{pcap.split('.')[0]}"
        conf, ringdir = steerlib.config(tmp, tag, mode, f"127.0.0.1:{free_port()}", encap=encap)
        d = Daemon(config=conf, log_path=tmp(f"{tag}.log"), prefix=prefix, udpcapd=udpcapd).start()
        try:
            active = d.steering()
            dumpers = steerlib.Dumpers(udpcapctl, ringdir, d.rings, tmp.path, tag)
            try:
                r = subprocess.run([udpcapctl, "replay", os.path.join(pcap_dir, pcap), "--to",
                                    d.addr("l"), "--src-port", "random", "--rate", "20000",
                                    "--max-seconds", "30"] + args,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                sent = int(r.stdout.split()[1]) if r.stdout.startswith("sent ") else -1
                bad = send_no_vni(d.addr("l")) if encap == "vxlan" else 0
                time.sleep(1.0)
                st = query_stats(udpcapctl, tmp(f"ctl-{tag}.sock"))
            finally:
                files = dumpers.stop()
        finally:
            rc = d.stop()
        if st.get("steering") != expect:
            failures.append(f"{name} {pcap}: stats say steering {st.get('steering')}")
        # the eBPF program counts what it could not parse; stats show it
        unparsed = st.get("steering_unparsed", {}).get("vxlan_no_vni", 0)
        if unparsed != (bad if expect == "ebpf" else 0):
            failures.append(f"{name} {pcap}: steering_unparsed.vxlan_no_vni {unparsed}, "
                            f"{bad} sent")
        sent += bad
        stats = d.final_stats()
        drops = sum(v for k, v in stats.items() if k.startswith("total.drop."))
        flows, split, used, packets = steerlib.analyse(files)
        total_split += split
        print(f"{name}: {pcap} as {encap}, steering {active}: sent {sent}, in rings "
              f"{sum(packets)} {packets}, dropped {drops}, {flows} flows, {split} split, "
              f"{used} rings used")
        if active != expect:
            failures.append(f"{name} {pcap}: steering {active}, expected {expect}")
        if rc != 0:
            failures.append(f"{name} {pcap}: udpcapd exit status {rc}")
        if r.returncode != 0 or sent <= 0:
            failures.append(f"{name} {pcap}: replay failed: {r.stdout.strip()}")
        # nothing lost: every datagram is in a ring or counted (e.g. over 9216 B)
        if sum(packets) != stats.get("total.delivered") or sum(packets) + drops != sent:
            failures.append(f"{name} {pcap}: sent {sent}, {sum(packets)} in rings, daemon "
                            f"delivered {stats.get('total.delivered')}, dropped {drops}")
        if expect != "kernel" and split:
            failures.append(f"{name} {pcap}: {split} flows split across rings")
        if expect != "kernel" and flows >= 4 and used < 2:
            failures.append(f"{name} {pcap}: only {used} ring used for {flows} flows")
    if expect == "kernel":
        print(f"{name}: kernel hash split {total_split} flows in total (the control)")
        if total_split == 0:
            failures.append("kernel: no flow split (control did not show the problem)")
    return failures


def explicit_ebpf_without_cap(udpcapd, tmp):
    """steering = ebpf without CAP_BPF: udpcapd must refuse to start, saying why."""
    conf, _ = steerlib.config(tmp, "refuse", "ebpf", f"127.0.0.1:{free_port()}")
    log = tmp("refuse.log")
    with open(log, "w") as f:
        try:
            rc = subprocess.run(NOBODY + [udpcapd, "-c", conf], stdout=f, stderr=subprocess.STDOUT,
                                timeout=30).returncode
        except subprocess.TimeoutExpired:
            return ["steering = ebpf without CAP_BPF: udpcapd did not exit"]
    with open(log) as f:
        text = f.read()
    print(f"steering = ebpf as nobody without CAP_BPF: exit {rc}: "
          f"{text.strip().splitlines()[-1] if text.strip() else ''}")
    if rc == 0 or "CAP_BPF" not in text:
        return [f"steering = ebpf without CAP_BPF: exit {rc}, log: {text.strip()}"]
    return []


def main():
    if os.geteuid() != 0:
        steerlib.skip("needs root to run udpcapd as nobody with chosen capabilities")
    if not shutil.which("setpriv"):
        steerlib.skip("setpriv (util-linux) not installed")
    pcap_dir = os.environ.get("UDPCAP_PCAP_DIR", "")
    if not os.path.isdir(pcap_dir):
        steerlib.skip(f"shared pcaps not found (UDPCAP_PCAP_DIR={pcap_dir!r})")
    udpcapd, udpcapctl = steerlib.binaries()
    tmp = steerlib.Tmp("replay")
    # an exception leaves tmp (logs, pcaps) in place for inspection
    failures = run("nobody+CAP_BPF ebpf", "ebpf", "ebpf", CAP_BPF_ONLY, udpcapd, udpcapctl, tmp,
                   pcap_dir)
    failures += run("nobody no-caps auto", "auto", "cbpf", NOBODY, udpcapd, udpcapctl, tmp,
                    pcap_dir)
    failures += run("root kernel", "kernel", "kernel", [], udpcapd, udpcapctl, tmp, pcap_dir)
    failures += explicit_ebpf_without_cap(udpcapd, tmp)
    return steerlib.report(failures, tmp)


if __name__ == "__main__":
    sys.exit(main())
