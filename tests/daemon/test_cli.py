#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves udpcapd's command line: --version/--help exit 0; bad options and
arguments exit 2 with a clear message; --check-config says OK for a good
file (and the shipped example) and, for a bad one, exits 1 after printing
every error as FILE:LINE: message; an unreadable file exits 1. It also
checks what the file alone cannot tell: a ring or control group that does
not exist on the host, and rings larger than the ring directory's
filesystem, each one precise message and status 1; numeric gids are
accepted; encap = geneve with a dlt = line passes with a notice."""
import os
import subprocess
import sys
import tempfile

import daemonlib as h  # noqa: E402


def run(*args):
    p = subprocess.run([h.UDPCAPD] + list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    rc, out, _ = run('--version')
    h.eq(rc, 0, '--version status')
    h.check(out.startswith('udpcapd '), '--version prints the version: %r' % out)
    rc, out, _ = run('--help')
    h.eq(rc, 0, '--help status')
    h.check('--check-config' in out and '--ready-fd' in out, '--help lists the options')

    rc, _, err = run('--bogus')
    h.eq(rc, 2, 'unknown option status')
    h.check("unrecognized option '--bogus'" in err and "udpcapd --help" in err, err)
    rc, _, err = run('-c')
    h.eq(rc, 2, 'missing option argument status')
    rc, _, err = run('extra')
    h.eq(rc, 2, 'stray argument status')
    h.check("unexpected argument 'extra'" in err, err)
    rc, _, err = run('--ready-fd', 'x', '--check-config')
    h.eq(rc, 2, 'bad --ready-fd status')
    h.check("--ready-fd 'x'" in err, err)

    d = tempfile.mkdtemp(prefix='udpcapd-cli-')
    good = os.path.join(d, 'good.conf')
    bad = os.path.join(d, 'bad.conf')
    with open(good, 'w') as f:
        f.write('[listener a]\nlisten = 127.0.0.1:4789\n')
    with open(bad, 'w') as f:
        f.write('[rings]\ncount = 0\n[receive]\nbakend = io_uring\n'
                '[listener a]\nlisten = 127.0.0.1\nencap = vxlan\ndlt = raw\n')
    rc, out, err = run('--check-config', '-c', good)
    h.eq(rc, 0, 'good config status')
    h.eq(out, good + ': configuration OK\n', 'good config output')
    rc, out, err = run('-c', os.path.join(os.environ['UDPCAP_SOURCE_ROOT'], 'conf', 'udpcapd.conf'),
                       '--check-config')
    h.eq(rc, 0, 'example config status: ' + err)

    rc, out, err = run('--check-config', '-c', bad)
    h.eq(rc, 1, 'bad config status')
    h.eq(err.splitlines(), [
        bad + ":2: count = '0' is not a number from 1 to 256",
        bad + ":4: unknown key 'bakend' in [receive]; did you mean 'backend'?",
        bad + ":6: listen = '127.0.0.1' is not ADDRESS:PORT: the port is missing",
        bad + ":8: dlt = raw does not fit encap = vxlan, which always carries Ethernet (en10mb)",
        'udpcapd: ' + bad + ': configuration is not valid',
    ], 'every error as FILE:LINE')
    h.eq(out, '', 'nothing on stdout for a bad config')

    # Without --check-config the same errors stop the daemon before it binds anything.
    rc, _, err2 = run('-c', bad)
    h.eq(rc, 1, 'daemon with a bad config')
    h.eq(err2, err, 'same messages when starting')

    rc, _, err = run('--check-config', '-c', os.path.join(d, 'missing.conf'))
    h.eq(rc, 1, 'missing file status')
    h.check('missing.conf: cannot open: No such file or directory' in err, err)

    # The host: groups exist (names or numbers), the rings fit their filesystem.
    host = os.path.join(d, 'host.conf')
    rings = os.path.join(d, 'not-yet', 'rings')
    with open(host, 'w') as f:
        f.write('[rings]\ncount = 256\nsize = 16G\ndir = %s\ngroup = no-such-group-udpcap\n'
                '[control]\ngroup = no-such-group-udpcap2\n'
                '[listener a]\nlisten = 127.0.0.1:4789\n' % rings)
    rc, out, err = run('--check-config', '-c', host)
    h.eq(rc, 1, 'check-config status for a config this host cannot run')
    lines = err.splitlines()
    h.eq(lines[0], host + ': [rings] group = no-such-group-udpcap: no such group on this host',
         'missing ring group')
    h.eq(lines[1], host + ': [control] group = no-such-group-udpcap2: no such group on this host',
         'missing control group')
    h.check(lines[2].startswith(host + ': [rings] count x size = 256 x 16G = 4.0T does not fit '
                                'in %s, whose filesystem holds ' % rings), lines[2])
    h.eq(lines[3], 'udpcapd: %s: configuration does not fit this host' % host, 'summary')
    h.eq(len(lines), 4, 'one message per problem')
    h.eq(out, '', 'no OK for a config that does not fit')
    with open(host, 'w') as f:
        f.write('[rings]\ncount = 2\nsize = 1M\ndir = %s\ngroup = 0\n[control]\ngroup = 0\n'
                '[listener a]\nlisten = 127.0.0.1:4789\nencap = geneve\ndlt = raw\n' % rings)
    rc, out, err = run('--check-config', '-c', host)
    h.eq(rc, 0, 'numeric groups and geneve + dlt pass: ' + err)
    h.eq(err, host + ":11: notice: dlt = raw is ignored for encap = geneve: each packet's GENEVE "
         'protocol type decides its link type\n', 'the notice for dlt with geneve')
    h.check(not os.path.exists(rings), '--check-config creates nothing')
    for p in (good, bad, host):
        os.unlink(p)
    os.rmdir(d)
    print('PASS')


if __name__ == '__main__':
    main()
