#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves udpcapctl stats/rings fail with a clear message and the documented
exit status: usage errors 2 (and --help 0 on each subcommand), daemon not
running 3 (no socket file, a stale socket nobody listens on, a config
pointing at either), permission denied 4 (a non-root user against the
daemon's root:root 0660 socket; needs root, skipped loudly otherwise),
unknown ring 5, unreadable config 1."""

import os
import shutil
import socket
import sys
import tempfile

import obs_live as L  # noqa: E402


def expect(args, status, stderr_has=None, stdout_has=None, user=None):
    r = L.ctl(*args, user=user, check=status)
    if stderr_has and stderr_has.lower() not in r.stderr.lower():
        L.fail(f"udpcapctl {' '.join(args)}: stderr lacks {stderr_has!r}: {r.stderr!r}")
    if stdout_has and stdout_has not in r.stdout:
        L.fail(f"udpcapctl {' '.join(args)}: stdout lacks {stdout_has!r}: {r.stdout!r}")
    if status not in (0, 2) and not r.stderr.startswith("udpcapctl"):
        L.fail(f"udpcapctl {' '.join(args)}: error not prefixed: {r.stderr!r}")


def usage_errors(tmp):
    sock = os.path.join(tmp, "none.sock")
    for args in (["stats", "--bogus"], ["stats", "extra"], ["stats", "--watch", "abc"],
                 ["stats", "--watch", "0"], ["stats", "--count", "2", "-s", sock],
                 ["stats", "--watch", "1", "--count", "0"], ["stats", "-f", "a", "-s", "b"],
                 ["rings", "a", "b"], ["rings", "--dir", tmp, "-s", sock],
                 ["rings", "--bogus"], ["stats", "-s"]):
        expect(args, 2)
    expect(["stats", "--help"], 0, stdout_has="Usage: udpcapctl stats")
    expect(["rings", "--help"], 0, stdout_has="Usage: udpcapctl rings")
    expect(["stats", "-h"], 0, stdout_has="--watch")


def not_running(tmp):
    missing = os.path.join(tmp, "missing.sock")
    expect(["stats", "-s", missing], 3, stderr_has="not running")
    expect(["rings", "-s", missing], 3, stderr_has="not running")
    # a socket file left by a killed daemon: connection refused
    stale = os.path.join(tmp, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    expect(["stats", "-s", stale], 3, stderr_has="not running")
    conf = os.path.join(tmp, "u.conf")
    with open(conf, "w") as f:
        f.write("[listener a]\nlisten = 127.0.0.1:4789\nencap = vxlan\n"
                f"[control]\nsocket = {stale}\n")
    expect(["stats", "-f", conf], 3, stderr_has=stale)
    expect(["stats", "-f", os.path.join(tmp, "no.conf")], 1, stderr_has="no.conf")
    expect(["rings", "--dir", os.path.join(tmp, "no-rings")], 1, stderr_has="no-rings")


def with_daemon(tmp):
    d = L.Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, ring_size="256K", metrics=True)
    try:
        d.start()
        expect(["stats", "--ring", "nope", "-s", d.control], 5, stderr_has="nope")
        expect(["rings", "nope", "-s", d.control], 5, stderr_has="nope")
        expect(["rings", "nope", "--dir", d.ring_dir], 5, stderr_has="nope")
        expect(["rings", "worker-1", "-s", d.control], 0, stdout_has="worker-1")
        st = os.stat(d.control)
        if st.st_mode & 0o7777 != 0o660:
            L.fail(f"control socket mode {oct(st.st_mode)}, wanted 0660")
        if os.geteuid() != 0:
            L.log("SKIP (part): not root, cannot run as another user: "
                  "permission denied (exit 4) not tested")
            return
        # let nobody reach the socket file, so only its own 0660 root:root mode refuses
        os.chmod(d.tmp, 0o755)
        if st.st_uid != 0 or st.st_gid != 0:
            L.fail(f"control socket not root:root: {st.st_uid}:{st.st_gid}")
        expect(["stats", "-s", d.control], 4, stderr_has="permission denied", user="nobody")
        expect(["rings", "-s", d.control], 4, stderr_has="permission denied", user="nobody")
    finally:
        d.cleanup()


def main():
    L.harness.require_binaries()
    tmp = tempfile.mkdtemp(prefix="udpcap-obs-cli-")
    try:
        usage_errors(tmp)
        not_running(tmp)
        with_daemon(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    L.log("PASS")


if __name__ == "__main__":
    main()
