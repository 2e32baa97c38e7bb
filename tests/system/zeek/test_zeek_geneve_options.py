#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves ShmRing::get_geneve_options() against Zeek's own GENEVE analyzer:
every shared GENEVE capture (tunnels-geneve*.pcap, many-options among them)
is replayed as-is into udpcapd (encap = geneve) and read by
`zeek -i shmring::worker-0`, whose script prints the function's result for
each packet; `zeek -r` on the same captures prints, for each packet with a
GENEVE layer, the options of the innermost layer
(PacketAnalyzer::Geneve::get_options()). The two lists are identical,
packet for packet, option for option, byte for byte. The same holds for
captures built here in the AWS Gateway Load Balancer layout (options of
class 0x0108: endpoint, attachment, flow cookie, plus a critical option),
through a `geneve` listener (GENEVE -> IPv4) and through a `geneve+vxlan`
listener (GENEVE -> IPv4/UDP -> VXLAN -> Ethernet).
Registered only when meson built the plugin (zeek-config found).
Usage: test_zeek_geneve_options.py ZEEK PLUGIN_DIR"""

import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from faultlib import inner_frame
from ringwatch import wait_drained
from test_zeek_acceptance import harness, zeek_env
from test_zeek_live import kill_zeek, start_zeek, stop_zeek
from udpcap_packets import eth_ipv4_udp, geneve, ipv4_udp, vxlan

FMT = """
function fmt_opts(v: geneve_options_vec): string
	{
	local s = "";
	for ( i in v )
		s += fmt("%d/%s/%d/%s;", v[i]$class, v[i]$critical, v[i]$typ,
		         bytestring_to_hexstr(v[i]$data));
	return s == "" ? "none" : s;
	}
global out = open("options.txt");
"""

MAX_PAYLOAD = 9216  # udpcapd's largest datagram (UDPCAPD_MAX_PAYLOAD)

# zeek -r: the innermost GENEVE layer's options, "-" for a packet without one
REF = FMT + """
event raw_packet(p: raw_pkt_hdr)
	{
	local all = PacketAnalyzer::Geneve::get_options();
	print out, |all| > 0 ? fmt_opts(all[|all| - 1]) : "-";
	}
"""

# zeek -i shmring::: every packet
LIVE = FMT + """
event raw_packet(p: raw_pkt_hdr)
	{
	print out, fmt_opts(ShmRing::get_geneve_options());
	}
