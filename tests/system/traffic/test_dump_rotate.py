#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves udpcapctl dump's tcpdump-style rotation against a ring whose packets
the test knows (ring_producer, no daemon): -C starts a new file before one
grows past the limit (FILE, FILE1, ...), -C with -W keeps FILE0..FILE<N-1> and
overwrites the oldest, -G starts a new file once the interval is over with
the strftime pattern expanded, -G with -W stops by itself after that many
files and leaves the rest in the ring; across every rotation the files hold
each packet exactly once, in order, and tcpdump and tshark read the first and
last file; the rotation options' usage errors exit 2.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time

import harness as h
import ring_producer as td


def start(rings, out, *opts):
    d = h.Dump("r0", rings, out, extra=opts)
    d.wait_attached()
    return d


def last_packet(files):
    """The highest packet number in FILES so far (-1 for none)."""
    last = -1
    for f in files:
        try:
            pkts = h.read_pcap(f, tolerate_partial=True)[2]
        except (ValueError, OSError):
            continue
        for _, data, _ in pkts:
            last = max(last, int.from_bytes(data[14:22], "big"))
    return last


def packets(files):
    """[(file, [k...])] with k the producer's packet number, checked byte for byte."""
    out = []
    for f in files:
        _, nano, pkts = h.read_pcap(f)
        if pkts and not nano:
            h.fail(f"{f}: not a nanosecond pcap")
        ks = []
        for ts, data, origlen in pkts:
            k = int.from_bytes(data[14:22], "big")
            if (ts, data) != td.expected(k) or origlen != len(data):
                h.fail(f"{f}: packet {k} differs from what the producer wrote")
            ks.append(k)
        out.append((f, ks))
    return out


def total(files):
    n = 0
    for f in files:
        try:
            n += len(h.read_pcap(f, tolerate_partial=True)[2])
        except (ValueError, OSError):
            pass
    return n


def check_sequence(parts, first, last, what):
    seq = [k for _, ks in parts for k in ks]
    if seq != list(range(first, last)):
        lost = sorted(set(range(first, last)) - set(seq))
        dup = len(seq) - len(set(seq))
        h.fail(f"{what}: files hold {len(seq)} packets, expected {first}..{last - 1} "
               f"once each in order (missing {lost[:10]}, {dup} duplicates)")


def readers(parts):
    """tcpdump and tshark on the first and the last file (each start costs seconds)."""
    for f, _ in {parts[0][0]: 0, parts[-1][0]: 0}.items():
        h.check_with_readers(f, h.read_pcap(f)[2])


