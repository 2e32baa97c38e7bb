#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: when udpcapd is killed with SIGKILL (so its rings stay in place,
looking open), the readers can tell. `udpcapctl rings --dir` reports
producer_alive false for every ring (already while the dead daemon is a
zombie); `udpcapctl dump` and, when a Zeek is given, `zeek -i shmring::`
(both through udpcap_source) say "producer gone (pid N)" with the dead
daemon's pid; when a new udpcapd comes up on the same ring directory, both
say "re-attached", hold the new rings, and rings --dir reports the new
producer alive. Before the kill the producer is reported alive.
Usage: test_producer_gone.py [ZEEK PLUGIN_DIR]"""

import os
import signal
import subprocess
import sys
import threading
import time

import harness
from faultlib import (Daemon, Dump, fail, inner_frame, log, require_binaries, send_paced,
                      sender, vxlan, host_port, wait_until, UDPCAPD)
from ringwatch import rings


def start_zeek(zeek, plugin_dir, ring_dir, tmp):
    """zeek -i shmring::worker-1 with the test's ring dir; output collected."""
    env = dict(os.environ, ZEEK_PLUGIN_PATH=plugin_dir)
    local = os.path.join(tmp, "gone.zeek")
    with open(local, "w") as f:
        f.write(f'redef ShmRing::ring_dir = "{ring_dir}";\n'
                'redef ShmRing::check_interval = 200 msecs;\n')
    proc = subprocess.Popen([zeek, "-C", "-i", "shmring::worker-1", local], cwd=tmp, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    t = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    t.start()
    return proc, lines


def main():
    require_binaries()
    zeek = sys.argv[1:3] if len(sys.argv) == 3 else None
    d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2).start()
    z = None
    try:
        dump = Dump("worker-0", d.ring_dir, os.path.join(d.tmp, "w0.pcap"))
        dump.wait_attached()
        consumers = {"worker-0": dump.proc}
        if zeek:
            z, zlines = start_zeek(zeek[0], zeek[1], d.ring_dir, d.tmp)
            consumers["worker-1"] = z
        wait_until(lambda: all(rings(d.ring_dir).get(r, {}).get("consumer_pid") == p.pid
                               for r, p in consumers.items()), 120,
                   "the readers to attach")
        sock = sender()
        dest = host_port(d.addr("vx"))
        send_paced(sock, dest, [vxlan(1, inner_frame(i)) for i in range(500)], pps=20000)
        pid = d.proc.pid
        for name, x in rings(d.ring_dir).items():
            if x["producer_alive"] is not True or x["producer_pid"] != pid:
                fail(f"{name} before the kill: producer_alive {x['producer_alive']}, "
                     f"pid {x['producer_pid']} (udpcapd is {pid})")

        d.proc.send_signal(signal.SIGKILL)
        t0 = time.monotonic()
        # not reaped yet: a zombie is dead too
        wait_until(lambda: all(x["producer_alive"] is False
                               for x in rings(d.ring_dir).values()), 30,
                   "rings --dir to report the killed producer gone")
        d.proc.wait(timeout=30)
        d.proc = None
        gone = f"producer gone (pid {pid})"
        wait_until(lambda: gone in "".join(dump.stderr), 30, f"dump to say '{gone}'")
        log(f"dump said '{gone}' {time.monotonic() - t0:.1f} s after SIGKILL")
        if zeek:
            wait_until(lambda: gone in "".join(zlines), 30,
                       lambda: f"zeek to say '{gone}':\n{''.join(zlines)}")
            log(f"zeek said '{gone}' {time.monotonic() - t0:.1f} s after SIGKILL")
        text = subprocess.run([harness.UDPCAPCTL, "rings", "--dir", d.ring_dir],
                              capture_output=True, text=True, timeout=60).stdout
        if f"gone({pid})" not in text:
            fail(f"rings --dir does not show gone({pid}):\n{text}")

        # a new daemon on the same directory (and port): the readers follow it
        with open(d.conf) as f:
            conf = f.read()
        with open(d.conf, "w") as f:
            f.write(conf.replace("listen = 127.0.0.1:0", "listen = " + d.addr("vx")))
        d.logf = open(d.log_path, "a")
        d.proc = subprocess.Popen([UDPCAPD, "-c", d.conf], stdout=d.logf,
                                  stderr=subprocess.STDOUT)
        wait_until(lambda: all(rings(d.ring_dir).get(r, {}).get("consumer_pid") == p.pid and
                               rings(d.ring_dir)[r]["producer_pid"] == d.proc.pid
                               for r, p in consumers.items()), 60,
                   "the readers to attach to the new daemon's rings")
        wait_until(lambda: "re-attached" in "".join(dump.stderr), 30, "dump to re-attach")
        if zeek:
            wait_until(lambda: "re-attached" in "".join(zlines), 30, "zeek to re-attach")
        for name, x in rings(d.ring_dir).items():
            if x["producer_alive"] is not True:
                fail(f"{name}: the new producer is not reported alive: {x}")
        before = dump.count()
        send_paced(sock, dest, [vxlan(1, inner_frame(i)) for i in range(500)], pps=20000)
        wait_until(lambda: dump.count() > before, 30, "dump to get packets from the new daemon")
        rc, err = dump.stop()
        if rc != 0:
            fail(f"dump exited {rc}: {err}")
        if err.count(gone) != 1:
            fail(f"dump said '{gone}' {err.count(gone)} times:\n{err}")
        log("ok: producer gone reported by rings, dump" + (" and zeek" if zeek else "") +
            "; both followed the new daemon")
    finally:
        if z and z.poll() is None:
            z.kill()
            z.wait()
        d.cleanup()


if __name__ == "__main__":
    main()
