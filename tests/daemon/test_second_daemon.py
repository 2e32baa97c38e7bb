#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that a second udpcapd never takes over a running one: (a) the
same ring directory with other ports, (b) the same configuration started
twice and (c) the same port with another ring directory and control socket
each make the second exit 1 before it creates anything, naming the ring
directory's holder pid or the address and the process bound to it; the
first daemon's ring files are the same files afterwards and it keeps
delivering with exact books (sent == received == delivered == records read
back). A restart of the same daemon (SIGTERM, then SIGKILL) still works."""
import os
import signal
import socket
import subprocess

import daemonlib as h


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ring_inodes(d):
    return {n: os.stat(os.path.join(d.ring_dir, n)).st_ino for n in ('worker-0', 'worker-1')}


def second(conf):
    p = subprocess.run([h.UDPCAPD, '-c', conf], capture_output=True, text=True, timeout=60)
    h.eq(p.returncode, 1, 'exit status of the second daemon; its log:\n' + p.stderr)
    return p.stderr


def books(d, s, sent_before, n, tag):
    """Send N more datagrams to D; every one is received, delivered and read back."""
    s.send(d.ports['vx'], [h.vxlan(7, h.inner_frame(i)) for i in range(n)])
    st = d.wait_accounted(s.sent - sent_before)
    h.eq(st['total.received'], s.sent - sent_before, tag + ': received')
    h.eq(st['total.delivered'], s.sent - sent_before, tag + ': delivered')
    h.eq(st['total.drop.socket'], 0, tag + ': socket drops')
    h.accounting(st)
    return st


def main():
    port = free_port()
    d = h.Daemon('[listener vx]\nlisten = 127.0.0.1:%d\nencap = vxlan\n' % port, rings=2)
    others = []
    try:
        d.start()
        inodes = ring_inodes(d)
        s = h.Sender(socket.AF_INET)
        books(d, s, 0, 50, 'before')

        # (a) the same ring directory, another port
        a = h.Daemon('[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n', rings=2)
        others.append(a)
        a.write_config('[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n',
                       head=a.head.replace(a.ring_dir, d.ring_dir))
        err = second(a.conf)
        h.check('ring directory %s is in use by another udpcapd (pid %d)' % (d.ring_dir, d.proc.pid)
                in err, '(a) names the ring directory and the holder:\n' + err)

        # (b) the same configuration again
        err = second(d.conf)
        h.check('ring directory %s is in use by another udpcapd (pid %d)' % (d.ring_dir, d.proc.pid)
                in err, '(b) names the ring directory and the holder:\n' + err)

        # (c) the same port, its own ring directory and control socket
        c = h.Daemon('[listener vx]\nlisten = 127.0.0.1:%d\nencap = vxlan\n' % port, rings=2)
        others.append(c)
        err = second(c.conf)
        h.check('listener vx: 127.0.0.1:%d is already bound by udpcapd (pid %d)' % (port, d.proc.pid)
                in err, '(c) names the address and the process:\n' + err)
        h.eq(os.listdir(c.ring_dir) if os.path.isdir(c.ring_dir) else [], [],
             '(c) created no rings')

        h.eq(ring_inodes(d), inodes, 'the first daemon\'s ring files are still the same files')
        st = books(d, s, 0, 200, 'after the second daemons')
        recs = d.read_ring('worker-0') + d.read_ring('worker-1')
        h.eq(len(recs), st['total.delivered'], 'records read back from the first daemon\'s rings')
        h.check('error' not in d.read_log().lower(), 'the first daemon logged an error:\n' + d.read_log())

        # A restart of the same daemon: after SIGTERM, and after SIGKILL.
        h.eq(d.stop(), 0, 'SIGTERM exit status')
        d.start()
        books(d, s, s.sent, 20, 'after a restart')
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        d.logf.close()
        d.start()
        books(d, s, s.sent, 20, 'after SIGKILL and a restart')
        h.eq(d.stop(), 0, 'final exit status')
    finally:
        for o in others:
            o.cleanup()
        d.cleanup()
    print('PASS')


if __name__ == '__main__':
    main()
