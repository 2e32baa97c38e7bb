# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the Debian package and booted-systemd tests (not a test): the
packages built from this tree, a Debian 12 root with systemd, and that root
booted with systemd-nspawn (the container's own systemd as PID 1).

Everything slow is cached under /var/cache/udpcap-tests (UDPCAP_TEST_CACHE),
outside the repository, each step behind a lock and a completion marker:
- the debootstrap minbase root, the one the OCI tests make with
  deploy/container/make-base-image.sh (made here with its -n when missing);
- a copy of it with systemd, systemd-sysv and dbus installed (and the Debian
  packages udpcapd depends on downloaded into its apt cache, so that apt
  inside a container without network resolves and installs them);
- the .debs, keyed by a hash of the tree's files, built once and shared by
  both tests: the upgrade build reuses the first build's directory
  (dpkg-buildpackage --no-pre-clean), and lintian's report is kept with them.

Containers run with --private-network (the daemon's ports and traffic stay
inside) and --volatile=overlay (the cached root is never written: changes go
to a tmpfs that vanishes with the container). There is no systemd on the
host, hence --register=no --keep-unit."""

import contextlib
import email.utils
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import ocilib
from ocilib import CACHE, SOURCE, log, run

MINBASE = os.path.join(CACHE, "oci-bookworm-minbase")
SYSTEMD_ROOT = os.path.join(CACHE, "bookworm-systemd")
DEB_CACHE = os.path.join(CACHE, "debs")
ZEEK_CONFIG = "/opt/zeek/bin/zeek-config"
BOOT_LOCK = "/run/lock/udpcap-nspawn-boot.lock"
HOST_TOOLS = ["dpkg-dev", "debhelper", "lintian", "debootstrap", "systemd-container"]
CONTAINER_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
                 "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0", "TERM": "dumb"}
# Packages the debs are built for, by file-name prefix.
PACKAGES = ["udpcapd", "libudpcap0", "libudpcap-dev", "udpcap-zeek-plugin"]

phase_times = []
STARTED = time.monotonic()


@contextlib.contextmanager
def phase(name):
    """Logs a phase's start and its wall time (kept for the summary)."""
    log("--- " + name)
    t0 = time.monotonic()
    try:
        yield
    finally:
        dt = time.monotonic() - t0
        phase_times.append((name, dt))
        log("--- %s: %.1f s" % (name, dt))


def print_times():
    log("wall time per phase (the root and the package build overlap):")
    for name, dt in phase_times:
        log("  %7.1f s  %s" % (dt, name))
    log("  %7.1f s  the whole test" % (time.monotonic() - STARTED))


def setup_host():
    ocilib.need_root()
    ocilib.host_install(HOST_TOOLS)


# --- the packages ---------------------------------------------------------

def tree_files():
    """The tree's files as a fresh clone would have them: git's tracked and
    untracked-but-not-ignored files (build directories are ignored), else a
    walk that leaves out build directories."""
    r = subprocess.run(["git", "-C", SOURCE, "ls-files", "-z", "--cached", "--others",
                        "--exclude-standard"], capture_output=True)
    if r.returncode == 0 and r.stdout:
        names = sorted({n for n in r.stdout.decode().split("\0") if n})
        return [n for n in names if os.path.lexists(os.path.join(SOURCE, n))]
    names = []
    for top, dirs, files in os.walk(SOURCE):
        rel = os.path.relpath(top, SOURCE)
        if rel == ".":
            dirs[:] = [d for d in dirs if not d.startswith(("build", "obj-", "."))]
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        names += [os.path.normpath(os.path.join(rel, f)) for f in files]
    return sorted(names)


def tree_key(names):
    h = hashlib.sha256()
    for n in names:
        p = os.path.join(SOURCE, n)
        h.update(n.encode() + b"\0")
        if n.startswith("tests/") and n.endswith(".py"):
            continue  # scripts the packages neither build nor hold: their names only
        if os.path.islink(p):
            h.update(b"L" + os.readlink(p).encode())
        else:
            h.update(b"X" if os.access(p, os.X_OK) else b"F")
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def copy_tree(names, dest):
    for n in names:
        src, dst = os.path.join(SOURCE, n), os.path.join(dest, n)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)


def zeek_config():
    """The Zeek the plugin package is built for (the profile pkg.udpcap.zeek):
    the one in /opt/zeek, as debian/rules expects by default."""
    return ZEEK_CONFIG if os.access(ZEEK_CONFIG, os.X_OK) else None


def build_env(profiles):
    # nocheck: meson runs the project's tests (this suite); noautodbgsym:
    # debug symbol packages are made by debhelper alone and installed by nobody here.
    return dict(os.environ, DEB_BUILD_OPTIONS="nocheck noautodbgsym",
                DEB_BUILD_PROFILES=" ".join(profiles), LC_ALL="C.UTF-8")


