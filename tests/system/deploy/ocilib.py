# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the OCI image and Kubernetes tests (not a test): podman set up
the way this machine needs it, the Debian 12 base image made by the shipped
deploy/container/make-base-image.sh, and the images built from this tree.

Podman here runs as root only with runc, cgroupfs and ulimits at or below
the hard limits (there is no CAP_SYS_RESOURCE to raise them): that lives in
a containers.conf written for the tests (CONTAINERS_CONF), never in the
product's files. The debootstrap root is cached under
/var/cache/udpcap-tests (UDPCAP_TEST_CACHE overrides it) and the images in
podman's own store, both outside the repository, so a second run rebuilds
only the layers the tree changed."""

import contextlib
import fcntl
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

CACHE = os.environ.get("UDPCAP_TEST_CACHE", "/var/cache/udpcap-tests")
SOURCE = os.environ.get("UDPCAP_SOURCE_ROOT",
                        os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
BUILD = os.environ.get("UDPCAP_BUILD_ROOT", os.path.join(SOURCE, "build"))
BASE_IMAGE = "localhost/debian:bookworm"
UDPCAP_IMAGE = "localhost/udpcap:0.1.0"
ZEEK_IMAGE = "localhost/udpcap-zeek:0.1.0"
ZEEK_PREFIX = "/opt/zeek"
# netavark 1.4 sets up a container's network with iptables (not a
# dependency of the package: without it every RUN step fails).
HOST_PACKAGES = ["podman", "runc", "catatonit", "netavark", "aardvark-dns", "iptables",
                 "debootstrap", "python3-yaml"]

failures = []


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, flush=True)


def check(cond, msg, detail=""):
    if cond:
        log("ok: " + msg)
    else:
        failures.append(msg)
        log("FAIL: " + msg + (("\n" + detail) if detail else ""))
    return cond


def finish(done):
    if failures:
        print("%d failure(s):" % len(failures))
        for f in failures:
            print("  - " + f)
        return 1
    print(done)
    return 0


def need_root():
    if os.geteuid() != 0:
        print("SKIP: the OCI image and Kubernetes tests need root (podman as root, "
              "debootstrap, apt); run tools/dev.sh test as root", flush=True)
        sys.exit(77)


def run(cmd, timeout=600, check_rc=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check_rc and r.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s%s" % (" ".join(cmd), r.returncode,
                                                   r.stdout[-4000:], r.stderr[-4000:]))
    return r


@contextlib.contextmanager
def cache_lock(name):
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, name + ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def host_install(names):
    """apt-get install on the host what of names is missing."""
    with cache_lock("host-apt"):
        r = run(["dpkg-query", "-W", "-f=${Package} ${Status}\n"] + names, check_rc=False)
        have = {l.split()[0] for l in r.stdout.splitlines() if l.endswith("install ok installed")}
        missing = [n for n in names if n not in have]
        if not missing:
            return
        log("installing on the host: " + " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "-o", "DPkg::Lock::Timeout=900", "install", "-y", "-qq",
               "--no-install-recommends"] + missing
        if run(cmd, check_rc=False, env=env, timeout=1200).returncode != 0:
            run(["apt-get", "-o", "DPkg::Lock::Timeout=900", "update", "-qq"], env=env)
            run(cmd, env=env, timeout=1200)


def debian_mirror():
    """The Debian mirror the host's apt already uses for bookworm."""
    paths = ["/etc/apt/sources.list"]
    d = "/etc/apt/sources.list.d"
    if os.path.isdir(d):
        paths += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    for path in paths:
        try:
            text = open(path).read()
        except OSError:
            continue
        for stanza in text.split("\n\n"):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites and "bookworm" in suites.group(1).split() and \
                    "security" not in uris.group(1):
                return uris.group(1)
        m = re.search(r"^\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", text, re.M)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


