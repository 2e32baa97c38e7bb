#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves udpcap_source against the real udpcapd, driven the way Zeek drives
the shmring packet source (source_reader): two readers on two rings get
every packet of a capture replayed as VXLAN with random outer source ports,
byte for byte, with its VNI, and no flow reaches both readers; then udpcapd
restarts and the same reader processes, never restarted, re-attach to the
new rings and get every packet of a second capture. Their statistics count
what they received, no drops, and the re-attach.
Usage: test_source_daemon.py SOURCE_READER"""

import collections
import os
import signal
import struct
import subprocess
import sys
import tempfile

from ringwatch import harness, wait_consumers, wait_drained  # noqa: E402

REPLAYS = [("http-bro.org.pcap", 4242), ("wikipedia.pcap", 7)]


def flow_key(data):
    """Direction-free (addresses, ports, proto) of an Ethernet frame, or None."""
    off = 12
    etype = struct.unpack_from("!H", data, off)[0]
    while etype in (0x8100, 0x88a8) and len(data) >= off + 6:
        off += 4
        etype = struct.unpack_from("!H", data, off)[0]
    ip = off + 2
    if etype == 0x0800 and len(data) >= ip + 20:
        ihl = (data[ip] & 0x0f) * 4
        proto = data[ip + 9]
        src, dst = data[ip + 12:ip + 16], data[ip + 16:ip + 20]
        frag = struct.unpack_from("!H", data, ip + 6)[0] & 0x1fff
        l4 = ip + ihl if frag == 0 else None
    elif etype == 0x86dd and len(data) >= ip + 40:
        proto = data[ip + 6]
        src, dst = data[ip + 8:ip + 24], data[ip + 24:ip + 40]
        l4 = ip + 40
    else:
        return None
    sport = dport = 0
    if l4 is not None and proto in (6, 17) and len(data) >= l4 + 4:
        sport, dport = struct.unpack_from("!HH", data, l4)
    return tuple(sorted([(src, sport), (dst, dport)])) + (proto,)


def read_out(path):
    pkts, stats = [], None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts[0] == "P":
                lt, flags, vxlan, geneve, caplen, origlen = map(int, parts[1:7])
                data = bytes.fromhex(parts[7]) if len(parts) > 7 else b""
                pkts.append((lt, flags, vxlan, data))
            elif parts[0] == "S":
                stats = list(map(int, parts[1:]))
    return pkts, stats


def main():
    reader = sys.argv[1]
    harness.require_binaries()
    pcaps = harness.pcap_dir()
    tmp = tempfile.mkdtemp(prefix="udpcap-source-daemon-")
    daemon = harness.Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, ring_size="8M")
    readers, outs = [], [os.path.join(tmp, f"reader-{i}.txt") for i in range(2)]
    expected = collections.Counter()
    try:
        daemon.start()
        for i in range(2):
            readers.append(subprocess.Popen([reader, daemon.ring_dir, f"worker-{i}", outs[i]]))
        for n, (name, vni) in enumerate(REPLAYS):
            if n:
                harness.log("restarting udpcapd; the readers keep running")
                if daemon.stop() != 0:
                    harness.fail(f"udpcapd exit status on SIGTERM:\n{daemon.read_log()}")
                daemon.start()
            wait_consumers(daemon.ring_dir, readers, "source_reader")
            frames = harness.pcap_frames(os.path.join(pcaps, name))
            harness.replay(os.path.join(pcaps, name), daemon.addr("vx"), encap="vxlan",
                           extra=["--vni", str(vni), "--src-port", "random"])
            wait_drained(daemon.ring_dir, 2, len(frames))
            expected.update((vni, f) for f in frames)
            harness.log(f"{name}: {len(frames)} packets replayed and drained")
        for r in readers:
            r.send_signal(signal.SIGTERM)
        for i, r in enumerate(readers):
            if r.wait(timeout=60) != 0:
                harness.fail(f"source_reader {i} exit status {r.returncode}")

        got, flows = collections.Counter(), []
        for i, out in enumerate(outs):
            pkts, stats = read_out(out)
            if stats is None:
                harness.fail(f"reader {i} wrote no statistics")
            received, nbytes, dropped, link, reattaches, attached = stats
            harness.log(f"reader {i}: {len(pkts)} packets, stats received={received} "
                        f"bytes={nbytes} dropped={dropped} link={link} reattaches={reattaches}")
            if (received != len(pkts) or nbytes != sum(len(p[3]) for p in pkts) or
                    dropped != 0 or link != received or reattaches < 1 or not attached):
                harness.fail(f"reader {i}: statistics do not match what it read")
            for lt, flags, vxlan, data in pkts:
                if lt != harness.LINKTYPE_EN10MB or not flags & 2:
                    harness.fail(f"reader {i}: linktype {lt} flags {flags:#x}")
                got[(vxlan, data)] += 1
            flows.append({flow_key(p[3]) for p in pkts} - {None})
        if got != expected:
            harness.fail(f"packets differ from the captures: {sum((expected - got).values())} "
                         f"missing, {sum((got - expected).values())} unexpected")
        if flows[0] & flows[1]:
            harness.fail(f"{len(flows[0] & flows[1])} flows reached both readers")
        harness.log(f"ok: {sum(got.values())} packets byte for byte over a daemon restart, "
                    f"{len(flows[0])} + {len(flows[1])} flows, none split")
    finally:
        for r in readers:
            if r.poll() is None:
                r.kill()
        daemon.cleanup()
        for out in outs:
            if os.path.exists(out):
                os.unlink(out)
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
