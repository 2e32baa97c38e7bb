#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves udpcapd runs without any capability (as under systemd without
CAP_BPF): steering = auto falls back from eBPF and says why, an rcvbuf
above net.core.rmem_max is capped with a warning naming the sysctl to
raise, datagrams are still delivered; and that a missing ring group fails
start-up with status 1 and a clear message; and that a port below
net.ipv4.ip_unprivileged_port_start, bound without privilege, fails
naming CAP_NET_BIND_SERVICE and that sysctl."""
import os
import shutil
import socket
import subprocess
import sys

import daemonlib as h  # noqa: E402

NO_CAPS = ['setpriv', '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--']


def main():
    if os.geteuid() != 0:
        h.skip('needs root to drop capabilities with setpriv (and to compare with the privileged run)')
    if not shutil.which('setpriv'):
        h.skip('setpriv (util-linux) not installed')
    with open('/proc/sys/net/core/rmem_max') as f:
        rmem_max = int(f.read())
    want = max(2 * rmem_max, 1 << 20)
    if want > 1 << 30:
        h.skip('net.core.rmem_max is so large that rcvbuf cannot exceed it')
    d = h.Daemon('[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n', rings=2)
    d.head = d.head.replace('rcvbuf = 8M', 'rcvbuf = %d' % want)
    d.write_config('[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n')
    try:
        d.start(prefix=NO_CAPS)
        log = d.read_log()
        h.check('sysctl -w net.core.rmem_max=%d' % want in log, 'rcvbuf warning:\n' + log)
        st = d.stats_line()
        h.check(st['steering'] in ('cbpf', 'kernel'), 'steering without CAP_BPF: ' + st['steering'])
        h.check('steering %s (' % st['steering'] in log, 'steering mode and reason logged:\n' + log)
        s = h.Sender(socket.AF_INET)
        s.send(d.ports['vx'], [h.vxlan(1, h.inner_frame(i)) for i in range(50)])
        st = d.wait_accounted(s.sent)
        h.eq(st['total.delivered'], 50, 'delivered without privileges')
        h.eq(d.stop(), 0, 'exit status')
    finally:
        d.cleanup()

    d = h.Daemon('[listener vx]\nlisten = 127.0.0.1:0\n')
    d.write_config('[listener vx]\nlisten = 127.0.0.1:0\n',
                   head=d.head.replace('name = worker-%d', 'name = worker-%d\ngroup = no-such-group-udpcap'))
    try:
        p = subprocess.run([h.UDPCAPD, '-c', d.conf], capture_output=True, text=True, timeout=60)
        h.eq(p.returncode, 1, 'status with a missing ring group')
        h.check('%s: [rings] group = no-such-group-udpcap: no such group' % d.conf in p.stderr,
                p.stderr)
    finally:
        d.cleanup()

    with open('/proc/sys/net/ipv4/ip_unprivileged_port_start') as f:
        start = int(f.read())
    if start > 1:
        low = min(start - 1, 1023)
        d = h.Daemon('[listener low]\nlisten = 127.0.0.1:%d\n' % low)
        try:
            p = subprocess.run(NO_CAPS + [h.UDPCAPD, '-c', d.conf], capture_output=True,
                               text=True, timeout=60)
            h.check(p.returncode != 0, 'a low port without privilege fails: %d' % p.returncode)
            h.check('Permission denied (port %d is below net.ipv4.ip_unprivileged_port_start = '
                    '%d: give udpcapd CAP_NET_BIND_SERVICE' % (low, start) in p.stderr, p.stderr)
        finally:
            d.cleanup()
    print('PASS')


if __name__ == '__main__':
    main()
