#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Stress (a few seconds): while traffic flows, every stats snapshot taken
mid-stream already satisfies received == delivered + drops for the totals,
each listener and each ring (the counter cells are read consistently), and
SIGHUP reloads flipping the allow-list back and forth many times swap the
filters under the receivers with nothing lost (sent == received + socket
drops at the end) and, in the sanitizer build, no use-after-free.
argv[1]: backend."""
import os
import signal
import socket
import sys
import threading
import time

import daemonlib as h  # noqa: E402

backend = sys.argv[1] if len(sys.argv) > 1 else 'recvmmsg'


def listeners(allow):
    return ('[listener a]\nlisten = 127.0.0.1:0\nencap = vxlan\nallow = %s\n'
            '[listener b]\nlisten = 127.0.0.1:0\nencap = raw\nallow = %s\n' % (allow, allow))


def main():
    d = h.Daemon(listeners('127.0.0.0/8'), rings=2, backend=backend)
    try:
        try:
            d.start()
        except AssertionError as e:
            if backend == 'io_uring' and 'io_uring is not usable' in str(e):
                h.skip('io_uring not usable here')
            raise
        # Reloads must keep the bound ports: write them into the config.
        pa, pb = d.ports['a'][1], d.ports['b'][1]

        def cfg(allow):
            return listeners(allow).replace('127.0.0.1:0', '127.0.0.1:%d' % pa, 1) \
                                   .replace('127.0.0.1:0', '127.0.0.1:%d' % pb, 1)
        stop = threading.Event()
        sent = [0]

        def blast():
            s = h.Sender(socket.AF_INET)
            pkts_a = [h.vxlan(7, h.inner_frame(i)) for i in range(64)]
            pkts_b = [h.ipv4_udp('10.0.0.%d' % (i + 1), '10.0.1.1', 1000 + i, 53, b'x' * 40)
                      for i in range(64)]
            while not stop.is_set():
                s.send(d.ports['a'], pkts_a, chunk=64, pause=0.001)
                s.send(d.ports['b'], pkts_b, chunk=64, pause=0.001)
            sent[0] = s.sent
            s.close()

        t = threading.Thread(target=blast)
        t.start()
        reloads = 10 if h.SANITIZED else 30
        snapshots = 0
        try:
            for i in range(reloads):
                d.write_config(cfg('127.0.0.0/8' if i % 2 else '192.0.2.0/24'))
                d.proc.send_signal(signal.SIGHUP)
                time.sleep(0.05)
                st = d.stats_line()
                snapshots += 1
                h.accounting(st)
                for name in ('a', 'b'):
                    h.accounting(st, 'listener.' + name)
                for ring in d.rings:
                    h.accounting(st, 'ring.' + ring)
        finally:
            stop.set()
            t.join()
        st = d.wait_accounted(sent[0])
        h.eq(st['total.received'] + st['total.drop.socket'], sent[0], 'sent == received + socket drops')
        h.accounting(st)
        h.check(st['total.drop.not_allowed'] > 0 and st['total.delivered'] > 0,
                'both filters were in force at some point')
        h.eq(d.read_log().count('reload: applied'), reloads, 'every reload applied')
        print({k: v for k, v in st.items() if k.startswith('total.drop') and v})
        print('%s: %d sent, %d delivered, %d not_allowed, %d socket drops; %d reloads, %d snapshots' % (
            backend, sent[0], st['total.delivered'], st['total.drop.not_allowed'],
            st['total.drop.socket'], reloads, snapshots))
        h.eq(d.stop(), 0, 'exit status')
    finally:
        d.cleanup()
    print('PASS')


if __name__ == '__main__':
    main()
