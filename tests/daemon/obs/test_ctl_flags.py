#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that udpcapctl's flags mean one thing across commands and that it
finds the daemon the way an operator asks: -f CONFIG everywhere (also before
the command, as 'udpcapctl -f FILE stats'), -c a count (stats --watch
samples, dump packets), -w only a file (stats rejects it); dump takes the
ring directory from -f CONFIG, and without it says where it looked and how
to point it elsewhere; a mistyped command gets the nearest one suggested;
'rings --dir' lists worker-0 .. worker-10 in natural order; SIGUSR1 makes a
running dump print its counts and go on."""
import os
import signal
import subprocess
import time

import obs_live as L  # noqa: E402


def main():
    L.harness.require_binaries()
    d = L.Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=11, ring_size="256K", metrics=True)
    dump = None
    try:
        d.start()
        r = L.ctl("-f", d.conf, "stats", "--json", check=0)
        if '"listeners"' not in r.stdout:
            L.fail(f"-f before the command: {r.stdout}")
        r = L.ctl("stats", "-f", d.conf, "--watch", "0.05", "-c", "1", check=0)
        if r.stdout.count("--- rates over") != 1:
            L.fail(f"stats -c 1 --watch: one rate sample expected:\n{r.stdout}")
        L.ctl("stats", "-w", "1", "-f", d.conf, check=2)
        r = L.ctl("--socket", d.control, "rings", check=0)
        r = L.ctl("rings", "-d", d.ring_dir, check=0)
        names = [line.split()[0] for line in r.stdout.splitlines()[1:]]
        if names != [f"worker-{i}" for i in range(11)]:
            L.fail(f"rings --dir not in natural order: {names}")

        r = L.ctl("stat", check=2)
        if "Did you mean 'udpcapctl stats'?" not in r.stderr:
            L.fail(f"no suggestion for 'stat': {r.stderr}")

        # dump without -f looks in the default directory and says how to point it
        r = L.ctl("dump", "worker-3", "-c", "1", "-w", os.path.join(d.tmp, "x.pcap"),
                  "--timeout", "1", check=5)
        if "-f ITS_CONFIG or -d DIR" not in r.stderr:
            L.fail(f"dump's 'no such ring' does not say how to find it:\n{r.stderr}")

        out = os.path.join(d.tmp, "w0.pcap")
        dump = subprocess.Popen([L.UDPCAPCTL, "-f", d.conf, "dump", "worker-0", "-w", out],
                                stderr=subprocess.PIPE, text=True)
        line = dump.stderr.readline()
        if "listening on ring 'worker-0'" not in line or d.ring_dir not in line:
            L.fail(f"dump -f did not find the ring in the config's directory: {line}")
        sent = L.send(d.port("vx"), [L.vxlan(7, L.inner_frame(i, 100)) for i in range(2000)])
        L.harness.wait_until(lambda: L.stats_json(d)["totals"]["received"] >= sent, 30,
                             "the daemon to receive")
        want = [x for x in L.stats_json(d)["rings"] if x["name"] == "worker-0"][0]["delivered"]
        time.sleep(0.3)
        dump.send_signal(signal.SIGUSR1)
        line = dump.stderr.readline()
        while line.startswith("udpcapctl dump: writing"):
            line = dump.stderr.readline()
        if line.strip() != f"{want} packets captured, 0 dropped by udpcap":
            L.fail(f"SIGUSR1: wanted the running counts ({want}), got {line!r}")
        time.sleep(0.2)
        if dump.poll() is not None:
            L.fail("dump exited on SIGUSR1")
        dump.send_signal(signal.SIGINT)
        rest = dump.stderr.read()
        if dump.wait(timeout=30) != 0 or f"{want} packets captured" not in rest:
            L.fail(f"dump after SIGINT: exit {dump.returncode}, {rest}")
    finally:
        if dump and dump.poll() is None:
            dump.kill()
            dump.wait()
        d.cleanup()
    L.log("PASS")


if __name__ == "__main__":
    main()
