# SPDX-License-Identifier: BSD-3-Clause
"""Hand-built packets for the Python tests (not a test): inner
Ethernet/IPv4/UDP frames and the VXLAN and GENEVE headers udpcapd strips.
One copy for every suite."""

import socket
import struct

SMAC = b"\x02\0\0\0\0\x01"
DMAC = b"\x02\0\0\0\0\x02"


def checksum(data):
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4_udp(src, dst, sport, dport, payload):
    """An IPv4/UDP packet (addresses as dotted strings), header checksum set."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:] + udp


def ether(packet, ethertype=0x0800, smac=SMAC, dmac=DMAC):
    return dmac + smac + struct.pack("!H", ethertype) + packet


def eth_ipv4_udp(src, dst, sport, dport, payload, smac=SMAC, dmac=DMAC):
    """An Ethernet/IPv4/UDP frame."""
    return ether(ipv4_udp(src, dst, sport, dport, payload), smac=smac, dmac=dmac)


def inner_frame(i, size=110, sport=None):
    """A valid Ethernet/IPv4/UDP frame of SIZE bytes (at least 50) in flow I:
    the source address and port vary with I, and the payload starts with I."""
    payload = struct.pack("!Q", i) + bytes((i + k) & 0xff for k in range(size - 50))
    return eth_ipv4_udp("10.0.%d.%d" % (i // 250 % 250, i % 250 + 1), "10.9.0.1",
                        1024 + i % 50000 if sport is None else sport, 80, payload)


def vxlan(vni, frame, flags=0x08):
    """RFC 7348 header (I flag by default) + frame."""
    return struct.pack("!B3xI", flags, vni << 8) + frame


def geneve(vni, frame, proto=0x6558, version=0, opts=b""):
    """RFC 8926 header (+ options, a multiple of 4 bytes) + frame."""
    return struct.pack("!BBHI", (version << 6) | (len(opts) // 4), 0, proto, vni << 8) + opts + frame
