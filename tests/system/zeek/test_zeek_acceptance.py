#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The zeekbridge acceptance run, against a real Zeek: a shared capture is
replayed as VXLAN (random outer source ports) through udpcapd into two rings
read by `zeek -i shmring::worker-0` and `zeek -i shmring::worker-1`. The
union of their conn.log entries must equal `zeek -r` on the same capture
(uid, ts and duration aside), no connection may appear on both workers, and
with the vxlan_vni conn-key script every entry carries id.ctx.vxlan_vni.
Registered only when meson built the plugin (zeek-config found).
Usage: test_zeek_acceptance.py ZEEK PLUGIN_DIR"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from ringwatch import harness, wait_consumers, wait_drained  # noqa: E402

PCAPS = ["http-bro.org.pcap", "wikipedia.pcap"]
VNI = 4242
IGNORED = {"uid", "ts", "duration", "id.ctx.vxlan_vni", "id.ctx.geneve_vni"}


def read_conn_log(path):
    """[{field: value}] of a Zeek TSV conn.log (absent file: no connections)."""
    if not os.path.exists(path):
        return []
    fields, rows = None, []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line and not line.startswith("#"):
                rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def key(row):
    return tuple(sorted((k, v) for k, v in row.items() if k not in IGNORED))


def flow(row):
    return (row["id.orig_h"], row["id.orig_p"], row["id.resp_h"], row["id.resp_p"], row["proto"])


class Zeek:
    def __init__(self, zeek, env, workdir, args):
        os.makedirs(workdir, exist_ok=True)
        self.workdir = workdir
        self.lines = []
        self.proc = subprocess.Popen([zeek, "-C"] + args, cwd=workdir, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def output(self):
        return "".join(self.lines)

    def stop(self, timeout=120):
        if harness.stop_process(self.proc, signal.SIGTERM, timeout) is None:
            harness.fail(f"zeek ignored SIGTERM for {timeout} s:\n{self.output()}")
        self.reader.join(timeout=10)
        return self.proc.returncode


def zeek_env(plugin_dir):
    return dict(os.environ, ZEEK_PLUGIN_PATH=plugin_dir), os.environ.get("UDPCAP_ZEEK_ARGS", "").split()


def reference(zeek, plugin_dir, pcap, tmp, args=()):
    """conn.log rows of `zeek -r pcap ARGS...`."""
    env, extra = zeek_env(plugin_dir)
    workdir = os.path.join(tmp, "ref")
    os.makedirs(workdir)
    ref = subprocess.run([zeek, "-C", "-r", pcap] + list(args) + extra, cwd=workdir, env=env,
                         capture_output=True, text=True, timeout=600)
    if ref.returncode != 0:
        harness.fail(f"zeek -r {pcap}: exit {ref.returncode}\n{ref.stdout}{ref.stderr}")
    rows = read_conn_log(os.path.join(workdir, "conn.log"))
    if not rows:
        harness.fail(f"zeek -r {pcap} logged no connections")
    return rows


def live(zeek, plugin_dir, replays, tmp, encap="vxlan", conn_key="vxlan_vni"):
    """Replay each (pcap, vni) with encapsulation encap (vxlan, geneve,
    geneve+vxlan) through udpcapd into two rings read by two
    `zeek -i shmring::worker-N` with the conn_key script
    (policy/frameworks/conn_key/shmring/CONN_KEY); returns the two workers'
    conn.log rows."""
    env, extra = zeek_env(plugin_dir)
    daemon = harness.Daemon([("vx", "127.0.0.1", encap, [])], rings=2, ring_size="16M")
    workers = []
    try:
        daemon.start()
        local = os.path.join(tmp, "shmring.zeek")
        with open(local, "w") as f:
            f.write(f'redef ShmRing::ring_dir = "{daemon.ring_dir}";\n'
                    f"@load policy/frameworks/conn_key/shmring/{conn_key}\n")
        for i in range(2):
            workers.append(Zeek(zeek, env, os.path.join(tmp, f"w{i}"),
                                ["-i", f"shmring::worker-{i}", local] + extra))
        wait_consumers(daemon.ring_dir, [w.proc for w in workers], "zeek")
        total = 0
        for pcap, vni in replays:
            sent = harness.replay(pcap, daemon.addr("vx"), encap=encap,
                                  extra=["--vni", str(vni), "--src-port", "random"])
            npkts = len(harness.read_pcap(pcap)[2])
            harness.log(f"{os.path.basename(pcap)}: replayed {sent['packets']} of {npkts} "
                        f"packets as {encap} with VNI {vni}")
            total += npkts
            wait_drained(daemon.ring_dir, 2, total)
        for w in workers:
            rc = w.stop()
            if rc != 0:
                harness.fail(f"zeek exited {rc}:\n{w.output()}")
        return [read_conn_log(os.path.join(w.workdir, "conn.log")) for w in workers]
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()
        daemon.cleanup()


def compare(expected, rows, what):
    """rows must be expected, entry for entry, uid/ts/duration/VNI aside."""
    missing = sorted(set(map(key, expected)) - set(map(key, rows)))
    unexpected = sorted(set(map(key, rows)) - set(map(key, expected)))
    if missing or unexpected or len(rows) != len(expected):
        harness.fail(f"{what} differs from zeek -r ({len(rows)} vs {len(expected)} entries): "
                     f"{len(missing)} missing, {len(unexpected)} unexpected\n"
                     f"missing: {missing[:5]}\nunexpected: {unexpected[:5]}")


def run(zeek, plugin_dir, pcap):
    harness.log(f"== {os.path.basename(pcap)}")
    tmp = tempfile.mkdtemp(prefix="udpcap-zeek-acc-")
    try:
        expected = reference(zeek, plugin_dir, pcap, tmp)
        got = live(zeek, plugin_dir, [(pcap, VNI)], tmp)
        harness.log(f"conn.log entries: zeek -r {len(expected)}, "
                    f"worker-0 {len(got[0])}, worker-1 {len(got[1])}")
        split = {flow(r) for r in got[0]} & {flow(r) for r in got[1]}
        if split:
            harness.fail(f"connections on both workers: {sorted(split)[:10]}")
        compare(expected, got[0] + got[1], "the workers' conn.log union")
        bad_vni = [r for r in got[0] + got[1] if r.get("id.ctx.vxlan_vni") != str(VNI)]
        if bad_vni:
            harness.fail(f"{len(bad_vni)} entries without id.ctx.vxlan_vni={VNI}: {bad_vni[:3]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    zeek, plugin_dir = sys.argv[1], sys.argv[2]
    harness.require_binaries()
    pcaps = harness.pcap_dir()
    for name in PCAPS:
        run(zeek, plugin_dir, os.path.join(pcaps, name))
    harness.log("ok: the two workers' conn.log union equals zeek -r; no connection split")


if __name__ == "__main__":
    main()
