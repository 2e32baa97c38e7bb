#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Zeek soak (not a test): two `zeek -i shmring::worker-N` read udpcapd's two
rings while a capture is replayed as VXLAN at --rate for --seconds. Every
30 s it prints what was sent and each Zeek's RSS and CPU; at the end the
books must balance exactly: each Zeek's "packets received" equals its
ring's delivered, its "dropped" its ring's ring_full (+ socket drops), and
delivered + drops equals sent. Exit status 1 if they do not.

Usage: bench/zeek_soak.py BUILD_DIR ZEEK PLUGIN_DIR [--seconds S] [--rate PPS] [--pcap FILE]
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "pylib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system", "zeek"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build")
    ap.add_argument("zeek")
    ap.add_argument("plugin_dir")
    ap.add_argument("--seconds", type=int, default=180)
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--pcap", default="http-bro.org.pcap")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ["UDPCAP_BUILD_ROOT"] = build
    os.environ.setdefault("UDPCAP_SOURCE_ROOT", os.path.join(HERE, ".."))
    os.environ.setdefault("UDPCAP_PCAP_DIR", os.path.join(HERE, "..", "..", "shared", "pcaps"))
    os.environ["LD_LIBRARY_PATH"] = os.path.join(build, "lib")
    from test_zeek_acceptance import Zeek, harness, zeek_env
    from test_zeek_live import cpu_seconds
    from ringwatch import rings, wait_consumers
    pcap = a.pcap if os.path.isabs(a.pcap) else os.path.join(harness.pcap_dir(), a.pcap)
    env, extra = zeek_env(os.path.abspath(a.plugin_dir))

    tmp = tempfile.mkdtemp(prefix="udpcap-zeek-soak-")
    daemon = harness.Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, ring_size="16M")
    workers = []
    try:
        daemon.start()
        local = os.path.join(tmp, "ring.zeek")
        with open(local, "w") as f:
            f.write(f'redef ShmRing::ring_dir = "{daemon.ring_dir}";\n')
        workers = [Zeek(a.zeek, env, os.path.join(tmp, f"w{i}"),
                        ["-i", f"shmring::worker-{i}", local] + extra) for i in range(2)]
        wait_consumers(daemon.ring_dir, [w.proc for w in workers], "zeek")
        rss0 = [rss_kib(w.proc.pid) for w in workers]
        start, sent, report = time.monotonic(), 0, 30
        while time.monotonic() - start < a.seconds:
            sent += harness.replay(pcap, daemon.addr("vx"), encap="vxlan",
                                   extra=["--loop", "40", "--rate", str(a.rate),
                                          "--src-port", "random"])["packets"]
            if time.monotonic() - start >= report:
                report += 30
                print(f"{time.monotonic() - start:5.0f} s: sent {sent}, zeek RSS "
                      f"{[rss_kib(w.proc.pid) for w in workers]} KiB, CPU "
                      f"{[round(cpu_seconds(w.proc.pid), 1) for w in workers]} s", flush=True)
        harness.wait_until(lambda: all(r["used"] == 0 for r in rings(daemon.ring_dir).values()),
                           120, "the Zeeks to drain their rings")
        st = daemon.stats()
        rss1 = [rss_kib(w.proc.pid) for w in workers]
        got = []
        for w in workers:
            w.stop()
            m = re.search(r"(\d+) packets received on interface \S+, (\d+) ", w.output())
            got.append((int(m.group(1)), int(m.group(2))) if m else None)
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()
        daemon.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    socket = st["totals"]["drops"]["socket"]
    want = [(r["delivered"], r["drops"]["ring_full"] + r["drops"]["socket"]) for r in st["rings"]]
    print(f"sent {sent}; udpcapd received {st['totals']['received']}, socket drops {socket}; "
          f"per ring (delivered, dropped): {want}")
    print(f"zeek per worker (received, dropped): {got}; RSS {rss0} -> {rss1} KiB")
    delivered = sum(r["delivered"] for r in st["rings"])
    ok = got == want and delivered + sum(st["totals"]["drops"].values()) == sent
    print("books:", "exact" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
