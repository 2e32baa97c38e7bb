# SPDX-License-Identifier: BSD-3-Clause
"""AF_PACKET readers of one interface in one PACKET_FANOUT_HASH group, as an
IDS with several workers reads a TAP (not a test itself; run it as a program
in the namespace of the interface).

    python3 fanout_readers.py IFNAME OUT_PREFIX [READERS]

Binds READERS (default 2) packet sockets to IFNAME and joins them into one
fanout group (the kernel's symmetric flow hash picks the socket), prints
"ready", then collects frames until SIGTERM or SIGINT. Then it writes
OUT_PREFIX-N.pcap per reader and prints one JSON line: per reader the frames
it got and the kernel's PACKET_STATISTICS (tp_packets, tp_drops: that
reader's own drop count), and how many frames the host itself sent out of
the interface (seen as outgoing; they are not kept)."""
import json
import os
import select
import signal
import socket
import struct
import sys

SOL_PACKET = 263
PACKET_FANOUT = 18
PACKET_STATISTICS = 6
PACKET_FANOUT_HASH = 0
PACKET_OUTGOING = 4
ETH_P_ALL = 3


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i, data in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000, len(data),
                                len(data)))
            f.write(data)


def main():
    ifname, prefix = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    group = os.getpid() & 0xffff
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        s.bind((ifname, ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_FANOUT, group | (PACKET_FANOUT_HASH << 16))
        s.setblocking(False)
        socks.append(s)
    frames = [[] for _ in socks]
    outgoing = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    print("ready", flush=True)

    def drain(i):
        nonlocal outgoing
        while True:
            try:
                data, addr = socks[i].recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            if addr[2] == PACKET_OUTGOING:
                outgoing += 1
            else:
                frames[i].append(data)

    while not stop:
        try:
            ready, _, _ = select.select(socks, [], [], 0.2)
        except InterruptedError:
            continue
        for s in ready:
            drain(socks.index(s))
    for i in range(n):
        drain(i)
    stats = []
    for i, s in enumerate(socks):
        packets, drops = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
        write_pcap(f"{prefix}-{i}.pcap", frames[i])
        stats.append({"frames": len(frames[i]), "tp_packets": packets, "tp_drops": drops})
    print(json.dumps({"readers": stats, "outgoing": outgoing}), flush=True)


if __name__ == "__main__":
    main()
