# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the fault suite (not a test): builds on the traffic harness
(the real udpcapd, udpcapctl replay/dump) and adds what fault tests need:
hand-built tunnel datagrams, libudpcap through ctypes (the reference decap
and a deliberately slow consumer), and process resource probes."""

import ctypes
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("UDPCAP_SOURCE_ROOT", ""), "tests", "traffic"))
from harness import (Daemon, Dump, SANITIZED, BUILD, UDPCAPCTL, UDPCAPD, fail, log, replay,  # noqa: E402,F401
                     skip, wait_until, read_pcap, eth_ipv4_udp, require_binaries, write_pcap)

def vxlan(vni, frame, flags=0x08):
    return struct.pack("!B3xI", flags, vni << 8) + frame


def inner_frame(i, payload_len=64, sport=None):
    """A distinct, valid inner Ethernet/IPv4/UDP frame; i is in the payload."""
    sport = sport if sport is not None else 1024 + (i % 50000)
    payload = struct.pack("!Q", i) + bytes(max(0, payload_len - 8))
    return eth_ipv4_udp("10.0.%d.%d" % ((i >> 8) & 255, i & 255), "10.1.0.1", sport, 53,
                        payload)


def write_pcap_frames(path, n):
    """A pcap of n frames of n different flows (n <= 1000)."""
    write_pcap(path, [inner_frame(i) for i in range(n)])


def sender(host="127.0.0.1", bind=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    if bind:
        s.bind((bind, 0))
    return s


def host_port(addr):
    host, port = addr.rsplit(":", 1)
    return host.strip("[]"), int(port)


def send_paced(sock, dest, datagrams, pps=50000, max_seconds=60):
    """Send datagrams at about pps, bounded by count and time. Returns the
    number sent (a datagram the kernel refused is retried briefly, never
    counted as sent)."""
    start = time.monotonic()
    sent = 0
    for d in datagrams:
        if time.monotonic() - start > max_seconds:
            break
        while True:
            try:
                sock.sendto(d, dest)
                break
            except (BlockingIOError, OSError) as e:
                if getattr(e, "errno", None) not in (11, 105):  # EAGAIN, ENOBUFS
                    raise
                time.sleep(0.001)
        sent += 1
        if pps and sent % 256 == 0:
            ahead = sent / pps - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    return sent


# ------------------------------------------------------------- libudpcap

class Decap(ctypes.Structure):
    _fields_ = [("inner_off", ctypes.c_uint32), ("inner_len", ctypes.c_uint32),
                ("linktype", ctypes.c_uint16), ("flags", ctypes.c_uint16),
                ("vxlan_vni", ctypes.c_uint32), ("geneve_vni", ctypes.c_uint32),
                ("geneve_opt_off", ctypes.c_uint32), ("geneve_opt_len", ctypes.c_uint32)]


class Encap(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("skip", ctypes.c_uint16), ("linktype", ctypes.c_uint16)]


class PktMeta(ctypes.Structure):
    _fields_ = [("ts_ns", ctypes.c_uint64), ("caplen", ctypes.c_uint32),
                ("origlen", ctypes.c_uint32), ("linktype", ctypes.c_uint16),
                ("flags", ctypes.c_uint16), ("vxlan_vni", ctypes.c_uint32),
                ("geneve_vni", ctypes.c_uint32), ("reserved", ctypes.c_uint32)]


class Pkt(ctypes.Structure):
    _fields_ = [("meta", PktMeta), ("data", ctypes.POINTER(ctypes.c_uint8))]


class ConsumerOpts(ctypes.Structure):
    _fields_ = [("sz", ctypes.c_size_t), ("dir", ctypes.c_char_p)]


ENCAP = {"raw": 0, "vxlan": 1, "geneve": 2, "geneve+vxlan": 3}


def lib():
    path = os.path.join(BUILD, "lib", "libudpcap.so")
    if not os.path.exists(path):
        fail(f"{path} is not built")
    l = ctypes.CDLL(path)
    l.udpcap_decap.restype = ctypes.c_int
    l.udpcap_decap.argtypes = [ctypes.POINTER(Encap), ctypes.c_char_p, ctypes.c_size_t,
                               ctypes.POINTER(Decap)]
    l.udpcap_decap_reason_str.restype = ctypes.c_char_p
    l.udpcap_consumer__open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ConsumerOpts),
                                        ctypes.POINTER(ctypes.c_void_p)]
    l.udpcap_consumer__next.argtypes = [ctypes.c_void_p, ctypes.POINTER(Pkt)]
    l.udpcap_consumer__release.argtypes = [ctypes.c_void_p]
    l.udpcap_consumer__close.argtypes = [ctypes.c_void_p]
    return l


def expected_reason(l, encap, payload):
    """The drop label libudpcap gives this payload, or None if it decodes."""
    d = Decap()
    e = Encap(ENCAP[encap], 0, 1)
    r = l.udpcap_decap(ctypes.byref(e), payload, len(payload), ctypes.byref(d))
    return None if r == 0 else l.udpcap_decap_reason_str(r).decode()


class SlowConsumer:
    """Attaches to a ring through libudpcap and drains it at a bounded rate in a
    child process (so the GIL of the test does not matter)."""

    def __init__(self, ring_dir, ring, pps):
        self.pid = os.fork()
        if self.pid == 0:
            try:
                l = lib()
                c = ctypes.c_void_p()
                opts = ConsumerOpts(ctypes.sizeof(ConsumerOpts), ring_dir.encode())
                if l.udpcap_consumer__open(ring.encode(), ctypes.byref(opts), ctypes.byref(c)):
                    os._exit(3)
                pkt = Pkt()
                got = 0
                start = time.monotonic()
                while time.monotonic() - start < 600:
                    r = l.udpcap_consumer__next(c, ctypes.byref(pkt))
                    if r == 1:
                        got += 1
                        if got % 64 == 0:
                            l.udpcap_consumer__release(c)
                            ahead = got / pps - (time.monotonic() - start)
                            if ahead > 0:
                                time.sleep(ahead)
                    else:
                        l.udpcap_consumer__release(c)
                        time.sleep(0.01)
            finally:
                os._exit(0)

    def stop(self):
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)


# ------------------------------------------------------------- probes

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def capabilities(pid):
    caps = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Cap"):
                k, v = line.split(":")
                caps[k] = int(v.strip(), 16)
    return caps


def balance(stats, sent):
    """Fail unless sent == received + socket drops and
    received == delivered + every other drop, exactly."""
    t = stats["totals"]
    drops = t["drops"]
    sock = drops.get("socket", 0)
    other = sum(v for k, v in drops.items() if k != "socket")
    if t["received"] + sock != sent:
        fail(f"accounting: sent {sent} != received {t['received']} + socket drops {sock}")
    if t["delivered"] + other != t["received"]:
        fail(f"accounting: received {t['received']} != delivered {t['delivered']} + "
             f"drops {other} ({drops})")
    return t


def settled_stats(d, expect_total, timeout=30):
    """Stats once received + socket drops reached expect_total (the kernel may
    still hold datagrams in socket queues right after sending)."""
    last = None

    def done():
        nonlocal last
        last = d.stats()
        if not last:
            return False
        t = last["totals"]
        return t["received"] + t["drops"].get("socket", 0) >= expect_total
    try:
        wait_until(done, timeout, f"the daemon to account for {expect_total} datagrams")
    except SystemExit:
        fail(f"daemon accounted for fewer datagrams than sent; last stats: {last}")
    return last
