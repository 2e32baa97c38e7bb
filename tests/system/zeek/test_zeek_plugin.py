#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves, against a real Zeek, that the built plugin loads (zeek -N lists
Udpcap::ShmRing with its shmring packet source and VNI conn-key factories)
and that a ring missing at start-up fails with a message naming its path.
Registered only when meson built the plugin (zeek-config found).
Usage: test_zeek_plugin.py ZEEK PLUGIN_DIR"""

import os
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def main():
    zeek, plugin_dir = sys.argv[1], sys.argv[2]
    env = dict(os.environ, ZEEK_PLUGIN_PATH=plugin_dir)

    r = subprocess.run([zeek, "-NN", "Udpcap::ShmRing"], env=env, capture_output=True,
                       text=True, timeout=120)
    out = r.stdout + r.stderr
    if r.returncode != 0:
        fail(f"zeek -NN Udpcap::ShmRing: exit {r.returncode}\n{out}")
    for want in ("Udpcap::ShmRing", "shmring", "CONNKEY_SHMRING_VXLAN_VNI_FIVETUPLE",
                 "CONNKEY_SHMRING_GENEVE_VNI_FIVETUPLE",
                 "CONNKEY_SHMRING_GENEVE_VXLAN_VNI_FIVETUPLE"):
        if want not in out:
            fail(f"zeek -NN does not mention {want}:\n{out}")

    with tempfile.TemporaryDirectory(prefix="udpcap-zeek-") as tmp:
        ring = os.path.join(tmp, "no-such-ring")
        r = subprocess.run([zeek, "-i", "shmring::" + ring], env=env, cwd=tmp,
                           capture_output=True, text=True, timeout=120)
        out = r.stdout + r.stderr
        if r.returncode == 0:
            fail(f"zeek -i shmring::{ring} succeeded without a ring:\n{out}")
        if f"ring {ring} does not exist" not in out:
            fail(f"the error does not name the ring's path:\n{out}")
    print("ok: plugin loads; missing ring reported with its path")


if __name__ == "__main__":
    main()
