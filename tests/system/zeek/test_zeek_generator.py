#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Runs Zeek's own systemd generator (zeek-systemd-generator, Zeek >= 8.1)
on conf/zeek/zeek.conf, the example this project ships: it must accept the
file and give worker N the interface shmring::worker-(N-1), for every one of
the configured workers, so that each ring has exactly one worker.
Registered only when meson built the plugin and the generator is installed
next to zeek. Usage: test_zeek_generator.py GENERATOR ZEEK_CONF"""

import os
import re
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def main():
    generator, conf = sys.argv[1], sys.argv[2]
    with open(conf) as f:
        m = re.search(r"^workers\s*=\s*(\d+)", f.read(), re.M)
    if not m:
        fail(f"{conf} sets no workers")
    workers = int(m.group(1))

    with tempfile.TemporaryDirectory(prefix="udpcap-zeek-gen-") as out:
        r = subprocess.run([generator, "--config", conf, out], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            fail(f"zeek-systemd-generator --config {conf}: exit {r.returncode}\n"
                 f"{r.stdout}{r.stderr}")
        text = {}
        for root, _, files in os.walk(out):
            for name in files:
                path = os.path.join(root, name)
                if os.path.isfile(path):
                    with open(path, errors="replace") as f:
                        text[os.path.relpath(path, out)] = f.read()
        everything = "\n".join(text.values())
        got = sorted(set(re.findall(r"shmring::worker-(\d+)", everything)), key=int)
        want = [str(i) for i in range(workers)]
        if got != want:
            fail(f"generated units name rings {got}, want worker-0 .. worker-{workers - 1}; "
                 f"files: {sorted(text)}\n{everything[:3000]}")
        if "${worker_index0}" in everything:
            fail("the generator left ${worker_index0} unexpanded")
    print(f"ok: zeek-systemd-generator gives {workers} workers rings worker-0 .. "
          f"worker-{workers - 1}")


if __name__ == "__main__":
    main()
