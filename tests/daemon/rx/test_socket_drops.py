#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves exact accounting of kernel socket drops with both backends: with
tiny receive buffers and the daemon stopped (SIGSTOP) while a burst
arrives, the kernel drops most of it; after SIGCONT every datagram is
accounted: sent == received + drops[socket] (from SO_RXQ_OVFL and
SO_MEMINFO) and received == delivered + other drops, per ring too.
One backend per run (argument); io_uring skips (77) where the kernel
cannot use it."""
import os
import signal
import socket
import sys
import time

import daemonlib as h  # noqa: E402


def run(backend):
    d = h.Daemon('[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n', rings=2, ring_size='4M',
                 backend=backend)
    d.head = d.head.replace('rcvbuf = 8M', 'rcvbuf = 4K')
    d.write_config('[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n')
    try:
        try:
            d.start()
        except AssertionError as e:
            if backend == 'io_uring' and 'io_uring is not usable' in str(e):
                msg = 'SKIP: io_uring is not usable on this kernel; socket drops not checked for it'
                print(msg)
                print(msg, file=sys.stderr)
                sys.exit(77)
            raise
        s = h.Sender(socket.AF_INET)
        s.send(d.ports['vx'], [h.vxlan(5, h.inner_frame(i)) for i in range(20)])
        d.wait_accounted(s.sent)
        d.proc.send_signal(signal.SIGSTOP)
        try:
            n = 2000
            s.send(d.ports['vx'], [h.vxlan(5, h.inner_frame(i)) for i in range(n)], chunk=n, pause=0)
        finally:
            d.proc.send_signal(signal.SIGCONT)
        # One more datagram after the overflow, then let the idle poll see the rest.
        time.sleep(0.3)
        s.send(d.ports['vx'], [h.vxlan(5, h.inner_frame(1))])
        st = d.wait_accounted(s.sent)
        time.sleep(0.5)
        st = d.stats_line()
        h.check(st['total.drop.socket'] > 0, 'a 4K buffer must overflow while the daemon is stopped')
        h.eq(st['total.received'] + st['total.drop.socket'], s.sent,
             'sent == received + socket drops')
        h.accounting(st)
        for ring in d.rings:
            h.accounting(st, 'ring.' + ring)
        print('%s: sent %d, received %d, socket drops %d' % (
            backend, s.sent, st['total.received'], st['total.drop.socket']))
        h.eq(d.stop(), 0, 'exit status')
    finally:
        d.cleanup()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ('recvmmsg', 'io_uring'):
        sys.exit('usage: test_socket_drops.py recvmmsg|io_uring')
    run(sys.argv[1])
    print('PASS')


if __name__ == '__main__':
    main()