def install_build_deps(src, profiles):
    r = run(["dpkg-checkbuilddeps"], cwd=src, check_rc=False, env=build_env(profiles))
    m = re.search(r"Unmet build dependencies: (.*)", r.stdout + r.stderr)
    if r.returncode == 0 or not m:
        if r.returncode != 0:
            raise RuntimeError("dpkg-checkbuilddeps: " + r.stdout + r.stderr)
        return
    names, skip = [], False
    for tok in re.sub(r"\([^)]*\)|\[[^]]*\]|<[^>]*>", " ", m.group(1)).split():
        if tok == "|":
            skip = True
            continue
        if not skip:
            names.append(tok.split(":")[0])
        skip = False
    log("build dependencies missing on the host: " + " ".join(names))
    ocilib.host_install(names)


def dpkg_buildpackage(src, profiles, extra, logname):
    cmd = ["dpkg-buildpackage", "-us", "-uc", "-b"] + extra
    log("building: %s (DEB_BUILD_OPTIONS=nocheck noautodbgsym, profiles: %s)"
        % (" ".join(cmd), " ".join(profiles)))
    with open(logname, "w") as out:
        p = subprocess.run(cmd, cwd=src, stdout=out, stderr=subprocess.STDOUT,
                           env=build_env(profiles), timeout=1800)
    if p.returncode != 0:
        with open(logname) as f:
            tail = f.read()[-6000:]
        raise RuntimeError("dpkg-buildpackage failed (log %s):\n%s" % (logname, tail))


def collect(base, dest):
    """Moves what dpkg-buildpackage wrote beside the source into dest."""
    os.makedirs(dest, exist_ok=True)
    for n in os.listdir(base):
        if n.endswith((".deb", ".changes", ".buildinfo")):
            os.replace(os.path.join(base, n), os.path.join(dest, n))


def bump_version(src):
    """A new changelog entry: the version an upgrade installs."""
    old = run(["dpkg-parsechangelog", "-S", "Version"], cwd=src).stdout.strip()
    new = old + "+upgrade1"
    path = os.path.join(src, "debian", "changelog")
    with open(path) as f:
        text = f.read()
    maint = re.search(r"^ -- (.*?>)", text, re.M).group(1)
    entry = ("udpcap (%s) bookworm; urgency=medium\n\n"
             "  * Rebuild to test upgrades.\n\n -- %s  %s\n\n"
             % (new, maint, email.utils.formatdate(usegmt=False)))
    with open(path, "w") as f:
        f.write(entry + text)
    return new


def prune(keep):
    """Keeps the three newest package builds (other trees on this machine)."""
    if not os.path.isdir(DEB_CACHE):
        return
    dirs = sorted((os.path.join(DEB_CACHE, d) for d in os.listdir(DEB_CACHE)),
                  key=os.path.getmtime, reverse=True)
    for d in dirs[3:]:
        if os.path.basename(d) != keep:
            shutil.rmtree(d, ignore_errors=True)


class Debs:
    def __init__(self, base):
        self.base = base
        self.v1 = os.path.join(base, "v1")
        self.v2 = os.path.join(base, "v2")

    def files(self, version_dir, names=PACKAGES):
        out = []
        for n in names:
            out += sorted(os.path.join(version_dir, f) for f in os.listdir(version_dir)
                          if f.startswith(n + "_") and f.endswith(".deb"))
        return out

    def version(self, version_dir):
        deb = self.files(version_dir, ["udpcapd"])[0]
        return run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip()


def packages(upgrade=False):
    """The .debs of this tree (v1) and, with upgrade, those of a rebuild with
    a bumped version (v2); built once per tree content."""
    names = tree_files()
    zc = zeek_config()
    key = tree_key(names) + ("-zeek" if zc else "")
    base = os.path.join(DEB_CACHE, key)
    debs = Debs(base)
    profiles = ["nocheck"] + (["pkg.udpcap.zeek"] if zc else [])
    with ocilib.cache_lock("debs"):
        src = os.path.join(base, "udpcap")
        if not os.path.exists(os.path.join(debs.v1, ".complete")):
            with phase("build the packages (%s)" % key):
                prune(key)
                shutil.rmtree(base, ignore_errors=True)
                os.makedirs(base)
                copy_tree(names, src)
                log("copied %d files of the tree into %s" % (len(names), src))
                if not zc:
                    log("NOTE: no Zeek in /opt/zeek: the Zeek plugin package is not built")
                install_build_deps(src, profiles)
                dpkg_buildpackage(src, profiles, [], os.path.join(base, "build-v1.log"))
                collect(base, debs.v1)
                open(os.path.join(debs.v1, ".complete"), "w").close()
        else:
            log("packages of this tree (%s) already built: %s" % (key, debs.v1))
        if upgrade and not os.path.exists(os.path.join(debs.v2, ".complete")):
            with phase("rebuild with a bumped version"):
                new = bump_version(src)
                dpkg_buildpackage(src, profiles, ["--no-pre-clean"],
                                  os.path.join(base, "build-v2.log"))
                collect(base, debs.v2)
                log("upgrade packages: version %s" % new)
                open(os.path.join(debs.v2, ".complete"), "w").close()
        os.utime(base)
    for f in os.listdir(debs.v1):
        if f.endswith(".deb"):
            log("  %s" % os.path.join(debs.v1, f))
    return debs


