#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that root running udpcapd by hand on a ring directory laid out as
packaged (owned by another user, 0750, no [rings] group configured) creates
rings in the directory's group, mode 0660, that a consumer of another uid
in that group can read, and that a clean stop (SIGTERM), after the daemon
has dropped every capability, removes every ring and wake-up FIFO it
created. Needs root (exit 77 otherwise)."""
import grp
import os
import pwd
import signal
import socket
import stat
import subprocess

import daemonlib as h

CONFIG = '[listener vx]\nlisten = 127.0.0.1:0\nencap = vxlan\n'
# A uid that owns nothing here; only its group membership lets it in.
READER_UID = 43219


def main():
    if os.geteuid() != 0:
        h.skip('not root: this test is about root running the daemon')
    if os.environ.get('UDPCAP_SANITIZED') == '1':
        # LeakSanitizer stops the world with ptrace, which the kernel refuses
        # once the daemon has changed its credentials (it is no longer
        # dumpable): its exit check would abort. Leaks are checked by every
        # other daemon test; here ASan/UBSan still check each access.
        os.environ['ASAN_OPTIONS'] = (os.environ.get('ASAN_OPTIONS', '')
                                      + ':detect_leaks=0')
    owner = pwd.getpwnam('nobody')
    group = grp.getgrnam('nogroup')
    d = h.Daemon(CONFIG, rings=2)
    try:
        os.chmod(os.path.dirname(d.ring_dir), 0o755)
        os.mkdir(d.ring_dir, 0o750)
        os.chown(d.ring_dir, owner.pw_uid, group.gr_gid)
        d.start()
        for name in ('worker-0', 'worker-1', 'worker-0.wake', 'worker-1.wake'):
            st = os.stat(os.path.join(d.ring_dir, name))
            h.eq(st.st_gid, group.gr_gid, name + ': group is the directory\'s')
            h.eq(stat.S_IMODE(st.st_mode), 0o660, name + ': mode')
        s = h.Sender(socket.AF_INET)
        s.send(d.ports['vx'], [h.vxlan(3, h.inner_frame(i)) for i in range(30)])
        st = d.wait_accounted(s.sent)
        h.eq(st['total.delivered'], 30, 'delivered')
        got = 0
        for ring in ('worker-0', 'worker-1'):
            p = subprocess.run(['setpriv', '--reuid=%d' % READER_UID, '--regid=%d' % READER_UID,
                                '--groups=%d' % group.gr_gid, h.RING_READER, d.ring_dir, ring,
                                '1000', '300'], capture_output=True, text=True, timeout=60)
            h.eq(p.returncode, 0, 'a consumer in the directory\'s group reads %s: %s' % (ring, p.stderr))
            got += int(p.stdout.splitlines()[-1].split()[1])
        h.eq(got, 30, 'records read by the consumer in the group')
        h.eq(d.stop(signal.SIGTERM), 0, 'SIGTERM exit status')
        h.eq(sorted(os.listdir(d.ring_dir)), [], 'nothing left in the ring directory after a clean stop')
        h.check('warning' not in d.read_log(), 'no warning at start or stop:\n' + d.read_log())
    finally:
        d.cleanup()
    print('PASS')


if __name__ == '__main__':
    main()
