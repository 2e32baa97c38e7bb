# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the traffic tests (not a test): the real udpcapd
(udpcap_daemon.Daemon, re-exported), udpcapctl replay and dump, pcap files
read and written with the standard library, tshark/tcpdump as independent
readers of what dump wrote."""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from udpcap_daemon import (BUILD, SANITIZED, UDPCAPCTL, UDPCAPD, Daemon, _children,  # noqa: F401
                           fmt_addr)
from udpcap_packets import (checksum, eth_ipv4_udp, ether, geneve, inner_frame,  # noqa: F401
                            ipv4_udp, vxlan)
from udpcap_procs import stop_process

MAX_PAYLOAD = 65535  # udpcapd receives every datagram whole, up to the largest UDP payload
SOURCE = os.environ.get("UDPCAP_SOURCE_ROOT", "")
PCAPS = os.environ.get("UDPCAP_PCAP_DIR", "")

SKIP = 77
LINKTYPE_EN10MB = 1
LINKTYPE_RAW = 101

PLAIN_PCAPS = ["wikipedia.pcap", "http-bro.org.pcap", "http-pipelined-requests.pcap",
               "smtp.pcap", "ftp-ipv6-retr-samba.pcap", "dns53.pcap"]
# tunnel capture -> the listener encapsulation that decodes it
TUNNEL_PCAPS = {
    "tunnels-vxlan.pcap": "vxlan",
    "tunnels-vxlan-encapsulated-http.pcap": "vxlan",
    "tunnels-vxlan-triple-v2.pcap": "vxlan",
    "tunnels-geneve.pcap": "geneve",
    "tunnels-geneve-many-options.pcap": "geneve",
    "tunnels-geneve-47101.pcap": "geneve",
    "tunnels-geneve-ipv6.pcap": "geneve",
    "tunnels-geneve-tagged-udp-packet.pcap": "geneve",
    "tunnels-geneve-vxlan-dns-truncated.pcap": "geneve+vxlan",
}


def log(*args):
    print(*args, flush=True)


def fail(msg):
    log("FAIL: " + msg)
    sys.exit(1)


def skip(msg):
    log("SKIP: " + msg)
    print("SKIP: " + msg, file=sys.stderr, flush=True)
    sys.exit(SKIP)


def require_binaries():
    for path in (UDPCAPD, UDPCAPCTL):
        if not os.access(path, os.X_OK):
            fail(f"{path} is not built (UDPCAP_BUILD_ROOT={BUILD!r})")


def pcap_dir():
    if not PCAPS or not os.path.isdir(PCAPS):
        skip(f"the shared captures are absent (UDPCAP_PCAP_DIR={PCAPS!r}); "
             "this test replays ../shared/pcaps")
    return PCAPS


# ------------------------------------------------------------------ pcap files

def read_pcap(path, tolerate_partial=False):
    """(linktype, nanosecond?, [(ts_ns, data, origlen)]). A record cut short at
    the end (a file still being written) is ignored if tolerate_partial."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 24:
        if tolerate_partial:
            return None, None, []
        raise ValueError(f"{path}: {len(raw)} bytes, no pcap header")
    magic = struct.unpack("<I", raw[:4])[0]
    endian = "<"
    if magic in (0xd4c3b2a1, 0x4d3cb2a1):
        endian = ">"
        magic = struct.unpack(">I", raw[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        raise ValueError(f"{path}: not a pcap file (magic {magic:#x})")
    nano = magic == 0xa1b23c4d
    linktype = struct.unpack(endian + "I", raw[20:24])[0] & 0x0fffffff
    pkts, off = [], 24
    while off + 16 <= len(raw):
        sec, frac, caplen, origlen = struct.unpack(endian + "IIII", raw[off:off + 16])
        if off + 16 + caplen > len(raw):
            if tolerate_partial:
                break
            raise ValueError(f"{path}: record at {off} runs past the end")
        ts = sec * 10**9 + (frac if nano else frac * 1000)
        pkts.append((ts, raw[off + 16:off + 16 + caplen], origlen))
        off += 16 + caplen
    if off != len(raw) and not tolerate_partial:
        raise ValueError(f"{path}: {len(raw) - off} trailing bytes")
    return linktype, nano, pkts


def write_pcap(path, frames, linktype=LINKTYPE_EN10MB):
    """Microsecond pcap of the byte strings in frames, 1 ms apart."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype))
        for i, data in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i * 1000, len(data), len(data)))
            f.write(data)


def pcap_frames(path):
    return [data for _, data, _ in read_pcap(path)[2]]


# ------------------------------------------------------------------ tshark/tcpdump

def tshark_inner_frames(path, encap):
    """For each packet of a tunnel capture, the packet its first tunnel of type
    ENCAP carries, as tshark dissects it: from the end of that tunnel header
    (GENEVE options included) to the end of the captured data. For
    geneve+vxlan that is what follows the VXLAN header inside the GENEVE.
    Returns [(bytes, linktype, outer UDP payload bytes captured)]; the link
    type is Ethernet, or raw IP when GENEVE carries IP."""
    layer = "geneve_raw" if encap == "geneve" else "vxlan_raw"
    out = subprocess.run(["tshark", "-r", path, "-T", "json", "-x", "--no-duplicate-keys"],
                         capture_output=True, text=True, check=True).stdout
    frames = []
    for pkt in json.loads(out):
        layers = pkt["_source"]["layers"]
        whole = bytes.fromhex(layers["frame_raw"][0])
        raw = layers.get(layer)
        if raw is None:
            raise ValueError(f"{path}: tshark found no {layer[:-4]} header")
        if isinstance(raw[0], str):  # one occurrence: [hex, pos, len, mask, type]
            raw = [raw]
        start = raw[0][1] + raw[0][2]
        eth = layers.get("eth_raw", [])
        eth_starts = [eth[1]] if eth and isinstance(eth[0], str) else [e[1] for e in eth]
        udp = layers["udp_raw"]
        udp_pos = udp[1] if isinstance(udp[0], str) else udp[0][1]
        frames.append((whole[start:], LINKTYPE_EN10MB if start in eth_starts else LINKTYPE_RAW,
                       len(whole) - udp_pos - 8))
    return frames


def tcpdump_packets(path):
    """Every packet's bytes as tcpdump -xx prints them."""
    out = subprocess.run(["tcpdump", "-r", path, "-xx", "-n", "-tt"], capture_output=True,
                         text=True, check=True).stdout
    pkts, cur = [], None
    for line in out.splitlines():
        m = re.match(r"^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)", line)
        if m and cur is not None:
            cur += bytes.fromhex(m.group(1).replace(" ", ""))
        elif re.match(r"^\d+\.\d+ ", line):  # -tt: a new packet (decoded tunnels add lines)
            if cur is not None:
                pkts.append(cur)
            cur = b""
    if cur is not None:
        pkts.append(cur)
    return pkts


def tshark_lengths_times(path):
    """[(caplen, len, 'sec.nsec')] as tshark reads them."""
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.cap_len", "-e",
                          "frame.len", "-e", "frame.time_epoch"],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        c, l, t = line.split("\t")
        rows.append((int(c), int(l), t))
    return rows


def check_with_readers(path, pkts):
    """tcpdump and tshark must read PATH and see exactly PKTS (ts_ns, data, origlen)."""
    seen = tcpdump_packets(path)
    if seen != [p[1] for p in pkts]:
        fail(f"tcpdump -r {path}: {len(seen)} packets, bytes differ from the file's records")
    rows = tshark_lengths_times(path)
    if len(rows) != len(pkts):
        fail(f"tshark -r {path}: {len(rows)} packets, expected {len(pkts)}")
    for (caplen, length, t), (ts, data, origlen) in zip(rows, pkts):
        sec, _, frac = t.partition(".")
        want = f"{ts // 10**9}.{ts % 10**9:09d}"
        if caplen != len(data) or length != origlen or f"{sec}.{frac[:9]:0<9}" != want:
            fail(f"tshark -r {path}: ({caplen}, {length}, {t}) != "
                 f"({len(data)}, {origlen}, {want})")


# ------------------------------------------------------------------ ports, processes

def free_udp_port(family=socket.AF_INET):
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Dump:
    """udpcapctl dump RING -w FILE in the background."""

    def __init__(self, ring, ring_dir, out, count=None, timeout=None, linktype=None,
                 extra=()):
        args = [UDPCAPCTL, "dump", ring, "--dir", ring_dir, "-w", out] + list(extra)
        if count:
            args += ["-c", str(count)]
        if timeout:
            args += ["--timeout", str(timeout)]
        if linktype:
            args += ["--linktype", linktype]
        self.out = out
        self.stderr = []
        self.attached = threading.Event()
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
        _children.append(self.proc)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.stderr.append(line)
            if "listening on ring" in line:
                self.attached.set()
        self.attached.set()

    def wait_attached(self, timeout=30):
        if not self.attached.wait(timeout) or self.proc.poll() not in (None, 0):
            fail(f"dump did not attach: rc={self.proc.poll()} {''.join(self.stderr)}")

    def count(self):
        if not os.path.exists(self.out):
            return 0
        try:
            return len(read_pcap(self.out, tolerate_partial=True)[2])
        except ValueError:
            return 0

    def stop(self, sig=signal.SIGINT, timeout=30):
        rc = stop_process(self.proc, sig, timeout)
        if rc is None:
            fail(f"dump ignored {sig} for {timeout} s")
        self.reader.join(timeout=10)
        return rc, "".join(self.stderr)


def replay(pcap, to, encap=None, extra=(), check=True):
    """Run udpcapctl replay --json; returns its summary."""
    args = [UDPCAPCTL, "replay", pcap, "--to", to, "--json", "--max-seconds", "60"]
    args += ["--as-is"] if encap is None else ["--encap", encap]
    args += list(extra)
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        fail(f"{' '.join(args)}: exit {r.returncode}: {r.stderr}")
    try:
        return json.loads(r.stdout)
    except ValueError:
        fail(f"replay printed no JSON: {r.stdout!r} {r.stderr!r}")


def wait_until(pred, timeout, what):
    """WHAT: a string, or a callable giving one (evaluated on failure only)."""
    deadline = time.monotonic() + timeout * (3 if SANITIZED else 1)
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    fail(f"timed out waiting for {what() if callable(what) else what}")


def counters_total(stats):
    """sent-side accounting from stats JSON: (received, delivered, {drop: n})."""
    t = stats["totals"]
    return t["received"], t["delivered"], t["drops"]
