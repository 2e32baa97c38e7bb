# SPDX-License-Identifier: BSD-3-Clause
"""The real udpcapd for the Python tests and benchmarks (not a test): one
Daemon class for every suite.

By default it writes a config of its own in a private temp dir: rings in a
private directory on tmpfs (as in production, never /dev/shm/udpcapd), a
control socket, listeners on port 0 (the daemon picks free ports and says
which on --ready-fd). Or it runs a config file the caller wrote (config=),
optionally under a prefix such as `ip netns exec NS` or setpriv.

It reads the counters three ways: stats() (udpcapctl stats --json),
stats_line() (the line SIGUSR1 logs) and final_stats() (the line logged at
exit), and ring contents with $RING_READER (the consumer API)."""

import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from udpcap_procs import stop_process

BUILD = os.environ.get("UDPCAP_BUILD_ROOT", "")
UDPCAPD = os.environ.get("UDPCAPD") or os.path.join(BUILD, "daemon", "udpcapd")
UDPCAPCTL = os.path.join(BUILD, "tools", "udpcapctl")
RING_READER = os.environ.get("RING_READER")
SANITIZED = os.environ.get("UDPCAP_SANITIZED") == "1"

_children = []
_shm_dirs = []


@atexit.register
def _kill_children():
    """A failed test must not leave daemons or dumps running, nor ring
    directories in /dev/shm (also when a caller removed only Daemon.tmp)."""
    for p in _children:
        if p.poll() is None:
            p.kill()
            p.wait()
    for d in _shm_dirs:
        shutil.rmtree(d, ignore_errors=True)


