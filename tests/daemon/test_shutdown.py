#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves clean stops and restarts: SIGTERM and SIGINT stop the daemon
with status 0 and remove its rings; a consumer attached at shutdown sees
the ring closed after draining what was in it; a daemon killed with
SIGKILL leaves stale rings that the next instance replaces; the running
daemon holds no capabilities; a port already taken fails start-up with
status 1 and a message naming the listener and the process holding it."""
import os
import signal
import socket
import subprocess
import sys

import daemonlib as h  # noqa: E402

CONFIG = '[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n'


def caps(pid):
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('Cap'):
                k, v = line.split(':')
                out[k] = int(v.strip(), 16)
    return out


def main():
    d = h.Daemon(CONFIG, rings=2)
    try:
        d.start()
        c = caps(d.proc.pid)
        for k in ('CapInh', 'CapPrm', 'CapEff', 'CapAmb'):
            h.eq(c[k], 0, k + ' of the running daemon')
        for task in os.listdir('/proc/%d/task' % d.proc.pid):
            with open('/proc/%d/task/%s/status' % (d.proc.pid, task)) as f:
                h.check('CapEff:\t0000000000000000' in f.read(), 'thread %s has capabilities' % task)
        s = h.Sender(socket.AF_INET)
        frames = [h.inner_frame(i) for i in range(40)]
        s.send(d.ports['vx'], [h.vxlan(3, f) for f in frames])
        st = d.wait_accounted(s.sent)
        # A consumer attached during shutdown drains what is left, then sees EOF.
        reader = subprocess.Popen([h.RING_READER, d.ring_dir, 'worker-0', '1000000', '5000'],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        h.eq(reader.stderr.readline(), 'ATTACHED\n', 'consumer attached before SIGTERM')
        rc = d.stop(signal.SIGTERM)
        out, _ = reader.communicate(timeout=60)
        h.eq(rc, 0, 'SIGTERM exit status')
        h.eq(out.splitlines()[-1], 'END %d' % st['ring.worker-0.delivered'], 'consumer drained the ring')
        h.eq(sorted(os.listdir(d.ring_dir)), [], 'rings removed after SIGTERM')
        h.check('SIGTERM' in d.read_log() or 'Terminated' in d.read_log(), 'stop logged')

        # SIGKILL leaves stale rings; the next daemon replaces them and works.
        d.start()
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        h.eq(sorted(f for f in os.listdir(d.ring_dir) if not f.endswith('.wake')), ['worker-0', 'worker-1'],
             'stale rings after SIGKILL')
        d.logf.close()
        d.start()
        s.send(d.ports['vx'], [h.vxlan(3, f) for f in frames[:5]])
        st = d.wait_accounted(5)
        h.eq(st['total.delivered'], 5, 'delivered by the replacing daemon')
        recs = d.read_ring('worker-0') + d.read_ring('worker-1')
        h.eq(len(recs), 5, 'records in the new rings')

        # A taken port: start-up fails cleanly, naming the listener.
        busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        busy.bind(('127.0.0.1', 0))
        other = h.Daemon('[listener busy]\nlisten = 127.0.0.1:%d\n' % busy.getsockname()[1])
        try:
            p = subprocess.run([h.UDPCAPD, '-c', other.conf], capture_output=True, text=True,
                               timeout=60)
            h.eq(p.returncode, 1, 'status with a taken port')
            want = ('listener busy: 127.0.0.1:%d is already bound by %s (pid %d)' %
                    (busy.getsockname()[1], open('/proc/self/comm').read().strip(), os.getpid()))
            h.check(want in p.stderr, p.stderr)
        finally:
            other.cleanup()
            busy.close()

        h.eq(d.stop(signal.SIGINT), 0, 'SIGINT exit status')
        h.eq(sorted(os.listdir(d.ring_dir)), [], 'rings removed after SIGINT')
    finally:
        d.cleanup()
    print('PASS')


if __name__ == '__main__':
    main()
