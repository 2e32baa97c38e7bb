#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves udpcapctl dump survives a udpcapd restart: with one ring, a dump
attached before the first daemon stops keeps running while no ring exists,
re-attaches to the ring the second daemon creates, and its one file holds the
packets of both runs, in order, byte for byte.
"""
import atexit
import os
import shutil
import sys
import tempfile

import harness as h  # noqa: E402


def main():
    h.require_binaries()
    tmp = tempfile.mkdtemp(prefix="udpcap-restart-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    first = [h.eth_ipv4_udp("10.0.0.1", "10.0.0.2", 1000 + i, 53, b"first %d" % i)
             for i in range(20)]
    second = [h.eth_ipv4_udp("10.0.0.1", "10.0.0.2", 2000 + i, 53, b"second %d" % i)
              for i in range(30)]
    h.write_pcap(os.path.join(tmp, "first.pcap"), first)
    h.write_pcap(os.path.join(tmp, "second.pcap"), second)
    out = os.path.join(tmp, "dump.pcap")
    d = h.Daemon([("vx", "127.0.0.1", "vxlan", ())], rings=1).start()
    try:
        dm = h.Dump("worker-0", d.ring_dir, out)
        dm.wait_attached()
        h.replay(os.path.join(tmp, "first.pcap"), d.addr("vx"), "vxlan")
        h.wait_until(lambda: dm.count() == len(first), 30, "the first run's packets")
        if d.stop() != 0:
            h.fail(f"udpcapd exited non-zero on SIGTERM:\n{d.read_log()}")
        if dm.proc.poll() is not None:
            h.fail(f"dump exited when the daemon stopped: {''.join(dm.stderr)}")
        d.start()
        h.replay(os.path.join(tmp, "second.pcap"), d.addr("vx"), "vxlan")
        h.wait_until(lambda: dm.count() == len(first) + len(second), 60,
                     lambda: f"both runs' packets (have {dm.count()}; dump said "
                     f"{''.join(dm.stderr)!r})")
        rc, err = dm.stop()
        if rc != 0 or "re-attached" not in err:
            h.fail(f"dump: exit {rc}, expected a re-attach: {err}")
        pkts = h.read_pcap(out)[2]
        if [p[1] for p in pkts] != first + second:
            h.fail("the dump does not hold both runs' packets in order")
        h.log(f"ok: one dump across a daemon restart: {len(pkts)} packets; {err.strip()}")
    finally:
        d.cleanup()
    h.log("PASS")


if __name__ == "__main__":
    main()
