#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves SIGHUP reload and sd_notify: a new allow-list, VNI filter and log level take
effect for the next datagrams with no restart and nothing lost; a change
that needs new sockets/rings ([rings] count, a listener's listen) is
refused with a log line naming the key while the filters still apply; an
invalid file keeps the running configuration and logs every error as
FILE:LINE; under NOTIFY_SOCKET the daemon sends READY=1, RELOADING=1 then
READY=1 per reload, WATCHDOG=1 when WATCHDOG_USEC is set, STOPPING=1."""
import os
import signal
import socket
import sys
import time

import daemonlib as h  # noqa: E402


def listener(allow, vni, port=0):
    return ('[listener vx]\nlisten = 127.0.0.1:%d\nencap = vxlan\nallow = %s\nvni = %s\n'
            % (port, allow, vni))


class Notify:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.05)
        self.msgs = []

    def wait(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, m in enumerate(self.msgs):
                if text in m.split('\n'):
                    del self.msgs[:i + 1]
                    return m
            try:
                self.msgs.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
        raise AssertionError('no %r from sd_notify; got %r' % (text, self.msgs))


def main():
    d = h.Daemon(listener('127.0.0.2/32', '1'))
    notify = Notify(os.path.join(d.tmp, 'notify.sock'))
    d.extra_env = {'NOTIFY_SOCKET': os.path.join(d.tmp, 'notify.sock'), 'WATCHDOG_USEC': '200000'}
    try:
        d.start()
        notify.wait('READY=1')
        notify.wait('WATCHDOG=1')
        port = d.ports['vx'][1]
        s = h.Sender(socket.AF_INET, '127.0.0.1')
        s.send(d.ports['vx'], [h.vxlan(1, h.inner_frame(i)) for i in range(10)])
        st = d.wait_accounted(s.sent)
        h.eq(st['total.drop.not_allowed'], 10, 'not allowed before reload')

        # Reload: allow our source, accept VNI 2 only. Same port, so nothing to refuse.
        mark = len(d.read_log())
        d.write_config(listener('127.0.0.0/8', '2', port),
                       head=d.head.replace('level = info', 'level = debug'))
        d.proc.send_signal(signal.SIGHUP)
        notify.wait('RELOADING=1')
        notify.wait('READY=1')
        log = d.wait_log('reload: applied', start=mark)
        h.check('debug: reload: debug logging is on' in log[mark:], 'log level reloaded:\n' + log)
        h.check('debug:' not in log[:mark], 'no debug lines before the reload')
        h.check('needs a restart' not in d.read_log()[mark:], 'nothing refused')
        s.send(d.ports['vx'], [h.vxlan(2, h.inner_frame(i)) for i in range(7)])
        s.send(d.ports['vx'], [h.vxlan(1, h.inner_frame(i)) for i in range(4)])
        st = d.wait_accounted(s.sent)
        h.eq(st['total.delivered'], 7, 'delivered after reload')
        h.eq(st['total.drop.vni_filtered'], 4, 'vni_filtered after reload')
        h.eq(st['total.drop.not_allowed'], 10, 'not_allowed unchanged')
        h.accounting(st)

        # Refused changes are named; the filter part still applies.
        mark = len(d.read_log())
        d.write_config(listener('127.0.0.3/32', '2', port + 1 if port < 65535 else port - 1),
                       head=d.head.replace('count = 2', 'count = 3') +
                       '\n[rings rec]\ncount = 1\n')
        d.proc.send_signal(signal.SIGHUP)
        log = d.wait_log('reload: applied', start=mark)[mark:]
        h.check('reload: [rings] count changed; that needs a restart' in log, log)
        h.check('reload: [rings NAME] sections changed; that needs a restart' in log, log)
        h.check('reload: [listener vx] listen changed; that needs a restart' in log, log)
        notify.wait('READY=1')
        s.send(d.ports['vx'], [h.vxlan(2, h.inner_frame(i)) for i in range(3)])
        st = d.wait_accounted(s.sent)
        h.eq(st['total.drop.not_allowed'], 13, 'new allow-list applied despite refusals')
        h.eq(st['listener.vx.listen'], '127.0.0.1:%d' % port, 'still on the old port')

        # An invalid file changes nothing and every error is logged as FILE:LINE.
        mark = len(d.read_log())
        d.write_config('[listener vx]\nlisten = nope\nallow = 127.0.0.1/32\nbogus = 1\n')
        d.proc.send_signal(signal.SIGHUP)
        log = d.wait_log('keeping the running configuration', start=mark)[mark:]
        base = d.head.count('\n')
        h.check("%s:%d: listen = 'nope' is not ADDRESS:PORT" % (d.conf, base + 2) in log, log)
        h.check("%s:%d: unknown key 'bogus' in [listener vx]" % (d.conf, base + 4) in log, log)
        notify.wait('READY=1')
        s.send(d.ports['vx'], [h.vxlan(2, h.inner_frame(i)) for i in range(2)])
        st = d.wait_accounted(s.sent)
        h.eq(st['total.drop.not_allowed'], 15, 'old filters kept after a failed reload')
        h.check(d.proc.poll() is None, 'daemon still running')

        h.eq(d.stop(), 0, 'exit status')
        notify.wait('STOPPING=1')
    finally:
        d.cleanup()
    print('PASS')


if __name__ == '__main__':
    main()
