#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves, against a real Zeek, the VNI connection keys: the same capture
replayed twice, as two mirror sessions (VXLAN VNI 1 and VNI 2) with the
very same addresses, gives two separate sets of connections in the
conn.log of `zeek -i shmring::worker-N` with
@load policy/frameworks/conn_key/shmring/vxlan_vni, each set equal to
`zeek -r` on the capture and tagged with its id.ctx.vxlan_vni.
Registered only when meson built the plugin (zeek-config found).
Usage: test_zeek_vni.py ZEEK PLUGIN_DIR"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_zeek_acceptance import compare, flow, harness, live, reference  # noqa: E402

PCAP = "wikipedia.pcap"
VNIS = (1, 2)


def main():
    zeek, plugin_dir = sys.argv[1], sys.argv[2]
    harness.require_binaries()
    pcap = os.path.join(harness.pcap_dir(), PCAP)
    tmp = tempfile.mkdtemp(prefix="udpcap-zeek-vni-")
    try:
        expected = reference(zeek, plugin_dir, pcap, tmp)
        got = live(zeek, plugin_dir, [(pcap, v) for v in VNIS], tmp)
        rows = got[0] + got[1]
        for v in VNIS:
            compare(expected, [r for r in rows if r.get("id.ctx.vxlan_vni") == str(v)],
                    f"the connections of VNI {v}")
        if len(rows) != len(VNIS) * len(expected):
            harness.fail(f"{len(rows)} entries, expected {len(VNIS)} x {len(expected)}")
        split = ({(flow(r), r["id.ctx.vxlan_vni"]) for r in got[0]} &
                 {(flow(r), r["id.ctx.vxlan_vni"]) for r in got[1]})
        if split:
            harness.fail(f"connections on both workers: {sorted(split)[:10]}")
        harness.log(f"ok: {len(expected)} connections per VNI, kept apart by id.ctx.vxlan_vni")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
