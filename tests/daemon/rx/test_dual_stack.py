#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that listen = [::]:PORT receives IPv4 and IPv6 alike: VXLAN from
127.0.0.1 and from ::1 to one such listener is delivered in full, spread
over its rings by the steering program; its allow-list matches IPv4
senders (seen as ::ffff:127.0.0.1) against IPv4 networks, so a listener
allowing only 10.0.0.0/8 counts them not_allowed; the start-up log says
which families each listener receives; and with 0.0.0.0:P and [::]:P in
one configuration, both start, the IPv4 listener gets the IPv4 traffic
and the [::] one keeps to IPv6."""
import socket

import daemonlib as h


def free_port():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    d = h.Daemon('[listener any]\nlisten = [::]:0\nencap = vxlan\n'
                 'allow = 127.0.0.0/8, ::1/128\n'
                 '[listener ten]\nlisten = [::]:0\nencap = vxlan\nallow = 10.0.0.0/8\n', rings=2)
    try:
        d.start()
        log = d.read_log()
        h.check('listener any: vxlan on [::]:%d (IPv4 and IPv6)' % d.ports['any'][1] in log, log)
        s4, s6 = h.Sender(socket.AF_INET), h.Sender(socket.AF_INET6)
        s4.send(('127.0.0.1', d.ports['any'][1]), [h.vxlan(4, h.inner_frame(i)) for i in range(100)])
        s6.send(('::1', d.ports['any'][1]), [h.vxlan(6, h.inner_frame(i)) for i in range(100, 200)])
        s4.send(('127.0.0.1', d.ports['ten'][1]), [h.vxlan(4, h.inner_frame(i)) for i in range(7)])
        st = d.wait_accounted(s4.sent + s6.sent)
        h.eq(st['listener.any.delivered'], 200, 'IPv4 and IPv6 senders delivered on [::]')
        h.eq(st['listener.ten.drop.not_allowed'], 7, 'IPv4 sender outside an IPv4 allow-list')
        h.accounting(st)
        r0, r1 = d.read_ring('worker-0'), d.read_ring('worker-1')
        vnis = sorted(r['vxlan_vni'] for r in r0 + r1)
        h.eq(vnis, [4] * 100 + [6] * 100, 'records of both families in the rings')
        for name, recs in (('worker-0', r0), ('worker-1', r1)):
            h.eq({r['vxlan_vni'] for r in recs}, {4, 6},
                 'ring %s holds flows of both families (steering by the inner flow)' % name)
        h.eq(d.stop(), 0, 'exit status')
    finally:
        d.cleanup()

    port = free_port()
    d = h.Daemon('[listener v4]\nlisten = 0.0.0.0:%d\nencap = vxlan\n'
                 '[listener v6]\nlisten = [::]:%d\nencap = vxlan\n' % (port, port), rings=2)
    try:
        d.start()
        log = d.read_log()
        h.check('listener v6: vxlan on [::]:%d (IPv6 only)' % port in log, log)
        h.check('listener v4: vxlan on 0.0.0.0:%d (IPv4)' % port in log, log)
        s4, s6 = h.Sender(socket.AF_INET), h.Sender(socket.AF_INET6)
        s4.send(('127.0.0.1', port), [h.vxlan(4, h.inner_frame(i)) for i in range(30)])
        s6.send(('::1', port), [h.vxlan(6, h.inner_frame(i)) for i in range(20)])
        st = d.wait_accounted(s4.sent + s6.sent)
        h.eq(st['listener.v4.delivered'], 30, 'IPv4 to the 0.0.0.0 listener')
        h.eq(st['listener.v6.delivered'], 20, 'IPv6 to the [::] listener')
        h.eq(d.stop(), 0, 'exit status')
    finally:
        d.cleanup()
    print('PASS')


if __name__ == '__main__':
    main()
