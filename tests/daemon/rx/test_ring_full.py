#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that a full ring with no consumer never stalls the daemon and is
counted exactly: every datagram is either delivered (written into the ring)
or counted ring_full, the ring's own full counter agrees, and a consumer
attaching afterwards reads exactly the delivered records, intact."""
import os
import socket
import sys

import daemonlib as h  # noqa: E402


def main():
    d = h.Daemon('[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n', rings=1, ring_size='64K')
    try:
        d.start()
        s = h.Sender(socket.AF_INET)
        n = 1500
        frames = [h.inner_frame(i, size=246) for i in range(n)]
        s.send(d.ports['vx'], [h.vxlan(1, f) for f in frames])
        st = d.wait_accounted(s.sent)
        h.eq(st['total.drop.socket'], 0, 'socket drops')
        h.eq(st['total.received'], n, 'received')
        h.accounting(st)
        full = st['total.drop.ring_full']
        delivered = st['total.delivered']
        h.check(full > 0, 'a 64K ring must overflow with %d x 260 B records' % n)
        h.eq(delivered + full, n, 'sent == delivered + ring_full')
        h.eq(st['ring.worker-0.full'], full, "ring header's full count")
        h.eq(st['ring.worker-0.written'], delivered, "ring header's written count")
        recs = d.read_ring('worker-0')
        h.eq(len(recs), delivered, 'records a late consumer reads')
        # The ring keeps the oldest records: the first `delivered` frames, in order.
        h.eq([r['data'] for r in recs], frames[:delivered], 'records in order, intact')
        # With room again, new datagrams are delivered.
        s.send(d.ports['vx'], [h.vxlan(1, frames[0])] * 5)
        st = d.wait_accounted(s.sent)
        h.eq(st['total.delivered'], delivered + 5, 'delivered after the consumer drained')
        h.eq(d.stop(), 0, 'exit status')
    finally:
        d.cleanup()
    print('PASS')


if __name__ == '__main__':
    main()