def lintian(debs):
    """lintian's report on the v1 build (cached with it): (exit code, text)."""
    out = os.path.join(debs.v1, "lintian.txt")
    with ocilib.cache_lock("debs"):
        if not os.path.exists(out):
            changes = [f for f in os.listdir(debs.v1) if f.endswith(".changes")][0]
            r = run(["lintian", "--pedantic", "-I", "--show-overrides", "--color=never",
                     os.path.join(debs.v1, changes)], check_rc=False, timeout=900)
            text = "\n".join(l for l in (r.stdout + r.stderr).splitlines()
                             if "running with root privileges" not in l)
            with open(out + ".tmp", "w") as f:
                f.write("%d\n%s" % (r.returncode, text))
            os.replace(out + ".tmp", out)
    with open(out) as f:
        rc, _, text = f.read().partition("\n")
    return int(rc), text


# --- the Debian 12 root with systemd ----------------------------------------

def minbase():
    """The debootstrap root the OCI tests use, made by the shipped script."""
    with ocilib.cache_lock("oci-base"):
        if not os.path.exists(os.path.join(MINBASE, ".udpcap-base-complete")):
            with phase("debootstrap Debian 12 minbase"):
                run([os.path.join(SOURCE, "deploy", "container", "make-base-image.sh"),
                     "-n", "-m", ocilib.debian_mirror(), "-r", MINBASE], timeout=1800)
    return MINBASE


def nspawn_run(root, cmd, binds=(), timeout=900):
    """A command in root as in a chroot, but with /dev, /proc and
    resolv.conf set up by systemd-nspawn (the host's network)."""
    args = ["systemd-nspawn", "-q", "-D", root, "--register=no", "--keep-unit",
            "--resolv-conf=copy-host"]
    args += ["--setenv=%s=%s" % kv for kv in CONTAINER_ENV.items()]
    args += ["--bind-ro=%s:%s" % b for b in binds]
    return run(args + ["--"] + cmd, timeout=timeout)


