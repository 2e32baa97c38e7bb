# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for udpcapd end-to-end tests (not a test itself).

Starts the real daemon from $UDPCAPD with a config in a fresh temp dir,
its own ring directory and control socket, listeners on port 0 (the daemon
picks a free port and reports it on --ready-fd), sends handcrafted tunnel
datagrams over real UDP sockets, reads counters through the SIGUSR1 stats
line and ring contents through $RING_READER (the consumer API).
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from udpcap_packets import ether, geneve, ipv4_udp, vxlan  # noqa: E402,F401 (re-exported)
from udpcap_procs import stop_process  # noqa: E402

UDPCAPD = os.environ.get('UDPCAPD')
RING_READER = os.environ.get('RING_READER')
SANITIZED = os.environ.get('UDPCAP_SANITIZED') == '1'

DROPS = ['socket', 'not_allowed', 'vni_filtered', 'truncated', 'ring_full', 'empty',
         'vxlan_short', 'vxlan_no_vni', 'geneve_short', 'geneve_version', 'geneve_optlen',
         'geneve_proto', 'gwlb_ip', 'gwlb_not_udp', 'gwlb_udp_short', 'skip_short']


def skip(why):
    print('SKIP: ' + why)
    sys.stderr.write('SKIP: ' + why + '\n')
    sys.exit(77)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eq(got, want, what):
    if got != want:
        raise AssertionError('%s: got %r, want %r' % (what, got, want))


