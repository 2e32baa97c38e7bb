#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that the io_uring backend survives its provided-buffer ring
running dry: with the buffer ring shrunk to 8 buffers (UDPCAPD_URING_BUFFERS),
bursts end the
multishot recvmsg with -ENOBUFS, the daemon re-arms it, and over the run
sent == received + socket drops and received == delivered + drops, with
nothing stalled (the last burst is still fully accounted)."""
import os
import socket
import sys

import daemonlib as h  # noqa: E402


def main():
    d = h.Daemon('[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n', rings=1, ring_size='64M',
                 backend='io_uring', extra_env={'UDPCAPD_URING_BUFFERS': '8'})
    try:
        try:
            d.start()
        except AssertionError as e:
            if 'io_uring is not usable' in str(e):
                h.skip('io_uring not usable here')
            raise
        s = h.Sender(socket.AF_INET)
        bursts = 4 if h.SANITIZED else 10
        per = 3000
        for b in range(bursts):
            pkts = [h.vxlan(9, h.inner_frame(b * per + i)) for i in range(per)]
            # Unpaced: as fast as the sender can go, to run the buffers dry.
            s.send(d.ports['vx'], pkts, chunk=per, pause=0)
        st = d.wait_accounted(s.sent)
        h.accounting(st)
        h.check(st['uring_enobufs'] > 0, 'the buffer ring never ran dry: test did not test')
        h.eq(st['total.received'] + st['total.drop.socket'], s.sent, 'sent == received + socket drops')
        h.eq(st['total.drop.ring_full'], 0, 'ring_full (64M ring)')
        recs = d.read_ring('worker-0')
        h.eq(len(recs), st['total.delivered'], 'records in the ring')
        # Still receiving after all that.
        s.send(d.ports['vx'], [h.vxlan(9, h.inner_frame(1))] * 10)
        st2 = d.wait_accounted(s.sent)
        h.eq(st2['total.delivered'], st['total.delivered'] + 10, 'delivered after the bursts')
        print('bursts %d x %d: received %d, socket drops %d, multishot re-armed %d times' % (
            bursts, per, st['total.received'], st['total.drop.socket'], st['uring_enobufs']))
        h.eq(d.stop(), 0, 'exit status')
    finally:
        d.cleanup()
    print('PASS')


if __name__ == '__main__':
    main()
