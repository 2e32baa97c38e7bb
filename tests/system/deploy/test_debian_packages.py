#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that debian/ builds udpcap's Debian packages from this tree with
`dpkg-buildpackage -us -uc -b` (Debian's build flags, hardening=+all), that
lintian finds no error and no warning that is not overridden with a reason,
and that the maintainer scripts do what Debian policy asks, inside a booted
Debian 12 (systemd-nspawn, the container's systemd as PID 1 — never on this
host):

- install (with apt, which resolves the dependencies): the user udpcapd and
  group udpcap from the sysusers file, /dev/shm/udpcapd from the tmpfiles
  file, the unit enabled and running, /etc/udpcapd/udpcapd.conf a conffile;
  the library and Zeek plugin carry no run path;
- upgrade to a rebuild with a bumped version: a locally edited conffile is
  kept without a prompt, and the restarted daemon runs with it;
- remove: the unit stopped, its rings gone, the configuration kept;
- purge: nothing the packages installed or created is left.

The packages are built with DEB_BUILD_OPTIONS=nocheck: the test suite the
package build would run is the one meson runs (this suite). They are built
once per tree content and shared with test_systemd_boot.py."""

import os
import re
import subprocess
import sys
import tempfile

import debianlib
from debianlib import phase
from ocilib import check, log

CONF = "/etc/udpcapd/udpcapd.conf"


def status(c, pkg):
    return c.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}|${Version}", pkg]).stdout.strip()


def unit(c, *props):
    r = c.run(["systemctl", "show", "udpcapd", "-p", ",".join(props)])
    return dict(l.split("=", 1) for l in r.stdout.splitlines() if "=" in l)


def daemon_processes(c):
    return c.sh("cat /proc/[0-9]*/comm 2>/dev/null | grep -cx udpcapd").stdout.strip()


def apt_install(c, debs):
    """apt-get install of .deb files, stdin closed: a conffile question
    would fail it rather than be answered by a default."""
    return c.run(["apt-get", "install", "-y", "--no-install-recommends"] + debs,
                 timeout=300, stdin=subprocess.DEVNULL)


def check_install(c, debs, v1, names):
    with phase("install with apt"):
        r = apt_install(c, ["/debs/v1/" + os.path.basename(f) for f in debs.files(debs.v1)])
        check(r.returncode == 0, "apt-get install of %s (version %s) succeeds" % (
            ", ".join(names), v1), r.stdout[-3000:] + r.stderr[-3000:])
        log("apt-get said:\n" + "\n".join(l for l in r.stdout.splitlines()
                                         if l.startswith(("Setting up", "Creating", "Created",
                                                          "udpcapd:")) or "sysctl" in l))
    for n in names:
        st = status(c, n)
        check(st == "ii |" + v1, "%s %s is installed (%s)" % (n, v1, st))
    pw = c.run(["getent", "passwd", "udpcapd"]).stdout.strip().split(":")
    gr = c.run(["getent", "group", "udpcap"]).stdout.strip().split(":")
    check(len(pw) == 7 and len(gr) == 4 and pw[3] == gr[2] and pw[6] == "/usr/sbin/nologin",
          "sysusers: system user udpcapd (primary group udpcap, no login shell)",
          "passwd %s group %s" % (pw, gr))
    if len(pw) == 7:
        check(0 < int(pw[2]) < 1000, "udpcapd is a system user (uid %s)" % pw[2])
    st = c.run(["stat", "-c", "%a %U %G", "/dev/shm/udpcapd"]).stdout.strip()
    check(st == "750 udpcapd udpcap", "tmpfiles: /dev/shm/udpcapd is 0750 udpcapd:udpcap", st)
    en = c.run(["systemctl", "is-enabled", "udpcapd"]).stdout.strip()
    check(en == "enabled", "the unit is enabled on install", en)
    u = unit(c, "ActiveState", "SubState", "MainPID", "StatusText")
    check(u.get("ActiveState") == "active" and u.get("SubState") == "running",
          "the unit was started on install: active (running), STATUS=%s" % u.get("StatusText"),
          str(u) + c.run(["journalctl", "-u", "udpcapd", "--no-pager"]).stdout[-2000:])
    conff = c.run(["dpkg-query", "-W", "-f=${Conffiles}", "udpcapd"]).stdout
    check(CONF in conff, "%s is a conffile of udpcapd" % CONF, conff)
    rmem = c.sh("cat /proc/sys/net/core/rmem_max 2>&1").stdout.strip()
    log("net.core.rmem_max seen in the container: %s (the host's: a container cannot "
        "set it; the postinst applies 60-udpcapd.conf on a host)" % rmem)
    sysctl = c.run(["cat", "/usr/lib/sysctl.d/60-udpcapd.conf"]).stdout
    check("net.core.rmem_max = 33554432" in sysctl, "sysctl.d/60-udpcapd.conf is installed")
    for user in c.sh("ls /usr/sbin/udpcapctl /opt/zeek/lib/zeek/plugins/"
                     "Udpcap_ShmRing/lib/*.so 2>/dev/null").stdout.split():
        ldd = c.run(["ldd", user]).stdout
        check(re.search(r"libudpcap\.so\.0 => (/usr)?/lib/\S+/libudpcap\.so\.0", ldd),
              "%s finds libudpcap.so.0 in /usr/lib" % user, ldd)
    return u.get("MainPID")


def check_no_runpath(debs):
    """No shipped ELF file carries a run path: under /usr the library is on
    the loader's path, and the plugin's build-tree path must not ship."""
    with tempfile.TemporaryDirectory() as d:
        for deb in debs.files(debs.v1):
            subprocess.run(["dpkg-deb", "-x", deb, d], check=True)
        found = []
        for top, _, files in os.walk(d):
            for f in files:
                p = os.path.join(top, f)
                if os.path.islink(p):
                    continue
                with open(p, "rb") as fh:
                    if fh.read(4) != b"\x7fELF":
                        continue
                out = subprocess.run(["readelf", "-d", p], capture_output=True, text=True).stdout
                if "RPATH" in out or "RUNPATH" in out:
                    found.append(os.path.relpath(p, d))
        check(not found, "no ELF file in the packages has an RPATH/RUNPATH", str(found))


def check_upgrade(c, debs, v2, pid_before):
    with phase("upgrade with a locally edited conffile"):
        c.sh("sed -i 's/^count = 4$/count = 2/' %s && "
             "printf '\\n# edited on this host\\n' >> %s" % (CONF, CONF))
        local = c.run(["cat", CONF]).stdout
        check("count = 2" in local, "conffile edited: [rings] count = 2")
        r = apt_install(c, ["/debs/v2/" + os.path.basename(f) for f in debs.files(debs.v2)])
        check(r.returncode == 0, "apt-get install of the %s packages (upgrade) succeeds "
              "with stdin closed (no conffile question)" % v2,
              r.stdout[-3000:] + r.stderr[-3000:])
    st = status(c, "udpcapd")
    check(st == "ii |" + v2, "udpcapd is upgraded to %s" % v2, st)
    now = c.run(["cat", CONF]).stdout
    check(now == local, "the locally edited conffile is kept as edited")
    left = c.sh("ls /etc/udpcapd").stdout.split()
    check(left == ["udpcapd.conf"], "no .dpkg-dist/.dpkg-new beside it", str(left))
    u = unit(c, "ActiveState", "SubState", "MainPID")
    check(u.get("SubState") == "running" and u.get("MainPID") not in ("0", pid_before),
          "the daemon was restarted by the upgrade (pid %s -> %s) and runs"
          % (pid_before, u.get("MainPID")), str(u))
    rings = c.run(["/usr/sbin/udpcapctl", "rings"]).stdout
    n = sum(1 for l in rings.splitlines() if "worker-" in l)
    check(n == 2, "it runs with the edited configuration: 2 rings", rings)


def check_remove(c):
    with phase("remove"):
        r = c.run(["apt-get", "remove", "-y", "udpcapd"], timeout=300)
        check(r.returncode == 0, "apt-get remove udpcapd succeeds", r.stdout + r.stderr)
    st = status(c, "udpcapd")
    check(st.startswith("rc"), "udpcapd is removed, its configuration kept (%s)" % st)
    check(daemon_processes(c) == "0", "no udpcapd process is left")
    act = c.run(["systemctl", "is-active", "udpcapd"]).stdout.strip()
    check(act in ("inactive", "unknown"), "the unit is stopped (%s)" % act)
    rings = c.sh("ls -A /dev/shm/udpcapd 2>/dev/null").stdout.split()
    check(not rings, "the daemon removed its rings when it stopped", str(rings))
    check(c.run(["test", "-f", CONF]).returncode == 0, "the conffile stays on remove")


def check_purge(c, debs, names):
    with phase("purge"):
        r = c.run(["apt-get", "purge", "-y"] + names, timeout=300)
        check(r.returncode == 0, "apt-get purge %s succeeds" % " ".join(names),
              r.stdout + r.stderr)
    for n in names:
        st = status(c, n)
        check(st == "" or st.startswith("un") or st.startswith("pn"),
              "%s is purged (%r)" % (n, st))
    check(c.run(["test", "-e", "/etc/udpcapd"]).returncode != 0,
          "/etc/udpcapd is gone")
    check(c.run(["getent", "passwd", "udpcapd"]).returncode != 0, "the user udpcapd is gone")
    check(c.run(["getent", "group", "udpcap"]).returncode != 0,
          "the group udpcap (no members added) is gone")
    check(c.run(["test", "-e", "/dev/shm/udpcapd"]).returncode != 0,
          "/dev/shm/udpcapd is gone")
    links = c.sh("ls /etc/systemd/system/*.wants/udpcapd.service "
                 "/var/lib/systemd/deb-systemd-helper-enabled/udpcapd.service "
                 "/var/lib/systemd/deb-systemd-helper-masked/udpcapd.service 2>/dev/null").stdout
    check(not links.strip(), "no enablement state of the unit is left", links)
    files = set()
    for deb in debs.files(debs.v2):
        out = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True).stdout
        lst = subprocess.run(["tar", "-t"], input=out, capture_output=True).stdout.decode()
        files |= {"/" + p.lstrip("./").rstrip("/") for p in lst.splitlines()
                  if p.strip("./")}
    own = sorted(f for f in files if "udpcap" in f or f.startswith("/opt/zeek"))
    left = c.sh("for f in %s; do [ -e \"$f\" ] && echo \"$f\"; done; true" %
                " ".join("'%s'" % f for f in own)).stdout.split()
    check(not left, "nothing the packages installed is left (%d paths checked)" % len(own),
          str(left))


def main():
    debianlib.setup_host()
    # The root (downloads) and the packages (compiling) side by side.
    root_ready = debianlib.in_background(debianlib.systemd_root)
    debs = debianlib.packages(upgrade=True)
    lint = debianlib.in_background(debianlib.lintian, debs)
    root = root_ready(1800)
    debianlib.fetch_dependencies(root, debs, debs.v1)
    v1, v2 = debs.version(debs.v1), debs.version(debs.v2)
    names = [os.path.basename(f).split("_")[0] for f in debs.files(debs.v1)]
    check_no_runpath(debs)
    binds = [(debs.v1, "/debs/v1"), (debs.v2, "/debs/v2")]
    with debianlib.Container(root, "udpcap-debs-%d" % os.getpid(), binds=binds) as c:
        with phase("boot Debian 12 (systemd-nspawn --boot)"):
            state = c.wait_booted()
            check(state in ("running", "degraded"), "the container booted: %s" % state,
                  c.boot_log())
        pid = check_install(c, debs, v1, names)
        check_upgrade(c, debs, v2, pid)
        check_remove(c)
        check_purge(c, debs, names)
        with phase("power off"):
            c.stop()
    with phase("lintian (waiting for it)"):
        rc, text = lint(900)
    log("lintian --pedantic -I --show-overrides on the %s packages (exit %d):\n%s"
        % (v1, rc, text or "(no output)"))
    # Shown overrides (O:) make lintian exit 2 too; unexpected output or
    # another exit code is a failure.
    lines = text.splitlines()
    bad = [l for l in lines if not l.startswith(("N:", "O:", "I:", "P:", "X:"))]
    check(rc == 0 or (rc == 2 and any(l.startswith("O:") for l in lines)),
          "lintian ran (exit %d)" % rc)
    check(not bad, "lintian: no errors, no warnings that are not overridden", "\n".join(bad))
    debianlib.print_times()
    return debianlib.ocilib.finish("Debian packages: built, lintian-clean, installed, "
                                   "upgraded, removed and purged in a booted Debian 12")


if __name__ == "__main__":
    sys.exit(main())
