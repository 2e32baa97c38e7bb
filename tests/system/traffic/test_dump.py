#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves udpcapctl dump against a ring whose packets the test knows (written
by the ring_producer helper, no daemon): the pcap has nanosecond timestamps,
the ring's link type and every packet byte for byte, and tcpdump -r and
tshark -r read it; -c stops at COUNT; SIGINT flushes and prints the
tcpdump-like summary; -w - streams to a pipe and stops when the reader goes; a second consumer gets exit 6
naming the first one's pid; an unknown ring exits 5; a bad option exits 2;
a producer that restarts (replaces the ring) is followed without losing a
packet; a ring of another link type gives that link type in the file.
"""
import os
import shutil
import signal
import subprocess
import tempfile

import harness as h
from ring_producer import PRODUCER, Producer, ctl, expected


def check_file(path, first, n, linktype=h.LINKTYPE_EN10MB):
    lt, nano, pkts = h.read_pcap(path)
    if not nano:
        h.fail(f"{path}: not a nanosecond pcap")
    if lt != linktype:
        h.fail(f"{path}: link type {lt}, expected {linktype}")
    if len(pkts) != n:
        h.fail(f"{path}: {len(pkts)} packets, expected {n}")
    for i, (ts, data, origlen) in enumerate(pkts):
        if (ts, data) != expected(first + i) or origlen != len(data):
            h.fail(f"{path}: packet {i} differs from packet {first + i} written")
    return pkts


def main():
    if not os.access(PRODUCER, os.X_OK) or not os.access(h.UDPCAPCTL, os.X_OK):
        h.fail(f"helpers not built: {PRODUCER!r}, {h.UDPCAPCTL!r}")
    tmp = tempfile.mkdtemp(prefix="udpcap-dump-")
    rings = os.path.join(tmp, "rings")
    os.mkdir(rings)
    prod = Producer(rings, "r0")
    try:
        # -c COUNT: stops by itself; the readers agree with the file
        out = os.path.join(tmp, "a.pcap")
        d = h.Dump("r0", rings, out, count=10)
        d.wait_attached()
        prod.cmd("write 25")
        rc, err = d.stop(sig=0)
        if rc != 0 or "10 packets captured, 0 dropped by udpcap" not in err:
            h.fail(f"dump -c 10: rc {rc}: {err}")
        pkts = check_file(out, 0, 10)
        h.check_with_readers(out, pkts)
        h.log("ok: -c 10, nanosecond pcap, tcpdump and tshark read it")

        # the 15 left in the ring, then SIGINT: flushed, summary printed
        out = os.path.join(tmp, "b.pcap")
        d = h.Dump("r0", rings, out)
        d.wait_attached()
        h.wait_until(lambda: d.count() == 15, 30, "15 packets in b.pcap")
        busy = ctl("dump", "r0", "--dir", rings, "-w", os.path.join(tmp, "busy.pcap"))
        if busy.returncode != 6 or str(d.proc.pid) not in busy.stderr:
            h.fail(f"second consumer: exit {busy.returncode}, expected 6 naming pid "
                   f"{d.proc.pid}: {busy.stderr}")
        h.log(f"ok: second consumer exits 6: {busy.stderr.strip()}")
        # the producer restarts: the dump follows to the new ring
        prod.cmd("restart")
        prod.cmd("write 5")
        h.wait_until(lambda: d.count() == 20, 30, "20 packets in b.pcap across a restart")
        rc, err = d.stop(signal.SIGINT)
        if rc != 0 or "20 packets captured, 0 dropped by udpcap" not in err:
            h.fail(f"dump after SIGINT: rc {rc}: {err}")
        check_file(out, 10, 20)
        h.log("ok: SIGINT flushes; a replaced ring is re-attached without loss")

        # -w - into a pipe read by tcpdump; --timeout ends it
        prod.cmd("write 3")
        dump = subprocess.Popen([h.UDPCAPCTL, "dump", "r0", "--dir", rings, "-w", "-",
                                 "--timeout", "2"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        td = subprocess.run(["tcpdump", "-r", "-", "-n"], stdin=dump.stdout,
                            capture_output=True, text=True, timeout=60)
        dump.stdout.close()
        if dump.wait(timeout=60) != 0 or len([x for x in td.stdout.splitlines() if x[:1].isdigit()]) != 3:
            h.fail(f"dump -w - | tcpdump -r -: {td.stdout!r} {td.stderr!r}")
        h.log("ok: -w - | tcpdump -r - sees 3 packets; --timeout ends the dump")

        # the reader of -w - goes away: dump stops by itself, exit 0
        prod.cmd("write 300")
        dump = subprocess.Popen([h.UDPCAPCTL, "dump", "r0", "--dir", rings, "-w", "-",
                                 "--timeout", "600"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        head = subprocess.run(["head", "-c", "100"], stdin=dump.stdout, capture_output=True,
                              timeout=60)
        dump.stdout.close()
        try:
            rc = dump.wait(timeout=60)
        except subprocess.TimeoutExpired:
            dump.kill()
            h.fail("dump -w - kept running after its reader closed the pipe")
        if rc != 0 or len(head.stdout) != 100:
            h.fail(f"dump -w - | head: exit {rc}: {dump.stderr.read()}")
        dump.stderr.close()
        h.log("ok: dump -w - stops cleanly when its reader closes the pipe")

        # errors
        r = ctl("dump", "nosuchring", "--dir", rings, "-w", os.path.join(tmp, "x.pcap"))
        if r.returncode != 5 or "nosuchring" not in r.stderr:
            h.fail(f"unknown ring: exit {r.returncode}: {r.stderr}")
        for bad in (["dump"], ["dump", "r0", "-c", "0", "-w", "x"],
                    ["dump", "r0", "--bogus"], ["dump", "r0", "--linktype", "x", "-w", "y"]):
            r = ctl(*bad)
            if r.returncode != 2 or "udpcapctl dump:" not in r.stderr:
                h.fail(f"{bad}: exit {r.returncode}, expected 2: {r.stderr}")
        r = ctl("dump", "r0", "--dir", rings, "-w", "/nonexistent-dir/x.pcap")
        if r.returncode != 1 or "/nonexistent-dir/x.pcap" not in r.stderr:
            h.fail(f"unwritable output: exit {r.returncode}, expected 1 naming it: {r.stderr}")
        if ctl("dump", "--help").returncode != 0:
            h.fail("dump --help failed")
        h.log("ok: unknown ring exits 5, usage errors exit 2, an unwritable file exits 1")
    finally:
        prod.close()

    # a raw-IP ring gives a raw-IP pcap
    prod = Producer(rings, "r1", h.LINKTYPE_RAW)
    try:
        out = os.path.join(tmp, "raw.pcap")
        d = h.Dump("r1", rings, out, count=2)
        d.wait_attached()
        prod.cmd("write 2")
        rc, err = d.stop(sig=0)
        if rc != 0:
            h.fail(f"raw ring dump: {err}")
        check_file(out, 0, 2, h.LINKTYPE_RAW)
        h.log("ok: a raw-IP ring gives a LINKTYPE_RAW file")
    finally:
        prod.close()
        shutil.rmtree(tmp, ignore_errors=True)
    h.log("PASS")


if __name__ == "__main__":
    main()