def fmt_addr(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listener_sections(listeners):
    """INI of [(name, host, encap, extra_lines)]: each on HOST port 0."""
    lines = []
    for name, host, encap, extra in listeners:
        lines += [f"[listener {name}]", f"listen = {fmt_addr(host, 0)}", f"encap = {encap}"]
        lines += (["dlt = en10mb"] if encap == "raw" else []) + list(extra) + [""]
    return "\n".join(lines) + "\n"


def parse_stats_line(line):
    """{key: value} of a "stats k=v ..." log line (numbers as int)."""
    out = {}
    for tok in line.split(" stats ", 1)[1].split():
        k, _, v = tok.partition("=")
        out[k] = int(v) if v.isdigit() else v
    return out


class Daemon:
    """udpcapd with a generated config, or the caller's (config=).

    listeners: INI text of the listener sections (and anything else after
    the generated [rings], [receive], [control], [metrics] and [log]), or
    [(name, host, encap, extra_lines)] (see listener_sections()).
    extra: more INI after the listeners; receive: more [receive] lines.
    metrics: serve /metrics on a free loopback port (self.metrics_port).
    The file is self.head + self.body + self.extra; start() and
    write_config() write it again, so a test may change them in between.
    """

    def __init__(self, listeners=(), rings=2, ring_size="4M", backend="recvmmsg", batch=64,
                 rcvbuf="8M", threads=None, steering=None, receive="", extra="",
                 ring_pattern="worker-%d", metrics=False, extra_env=None, config=None,
                 log_path=None, prefix=(), udpcapd=None):
        self.udpcapd = udpcapd or UDPCAPD
        if not os.access(self.udpcapd, os.X_OK):
            raise RuntimeError(f"{self.udpcapd} is not the built daemon (UDPCAP_BUILD_ROOT, UDPCAPD)")
        self.extra_env = dict(extra_env or {})
        self.prefix = list(prefix)
        self.proc = None
        self.logf = None
        self.ports = {}  # listener name -> (host, port)
        self.rings = {}  # ring name -> what the ready report says of it
        self.nrings = rings
        self.ring_pattern = ring_pattern
        self.metrics_port = None
        if config:
            self.tmp = self.shm_dir = self.ring_dir = self.control = None
            self.conf = config
            self.log_path = log_path or config + ".log"
            return
        self.tmp = tempfile.mkdtemp(prefix="udpcapd-test-")
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.shm_dir = tempfile.mkdtemp(prefix="udpcapd-test-", dir=shm) if shm else None
        if self.shm_dir:
            _shm_dirs.append(self.shm_dir)
        self.ring_dir = os.path.join(self.shm_dir or self.tmp, "rings")
        self.control = os.path.join(self.tmp, "control.sock")
        self.conf = os.path.join(self.tmp, "udpcapd.conf")
        self.log_path = log_path or os.path.join(self.tmp, "udpcapd.log")
        if metrics:
            self.metrics_port = free_tcp_port()
        self.head = "".join([
            f"[rings]\ncount = {rings}\nsize = {ring_size}\ndir = {self.ring_dir}\n"
            f"name = {ring_pattern}\n",
            f"[receive]\nbackend = {backend}\nbatch = {batch}\nrcvbuf = {rcvbuf}\n",
            f"threads = {threads}\n" if threads is not None else "",
            receive,
            f"[steering]\nmode = {steering}\n" if steering else "",
            f"[control]\nsocket = {self.control}\n",
            "[metrics]\nlisten = %s\n" % (f"127.0.0.1:{self.metrics_port}" if metrics else ""),
            "[log]\nlevel = info\n",
        ])
        self.body = listeners if isinstance(listeners, str) else listener_sections(listeners)
        self.extra = extra
        self.write_config()

    # ------------------------------------------------------------ config

    def write_config(self, body=None, head=None):
        """Write self.head + self.body + self.extra (head or body replaced
        first if given), atomically."""
        if body is not None:
            self.body = body
        if head is not None:
            self.head = head
        tmp = self.conf + ".tmp"
        with open(tmp, "w") as f:
            f.write(self.head + self.body + (("\n" + self.extra) if self.extra else ""))
        os.rename(tmp, self.conf)

    def share_ring_dir(self, other):
        """Use OTHER's ring directory, as a restarted udpcapd finds its
        predecessor's [rings] dir."""
        self.head = self.head.replace(f"dir = {self.ring_dir}\n", f"dir = {other.ring_dir}\n")
        self.ring_dir = other.ring_dir
        self.write_config()

    def ring_names(self):
        return [self.ring_pattern.replace("%d", str(i)) for i in range(self.nrings)]

    # ------------------------------------------------------------ process

    def start(self, timeout=60, prefix=None):
        """Start udpcapd and wait for READY on --ready-fd, which names the
        bound listeners and the rings. Raises AssertionError with the log."""
        if self.tmp:
            self.write_config()
        rfd, wfd = os.pipe()
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env.update(self.extra_env)
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            list(self.prefix if prefix is None else prefix) +
            [self.udpcapd, "-c", self.conf, "--ready-fd", str(wfd)],
            pass_fds=(wfd,), stdout=self.logf, stderr=subprocess.STDOUT, env=env)
        _children.append(self.proc)
        os.close(wfd)
        buf = b""
        deadline = time.monotonic() + timeout * (3 if SANITIZED else 1)
        try:
            while b"READY\n" not in buf and time.monotonic() < deadline:
                ready, _, _ = select.select([rfd], [], [], 0.5)
                if ready:
                    chunk = os.read(rfd, 4096)
                    if not chunk:
                        break
                    buf += chunk
        finally:
            os.close(rfd)
        if b"READY\n" not in buf:
            self.kill()
            raise AssertionError("udpcapd did not become ready; log:\n" + self.read_log())
        for line in buf.decode().splitlines():
            f = line.split()
            if len(f) >= 3 and f[0] == "listener":
                host, port = f[2].rsplit(":", 1)
                self.ports[f[1]] = (host.strip("[]"), int(port))
            elif len(f) >= 2 and f[0] == "ring":
                self.rings[f[1]] = f[2] if len(f) > 2 else ""
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signal udpcapd and wait for it: its exit status. Raises
        AssertionError if it ignored SIG for TIMEOUT s. 0 if never started."""
        if not self.proc:
            return 0
        rc = stop_process(self.proc, sig, timeout)
        if rc is None:
            raise AssertionError(f"udpcapd did not stop within {timeout} s:\n" + self.read_log())
        if self.logf:
            self.logf.close()
        return rc

    def cleanup(self):
        self.kill()
        if self.logf:
            self.logf.close()
        for d in (self.tmp, self.shm_dir):
            if d:
                shutil.rmtree(d, ignore_errors=True)

    # ------------------------------------------------------------ addresses

    def port(self, name):
        return self.ports[name][1]

    def addr(self, name):
        """"HOST:PORT" of a listener, as udpcapctl replay --to takes it."""
        return fmt_addr(*self.ports[name])

    # ------------------------------------------------------------ log

    def read_log(self):
        if self.logf and not self.logf.closed:
            self.logf.flush()
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_log(self, text, timeout=30, start=0):
        """The whole log once TEXT appears after offset START."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.read_log()
            if text in log[start:]:
                return log
            if not self.alive():
                raise AssertionError(f"udpcapd exited while waiting for {text!r}:\n{log}")
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} in the log within {timeout} s:\n" + self.read_log())

    def steering(self):
        """The steering mode the daemon logged for its listener."""
        for line in self.read_log().splitlines():
            if "steering " in line and "listener" in line:
                return line.split("steering ", 1)[1].split()[0]
        return None

    # ------------------------------------------------------------ counters

    def stats(self):
        """udpcapctl stats --json, or None if the daemon does not answer."""
        r = subprocess.run([UDPCAPCTL, "stats", "--json", "--socket", self.control],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def scrape(self, path="/metrics"):
        """(status, content type, text) of GET PATH on the metrics endpoint (metrics=True)."""
        url = f"http://127.0.0.1:{self.metrics_port}{path}"
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()

    def _stats_lines(self):
        # only complete lines: the daemon may be half-way through writing one
        return [l for l in self.read_log().split("\n")[:-1] if " stats uptime_ms=" in l]

    def stats_line(self, timeout=30):
        """Ask for a stats line with SIGUSR1 and parse it into a dict."""
        before = len(self._stats_lines())
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self._stats_lines()
            if len(lines) > before:
                return parse_stats_line(lines[-1])
            time.sleep(0.02)
        raise AssertionError("no stats line after SIGUSR1:\n" + self.read_log())

    def final_stats(self):
        """The stats line udpcapd logs when it stops ({} if none)."""
        lines = [l for l in self.read_log().splitlines()
                 if " stats " in l and "total.received=" in l]
        return parse_stats_line(lines[-1]) if lines else {}

    def wait_accounted(self, sent, timeout=60):
        """The stats line once every sent datagram is received or a socket drop."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats_line()
            if s["total.received"] + s["total.drop.socket"] >= sent:
                return s
            if time.monotonic() > deadline:
                raise AssertionError("only %d received + %d socket drops of %d sent" % (
                    s["total.received"], s["total.drop.socket"], sent))
            time.sleep(0.1)

    def read_ring(self, name, max_records=1000000, idle_ms=500):
        """Every record of ring NAME, read with $RING_READER (the consumer API)."""
        out = subprocess.run([RING_READER, self.ring_dir, name, str(max_records), str(idle_ms)],
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise AssertionError("ring_reader failed: " + out.stderr)
        recs = []
        for line in out.stdout.splitlines():
            p = line.split()
            if p[0] == "END":
                if int(p[1]) != len(recs):
                    raise AssertionError(f"ring_reader says {p[1]} records, printed {len(recs)}")
                continue
            recs.append({"ts": int(p[0]), "caplen": int(p[1]), "origlen": int(p[2]),
                         "linktype": int(p[3]), "flags": int(p[4]), "vxlan_vni": int(p[5]),
                         "geneve_vni": int(p[6]),
                         "data": bytes.fromhex(p[7]) if len(p) > 7 else b""})
        return recs