def apt_in(root, args, binds=()):
    """apt-get in root; on failure once more after apt-get update (the
    cached root's package lists may have aged)."""
    cmd = ["apt-get", "-q", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"]
    try:
        return nspawn_run(root, cmd + args, binds)
    except RuntimeError as e:
        log("apt-get %s failed, updating the package lists: %s" % (args[0], str(e)[-300:]))
        nspawn_run(root, ["apt-get", "-q", "update"])
        return nspawn_run(root, cmd + args, binds)


def systemd_root():
    """The minbase root plus systemd, systemd-sysv and dbus (cached)."""
    marker = os.path.join(SYSTEMD_ROOT, ".udpcap-systemd-complete")
    with ocilib.cache_lock("systemd-root"):
        if os.path.exists(marker):
            log("Debian 12 root with systemd: cached in " + SYSTEMD_ROOT)
            return SYSTEMD_ROOT
        base = minbase()
        with phase("Debian 12 root with systemd"):
            partial = SYSTEMD_ROOT + ".partial"
            shutil.rmtree(partial, ignore_errors=True)
            run(["cp", "-a", "--reflink=auto", base, partial], timeout=600)
            os.unlink(os.path.join(partial, ".udpcap-base-complete"))
            nspawn_run(partial, ["apt-get", "-q", "update"])
            apt_in(partial, ["install", "systemd", "systemd-sysv", "dbus"])
            nspawn_run(partial, ["apt-get", "clean"])
            # A booted container makes its own; the root must not carry one.
            for f in ("etc/machine-id", "var/lib/dbus/machine-id"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(partial, f))
            open(os.path.join(partial, "etc/machine-id"), "w").close()
            shutil.rmtree(SYSTEMD_ROOT, ignore_errors=True)
            os.replace(partial, SYSTEMD_ROOT)
            open(marker, "w").close()
    return SYSTEMD_ROOT


def fetch_dependencies(root, debs, version_dir):
    """Downloads (only) what the .debs depend on into the root's apt cache,
    once per set of dependencies: a container without network then installs
    them with apt, which resolves every dependency from the package lists."""
    files = debs.files(version_dir)
    deps = "\n".join(sorted(run(["dpkg-deb", "-f", f, "Depends", "Pre-Depends"]).stdout
                            for f in files))
    key = hashlib.sha256(deps.encode()).hexdigest()[:16]
    marker = os.path.join(root, "var", "cache", "apt", "archives", ".udpcap-deps-" + key)
    with ocilib.cache_lock("systemd-root"):
        if os.path.exists(marker):
            return
        with phase("download the packages' dependencies into the root"):
            apt_in(root, ["install", "--download-only"] +
                   ["/debs/" + os.path.basename(f) for f in files],
                   binds=[(version_dir, "/debs")])
            open(marker, "w").close()


# --- a booted container -----------------------------------------------------

def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == pid:
            out.append((int(d), comm))
    return out


class Container:
    """systemd-nspawn --boot of the root; commands run in it with nsenter
    into every namespace of its systemd."""

    def __init__(self, root, name, bpf=False, binds=()):
        self.root, self.name, self.bpf, self.binds = root, name, bpf, list(binds)
        self.proc = None
        self.pid = None
        self.logpath = "/tmp/%s.boot.log" % name

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        args = ["systemd-nspawn", "-D", self.root, "-M", self.name, "--boot",
                "--console=pipe", "--register=no", "--keep-unit", "--volatile=overlay",
                "--private-network"]
        if self.bpf:
            # nspawn's own seccomp filter blocks bpf(); these grant it.
            args += ["--capability=CAP_BPF,CAP_PERFMON", "--system-call-filter=bpf"]
        args += ["--bind-ro=%s:%s" % b for b in self.binds]
        # One booted container at a time on this machine: without systemd on
        # the host, nspawn --keep-unit leaves every container's systemd in the
        # same cgroup, where they would manage (and remove) each other's
        # service cgroups.
        os.makedirs(os.path.dirname(BOOT_LOCK), exist_ok=True)
        self.bootlock = open(BOOT_LOCK, "a")
        try:
            fcntl.flock(self.bootlock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("waiting for another booted container on this machine to power off")
            fcntl.flock(self.bootlock, fcntl.LOCK_EX)
        self.lockf = open(os.path.join(CACHE, "systemd-root.lock"), "a")
        fcntl.flock(self.lockf, fcntl.LOCK_SH)  # nobody rewrites the root under us
        log("booting %s: %s" % (self.name, " ".join(args)))
        self.out = open(self.logpath, "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_booted(self, timeout=120):
        """Waits for the container's systemd (the nspawn process's child) and
        for its boot to finish; returns is-system-running's answer."""
        deadline = time.monotonic() + timeout
        while self.pid is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s: no systemd appeared; nspawn said:\n%s"
                                   % (self.name, self.boot_log()))
            kids = [p for p, comm in children(self.proc.pid) if comm == "systemd"]
            if kids:
                self.pid = kids[0]
            else:
                time.sleep(0.1)
        # Until systemd's private socket exists systemctl cannot ask it.
        while True:
            r = self.sh("systemctl is-system-running --wait",
                        timeout=max(5, deadline - time.monotonic()))
            state = r.stdout.strip()
            if state in ("running", "degraded", "maintenance", "stopping") or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if state != "running":
            failed = self.sh("systemctl --failed --no-legend --plain").stdout
            log("%s: system state %s; failed units:\n%s" % (self.name, state, failed))
        return state

    def boot_log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()[-4000:]

    def cmd(self, args):
        return ["nsenter", "-t", str(self.pid), "-a", "env", "-i"] + \
            ["%s=%s" % kv for kv in CONTAINER_ENV.items()] + list(args)

    def run(self, args, timeout=120, check_rc=False, **kw):
        return run(self.cmd(args), timeout=timeout, check_rc=check_rc, **kw)

    def sh(self, script, timeout=120, check_rc=False, **kw):
        return self.run(["sh", "-c", script], timeout=timeout, check_rc=check_rc, **kw)

    def popen(self, args, **kw):
        return subprocess.Popen(self.cmd(args), **kw)

    def stop(self, timeout=60):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # SIGTERM: nspawn asks the container's systemd to power off.
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log("%s: no power-off within %d s; killing it" % (self.name, timeout))
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)
        self.out.close()
        os.unlink(self.logpath)
        for f in (self.lockf, self.bootlock):
            fcntl.flock(f, fcntl.LOCK_UN)
            f.close()
        self.proc = None


def in_background(fn, *args):
    """Runs fn(*args) in a thread; join() returns its result or raises."""
    box = {}

    def body():
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # handed to the caller of join()
            box["error"] = e

    t = threading.Thread(target=body, daemon=True)
    t.start()

    def join(timeout=None):
        t.join(timeout)
        if t.is_alive():
            raise RuntimeError("%s did not finish within %s s" % (fn.__name__, timeout))
        if "error" in box:
            raise box["error"]
        return box.get("value")
    return join