"""


def gwlb_options(i):
    """What AWS GWLB puts in its GENEVE header (class 0x0108: type 1 the
    endpoint id, 2 the attachment id, 3 the flow cookie), and a critical
    option of the same class with no data."""
    def opt(typ, data):
        return struct.pack("!HBB", 0x0108, typ, len(data) // 4) + data
    return (opt(1, struct.pack("!Q", 0x0a0b0c0d00000000 + i)) +
            opt(2, struct.pack("!Q", 0x1122334455667788)) +
            opt(3, struct.pack("!I", 0xc0c0a000 + i)) +
            opt(0x80 | 4, b""))


def gwlb_capture(path, layout, n=40):
    """Full frames (Ethernet/IPv4/UDP 6081/GENEVE...) as a mirror would capture them."""
    frames = []
    for i in range(n):
        inner = inner_frame(i)
        if layout == "geneve":
            tunnel = geneve(100 + i, inner[14:], proto=0x0800, opts=gwlb_options(i))
        else:
            mid = ipv4_udp("10.9.0.1", "10.9.0.2", 49152 + i, 4789, vxlan(7, inner))
            tunnel = geneve(100 + i, mid, proto=0x0800, opts=gwlb_options(i))
        frames.append(eth_ipv4_udp("172.31.0.10", "172.31.0.20", 40000 + i, 6081, tunnel))
    harness.write_pcap(path, frames)
    return path


def reference(zeek, plugin_dir, pcaps, tmp):
    env, extra = zeek_env(plugin_dir)
    lines = []
    os.makedirs(tmp)
    script = os.path.join(tmp, "ref.zeek")
    with open(script, "w") as f:
        f.write(REF)
    for i, pcap in enumerate(pcaps):
        wd = os.path.join(tmp, f"ref-{i}")
        os.makedirs(wd)
        r = subprocess.run([zeek, "-C", "-r", pcap, script] + extra, cwd=wd, env=env,
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            harness.fail(f"zeek -r {pcap}: exit {r.returncode}\n{r.stdout}{r.stderr}")
        with open(os.path.join(wd, "options.txt")) as f:
            got = f.read().splitlines()
        if all(line == "-" for line in got):
            harness.fail(f"zeek -r {pcap}: no packet with a GENEVE layer")
        lines.append(got)
    return lines


def oversized(pcap):
    """Indexes (among the capture's UDP packets) of datagrams above the
    daemon's largest receive size, which it counts as 'truncated'."""
    out = []
    for i, (_, data, _) in enumerate(harness.read_pcap(pcap)[2]):
        etype = struct.unpack_from("!H", data, 12)[0]
        ip = 20 if etype == 0x0800 else 40 if etype == 0x86dd else None
        if ip is None:
            harness.fail(f"{pcap}: packet {i + 1}: ethertype {etype:#x}")
        if len(data) - 14 - ip - 8 > MAX_PAYLOAD:
            out.append(i)
    return out


def live(zeek, plugin_dir, pcaps, encap, tmp, name):
    """The lines the shmring Zeek printed for its packets, and per capture the
    packets udpcapd counted as dropped for their size (never delivered)."""
    daemon = harness.Daemon([("gn", "127.0.0.1", encap, [])], rings=1, ring_size="16M")
    z = None
    dropped = []
    try:
        daemon.start()
        z = start_zeek(zeek, plugin_dir, daemon, tmp, name, LIVE)
        sent = delivered = truncated = 0
        for pcap in pcaps:
            sent += harness.replay(pcap, daemon.addr("gn"))["packets"]
            harness.wait_until(lambda: harness.counters_total(daemon.stats())[0] == sent, 60,
                               f"udpcapd to receive the {sent} datagrams sent")
            received, delivered, drops = harness.counters_total(daemon.stats())
            if received - delivered != drops.get("truncated", 0) or \
                    sum(drops.values()) != received - delivered:
                harness.fail(f"{os.path.basename(pcap)}: udpcapd dropped {drops}")
            # nothing else may be lost; datagrams too big for the daemon
            # (counted as truncated) must be exactly the capture's oversized ones
            big = drops.get("truncated", 0) - truncated
            truncated += big
            dropped.append(oversized(pcap) if big else [])
            if big and big != len(dropped[-1]):
                harness.fail(f"{os.path.basename(pcap)}: {big} truncated, "
                             f"{len(dropped[-1])} oversized")
            wait_drained(daemon.ring_dir, 1, delivered)
        stop_zeek(z)
        with open(os.path.join(z.workdir, "options.txt")) as f:
            return f.read().splitlines(), dropped
    finally:
        kill_zeek(z)
        daemon.cleanup()


def check(ref, live_result, pcaps, what):
    got, dropped = live_result
    # what udpcapd never delivered, and packets that are no GENEVE tunnel
    ref = [[line for j, line in enumerate(per) if j not in drop and line != "-"]
           for per, drop in zip(ref, dropped)]
    for pcap, drop in zip(pcaps, dropped):
        if drop:
            harness.log(f"{os.path.basename(pcap)}: packets {[j + 1 for j in drop]} are above "
                        f"udpcapd's receive size (counted as truncated); not compared")
    flat = [line for per in ref for line in per]
    if got == flat:
        with_opts = sum(1 for line in flat if line != "none")
        harness.log(f"ok: {what}: {len(flat)} packets ({with_opts} with options) "
                    f"identical to zeek -r")
        return
    harness.log(f"{what}: {len(got)} packets from the ring, {len(flat)} with GENEVE in zeek -r")
    i = 0
    for pcap, per in zip(pcaps, ref):
        for j, line in enumerate(per):
            if i >= len(got) or got[i] != line:
                harness.fail(f"{what}: {os.path.basename(pcap)} packet {j + 1}: "
                             f"zeek -r: {line}\nshmring: {got[i] if i < len(got) else '-'}")
            i += 1
    harness.fail(f"{what}: {len(got) - i} packets more from the ring than zeek -r has")


def main():
    zeek, plugin_dir = sys.argv[1], sys.argv[2]
    harness.require_binaries()
    tmp = tempfile.mkdtemp(prefix="udpcap-zeek-geneve-")
    try:
        shared = sorted(glob.glob(os.path.join(harness.pcap_dir(), "tunnels-geneve*.pcap")))
        if not any(p.endswith("tunnels-geneve-many-options.pcap") for p in shared):
            harness.fail(f"tunnels-geneve-many-options.pcap missing in {harness.pcap_dir()}")
        pcaps = shared + [gwlb_capture(os.path.join(tmp, "gwlb-geneve.pcap"), "geneve")]
        check(reference(zeek, plugin_dir, pcaps, os.path.join(tmp, "a")),
              live(zeek, plugin_dir, pcaps, "geneve", tmp, "geneve"), pcaps,
              "geneve: shared captures and GWLB options")
        pcaps = [gwlb_capture(os.path.join(tmp, "gwlb-geneve-vxlan.pcap"), "geneve+vxlan")]
        check(reference(zeek, plugin_dir, pcaps, os.path.join(tmp, "b")),
              live(zeek, plugin_dir, pcaps, "geneve+vxlan", tmp, "gwlb"), pcaps,
              "geneve+vxlan: GWLB options")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
