#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves, against a real Zeek 9, that a site moving workers from Zeek's
built-in udp:: source to shmring:: can load both sources' vxlan_vni conn-key
scripts (policy/frameworks/conn_key/packet_source/udp/vxlan_vni and
policy/frameworks/conn_key/shmring/vxlan_vni) in one Zeek, in either order,
and gets the same conn.log from either source: the same capture replayed as
VXLAN with VNI 1 and VNI 2 into `zeek -i udp::127.0.0.1:PORT` and, through
udpcapd, into `zeek -i shmring::worker-0` gives identical #fields lines and
identical entries (uid, ts and duration aside) with id.ctx.vxlan_vni, each
VNI's entries equal to `zeek -r` on the capture.
Registered only for a Zeek with the udp:: source (Zeek 9).
Usage: test_zeek_migrate.py ZEEK PLUGIN_DIR"""

import os
import shutil
import sys
import tempfile

from ringwatch import wait_consumers, wait_drained  # noqa: E402
from test_zeek_acceptance import Zeek, compare, flow, harness, read_conn_log, reference, zeek_env  # noqa: E402

PCAP = "wikipedia.pcap"
VNIS = (1, 2)
THEIRS = "policy/frameworks/conn_key/packet_source/udp/vxlan_vni"
OURS = "policy/frameworks/conn_key/shmring/vxlan_vni"
IGNORED = {"uid", "ts", "duration"}


def fields_line(path):
    with open(path) as f:
        return next(line for line in f if line.startswith("#fields"))


def udp_socket(port):
    """(bytes queued, datagrams dropped) of the socket bound to
    127.0.0.1:port, None if unbound."""
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[1] == f"0100007F:{port:04X}":
                return int(cols[4].split(":")[1], 16), int(cols[-1])
    return None


def script(tmp, name, loads, ring_dir=None):
    path = os.path.join(tmp, f"{name}.zeek")
    with open(path, "w") as f:
        if ring_dir:
            f.write(f'redef ShmRing::ring_dir = "{ring_dir}";\n')
        f.write("".join(f"@load {s}\n" for s in loads))
    return path


def replay_all(pcap, to, drained):
    # slowly, one VNI at a time: Zeek's own socket has only the default
    # buffer (net.core.rmem_max) and this machine may be busy
    for vni in VNIS:
        harness.replay(pcap, to, encap="vxlan",
                       extra=["--vni", str(vni), "--rate", "1000"])
        drained()


def via_udp(zeek, plugin_dir, pcap, npkts, tmp):
    env, extra = zeek_env(plugin_dir)
    port = harness.free_udp_port()
    z = Zeek(zeek, env, os.path.join(tmp, "udp"),
             ["-i", f"udp::127.0.0.1:{port}", script(tmp, "udp", [THEIRS, OURS])] + extra)
    try:
        harness.wait_until(lambda: udp_socket(port) is not None or z.proc.poll() is not None,
                           60, "zeek -i udp:: to bind its port")
        if z.proc.poll() is not None:
            harness.fail(f"zeek -i udp:: exited {z.proc.returncode}:\n{z.output()}")
        replay_all(pcap, f"127.0.0.1:{port}",
                   lambda: harness.wait_until(lambda: udp_socket(port)[0] == 0, 60,
                                              "zeek -i udp:: to read it all"))
        drops = udp_socket(port)[1]
        if drops:
            harness.fail(f"zeek -i udp::'s socket dropped {drops} datagrams (its receive "
                         f"buffer overflowed: a busy machine?); the comparison needs them all")
        rc = z.stop()
        if rc != 0:
            harness.fail(f"zeek -i udp:: exited {rc}:\n{z.output()}")
    finally:
        if z.proc.poll() is None:
            z.proc.kill()
    return os.path.join(z.workdir, "conn.log")


def via_shmring(zeek, plugin_dir, pcap, npkts, tmp):
    env, extra = zeek_env(plugin_dir)
    daemon = harness.Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=1, ring_size="16M")
    z = None
    try:
        daemon.start()
        z = Zeek(zeek, env, os.path.join(tmp, "shmring"),
                 ["-i", "shmring::worker-0",
                  script(tmp, "shmring", [OURS, THEIRS], daemon.ring_dir)] + extra)
        wait_consumers(daemon.ring_dir, [z.proc], "zeek")
        sent = [0]

        def drained():
            sent[0] += npkts
            wait_drained(daemon.ring_dir, 1, sent[0])
        replay_all(pcap, daemon.addr("vx"), drained)
        rc = z.stop()
        if rc != 0:
            harness.fail(f"zeek -i shmring:: exited {rc}:\n{z.output()}")
    finally:
        if z and z.proc.poll() is None:
            z.proc.kill()
        daemon.cleanup()
    return os.path.join(z.workdir, "conn.log")


def main():
    zeek, plugin_dir = sys.argv[1], sys.argv[2]
    harness.require_binaries()
    pcap = os.path.join(harness.pcap_dir(), PCAP)
    npkts = len(harness.read_pcap(pcap)[2])
    tmp = tempfile.mkdtemp(prefix="udpcap-zeek-migrate-")
    try:
        expected = reference(zeek, plugin_dir, pcap, tmp)
        logs = {"udp::": via_udp(zeek, plugin_dir, pcap, npkts, tmp),
                "shmring::": via_shmring(zeek, plugin_dir, pcap, npkts, tmp)}
        rows = {}
        for src, path in logs.items():
            if not os.path.exists(path):
                harness.fail(f"zeek -i {src}... wrote no conn.log")
            rows[src] = read_conn_log(path)
            for v in VNIS:
                compare(expected, [r for r in rows[src] if r.get("id.ctx.vxlan_vni") == str(v)],
                        f"{src}: the connections of VNI {v}")
            if len(rows[src]) != len(VNIS) * len(expected):
                harness.fail(f"{src}: {len(rows[src])} entries, expected "
                             f"{len(VNIS)} x {len(expected)}")
        if fields_line(logs["udp::"]) != fields_line(logs["shmring::"]):
            harness.fail(f"conn.log columns differ:\nudp::     {fields_line(logs['udp::'])}"
                         f"shmring:: {fields_line(logs['shmring::'])}")

        def keyed(rs):
            return sorted(tuple(sorted((k, v) for k, v in r.items() if k not in IGNORED))
                          for r in rs)
        if keyed(rows["udp::"]) != keyed(rows["shmring::"]):
            harness.fail("udp:: and shmring:: conn.log entries differ")
        harness.log(f"ok: both vxlan_vni scripts load in either order; udp:: and shmring:: "
                    f"log the same {len(rows['udp::'])} connections "
                    f"({len({flow(r) for r in expected})} flows x VNIs {VNIS}) "
                    f"with the same columns")
    finally:
        if os.environ.get("KEEP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
