# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the zeekbridge end-to-end tests (not a test): watch udpcapd's
rings through `udpcapctl rings --dir DIR --json`, which reads the ring
headers without attaching."""

import json
import os
import subprocess
import sys

import harness  # noqa: E402,F401  (re-exported for the tests)


def rings(ring_dir):
    """{name: ring info} of every ring in ring_dir ({} while there is none)."""
    r = subprocess.run([harness.UDPCAPCTL, "rings", "--dir", ring_dir, "--json"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return {}
    return {x["name"]: x for x in json.loads(r.stdout)["rings"]}


def wait_consumers(ring_dir, procs, what):
    """Wait until ring worker-i is held by procs[i] (a subprocess.Popen)."""
    def attached():
        info = rings(ring_dir)
        for i, p in enumerate(procs):
            if p.poll() is not None:
                harness.fail(f"{what} {i} exited with status {p.returncode}")
            if info.get(f"worker-{i}", {}).get("consumer_pid") != p.pid:
                return False
        return True
    harness.wait_until(attached, 120, f"every {what} to attach to its ring")


def wait_drained(ring_dir, nrings, npkts):
    """Wait until the rings carried npkts packets and their readers gave all
    of them back; fail if any ring dropped one."""
    def drained():
        info = [rings(ring_dir).get(f"worker-{i}", {}) for i in range(nrings)]
        return (sum(x.get("written_packets", 0) for x in info) >= npkts and
                all(x.get("used", 1) == 0 for x in info))
    harness.wait_until(drained, 120, f"the rings to carry and drain {npkts} packets")
    for name, x in rings(ring_dir).items():
        if x["full_packets"]:
            harness.fail(f"{name}: {x['full_packets']} packets dropped (ring full)")
