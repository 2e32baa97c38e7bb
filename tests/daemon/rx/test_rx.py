#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves the receive path end to end with one backend (argv[1]): four
listeners at once (VXLAN on IPv4, GENEVE on IPv6, VXLAN on IPv6 whose
allow-list excludes ::1, raw with an allow-list) on real loopback sockets;
every datagram is delivered or counted under exactly one reason (allow-list,
VNI filter, each malformed class) with sent == delivered + sum(drops);
a 9216 B jumbo and datagrams of 9217 B up to 65507 B (the largest IPv4
UDP payload) are delivered whole, none counted truncated; ring records
carry the inner frame byte for byte, the link type, VNI flags and kernel
timestamps that are monotonic per ring; then a seeded storm of random and
mangled datagrams at every listener is fully accounted with the daemon
still running."""
import os
import socket
import sys
import time

import daemonlib as h  # noqa: E402

backend = sys.argv[1] if len(sys.argv) > 1 else 'recvmmsg'

CONFIG = '''
[listener vx]
listen = 127.0.0.1:0
encap = vxlan
vni = 42, 43
[listener gv6]
listen = [::1]:0
encap = geneve
[listener v6deny]
listen = [::1]:0
encap = vxlan
allow = fd00::/8, 127.0.0.0/8
[listener raw]
listen = 127.0.0.1:0
encap = raw
dlt = raw
allow = 127.0.0.1/32, fd00::/8
'''


def main():
    # recvmmsg: a thread per ring, pinned; io_uring: one thread owning both rings.
    receive = 'threads = 2\ncpus = 0\n' if backend == 'recvmmsg' else 'threads = 1\n'
    d = h.Daemon(CONFIG, rings=2, backend=backend, receive=receive)
    try:
        try:
            d.start()
        except AssertionError as e:
            if backend == 'io_uring' and 'io_uring is not usable' in str(e):
                h.skip('io_uring not usable on this kernel: ' + str(e).splitlines()[-1])
            raise
        run(d)
        eq_rc = d.stop()
        h.eq(eq_rc, 0, 'exit status after SIGTERM')
    finally:
        d.cleanup()
    print('PASS')


def run(d):
    vx, gv6, raw = d.ports['vx'], d.ports['gv6'], d.ports['raw']
    s4 = h.Sender(socket.AF_INET, '127.0.0.1')
    s4b = h.Sender(socket.AF_INET, '127.0.0.2')
    s6 = h.Sender(socket.AF_INET6)
    n = 60 if h.SANITIZED else 200
    expect_frames = {}  # frame bytes -> (linktype, vxlan vni or None, geneve vni or None)

    good_vx = []
    for i in range(n):
        f = h.inner_frame(i)
        good_vx.append(h.vxlan(42 if i % 2 else 43, f))
        expect_frames[f] = (1, 42 if i % 2 else 43, None)
    jumbo = h.inner_frame(100000, size=9216 - 8)
    assert len(h.vxlan(42, jumbo)) == 9216
    expect_frames[jumbo] = (1, 42, None)
    s4.send(vx, good_vx)
    s4.send(vx, [h.vxlan(42, jumbo)])
    s4.send(vx, [h.vxlan(7, h.inner_frame(i)) for i in range(25)])              # vni_filtered
    s4.send(vx, [b'\x08\x00\x00'] * 10)                                          # vxlan_short
    s4.send(vx, [b''] * 4)                                                       # zero length
    s4.send(vx, [h.vxlan(42, h.inner_frame(i), flags=0) for i in range(11)])     # vxlan_no_vni
    # Larger than the common 9216 B, up to the largest IPv4 UDP payload: whole.
    big = [h.inner_frame(200000 + k, size=total - 8) for k, total in
           enumerate((9217, 9300, 14000, 65507))]
    for f in big:
        expect_frames[f] = (1, 42, None)
    assert len(h.vxlan(42, big[-1])) == 65507
    s4.send(vx, [h.vxlan(42, f) for f in big])

    good_gv = []
    for i in range(n // 2):
        f = h.inner_frame(5000 + i)
        good_gv.append(h.geneve(5, f, opts=b'\x01\x02\x03\x04\x00\x00\x00\x00'))
        expect_frames[f] = (1, None, 5)
    ipf = h.ipv4_udp('10.1.1.1', '10.2.2.2', 7, 9, b'inner-ip')
    good_gv.append(h.geneve(6, ipf, proto=0x0800))
    expect_frames[ipf] = (101, None, 6)
    s6.send(gv6, good_gv)
    s6.send(gv6, [h.geneve(5, h.inner_frame(1), version=1)] * 6)                 # geneve_version
    s6.send(gv6, [h.geneve(5, h.inner_frame(1), proto=0x1234)] * 5)              # geneve_proto
    s6.send(gv6, [b'\x00\x00\x65'] * 7)                                          # geneve_short
    s6.send(d.ports['v6deny'], [h.vxlan(1, h.inner_frame(i)) for i in range(5)])  # not_allowed

    good_raw = []
    for i in range(n // 2):
        p = h.ipv4_udp('10.3.0.%d' % (i % 250 + 1), '10.4.0.1', 1000 + i, 53, b'raw%d' % i)
        good_raw.append(p)
        expect_frames[p] = (101, None, None)
    s4.send(raw, good_raw)
    s4b.send(raw, [h.ipv4_udp('10.3.0.1', '10.4.0.1', 1, 2, b'denied')] * 9)     # not_allowed
    s4.send(raw, [b''] * 2)                                                      # empty

    sent = s4.sent + s4b.sent + s6.sent
    st = d.wait_accounted(sent)
    # Let late datagrams land; the totals must not move any more.
    time.sleep(0.3)
    st = d.stats_line()
    h.eq(st['total.drop.socket'], 0, 'socket drops (paced sender, 8M buffers)')
    h.eq(st['total.received'], sent, 'received == sent')
    h.accounting(st)
    for name in ('vx', 'gv6', 'v6deny', 'raw'):
        h.accounting(st, 'listener.' + name)
    for ring in d.rings:
        h.accounting(st, 'ring.' + ring)

    L = 'listener.vx.'
    h.eq(st[L + 'delivered'], n + 1 + len(big), 'vx delivered (incl. jumbo and 9217..65507 B)')
    h.eq(st[L + 'drop.vni_filtered'], 25, 'vx vni_filtered')
    h.eq(st[L + 'drop.vxlan_short'], 14, 'vx vxlan_short (incl. zero-length)')
    h.eq(st[L + 'drop.vxlan_no_vni'], 11, 'vx vxlan_no_vni')
    h.eq(st[L + 'drop.truncated'], 0, 'vx truncated (nothing is, up to 65507 B)')
    L = 'listener.gv6.'
    h.eq(st[L + 'delivered'], n // 2 + 1, 'gv6 delivered')
    h.eq(st[L + 'drop.geneve_version'], 6, 'gv6 geneve_version')
    h.eq(st[L + 'drop.geneve_proto'], 5, 'gv6 geneve_proto')
    h.eq(st[L + 'drop.geneve_short'], 7, 'gv6 geneve_short')
    h.eq(st['listener.v6deny.drop.not_allowed'], 5, 'IPv6 source outside an IPv6 allow-list')
    h.eq(st['listener.v6deny.delivered'], 0, 'v6deny delivered')
    L = 'listener.raw.'
    h.eq(st[L + 'delivered'], n // 2, 'raw delivered')
    h.eq(st[L + 'drop.not_allowed'], 9, 'raw not_allowed')
    h.eq(st[L + 'drop.empty'], 2, 'raw empty')
    delivered = st['total.delivered']
    h.eq(delivered, len(expect_frames), 'delivered == distinct good frames')

    now_ns = time.time_ns()
    seen = 0
    for ring in sorted(d.rings):
        recs = d.read_ring(ring)
        h.eq(len(recs), st['ring.%s.delivered' % ring], 'records in ring %s' % ring)
        h.eq(st['ring.%s.written' % ring], len(recs), 'ring %s written counter' % ring)
        last = 0
        for r in recs:
            want = expect_frames.pop(r['data'], None)
            h.check(want is not None, 'ring %s holds a frame that was never sent (or twice)' % ring)
            lt, vvni, gvni = want
            h.eq(r['linktype'], lt, 'linktype')
            h.eq(r['caplen'], len(r['data']), 'caplen')
            h.eq(r['origlen'], r['caplen'], 'origlen')
            h.eq(bool(r['flags'] & 2), vvni is not None, 'VXLAN VNI flag')
            h.eq(bool(r['flags'] & 4), gvni is not None, 'GENEVE VNI flag')
            if vvni is not None:
                h.eq(r['vxlan_vni'], vvni, 'VXLAN VNI')
            if gvni is not None:
                h.eq(r['geneve_vni'], gvni, 'GENEVE VNI')
            h.check(abs(r['ts'] - now_ns) < 600 * 10**9, 'timestamp %d is not recent' % r['ts'])
            h.check(r['ts'] >= last, 'timestamps go backwards in ring %s' % ring)
            last = r['ts']
        seen += len(recs)
    h.eq(seen, delivered, 'records read')
    h.eq(len(expect_frames), 0, 'every good frame arrived')
    h.eq(st['ts_fallbacks'], 0, 'datagrams without a kernel timestamp')
    h.eq(st['backend'], backend, 'backend in stats')
    storm(d, s4, s6, st)
    want_threads = '2 receiver threads' if backend == 'recvmmsg' else '1 receiver threads'
    h.check(want_threads in d.read_log(), 'thread count: ' + want_threads)


def storm(d, s4, s6, before):
    """Random bytes and mangled headers at every listener: no crash, all accounted."""
    import random
    rnd = random.Random(4789)
    n = 300 if h.SANITIZED else 1500
    prefixes = [b'', b'\x08\x00\x00\x00', b'\x08\x00\x00\x00\x00\x00\x2a\x00',
                b'\x00\x00\x65\x58\x00\x00\x05\x00', b'\x3f\x00\x65\x58\x00\x00\x05\x00',
                b'\x02\x00\x08\x00\x00\x00\x05\x00', b'\x45\x00']
    sent = 0
    for port, sender in ((d.ports['vx'], s4), (d.ports['gv6'], s6), (d.ports['raw'], s4)):
        pkts = [rnd.choice(prefixes) + bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 120)))
                for _ in range(n)]
        sent += sender.send(port, pkts)
    total = before['total.received'] + sent
    st = d.wait_accounted(total)
    h.eq(st['total.received'] + st['total.drop.socket'], total, 'storm: sent == received + socket drops')
    h.accounting(st)
    h.check(d.proc.poll() is None, 'daemon alive after the storm')


if __name__ == '__main__':
    main()
