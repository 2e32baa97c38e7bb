#!/usr/bin/python3
# Seeds for fuzz/fuzz_ring: well-formed rings (packets, a wrap with a pad
# record, a closed ring) in its input format, so the fuzzer starts from
# records the walker accepts. Usage: fuzz_ring_seeds.py OUTDIR
import os
import struct
import sys

CAP = 256 * 1024


def rec(caplen, seq):
    data = bytes((seq + i) & 0xFF for i in range(caplen))
    length = (40 + caplen + 7) & ~7
    meta = struct.pack('<QIIHHIII', seq * 1000, caplen, caplen + 4, 1, 2, seq, 0, 0)
    return (struct.pack('<IHH', length, 0x50, 0) + meta + data).ljust(length, b'\0')


def seed(cons, flags, body):
    return struct.pack('<QQB', 0, cons, flags) + body


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seeds = {
    'packets': seed(0, 4, b''.join(rec(n, i) for i, n in enumerate([0, 1, 60, 1500, 7]))),
    'closed': seed(4096, 5, rec(100, 1) + rec(9000, 2)),
    # 48 bytes before the end: a pad record, then packets from offset 0
    'wrap': seed(CAP - 48, 4, struct.pack('<IHH', 48, 0x5A, 0).ljust(48, b'\0') +
                 rec(64, 3) + rec(200, 4)),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
