#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves, against a real Zeek, the VNI connection keys: the same capture
replayed twice, as two mirror sessions (VNI 1 and VNI 2) with the very same
addresses, gives two separate sets of connections in the conn.log of
`zeek -i shmring::worker-N`, each set equal to `zeek -r` on the capture and
tagged with its VNI. Once per conn-key script of
policy/frameworks/conn_key/shmring/: vxlan_vni over VXLAN (id.ctx.vxlan_vni),
geneve_vni over GENEVE (id.ctx.geneve_vni), and geneve_vxlan_vni over
GENEVE -> IPv4/UDP -> VXLAN, the AWS GWLB layout (both fields).
Registered only when meson built the plugin (zeek-config found).
Usage: test_zeek_vni.py ZEEK PLUGIN_DIR"""

import os
import shutil
import sys
import tempfile

from test_zeek_acceptance import compare, flow, harness, live, reference  # noqa: E402

PCAP = "wikipedia.pcap"
VNIS = (1, 2)
# (listener and replay encapsulation, conn-key script, conn.log fields it adds)
KEYS = [("vxlan", "vxlan_vni", ["id.ctx.vxlan_vni"]),
        ("geneve", "geneve_vni", ["id.ctx.geneve_vni"]),
        ("geneve+vxlan", "geneve_vxlan_vni", ["id.ctx.geneve_vni", "id.ctx.vxlan_vni"])]


def check_key(zeek, plugin_dir, pcap, expected, encap, conn_key, fields, tmp):
    os.makedirs(tmp)
    got = live(zeek, plugin_dir, [(pcap, v) for v in VNIS], tmp, encap=encap,
               conn_key=conn_key)
    rows = got[0] + got[1]

    def vni_of(r):
        # replay puts the same VNI into every tunnel header of a packet
        vals = {r.get(f) for f in fields}
        return vals.pop() if len(vals) == 1 else None

    for v in VNIS:
        compare(expected, [r for r in rows if vni_of(r) == str(v)],
                f"{conn_key}: the connections of VNI {v}")
    if len(rows) != len(VNIS) * len(expected):
        harness.fail(f"{conn_key}: {len(rows)} entries, expected {len(VNIS)} x {len(expected)}")
    split = ({(flow(r), vni_of(r)) for r in got[0]} & {(flow(r), vni_of(r)) for r in got[1]})
    if split:
        harness.fail(f"{conn_key}: connections on both workers: {sorted(split)[:10]}")
    harness.log(f"ok: {conn_key}: {len(expected)} connections per VNI, kept apart by "
                f"{' and '.join(fields)}")


def main():
    zeek, plugin_dir = sys.argv[1], sys.argv[2]
    harness.require_binaries()
    pcap = os.path.join(harness.pcap_dir(), PCAP)
    tmp = tempfile.mkdtemp(prefix="udpcap-zeek-vni-")
    try:
        expected = reference(zeek, plugin_dir, pcap, tmp)
        for i, (encap, conn_key, fields) in enumerate(KEYS):
            check_key(zeek, plugin_dir, pcap, expected, encap, conn_key, fields,
                      os.path.join(tmp, str(i)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
