#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What a Zeek operator relies on, against a real Zeek reading
`zeek -i shmring::worker-0`:

- idle: an idle Zeek on an idle ring sleeps on the ring's descriptor (its
  CPU time over a few seconds stays near zero; a busy poll would burn ~100%);
- losses: while Zeek is stopped (SIGSTOP) udpcapd's ring overflows; Zeek's
  own "N packets received on interface ..., D dropped" line at exit must
  equal udpcapd's delivered and ring_full counts for that ring, and so must
  get_net_stats() (what stats.log and Zeek's telemetry report), with
  link = received + dropped;
- restart: udpcapd is stopped and a new udpcapd creates the ring again;
  Zeek follows it without restarting ("re-attached"), and the connections
  of both runs are in its conn.log, each run equal to `zeek -r`;
- capture filter: `zeek -f FILTER` on a ring logs what `zeek -r -f FILTER`
  logs, Zeek's summary counts the packets the filter rejected, and
  get_net_stats()'s pkts_recvd and bytes_recvd both count only the packets
  that passed (as tcpdump -r -w FILTER selects them);
- waiting: with ShmRing::wait_for_ring a Zeek started before udpcapd
  attaches once the ring appears; with a wait_timeout and no udpcapd it
  gives up with a message naming the ring's path.
Registered only when meson built the plugin (zeek-config found).
Usage: test_zeek_live.py ZEEK PLUGIN_DIR"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from ringwatch import rings, wait_consumers, wait_drained  # noqa: E402
from test_zeek_acceptance import (Zeek, compare, harness, read_conn_log, reference,  # noqa: E402
                                  zeek_env)  # noqa: E402

IDLE_SECONDS = 3
IDLE_MAX_CPU = 0.10  # fraction of one CPU


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_zeek(zeek, plugin_dir, daemon, tmp, name, scripts="", attach=True, args=()):
    env, extra = zeek_env(plugin_dir)
    local = os.path.join(tmp, f"{name}.zeek")
    with open(local, "w") as f:
        f.write(f'redef ShmRing::ring_dir = "{daemon.ring_dir}";\n{scripts}')
    z = Zeek(zeek, env, os.path.join(tmp, name),
             ["-i", "shmring::worker-0", local] + list(args) + extra)
    if attach:
        wait_consumers(daemon.ring_dir, [z.proc], "zeek")
    return z


def vxlan_daemon(ring_size="16M"):
    """udpcapd (not started) with one VXLAN listener "vx" and one ring, worker-0."""
    return harness.Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=1, ring_size=ring_size)


def shared_capture(name):
    """(path, packet count) of one of the shared captures."""
    path = os.path.join(harness.pcap_dir(), name)
    return path, len(harness.read_pcap(path)[2])


def kill_zeek(z):
    """A failed check must not leave its Zeek running."""
    if z and z.proc.poll() is None:
        z.proc.kill()


def stop_zeek(z):
    rc = z.stop()
    if rc != 0:
        harness.fail(f"zeek exited {rc}:\n{z.output()}")
    return z.output()


def ring_counters(daemon):
    st = daemon.stats()
    if not st:
        harness.fail("udpcapctl stats failed")
    r = [x for x in st["rings"] if x["name"] == "worker-0"][0]
    return r["delivered"], r["drops"]


