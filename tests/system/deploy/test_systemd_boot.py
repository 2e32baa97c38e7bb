#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that the packaged udpcapd runs under a real systemd: Debian 12
booted in systemd-nspawn (its own systemd as PID 1), the packages built from
this tree installed with apt, the shipped hardened unit unchanged, and from
inside the container:

- `systemctl start udpcapd` returns once the daemon said READY=1: active
  (running), its rings and control socket there, and `systemctl status`
  shows its STATUS= text;
- steering is `ebpf` when the container grants CAP_BPF (and lets bpf()
  through nspawn's seccomp filter), `cbpf` in a second container that does not;
- replayed VXLAN traffic reaches `udpcapctl dump` run by an ordinary user in
  group udpcap, and that user's `udpcapctl stats` shows it;
- `systemctl reload` applies an allow-list change (the new drops appear under
  not_allowed); a bad edit plus reload keeps the running configuration;
- a stalled daemon (SIGSTOP) is restarted by the watchdog and the running
  dumps re-attach to the new rings, losing nothing;
- `systemctl stop` leaves no ring files; `journalctl -u udpcapd` has the
  start-up lines with their priorities; `systemd-analyze security` <= 2.0.

The watchdog part shortens WatchdogSec (30 s as shipped) to 3 s with a
runtime drop-in, so the test waits seconds rather than half a minute; the
mechanism is the unit's. Every wait is bounded."""

import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time

import debianlib
from debianlib import phase
from ocilib import check, log

CONF = "/etc/udpcapd/udpcapd.conf"
PCAP = "wikipedia.pcap"
USER = "analyst"
TEST_CONF = """# test configuration: two rings on loopback VXLAN
[rings]
count = 2
size = 8M
[steering]
mode = auto
[listener vxlan]
listen = 127.0.0.1:4789
encap = vxlan
allow = %s
"""


def as_user(args):
    """args run as the ordinary user (no capabilities, groups from /etc/group)."""
    return ["setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--"] + args


def stats(c):
    r = c.run(as_user(["/usr/sbin/udpcapctl", "stats", "--json"]))
    if r.returncode != 0:
        raise RuntimeError("udpcapctl stats as %s: %s%s" % (USER, r.stdout, r.stderr))
    return json.loads(r.stdout)


def wait_for(what, pred, timeout=30):
    """Polls pred() until true, at most timeout seconds; logs what it waits for."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            if not v:
                log("gave up after %d s waiting for: %s" % (timeout, what))
            return v
        time.sleep(0.2)


def unit(c, *props):
    r = c.run(["systemctl", "show", "udpcapd", "-p", ",".join(props)])
    return dict(l.split("=", 1) for l in r.stdout.splitlines() if "=" in l)


def journal(c, *extra):
    r = c.run(["journalctl", "-u", "udpcapd", "-o", "json", "--no-pager"] + list(extra))
    out = []
    for line in r.stdout.splitlines():
        with_fields = json.loads(line)
        msg = with_fields.get("MESSAGE")
        if isinstance(msg, list):
            msg = bytes(msg).decode(errors="replace")
        out.append((with_fields.get("SYSLOG_IDENTIFIER", ""), int(with_fields.get("PRIORITY", 6)),
                    msg or "", with_fields.get("_PID", "")))
    return out


def replay(c, count=None):
    args = ["/usr/sbin/udpcapctl", "replay", "/pcaps/" + PCAP, "--to", "127.0.0.1:4789",
            "--encap", "vxlan", "--json", "--max-seconds", "20"]
    r = c.run(as_user(args), timeout=60)
    if r.returncode != 0:
        raise RuntimeError("replay: %s%s" % (r.stdout, r.stderr))
    sent = json.loads(r.stdout)["packets"]
    log("replayed %s as VXLAN to 127.0.0.1:4789: %d datagrams" % (PCAP, sent))
    return sent


class Dump:
    """`udpcapctl dump RING -w -` as the ordinary user, its pcap stream
    counted as it arrives."""

    def __init__(self, c, ring):
        self.ring = ring
        self.proc = c.popen(as_user(["/usr/sbin/udpcapctl", "dump", ring, "-w", "-",
                                     "--timeout", "300"]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.data = bytearray()
        self.err = bytearray()
        self.threads = [threading.Thread(target=self._read, args=(self.proc.stdout, self.data),
                                         daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.err),
                                         daemon=True)]
        for t in self.threads:
            t.start()

    @staticmethod
    def _read(f, buf):
        while True:
            b = f.read1(65536)
            if not b:
                return
            buf += b

    def packets(self):
        d = bytes(self.data)
        if len(d) < 24:
            return 0
        end = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        n, off = 0, 24
        while off + 16 <= len(d):
            incl = struct.unpack(end + "I", d[off + 8:off + 12])[0]
            if off + 16 + incl > len(d):
                break
            off += 16 + incl
            n += 1
        return n

    def stop(self):
        """SIGINT to udpcapctl (the nsenter process's child in the container)."""
        kids = [p for p, comm in debianlib.children(self.proc.pid) if comm == "udpcapctl"]
        for p in kids:
            os.kill(p, signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        for t in self.threads:
            t.join(10)
        return self.proc.returncode


def install(c, debs):
    files = ["/debs/" + os.path.basename(f) for f in debs.files(debs.v1, ["udpcapd", "libudpcap0"])]
    r = c.run(["apt-get", "install", "-y", "--no-install-recommends"] + files, timeout=300,
              stdin=subprocess.DEVNULL)
    check(r.returncode == 0, "%s: apt-get install %s" % (c.name, " ".join(files)),
          r.stdout[-3000:] + r.stderr[-3000:])


def boot_and_install(c, debs):
    c.start()
    state = c.wait_booted()
    check(state in ("running", "degraded"), "%s booted: %s" % (c.name, state), c.boot_log())
    install(c, debs)


def check_cbpf(c):
    """The container without CAP_BPF: the daemon the postinst started."""
    s = wait_for("udpcapd answering on its control socket",
                 lambda: c.run(["/usr/sbin/udpcapctl", "stats", "--json"]).returncode == 0)
    r = c.run(["/usr/sbin/udpcapctl", "stats", "--json"])
    st = json.loads(r.stdout) if s else {}
    check(st.get("steering") == "cbpf",
          "without CAP_BPF the shipped unit steers with cbpf (%s: %s)"
          % (st.get("steering"), st.get("steering_why")), r.stdout + r.stderr)


def check_start(c):
    with phase("start under systemd"):
        c.run(["systemctl", "stop", "udpcapd"], timeout=60)
        c.run(["sh", "-c", "cat > " + CONF], input=TEST_CONF % "127.0.0.0/8")
        r = c.run(["/usr/sbin/udpcapd", "--check-config", "-c", CONF])
        check(r.returncode == 0, "the test configuration passes udpcapd --check-config",
              r.stdout + r.stderr)
        t0 = time.monotonic()
        r = c.run(["systemctl", "start", "udpcapd"], timeout=120)
        dt = time.monotonic() - t0
        # Read right after start returned, without waiting for anything.
        u = unit(c, "Type", "ActiveState", "SubState", "StatusText", "MainPID")
        rings = c.sh("ls /dev/shm/udpcapd").stdout.split()
        sock = c.run(["test", "-S", "/run/udpcapd/control.sock"]).returncode == 0
    check(r.returncode == 0, "systemctl start udpcapd (%.1f s)" % dt, r.stdout + r.stderr)
    check(u.get("Type") == "notify" and u.get("ActiveState") == "active" and
          u.get("SubState") == "running",
          "when systemctl start returns, the Type=notify unit is active (running)", str(u))
    check(u.get("StatusText", "").startswith("running:") and
          rings == ["worker-0", "worker-0.wake", "worker-1", "worker-1.wake"] and sock,
          "... and the daemon has sent READY=1 with its STATUS=: rings and control "
          "socket are there (%s)" % u.get("StatusText"), "rings %s socket %s" % (rings, sock))
    lines = [m for ident, _, m, pid in journal(c, "_PID=" + u.get("MainPID", "0"))]
    check(any(m.startswith("ready:") for m in lines),
          "the daemon logged 'ready:' (it sends READY=1 with it)", "\n".join(lines))
    st = c.run(["systemctl", "status", "udpcapd", "--no-pager"]).stdout
    m = re.search(r'Status: "([^"]*)"', st)
    check(m and m.group(1).startswith("running:"),
          "systemctl status shows the STATUS= text: %s" % (m.group(1) if m else None), st)
    return u.get("MainPID")


def check_user_traffic(c):
    r = c.run(["useradd", "-m", "-G", "udpcap", USER])
    check(r.returncode == 0, "an ordinary user %s in group udpcap" % USER, r.stderr)
    idl = c.run(as_user(["id"])).stdout.strip()
    caps = c.run(as_user(["grep", "CapEff", "/proc/self/status"])).stdout.split()
    check("uid=0" not in idl and "(udpcap)" in idl and caps[-1:] == ["0000000000000000"],
          "%s runs without privileges: %s, CapEff %s" % (USER, idl, caps[-1:]))
    st = stats(c)
    check(st.get("steering") == "ebpf",
          "with CAP_BPF the shipped unit steers with ebpf (%s)" % st.get("steering_why"))
    dumps = [Dump(c, "worker-0"), Dump(c, "worker-1")]
    attached = wait_for("both dumps attached", lambda: all(
        r["consumer_attached"] for r in stats(c)["rings"]), 10)
    check(attached, "both rings have %s's dump as their consumer (pids %s)" % (
        USER, [r["consumer_pid"] for r in stats(c)["rings"]]))
    with phase("traffic to dump and stats as %s" % USER):
        sent = replay(c)
        wait_for("every datagram received, delivered and dumped",
                 lambda: stats(c)["totals"]["received"] >= sent and
                 sum(d.packets() for d in dumps) >= stats(c)["totals"]["delivered"] > 0)
        t = stats(c)["totals"]
        got = [d.packets() for d in dumps]
    check(t["received"] == sent and t["delivered"] == sent and sum(got) == sent,
          "%d datagrams sent, udpcapctl stats (as %s): received %d, delivered %d; "
          "the dumps (as %s) got %s" % (sent, USER, t["received"], t["delivered"], USER, got),
          json.dumps(t))
    check(all(got), "both rings received traffic (steering spreads the flows)", str(got))
    return dumps, sent


def reload_log_count(c, pid, text):
    return sum(1 for _, _, m, _ in journal(c, "_PID=" + pid) if text in m)


def check_reload(c, pid):
    with phase("reload"):
        applied = reload_log_count(c, pid, "reload: applied")
        before = stats(c)["totals"]["drops"]["not_allowed"]
        c.run(["sed", "-i", "s|^allow = .*|allow = 10.0.0.0/8|", CONF])
        r = c.run(["systemctl", "reload", "udpcapd"], timeout=60)
        check(r.returncode == 0, "systemctl reload udpcapd (allow = 10.0.0.0/8)", r.stderr)
        ok = wait_for("the daemon's 'reload: applied' line",
                      lambda: reload_log_count(c, pid, "reload: applied") > applied, 20)
        check(ok, "the daemon applied the new allow-list")
        sent = replay(c)
        wait_for("the drops counted", lambda: stats(c)["totals"]["drops"]["not_allowed"] >=
                 before + sent)
        na = stats(c)["totals"]["drops"]["not_allowed"]
        check(na == before + sent, "after reload the %d datagrams from 127.0.0.1 are dropped "
              "under not_allowed (%d -> %d)" % (sent, before, na))

        failed = reload_log_count(c, pid, "keeping the running configuration")
        c.run(["sed", "-i", "s|^allow = .*|allow = 10.0.0.0/33|", CONF])
        r = c.run(["systemctl", "reload", "udpcapd"], timeout=60)
        ok = wait_for("the daemon's 'keeping the running configuration' line",
                      lambda: reload_log_count(c, pid, "keeping the running configuration") >
                      failed, 20)
        u = unit(c, "ActiveState", "SubState", "MainPID", "StatusText")
        check(ok and u.get("SubState") == "running" and u.get("MainPID") == pid,
              "a bad edit (allow = 10.0.0.0/33) plus reload: the daemon says it keeps the "
              "running configuration and runs on (%s)" % u.get("StatusText"), str(u))
        err = [(p, m) for _, p, m, _ in journal(c, "_PID=" + pid) if "10.0.0.0/33" in m]
        log("the daemon said: %s" % err)
        before = stats(c)["totals"]["drops"]["not_allowed"]
        sent = replay(c)
        wait_for("the drops counted", lambda: stats(c)["totals"]["drops"]["not_allowed"] >=
                 before + sent)
        na = stats(c)["totals"]["drops"]["not_allowed"]
        check(na == before + sent, "the old allow-list still applies: %d more not_allowed"
              % (na - before))
        c.run(["sed", "-i", "s|^allow = .*|allow = 127.0.0.0/8|", CONF])


def check_watchdog(c):
    with phase("watchdog restart, dumps re-attach"):
        c.sh("mkdir -p /run/systemd/system/udpcapd.service.d && printf '[Service]\\n"
             "WatchdogSec=3s\\n' > /run/systemd/system/udpcapd.service.d/test-watchdog.conf")
        c.run(["systemctl", "daemon-reload"])
        c.run(["systemctl", "restart", "udpcapd"], timeout=60)
        u = unit(c, "WatchdogUSec", "MainPID", "SubState")
        log("WatchdogSec shortened to %s for the test (runtime drop-in); pid %s"
            % (u.get("WatchdogUSec"), u.get("MainPID")))
        pid = u.get("MainPID")
        dumps = [Dump(c, "worker-0"), Dump(c, "worker-1")]
        wait_for("both dumps attached", lambda: all(
            r["consumer_attached"] for r in stats(c)["rings"]), 10)
        sent1 = replay(c)
        wait_for("dumped", lambda: sum(d.packets() for d in dumps) >= sent1)
        got1 = sum(d.packets() for d in dumps)
        check(got1 == sent1, "before the stall the dumps got all %d datagrams (%d)"
              % (sent1, got1))
        c.sh("kill -STOP %s" % pid)
        log("SIGSTOP to udpcapd (pid %s)" % pid)
        t0 = time.monotonic()
        new = wait_for("systemd to restart the stalled daemon", lambda: (
            lambda v: v.get("SubState") == "running" and v.get("MainPID") not in ("0", pid))(
                unit(c, "SubState", "MainPID")), 60)
        u = unit(c, "SubState", "MainPID", "NRestarts")
        check(new, "systemd restarted the stalled daemon after %.1f s (pid %s -> %s, "
              "NRestarts=%s)" % (time.monotonic() - t0, pid, u.get("MainPID"),
                                 u.get("NRestarts")), str(u))
        wd = [m for ident, _, m, _ in journal(c) if "atchdog" in m]
        check(any("Watchdog timeout" in m for m in wd), "the journal says it was the watchdog: "
              + "; ".join(wd[-2:]))
        att = wait_for("both dumps re-attached", lambda: all(
            b"re-attached" in bytes(d.err) for d in dumps), 30)
        check(att, "both running dumps say they re-attached to the new rings",
              " | ".join(bytes(d.err).decode(errors="replace") for d in dumps))
        sent2 = replay(c)
        wait_for("dumped", lambda: sum(d.packets() for d in dumps) >= sent1 + sent2)
        rcs = [d.stop() for d in dumps]
        got = [d.packets() for d in dumps]
        check(sum(got) == sent1 + sent2 and rcs == [0, 0],
              "the same dump processes got the %d datagrams sent after the restart too "
              "(%s in all, exits %s)" % (sent2, got, rcs),
              " | ".join(bytes(d.err).decode(errors="replace") for d in dumps))
        c.run(["rm", "/run/systemd/system/udpcapd.service.d/test-watchdog.conf"])
        c.run(["systemctl", "daemon-reload"])


def check_stop_journal_security(c):
    with phase("stop, journal, systemd-analyze security"):
        r = c.run(["systemctl", "stop", "udpcapd"], timeout=60)
        left = c.sh("ls -A /dev/shm/udpcapd").stdout.split()
        check(r.returncode == 0 and not left,
              "systemctl stop udpcapd leaves no ring files in /dev/shm/udpcapd", str(left))
        entries = [(p, m) for ident, p, m, _ in journal(c) if ident == "udpcapd"]
        first = []
        for p, m in entries:
            first.append((p, m))
            if m.startswith("ready:"):
                break
        log("journalctl -u udpcapd, the first start-up (priority, message):\n" +
            "\n".join("  <%d> %s" % e for e in first))
        prio = {m.split(" ")[0]: p for p, m in first}
        check(any(p == 6 and "starting with" in m for p, m in first) and
              any(p == 5 and m.startswith("ready:") for p, m in first),
              "start-up lines carry their priorities: 'starting' info (6), 'ready' notice (5)",
              str(prio))
        warn = [m for p, m in entries if p == 4]
        log("warnings (4) the daemon logged: %s" % warn[:3])
        r = c.run(["systemd-analyze", "security", "udpcapd", "--no-pager"], timeout=60)
        m = re.search(r"Overall exposure level for udpcapd\.service: ([0-9.]+)", r.stdout)
        check(m and float(m.group(1)) <= 2.0,
              "systemd-analyze security udpcapd inside the booted system: %s (<= 2.0)"
              % (m.group(1) if m else None), r.stdout[-2000:] + r.stderr)


def main():
    debianlib.setup_host()
    pcaps = os.environ.get("UDPCAP_PCAP_DIR", "")
    if not os.path.exists(os.path.join(pcaps, PCAP)):
        print("FAIL: no %s in UDPCAP_PCAP_DIR (%s)" % (PCAP, pcaps))
        return 1
    # The root (downloads) and the packages (compiling) side by side.
    root_ready = debianlib.in_background(debianlib.systemd_root)
    debs = debianlib.packages(upgrade=False)
    root = root_ready(1800)
    debianlib.fetch_dependencies(root, debs, debs.v1)
    binds = [(debs.v1, "/debs"), (pcaps, "/pcaps")]
    a = debianlib.Container(root, "udpcap-bpf-%d" % os.getpid(), bpf=True, binds=binds)
    b = debianlib.Container(root, "udpcap-nobpf-%d" % os.getpid(), bpf=False, binds=binds)
    try:
        with phase("container without CAP_BPF: boot, apt install, steering"):
            boot_and_install(b, debs)
            check_cbpf(b)
            b.stop()
        with phase("container with CAP_BPF: boot, apt install"):
            boot_and_install(a, debs)
        pid = check_start(a)
        dumps, _ = check_user_traffic(a)
        for d in dumps:
            d.stop()
        check_reload(a, pid)
        check_watchdog(a)
        check_stop_journal_security(a)
        with phase("power off"):
            a.stop()
    finally:
        a.stop()
        b.stop()
    debianlib.print_times()
    return debianlib.ocilib.finish("udpcapd under a booted Debian 12 systemd: start, "
                                   "steering, traffic, reload, watchdog, stop, journal, "
                                   "security all checked")


if __name__ == "__main__":
    sys.exit(main())