def main():
    if not os.access(td.PRODUCER, os.X_OK) or not os.access(h.UDPCAPCTL, os.X_OK):
        h.fail(f"helpers not built: {td.PRODUCER!r}, {h.UDPCAPCTL!r}")
    tmp = tempfile.mkdtemp(prefix="udpcap-rotate-")
    rings = os.path.join(tmp, "rings")
    os.mkdir(rings)
    prod = td.Producer(rings, "r0")
    nxt = 0
    try:
        # -C: by size; 400 packets of 76..275 bytes are ~70 kB, so about seven files
        out = os.path.join(tmp, "size.pcap")
        d = start(rings, out, "-C", "0.01")
        prod.cmd("write 400")
        nxt += 400
        h.wait_until(lambda: total(glob.glob(out + "*")) == 400, 30, "400 packets in size.pcap*")
        rc, err = d.stop()
        files = [out] + [f"{out}{i}" for i in range(1, len(glob.glob(out + "*")))]
        if rc != 0 or not all(os.path.exists(f) for f in files) or len(files) < 5:
            h.fail(f"-C 0.01: rc {rc}, files {sorted(glob.glob(out + '*'))}: {err}")
        for f in files:
            if os.path.getsize(f) > 10000:
                h.fail(f"-C 0.01: {f} is {os.path.getsize(f)} bytes, over 10000")
        if f"{len(files)} files written" not in err:
            h.fail(f"-C: summary does not say {len(files)} files: {err}")
        parts = packets(files)
        check_sequence(parts, 0, 400, "-C 0.01")
        readers(parts)
        h.log(f"ok: -C 0.01 wrote {len(files)} files of <= 10000 bytes, 400 packets once each")

        # -C with -W: a ring of three files, the oldest overwritten
        out = os.path.join(tmp, "wrap.pcap")
        d = start(rings, out, "-C", "0.005", "-W", "3")
        prod.cmd("write 400")
        first = nxt
        nxt += 400
        h.wait_until(lambda: last_packet(glob.glob(out + "*")) == nxt - 1, 30,
                     "the last packet in wrap.pcap*")
        rc, err = d.stop()
        files = sorted(glob.glob(out + "*"))
        if rc != 0 or files != [out + "0", out + "1", out + "2"]:
            h.fail(f"-C -W 3: rc {rc}, files {files}: {err}")
        parts = sorted(packets(files), key=lambda p: p[1][0] if p[1] else -1)
        tail_first = parts[0][1][0]
        if tail_first <= first:
            h.fail(f"-C -W 3: oldest packets {tail_first}.. still there: nothing overwritten")
        check_sequence(parts, tail_first, nxt, "-C 0.005 -W 3 (the newest three files)")
        readers(parts)
        h.log(f"ok: -C -W 3 keeps three files, the newest hold {tail_first}..{nxt - 1} "
              "once each")

        # -G: by time, strftime names; a batch written after the interval starts a file
        pat = os.path.join(tmp, "t-%Y%m%d-%H%M%S.pcap")
        d = start(rings, pat, "-G", "1")
        batches = []
        for _ in range(3):
            batches.append(nxt)
            prod.cmd("write 20")
            nxt += 20
            h.wait_until(lambda: total(glob.glob(os.path.join(tmp, "t-*.pcap"))) ==
                         nxt - batches[0], 30, "the batch in t-*.pcap")
            time.sleep(1.1)  # longer than -G: the next packet must rotate
        rc, err = d.stop()
        files = sorted(glob.glob(os.path.join(tmp, "t-*.pcap")))
        if rc != 0 or not all(re.fullmatch(r"t-\d{8}-\d{6}\.pcap", os.path.basename(f))
                              for f in files):
            h.fail(f"-G 1: rc {rc}, files {files}: {err}")
        parts = [p for p in packets(files) if p[1]]
        check_sequence(parts, batches[0], nxt, "-G 1")
        starts = {ks[0] for _, ks in parts}
        if not set(batches) <= starts:
            h.fail(f"-G 1: batches start at {batches}, files at {sorted(starts)}")
        readers(parts)
        h.log(f"ok: -G 1 rotated at each batch ({len(files)} files), strftime names, "
              "no packet lost or repeated")

        # -G with -W 2: two files, then the dump stops; later packets stay in the ring
        pat = os.path.join(tmp, "w-%H%M%S.pcap")
        d = start(rings, pat, "-G", "1", "-W", "2")
        first = nxt
        prod.cmd("write 10")
        nxt += 10
        h.wait_until(lambda: total(glob.glob(os.path.join(tmp, "w-*.pcap"))) == 10, 30,
                     "10 packets in w-*.pcap")
        time.sleep(1.1)
        prod.cmd("write 10")
        nxt += 10
        try:
            rc = d.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            h.fail("-G 1 -W 2: still running long after the second file's interval")
        d.reader.join(timeout=10)
        parts = packets(sorted(glob.glob(os.path.join(tmp, "w-*.pcap"))))
        if rc != 0 or len(parts) != 2:
            h.fail(f"-G 1 -W 2: rc {rc}, {len(parts)} files: {''.join(d.stderr)}")
        check_sequence(parts, first, nxt, "-G 1 -W 2")
        prod.cmd("write 5")
        rest = os.path.join(tmp, "rest.pcap")
        d = h.Dump("r0", rings, rest, count=5)
        rc, err = d.stop(sig=0)
        check_sequence(packets([rest]), nxt, nxt + 5, "after -W 2 stopped")
        nxt += 5
        h.log("ok: -G 1 -W 2 stops after two files; the next dump goes on without a gap")

        # usage errors
        for bad in (["-G", "1", "-w", os.path.join(tmp, "plain.pcap")],
                    ["-W", "3", "-w", os.path.join(tmp, "x.pcap")],
                    ["-C", "1", "-w", "-"], ["-C", "0", "-w", "x"], ["-G", "0.5", "-w", "%S"],
                    ["-C", "1", "-W", "0", "-w", "x"]):
            r = td.ctl("dump", "r0", "--dir", rings, *bad)
            if r.returncode != 2 or "udpcapctl dump:" not in r.stderr:
                h.fail(f"{bad}: exit {r.returncode}, expected 2: {r.stderr}")
        h.log("ok: rotation usage errors exit 2")
    finally:
        prod.close()
        shutil.rmtree(tmp, ignore_errors=True)
    h.log("PASS")


if __name__ == "__main__":
    main()
