# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the udpcapd tests of tests/daemon (not a test itself):
assertions, the accounting identity, a paced UDP sender; the daemon itself
is udpcap_daemon.Daemon (its stats_line() reads the SIGUSR1 line).
"""
import socket
import sys
import time

from udpcap_daemon import Daemon, RING_READER, SANITIZED, UDPCAPD  # noqa: F401 (re-exported)
from udpcap_packets import ether, geneve, inner_frame, ipv4_udp, vxlan  # noqa: F401

DROPS = ['socket', 'not_allowed', 'vni_filtered', 'truncated', 'ring_full', 'empty',
         'vxlan_short', 'vxlan_no_vni', 'geneve_short', 'geneve_version', 'geneve_optlen',
         'geneve_proto', 'gwlb_ip', 'gwlb_not_udp', 'gwlb_udp_short', 'skip_short']


def skip(why):
    print('SKIP: ' + why)
    sys.stderr.write('SKIP: ' + why + '\n')
    sys.exit(77)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eq(got, want, what):
    if got != want:
        raise AssertionError('%s: got %r, want %r' % (what, got, want))


def accounting(s, scope='total'):
    """received == delivered + every drop but socket; returns the drop sum."""
    drops = sum(s['%s.drop.%s' % (scope, d)] for d in DROPS if d != 'socket')
    eq(s[scope + '.received'], s[scope + '.delivered'] + drops,
       '%s: received == delivered + drops' % scope)
    return drops


class Sender:
    """Paced UDP sender: bounded in count, gentle enough that no socket overflows."""

    def __init__(self, family=socket.AF_INET, bind=None):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        if bind:
            self.sock.bind((bind, 0))
        self.sent = 0

    def send(self, addr, payloads, chunk=16, pause=0.002):
        for n, p in enumerate(payloads):
            self.sock.sendto(p, addr)
            self.sent += 1
            if n % chunk == chunk - 1:
                time.sleep(pause * (4 if SANITIZED else 1))
        return len(payloads)

    def close(self):
        self.sock.close()
