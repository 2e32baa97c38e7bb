# SPDX-License-Identifier: BSD-3-Clause
"""A ring whose packets the test knows, for the udpcapctl dump tests (not a
test): tests/system/traffic/ring_producer.c driven over a pipe. Its path is
the test's first argument."""
import struct
import subprocess
import sys

import harness as h

PRODUCER = sys.argv[1] if len(sys.argv) > 1 else ""


class Producer:
    def __init__(self, ring_dir, name, linktype=None):
        args = [PRODUCER, ring_dir, name] + ([str(linktype)] if linktype else [])
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        line = self.p.stdout.readline()
        if not line.startswith("ok ready"):
            h.fail(f"ring_producer: {line!r}")

    def cmd(self, text):
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line.startswith("ok"):
            h.fail(f"ring_producer {text}: {line!r}")
        return line.split()

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
            self.p.wait(timeout=30)


def expected(k):
    """Packet k as ring_producer writes it: (ts_ns, bytes)."""
    data = bytearray(60 + k % 200)
    data[:14] = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x88\xb5"
    data[14:22] = struct.pack(">Q", k)
    return 1700000000 * 10**9 + k * 1001, bytes(data)


def ctl(*args, **kw):
    return subprocess.run([h.UDPCAPCTL] + list(args), capture_output=True, text=True,
                          timeout=60, **kw)
