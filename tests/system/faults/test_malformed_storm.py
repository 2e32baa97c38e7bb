#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: a storm of hostile datagrams — random bytes, zero-length
datagrams, truncated headers, lying headers (GENEVE option length past the
end, VXLAN without the I flag, GENEVE version 1, an unknown GENEVE protocol,
GENEVE+VXLAN whose inner IPv6 header chains extension headers in a loop or
past the end) — mixed with valid traffic on VXLAN, GENEVE and GENEVE+VXLAN
listeners at once: every valid packet is delivered, every bad one is counted
under exactly the reason libudpcap's reference decap gives it, the daemon
survives, and the books balance."""

import collections
import os
import random
import struct

from faultlib import (Daemon, Dump, balance, expected_reasons, fail, inner_frame, log,
                      require_binaries, send_paced, sender, settled_stats, vxlan, host_port,
                      SANITIZED)


def geneve(vni, proto, inner, opt_words=0, ver=0, declared_words=None):
    words = opt_words if declared_words is None else declared_words
    return struct.pack("!BBHI", (ver << 6) | words, 0, proto, vni << 8) + \
        bytes(4 * opt_words) + inner


def ipv6_udp(payload, ext_chain=()):
    """IPv6 carrying UDP after the given extension headers [(type, body)]."""
    nh = 17
    exts = b""
    for t, body in reversed(ext_chain):
        exts = struct.pack("!BB", nh, (len(body) + 2) // 8 - 1) + body + exts
        nh = t
    udp = struct.pack("!HHHH", 5000, 4789, 8 + len(payload), 0) + payload
    return struct.pack("!IHBB16s16s", 6 << 28, len(exts) + len(udp), nh, 64,
                       b"\xfd" + bytes(15), b"\xfd" + bytes(14) + b"\x01") + exts + udp


def hostile(rng, encap):
    kind = rng.randrange(9)
    if kind == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 64)))
    if kind == 1:
        return b""
    if encap == "vxlan":
        if kind == 2:
            return vxlan(5, inner_frame(1), flags=0x00)          # no I flag
        if kind == 3:
            return vxlan(5, b"")[: rng.randrange(0, 8)]          # short header
        if kind == 4:
            return vxlan(5, b"")                                  # nothing inside
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 16)))
    if encap == "geneve":
        if kind == 2:
            return geneve(5, 0x6558, b"\x00" * 8, opt_words=1, declared_words=40)  # options past end
        if kind == 3:
            return geneve(5, 0x6558, inner_frame(1), ver=1)
        if kind == 4:
            return geneve(5, 0x88cc, inner_frame(1))             # unknown protocol
        return geneve(5, 0x6558, b"")[: rng.randrange(0, 8)]
    # geneve+vxlan
    if kind == 2:   # an extension-header chain that never reaches UDP (loops on itself)
        loop = [(60, bytes(6))] * 12
        return geneve(9, 0x86dd, ipv6_udp(vxlan(5, inner_frame(1)), loop)[:40 + 8 * 12])
    if kind == 3:   # extension header whose length runs past the end
        pkt = ipv6_udp(vxlan(5, inner_frame(1)), [(0, bytes(6))])
        return geneve(9, 0x86dd, pkt[:40] + struct.pack("!BB", 17, 200) + pkt[42:48])
    if kind == 4:   # inner IPv4 that is not UDP
        return geneve(9, 0x0800, struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0,
                                             bytes(4), bytes(4)) + bytes(20))
    return geneve(9, 0x86dd, ipv6_udp(b"")[: rng.randrange(0, 48)])


def valid(i, encap):
    f = inner_frame(i)
    if encap == "vxlan":
        return vxlan(11, f)
    if encap == "geneve":
        return geneve(12, 0x6558, f, opt_words=2)
    return geneve(13, 0x86dd, ipv6_udp(vxlan(14, f)))


require_binaries()
ENCAPS = ["vxlan", "geneve", "geneve+vxlan"]
d = Daemon([(e.replace("+", "_"), "127.0.0.1", e, []) for e in ENCAPS], rings=2,
           ring_size="16M", rcvbuf="16M").start()
try:
    dumps = [Dump(r, d.ring_dir, os.path.join(d.tmp, f"{r}.pcap")) for r in d.ring_names()]
    for x in dumps:
        x.wait_attached()
    rng = random.Random(77)
    n = 30000 if not SANITIZED else 9000
    want = collections.Counter()
    good = 0
    sock = sender()
    per_listener = collections.defaultdict(list)
    items = []
    for i in range(n):
        encap = ENCAPS[i % 3]
        items.append((encap, valid(i, encap) if rng.random() < 0.5 else hostile(rng, encap)))
    for (encap, dgram), reason in zip(items, expected_reasons(items)):
        if reason:
            want[reason] += 1
        else:
            good += 1  # valid, or a random byte string that happens to decode
        per_listener[encap].append(dgram)
    sent = 0
    for encap, dgrams in per_listener.items():
        sent += send_paced(sock, host_port(d.addr(encap.replace("+", "_"))), dgrams, pps=30000)
    stats = settled_stats(d, sent)
    if not d.alive():
        fail(f"udpcapd died in the storm:\n{d.read_log()}")
    t = balance(stats, sent)
    if t["drops"].get("socket", 0):
        fail(f"socket drops at this pace make per-reason counts unprovable: {t}")
    got = {k: v for k, v in t["drops"].items() if v}
    if got != dict(want):
        fail(f"drops by reason {got} != expected {dict(want)}")
    if t["delivered"] != good:
        fail(f"delivered {t['delivered']} != valid datagrams {good}")
    for x in dumps:
        x.stop()
    written = sum(x.count() for x in dumps)
    if written != good:
        fail(f"consumers wrote {written} packets, {good} were valid")
    log(f"sent {sent}: {good} valid delivered; hostile counted by reason: {dict(want)}")
    log("PASS")
finally:
    d.cleanup()