def podman_env():
    """The environment for podman: a containers.conf with this machine's
    constraints, ulimits at the hard limits the tests run under."""
    conf_dir = tempfile.mkdtemp(prefix="udpcap-podman-")
    nofile = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 1024)
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = 4096 if nproc == resource.RLIM_INFINITY else min(nproc, 4096)
    conf = os.path.join(conf_dir, "containers.conf")
    with open(conf, "w") as f:
        f.write("[containers]\n"
                'default_ulimits = ["nofile=%d:%d", "nproc=%d:%d"]\n'
                "[engine]\n"
                'runtime = "runc"\n'
                'cgroup_manager = "cgroupfs"\n'
                'events_logger = "file"\n' % (nofile, nofile, nproc, nproc))
    env = dict(os.environ, CONTAINERS_CONF=conf)
    return env, conf_dir


def podman(env, *args, timeout=600, check_rc=True, **kw):
    return run(["podman"] + list(args), timeout=timeout, check_rc=check_rc, env=env, **kw)


def base_image(env):
    """localhost/debian:bookworm, from the shipped script (debootstrap root cached)."""
    with cache_lock("oci-base"):
        if podman(env, "image", "exists", BASE_IMAGE, check_rc=False).returncode == 0:
            return
        t0 = time.monotonic()
        log("making %s with deploy/container/make-base-image.sh" % BASE_IMAGE)
        mirror = debian_mirror()
        run([os.path.join(SOURCE, "deploy", "container", "make-base-image.sh"), "-m", mirror,
             "-r", os.path.join(CACHE, "oci-bookworm-minbase"), BASE_IMAGE],
            timeout=1800, env=env)
        log("base image ready in %.0f s" % (time.monotonic() - t0))


def zeek_available():
    """A Zeek installed at the prefix Containerfile.zeek copies it to (Zeek's
    prefix is fixed when it is built): zeek-config on PATH, else the one in
    /opt/zeek."""
    cfg = shutil.which("zeek-config") or os.path.join(ZEEK_PREFIX, "bin", "zeek-config")
    if not os.access(cfg, os.X_OK):
        return False
    prefix = run([cfg, "--prefix"], check_rc=False).stdout.strip()
    if os.path.realpath(prefix) != ZEEK_PREFIX:
        log("NOTE: the Zeek of %s is installed in %s, not %s: the Zeek worker image "
            "needs one built for %s" % (cfg, prefix, ZEEK_PREFIX, ZEEK_PREFIX))
        return False
    return True


def build_images(env):
    """Builds the udpcapd image and, when a Zeek is installed, the Zeek worker
    image; returns the list of images built. Podman's layer cache makes an
    unchanged tree cost only the final COPY checks."""
    base_image(env)
    built = []
    jobs = [(UDPCAP_IMAGE, "Containerfile", [])]
    if zeek_available():
        jobs.append((ZEEK_IMAGE, "Containerfile.zeek", ["--build-context", "zeek=" + ZEEK_PREFIX]))
    else:
        log("NOTE: no Zeek 8 in %s: the Zeek worker image is not built, and the Kubernetes "
            "test reads the rings with udpcapctl dump instead" % ZEEK_PREFIX)
    with cache_lock("oci-build"):
        for image, cf, extra in jobs:
            t0 = time.monotonic()
            podman(env, "build", "--layers", "--format", "oci", "-f",
                   os.path.join(SOURCE, "deploy", "container", cf),
                   "--build-arg", "DEBIAN_IMAGE=" + BASE_IMAGE, *extra, "-t", image, SOURCE,
                   timeout=2400)
            log("built %s in %.0f s" % (image, time.monotonic() - t0))
            built.append(image)
    return built


def setup():
    """Root check, host tools, podman environment, images; returns (env, conf_dir, images)."""
    need_root()
    host_install(HOST_PACKAGES)
    env, conf_dir = podman_env()
    images = build_images(env)
    return env, conf_dir, images


def cleanup_conf(conf_dir):
    shutil.rmtree(conf_dir, ignore_errors=True)
