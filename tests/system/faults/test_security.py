#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves: ring files and the control socket are created mode 0660 with the
configured group; the running daemon holds no capability at all once it is
up (effective, permitted, inheritable, ambient and bounding sets read from
/proc/PID/status), both when started as root and when started as an
unprivileged user given only CAP_BPF; and it runs with no_new_privs."""

import grp
import os
import shutil
import stat
import subprocess

from faultlib import Daemon, capabilities, fail, log, require_binaries, skip, wait_until, UDPCAPD

require_binaries()
if os.geteuid() != 0:
    skip("needs root to give the daemon a group and to start it as another user with CAP_BPF")
group = None
for name in ("daemon", "nogroup", "adm", "users"):
    try:
        group = grp.getgrnam(name)
        break
    except KeyError:
        continue
if group is None:
    fail("no usable system group (daemon, nogroup, adm, users) to test ring ownership")


def check_caps(pid, who):
    caps = capabilities(pid)
    held = {k: hex(v) for k, v in caps.items() if k != "CapBnd" and v}
    if held:
        fail(f"{who}: the running daemon still holds capabilities {held}")
    with open(f"/proc/{pid}/status") as f:
        nnp = [l for l in f if l.startswith("NoNewPrivs:")]
    if nnp and nnp[0].split()[1] != "1":
        fail(f"{who}: no_new_privs is not set")
    log(f"{who}: CapInh/CapPrm/CapEff/CapAmb all 0, bounding {hex(caps.get('CapBnd', 0))}")


d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2)
d.write_config_orig = d.write_config


def write_config():
    d.write_config_orig()
    text = open(d.conf).read().replace("name = worker-%d",
                                       f"name = worker-%d\ngroup = {group.gr_name}")
    text = text.replace(f"socket = {d.control}",
                        f"socket = {d.control}\ngroup = {group.gr_name}")
    open(d.conf, "w").write(text)


d.write_config = write_config
d.start()
try:
    for r in d.ring_names():
        st = os.stat(os.path.join(d.ring_dir, r))
        if stat.S_IMODE(st.st_mode) != 0o660 or st.st_gid != group.gr_gid:
            fail(f"ring {r}: mode {oct(stat.S_IMODE(st.st_mode))} gid {st.st_gid}; "
                 f"want 0660 and {group.gr_name} ({group.gr_gid})")
    st = os.stat(d.control)
    if not stat.S_ISSOCK(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o660 or \
            st.st_gid != group.gr_gid:
        fail(f"control socket: mode {oct(stat.S_IMODE(st.st_mode))} gid {st.st_gid}")
    log(f"rings and control socket are 0660 {group.gr_name}")
    check_caps(d.proc.pid, "as root")
finally:
    d.cleanup()

setpriv = shutil.which("setpriv")
if not setpriv:
    fail("setpriv (util-linux) is missing")
d = Daemon([("vx", "127.0.0.1", "vxlan", [])], rings=2, steering="auto")
d.write_config()
for path in {d.tmp, os.path.dirname(d.ring_dir)}:
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o777)
log_path = d.log_path
with open(log_path, "w") as logf:
    p = subprocess.Popen([setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                          "--inh-caps=+bpf", "--ambient-caps=+bpf", UDPCAPD, "-c", d.conf],
                         stdout=logf, stderr=subprocess.STDOUT)
try:
    wait_until(lambda: p.poll() is not None or all(
        os.path.exists(os.path.join(d.ring_dir, r)) for r in d.ring_names()), 30,
        "the unprivileged daemon's rings")
    if p.poll() is not None:
        fail(f"udpcapd as nobody+CAP_BPF exited {p.returncode}:\n{open(log_path).read()}")
    wait_until(lambda: os.path.exists(d.control), 30, "the control socket")
    check_caps(p.pid, "as nobody with CAP_BPF")
finally:
    p.terminate()
    p.wait(timeout=30)
    shutil.rmtree(d.tmp, ignore_errors=True)
log("PASS")
