#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that udpcapctl replay streams captures larger than it holds in
memory (the chunk size shrunk to 64 KiB through UDPCAPCTL_REPLAY_CHUNK so
that a 1 MB capture stands for one over the real 512 MiB limit): every
packet arrives once per --loop pass, in order, and --count stops early;
a capture cut off in its last record sends every whole packet, then says
it was truncated and exits 1; --as-is on a capture with no UDP datagram
sends nothing and exits 1 saying so."""
import atexit
import os
import shutil
import socket
import subprocess
import tempfile

import harness as h  # noqa: E402

N = 3000


def frames(n, proto=17):
    out = []
    for i in range(n):
        f = bytearray(h.eth_ipv4_udp("10.1.%d.%d" % (i // 250 % 250, i % 250 + 1), "10.2.0.1",
                                     1024 + i % 50000, 80, i.to_bytes(4, "big") + bytes(290)))
        f[14 + 9] = proto  # IPv4 protocol: 17 UDP, 6 TCP
        out.append(bytes(f))
    return out


def replay(pcap, to, *args, chunk=65536):
    env = dict(os.environ, UDPCAPCTL_REPLAY_CHUNK=str(chunk))
    return subprocess.run([h.UDPCAPCTL, "replay", pcap, "--to", to, "--max-seconds", "60"] +
                          list(args), capture_output=True, text=True, timeout=120, env=env)


def received(sock, want):
    """WANT datagrams (fewer if they stop coming), then any extra that follows."""
    got = []
    try:
        sock.settimeout(5 * (3 if h.SANITIZED else 1))
        while len(got) < want:
            got.append(sock.recv(70000))
        sock.settimeout(0.2)
        got.append(sock.recv(70000))
    except socket.timeout:
        pass
    return got


def main():
    h.require_binaries()
    tmp = tempfile.mkdtemp(prefix="udpcap-replay-stream-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    rx.bind(("127.0.0.1", 0))
    to = "127.0.0.1:%d" % rx.getsockname()[1]
    fr = frames(N)
    pcap = os.path.join(tmp, "big.pcap")
    h.write_pcap(pcap, fr)
    h.log(f"capture of {os.path.getsize(pcap)} bytes, streamed in 64 KiB chunks")

    r = replay(pcap, to, "--encap", "raw", "--loop", "2", "--rate", "100000")
    if r.returncode != 0:
        h.fail(f"streamed replay: exit {r.returncode}: {r.stderr}")
    got = received(rx, 2 * N)
    if got != fr + fr:
        h.fail(f"streamed replay, 2 passes: {len(got)} datagrams arrived of {2 * N}, "
               f"in order: {got[:len(fr)] == fr[:len(got)]}")
    h.log(f"ok: {2 * N} datagrams in order over two passes: {r.stdout.strip()}")

    r = replay(pcap, to, "--encap", "raw", "--count", "1000", "--loop", "3")
    got = received(rx, 1000)
    if r.returncode != 0 or got != fr[:1000]:
        h.fail(f"--count 1000 on a streamed capture: exit {r.returncode}, {len(got)} arrived")
    h.log("ok: --count 1000 stops a streamed capture early")

    cut = os.path.join(tmp, "cut.pcap")
    with open(pcap, "rb") as f:
        data = f.read()
    with open(cut, "wb") as f:
        f.write(data[:-100])
    for chunk in (65536, 1 << 29):  # streamed, and all in memory
        r = replay(cut, to, "--encap", "raw", "--rate", "100000", chunk=chunk)
        got = received(rx, N - 1)
        if r.returncode != 1 or "is truncated after" not in r.stderr or got != fr[:N - 1]:
            h.fail(f"truncated capture (chunk {chunk}): exit {r.returncode}, {len(got)} of "
                   f"{N - 1} whole packets arrived: {r.stderr}")
    h.log("ok: a truncated capture sends its whole packets, then says so (exit 1)")

    tcp = os.path.join(tmp, "tcp.pcap")
    h.write_pcap(tcp, frames(20, proto=6))
    r = replay(tcp, to, "--as-is")
    if r.returncode != 1 or "--as-is found no UDP datagram" not in r.stderr:
        h.fail(f"--as-is with nothing to send: exit {r.returncode}: {r.stderr}")
    h.log("ok: --as-is that finds nothing to send fails")
    h.log("PASS")


if __name__ == "__main__":
    main()