class Daemon:
    def __init__(self, config_body, rings=2, size='1M', backend='recvmmsg', extra_env=None,
                 receive=''):
        if not UDPCAPD or not os.access(UDPCAPD, os.X_OK):
            raise RuntimeError('UDPCAPD is not set to the built daemon')
        self.dir = tempfile.mkdtemp(prefix='udpcapd-test-')
        # Rings on tmpfs as in production (a private directory, never /dev/shm/udpcapd).
        shm = '/dev/shm' if os.access('/dev/shm', os.W_OK) else None
        self.shm_dir = tempfile.mkdtemp(prefix='udpcapd-test-', dir=shm) if shm else None
        self.ring_dir = os.path.join(self.shm_dir or self.dir, 'rings')
        self.conf = os.path.join(self.dir, 'udpcapd.conf')
        self.log_path = os.path.join(self.dir, 'daemon.log')
        self.head = ('[rings]\ncount = %d\nsize = %s\ndir = %s\nname = w-%%d\n'
                     '[receive]\nbackend = %s\nbatch = 32\nrcvbuf = 8M\n%s'
                     '[control]\nsocket = %s\n[metrics]\nlisten =\n[log]\nlevel = info\n'
                     % (rings, size, self.ring_dir, backend, receive,
                        os.path.join(self.dir, 'ctl.sock')))
        self.write_config(config_body)
        self.extra_env = extra_env or {}
        self.proc = None
        self.ports = {}
        self.rings = {}

    def write_config(self, body, head=None):
        tmp = self.conf + '.tmp'
        with open(tmp, 'w') as f:
            f.write((head if head is not None else self.head) + body)
        os.rename(tmp, self.conf)

    def start(self, timeout=60, prefix=()):
        rfd, wfd = os.pipe()
        env = dict(os.environ)
        env.pop('NOTIFY_SOCKET', None)
        env.update(self.extra_env)
        self.log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(list(prefix) + [UDPCAPD, '-c', self.conf, '--ready-fd', str(wfd)],
                                     pass_fds=(wfd,), stdout=self.log, stderr=self.log,
                                     env=env)
        os.close(wfd)
        buf = b''
        deadline = time.monotonic() + timeout
        with os.fdopen(rfd, 'rb') as r:
            while time.monotonic() < deadline:
                chunk = r.read1(4096) if hasattr(r, 'read1') else r.read(4096)
                if not chunk:
                    break
                buf += chunk
                if b'READY\n' in buf:
                    break
        if b'READY\n' not in buf:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError('daemon did not become ready; log:\n' + self.read_log())
        for line in buf.decode().splitlines():
            parts = line.split()
            if parts[0] == 'listener':
                host, port = parts[2].rsplit(':', 1)
                self.ports[parts[1]] = (host.strip('[]'), int(port))
            elif parts[0] == 'ring':
                self.rings[parts[1]] = parts[2]
        return self

    def read_log(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode(errors='replace')

    def wait_log(self, text, timeout=30, start=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.read_log()
            if text in log[start:]:
                return log
            check(self.proc.poll() is None, 'daemon exited while waiting for %r:\n%s' % (text, log))
            time.sleep(0.02)
        raise AssertionError('no %r in the log within %ds:\n%s' % (text, timeout, self.read_log()))

    def stats(self, timeout=30):
        """Ask for a stats line with SIGUSR1 and parse it into a dict."""
        before = len([l for l in self.read_log().split('\n')[:-1] if ' stats uptime_ms=' in l])
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Only complete lines: the daemon may be half-way through writing one.
            lines = [l for l in self.read_log().split('\n')[:-1] if ' stats uptime_ms=' in l]
            if len(lines) > before:
                out = {}
                for tok in lines[-1].split(' stats ', 1)[1].split():
                    k, _, v = tok.partition('=')
                    out[k] = int(v) if v.isdigit() else v
                return out
            time.sleep(0.02)
        raise AssertionError('no stats line after SIGUSR1:\n' + self.read_log())

    def wait_accounted(self, sent, timeout=60):
        """Wait until every sent datagram is received or counted as a socket drop."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.stats()
            if s['total.received'] + s['total.drop.socket'] >= sent:
                return s
            if time.monotonic() > deadline:
                raise AssertionError('only %d received + %d socket drops of %d sent' % (
                    s['total.received'], s['total.drop.socket'], sent))
            time.sleep(0.1)

    def read_ring(self, name, max_records=1000000, idle_ms=500):
        out = subprocess.run([RING_READER, self.ring_dir, name, str(max_records), str(idle_ms)],
                             capture_output=True, text=True, timeout=120)
        check(out.returncode == 0, 'ring_reader failed: ' + out.stderr)
        recs = []
        for line in out.stdout.splitlines():
            p = line.split()
            if p[0] == 'END':
                eq(int(p[1]), len(recs), 'ring_reader count')
                continue
            recs.append({'ts': int(p[0]), 'caplen': int(p[1]), 'origlen': int(p[2]),
                         'linktype': int(p[3]), 'flags': int(p[4]), 'vxlan_vni': int(p[5]),
                         'geneve_vni': int(p[6]), 'data': bytes.fromhex(p[7]) if len(p) > 7 else b''})
        return recs

    def stop(self, sig=signal.SIGTERM, timeout=60):
        rc = stop_process(self.proc, sig, timeout)
        if rc is None:
            raise AssertionError('daemon did not stop within %ds:\n%s' % (timeout, self.read_log()))
        self.log.close()
        return rc

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.shm_dir:
            shutil.rmtree(self.shm_dir, ignore_errors=True)


def accounting(s, scope='total'):
    """received == delivered + every drop but socket; returns the drop sum."""
    drops = sum(s['%s.drop.%s' % (scope, d)] for d in DROPS if d != 'socket')
    eq(s[scope + '.received'], s[scope + '.delivered'] + drops,
       '%s: received == delivered + drops' % scope)
    return drops


# ------------------------------------------------------------ packet building

def inner_frame(i, size=64):
    payload = struct.pack('!I', i) + bytes((i + k) & 0xff for k in range(size))
    return ether(ipv4_udp('10.0.%d.%d' % (i // 250 % 250, i % 250 + 1), '10.9.0.1',
                          1024 + i % 60000, 80, payload))


class Sender:
    """Paced UDP sender: bounded in count, gentle enough that no socket overflows."""

    def __init__(self, family=socket.AF_INET, bind=None):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        if bind:
            self.sock.bind((bind, 0))
        self.sent = 0

    def send(self, addr, payloads, chunk=16, pause=0.002):
        for n, p in enumerate(payloads):
            self.sock.sendto(p, addr)
            self.sent += 1
            if n % chunk == chunk - 1:
                time.sleep(pause * (4 if SANITIZED else 1))
        return len(payloads)

    def close(self):
        self.sock.close()