def idle(zeek, plugin_dir, tmp):
    daemon = vxlan_daemon("4M")
    z = None
    try:
        daemon.start()
        z = start_zeek(zeek, plugin_dir, daemon, tmp, "idle")
        time.sleep(1)  # past start-up (script parsing)
        c0, t0 = cpu_seconds(z.proc.pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        used = (cpu_seconds(z.proc.pid) - c0) / (time.monotonic() - t0)
        stop_zeek(z)
        harness.log(f"idle zeek on an idle ring: {used * 100:.1f}% of a CPU")
        if used > IDLE_MAX_CPU:
            harness.fail(f"idle zeek used {used * 100:.1f}% of a CPU (busy polling?)")
    finally:
        kill_zeek(z)
        daemon.cleanup()


def losses(zeek, plugin_dir, tmp):
    # 64 KiB ring: one replay of the capture overflows it while Zeek is stopped
    daemon = vxlan_daemon("64K")
    pcap = os.path.join(harness.pcap_dir(), "http-bro.org.pcap")
    z = None
    try:
        daemon.start()
        # get_net_stats() feeds stats.log and Zeek's telemetry
        z = start_zeek(zeek, plugin_dir, daemon, tmp, "losses",
                       'event zeek_done() { local ns = get_net_stats(); '
                       'print fmt("net_stats %d %d %d", ns$pkts_recvd, ns$pkts_dropped, '
                       'ns$pkts_link); }\n')
        z.proc.send_signal(signal.SIGSTOP)
        try:
            sent = harness.replay(pcap, daemon.addr("vx"), encap="vxlan")["packets"]

            def accounted():
                d, drops = ring_counters(daemon)
                return d + sum(drops.values()) >= sent
            harness.wait_until(accounted, 60, f"udpcapd to account for {sent} datagrams")
        finally:
            z.proc.send_signal(signal.SIGCONT)
        delivered, drops = ring_counters(daemon)
        harness.wait_until(lambda: rings(daemon.ring_dir)["worker-0"]["used"] == 0, 60,
                           "zeek to drain the ring")
        out = stop_zeek(z)
        # Zeek names the interface without the "shmring::" prefix, as "eth0" for af_packet
        m = re.search(r"(\d+) packets received on interface (?:shmring::)?worker-0, (\d+) "
                      r"\([\d.]+%\) dropped", out)
        if not m:
            harness.fail(f"no packet statistics line in zeek's output:\n{out}")
        received, dropped = int(m.group(1)), int(m.group(2))
        lost = drops["ring_full"] + drops["socket"]
        harness.log(f"{sent} sent; udpcapd: {delivered} delivered, {drops['ring_full']} "
                    f"ring_full, {drops['socket']} socket; zeek: {received} received, "
                    f"{dropped} dropped")
        if drops["ring_full"] == 0:
            harness.fail("the ring never overflowed: the test proves nothing")
        if (received, dropped) != (delivered, lost):
            harness.fail(f"zeek reports {received} received / {dropped} dropped, udpcapd "
                         f"{delivered} delivered / {lost} lost for worker-0")
        ns = re.search(r"net_stats (\d+) (\d+) (\d+)", out)
        if not ns or tuple(map(int, ns.groups())) != (delivered, lost, delivered + lost):
            harness.fail(f"get_net_stats() should give received {delivered}, dropped {lost}, "
                         f"link {delivered + lost}:\n{out}")
        harness.log(f"ok: get_net_stats(): received {delivered}, dropped {lost}, link "
                    f"{delivered + lost}")
    finally:
        kill_zeek(z)
        daemon.cleanup()


def restart(zeek, plugin_dir, tmp):
    pcap, npkts = shared_capture("wikipedia.pcap")
    expected = reference(zeek, plugin_dir, pcap, os.path.join(tmp, "restart-ref"))
    first = vxlan_daemon()
    second = vxlan_daemon()
    second.share_ring_dir(first)
    z = None
    try:
        first.start()
        z = start_zeek(zeek, plugin_dir, first, tmp, "restart",
                       "@load policy/frameworks/conn_key/shmring/vxlan_vni\n")
        harness.replay(pcap, first.addr("vx"), encap="vxlan", extra=["--vni", "1"])
        wait_drained(first.ring_dir, 1, npkts)
        first.stop()
        harness.wait_until(lambda: "is gone" in z.output(), 60,
                           lambda: f"zeek to notice the ring is gone:\n{z.output()}")
        second.start()
        harness.wait_until(lambda: "re-attached" in z.output(), 60,
                           lambda: f"zeek to re-attach:\n{z.output()}")
        wait_consumers(second.ring_dir, [z.proc], "zeek")
        harness.replay(pcap, second.addr("vx"), encap="vxlan", extra=["--vni", "2"])
        wait_drained(second.ring_dir, 1, npkts)
        stop_zeek(z)
        rows = read_conn_log(os.path.join(z.workdir, "conn.log"))
        for vni in (1, 2):
            compare(expected, [r for r in rows if r.get("id.ctx.vxlan_vni") == str(vni)],
                    f"udpcapd run {vni}'s connections")
        harness.log(f"ok: zeek followed a restarted udpcapd; {len(expected)} connections "
                    "from each run")
    finally:
        kill_zeek(z)
        first.cleanup()
        second.cleanup()


def capture_filter(zeek, plugin_dir, tmp):
    pcap, npkts = shared_capture("wikipedia.pcap")
    flt = "tcp port 80"
    expected = reference(zeek, plugin_dir, pcap, os.path.join(tmp, "filter-ref"), ["-f", flt])
    daemon = vxlan_daemon()
    z = None
    try:
        daemon.start()
        # what passes the filter, by libpcap's own reading of the capture
        passed = os.path.join(tmp, "filter-passed.pcap")
        subprocess.run(["tcpdump", "-r", pcap, "-w", passed, flt], check=True,
                       capture_output=True)
        want = harness.read_pcap(passed)[2]
        want_pkts, want_bytes = len(want), sum(len(p[1]) for p in want)
        z = start_zeek(zeek, plugin_dir, daemon, tmp, "filter", args=["-f", flt],
                       scripts='event zeek_done() { local ns = get_net_stats(); '
                       'print fmt("net_stats %d %d", ns$pkts_recvd, ns$bytes_recvd); }\n')
        harness.replay(pcap, daemon.addr("vx"), encap="vxlan")
        wait_drained(daemon.ring_dir, 1, npkts)
        out = stop_zeek(z)
        compare(expected, read_conn_log(os.path.join(z.workdir, "conn.log")),
                f"conn.log with -f '{flt}'")
        m = re.search(r"(\d+) packets received on interface \S+, .* (\d+) \([\d.]+%\) filtered",
                      out)
        if not m or int(m.group(1)) + int(m.group(2)) != npkts or int(m.group(2)) == 0:
            harness.fail(f"zeek's summary should split {npkts} packets into received and "
                         f"filtered:\n{out}")
        ns = re.search(r"net_stats (\d+) (\d+)", out)
        if not ns or (int(ns.group(1)), int(ns.group(2))) != (want_pkts, want_bytes):
            harness.fail(f"get_net_stats() under -f '{flt}' should count the {want_pkts} "
                         f"packets / {want_bytes} bytes that pass it, got "
                         f"{ns.groups() if ns else out}")
        harness.log(f"ok: -f '{flt}': conn.log equals zeek -r -f ({len(expected)} "
                    f"connections); {m.group(1)} received, {m.group(2)} filtered; "
                    f"received and bytes_received both count only what passed "
                    f"({want_pkts} packets, {want_bytes} bytes)")
    finally:
        kill_zeek(z)
        daemon.cleanup()


def waiting(zeek, plugin_dir, tmp):
    pcap, npkts = shared_capture("wikipedia.pcap")
    daemon = vxlan_daemon()
    z = None
    try:
        # no udpcapd yet: a bounded wait ends in an error naming the ring
        z = start_zeek(zeek, plugin_dir, daemon, tmp, "wait-timeout",
                       "redef ShmRing::wait_for_ring = T;\n"
                       "redef ShmRing::wait_timeout = 1 sec;\n", attach=False)
        try:
            rc = z.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            harness.fail(f"zeek kept waiting past its wait_timeout of 1 s:\n{z.output()}")
        z.reader.join(timeout=10)
        path = os.path.join(daemon.ring_dir, "worker-0")
        if rc == 0 or f"ring {path} did not appear within 1000 ms" not in z.output():
            harness.fail(f"zeek with wait_timeout = 1 sec and no ring: exit {rc}\n{z.output()}")
        # started before udpcapd, waiting without a limit: attaches when it appears
        z = start_zeek(zeek, plugin_dir, daemon, tmp, "wait",
                       "redef ShmRing::wait_for_ring = T;\n"
                       "redef ShmRing::wait_timeout = 0 secs;\n", attach=False)
        time.sleep(1)
        if z.proc.poll() is not None:
            harness.fail(f"zeek waiting for its ring exited {z.proc.returncode}:\n{z.output()}")
        daemon.start()
        wait_consumers(daemon.ring_dir, [z.proc], "zeek")
        harness.replay(pcap, daemon.addr("vx"), encap="vxlan")
        wait_drained(daemon.ring_dir, 1, npkts)
        stop_zeek(z)
        conns = read_conn_log(os.path.join(z.workdir, "conn.log"))
        if not conns:
            harness.fail(f"zeek that waited for its ring logged no connections:\n{z.output()}")
        harness.log(f"ok: wait_for_ring: gave up after wait_timeout naming {path}; "
                    f"attached when udpcapd came up ({len(conns)} connections)")
    finally:
        kill_zeek(z)
        daemon.cleanup()


def main():
    zeek, plugin_dir = sys.argv[1], sys.argv[2]
    harness.require_binaries()
    tmp = tempfile.mkdtemp(prefix="udpcap-zeek-live-")
    try:
        idle(zeek, plugin_dir, tmp)
        losses(zeek, plugin_dir, tmp)
        restart(zeek, plugin_dir, tmp)
        capture_filter(zeek, plugin_dir, tmp)
        waiting(zeek, plugin_dir, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    harness.log("ok: idle, losses, a udpcapd restart, a capture filter and waiting for a ring, "
                "as Zeek sees them")


if __name__ == "__main__":
    main()
