# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the daemon-level steering tests: a config of their own for
udpcap_daemon.Daemon (which runs it in a network namespace or under
setpriv), consume its rings with `udpcapctl dump`, read the pcaps and check
that every inner flow landed in exactly one ring."""

import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time

from udpcap_procs import stop_process  # noqa: E402

SKIP = 77


def skip(msg):
    print("SKIP: " + msg)
    print("SKIP: " + msg, file=sys.stderr)
    sys.exit(SKIP)


def install_tool(tool, package):
    """apt-get install PACKAGE unless TOOL is on PATH (updating the package
    lists if the first try fails); skips loudly if it still is not there."""
    import shutil
    if shutil.which(tool):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", package]
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-qq"], env=env,
                       stdout=subprocess.DEVNULL)
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)
    if not shutil.which(tool):
        skip(f"{tool} (Debian package {package}) is not installed and cannot be installed")


def build_root():
    root = os.environ.get("UDPCAP_BUILD_ROOT")
    if not root:
        skip("UDPCAP_BUILD_ROOT is not set (run through meson test)")
    return root


def binaries():
    root = build_root()
    d = os.path.join(root, "daemon", "udpcapd")
    c = os.path.join(root, "tools", "udpcapctl")
    for p in (d, c):
        if not os.access(p, os.X_OK):
            print(f"FAIL: {p} is not built", file=sys.stderr)
            sys.exit(1)
    return d, c


def sanitized():
    return os.environ.get("UDPCAP_SANITIZED") == "1"


class Tmp:
    """A unique directory under /dev/shm for rings, config and pcaps."""

    def __init__(self, tag):
        self.path = tempfile.mkdtemp(prefix=f"udpcap-steer-{tag}-", dir="/dev/shm")
        os.chmod(self.path, 0o777)

    def __call__(self, *parts):
        return os.path.join(self.path, *parts)

    def remove(self):
        subprocess.run(["rm", "-rf", "--one-file-system", self.path], check=False)


def config(tmp, name, mode, listen, encap="vxlan", rings=4, hash_mode="5-tuple"):
    ringdir = tmp(f"rings-{name}")
    text = f"""[rings]
count = {rings}
size = 4M
dir = {ringdir}
[receive]
rcvbuf = 4M
[steering]
mode = {mode}
hash = {hash_mode}
[listener l]
listen = {listen}
encap = {encap}
[control]
socket = {tmp(f'ctl-{name}.sock')}
[metrics]
listen =
[log]
level = info
"""
    path = tmp(f"{name}.conf")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path, ringdir


class Dumpers:
    """One `udpcapctl dump` per ring, started before the traffic."""

    def __init__(self, udpcapctl, ringdir, rings, outdir, tag):
        self.procs = []
        self.files = []
        for ring in rings:
            out = os.path.join(outdir, f"{tag}-{ring}.pcap")
            self.files.append(out)
            self.procs.append(subprocess.Popen(
                [udpcapctl, "dump", ring, "--dir", ringdir, "-w", out, "--timeout", "120"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        # attached once each says so (the pcap header may wait for a packet)
        deadline = time.monotonic() + 15
        for p in self.procs:
            line = b""
            while b"listening on ring" not in line and time.monotonic() < deadline:
                ready, _, _ = select.select([p.stderr], [], [], 0.5)
                if ready:
                    line = p.stderr.readline()
                    if not line:
                        break

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs:
            stop_process(p, signal.SIGINT, 20)
        return self.files


def read_pcap(path):
    """[(linktype, bytes)] of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(end + "I", data[20:24])[0]
    out, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        out.append((linktype, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return out


def flow_key(linktype, p):
    """Direction-free (proto, endpoint, endpoint) of an IP packet; None for
    non-IP and fragments (steered by addresses only, on purpose)."""
    off = 0
    if linktype == 1:
        if len(p) < 14:
            return None
        et = int.from_bytes(p[12:14], "big")
        off = 14
        while et in (0x8100, 0x88A8) and len(p) >= off + 4:
            et = int.from_bytes(p[off + 2:off + 4], "big")
            off += 4
    elif linktype == 101 and p:
        et = {4: 0x0800, 6: 0x86DD}.get(p[0] >> 4, 0)
    else:
        return None
    if et == 0x0800 and len(p) >= off + 20:
        ihl = (p[off] & 15) * 4
        if int.from_bytes(p[off + 6:off + 8], "big") & 0x3FFF:
            return None
        proto, src, dst, l4 = p[off + 9], p[off + 12:off + 16], p[off + 16:off + 20], off + ihl
    elif et == 0x86DD and len(p) >= off + 40:
        proto, src, dst, l4 = p[off + 6], p[off + 8:off + 24], p[off + 24:off + 40], off + 40
        for _ in range(6):
            if proto == 44:
                return None
            if proto not in (0, 43, 60) or len(p) < l4 + 2:
                break
            proto, l4 = p[l4], l4 + (p[l4 + 1] + 1) * 8
    else:
        return None
    sport = dport = 0
    if proto in (6, 17, 132) and len(p) >= l4 + 4:
        sport = int.from_bytes(p[l4:l4 + 2], "big")
        dport = int.from_bytes(p[l4 + 2:l4 + 4], "big")
    a, b = (bytes(src), sport), (bytes(dst), dport)
    return (proto,) + (a + b if a <= b else b + a)


def analyse(files, want=None):
    """Per inner flow (optionally only those for which want(key) is true),
    the set of rings it was seen in. Returns (flows, split, rings_used, packets)."""
    seen = {}
    packets = [0] * len(files)
    for ring, path in enumerate(files):
        for lt, p in read_pcap(path):
            packets[ring] += 1
            k = flow_key(lt, p)
            if k is None or (want and not want(k)):
                continue
            seen.setdefault(k, set()).add(ring)
    split = sum(1 for r in seen.values() if len(r) > 1)
    used = len({ring for r in seen.values() for ring in r})
    return len(seen), split, used, packets


def report(failures, tmp):
    """Print the failures; keep the evidence when there are any. Exit status."""
    for f in failures:
        print("FAIL: " + f)
    if failures:
        print(f"logs and pcaps kept in {tmp.path}")
        return 1
    tmp.remove()
    return 0
