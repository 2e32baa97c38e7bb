#!/usr/bin/env python3
"""Proves that the OCI images build from this tree with podman on a Debian 12
base image made locally by deploy/container/make-base-image.sh (no registry),
and that the udpcapd image holds only udpcapd, udpcapctl, their shared
libraries, the example configuration and passwd/group entries: no shell,
a numeric non-root user, and both programs run in it with every capability
dropped on a read-only root filesystem. When a Zeek is installed, the Zeek
worker image loads udpcap's shmring plugin as the same non-root user."""

import os
import sys

import ocilib
from ocilib import check, log, podman

# What the runtime image may contain, besides directories.
ALLOWED_FILES = {"usr/sbin/udpcapd", "usr/sbin/udpcapctl", "etc/udpcapd/udpcapd.conf",
                 "etc/passwd", "etc/group", "etc/ld.so.cache"}


def image_files(env, image):
    """Every non-directory path in the image, relative to its root."""
    mnt = podman(env, "image", "mount", image).stdout.strip()
    try:
        found = []
        for top, dirs, files in os.walk(mnt):
            for name in files:
                found.append(os.path.relpath(os.path.join(top, name), mnt))
        return found
    finally:
        podman(env, "image", "unmount", image, check_rc=False)


def restricted(image, *args, entrypoint=None):
    """podman run arguments for the image as Kubernetes' restricted profile runs it."""
    cmd = ["run", "--rm", "--read-only", "--cap-drop=all", "--security-opt=no-new-privileges",
           "--network=none"]
    if entrypoint:
        cmd.append("--entrypoint=" + entrypoint)
    return cmd + [image] + list(args)


def main():
    env, conf_dir, images = ocilib.setup()
    try:
        img = ocilib.UDPCAP_IMAGE
        cfg = podman(env, "image", "inspect", "--format",
                     "{{.Config.User}}|{{.Config.Entrypoint}}|{{.Size}}", img).stdout.strip()
        user, entrypoint, size = cfg.split("|")
        check(user == "10001:10001", "the udpcapd image runs as numeric user 10001:10001",
              "User=" + user)
        check("/usr/sbin/udpcapd" in entrypoint, "its entry point is udpcapd", entrypoint)
        log("udpcapd image: %.1f MB" % (int(size) / 1e6))

        files = image_files(env, img)
        extra = [f for f in files if f not in ALLOWED_FILES and
                 not (f.startswith(("lib", "usr/lib")) and ".so" in os.path.basename(f))]
        check(not extra, "the udpcapd image holds only the two programs, their libraries "
              "and configuration (%d files)" % len(files), "also: %s" % extra[:20])
        check(not any(os.path.basename(f) in ("sh", "bash", "dash", "busybox") for f in files),
              "the udpcapd image has no shell")
        r = podman(env, *restricted(img, "-c", "true", entrypoint="/bin/sh"), check_rc=False)
        check(r.returncode != 0, "running /bin/sh in the udpcapd image fails",
              r.stdout + r.stderr)

        r = podman(env, *restricted(img, "--version"), check_rc=False)
        check(r.returncode == 0 and "0.1.0" in r.stdout + r.stderr,
              "udpcapd --version runs in the image, restricted", r.stdout + r.stderr)
        r = podman(env, *restricted(img, "--version", entrypoint="/usr/sbin/udpcapctl"),
                   check_rc=False)
        check(r.returncode == 0 and "0.1.0" in r.stdout + r.stderr,
              "udpcapctl --version runs in the image, restricted", r.stdout + r.stderr)
        # the rings' volume, as in a pod: big enough for the example's 4 x 64M
        r = podman(env, "run", "--rm", "--read-only", "--cap-drop=all",
                   "--security-opt=no-new-privileges", "--network=none",
                   "--tmpfs=/dev/shm/udpcapd:size=300m,mode=1777", img,
                   "--check-config", "-c", "/etc/udpcapd/udpcapd.conf", check_rc=False)
        check(r.returncode == 0, "the image's example configuration passes udpcapd --check-config",
              r.stdout + r.stderr)

        if ocilib.ZEEK_IMAGE in images:
            z = ocilib.ZEEK_IMAGE
            user = podman(env, "image", "inspect", "--format", "{{.Config.User}}", z).stdout.strip()
            check(user == "10001:10001", "the Zeek worker image runs as numeric user 10001:10001",
                  "User=" + user)
            r = podman(env, *restricted(z, "-N", "Udpcap::ShmRing"), check_rc=False)
            check(r.returncode == 0 and "Udpcap::ShmRing" in r.stdout,
                  "Zeek in its image loads the shmring plugin, restricted", r.stdout + r.stderr)
            size = podman(env, "image", "inspect", "--format", "{{.Size}}", z).stdout.strip()
            log("Zeek worker image: %.1f MB" % (int(size) / 1e6))
        else:
            log("NOTE: Zeek worker image not built (no Zeek at %s)" % ocilib.ZEEK_PREFIX)
    finally:
        ocilib.cleanup_conf(conf_dir)
    return ocilib.finish("OCI images: built and checked: " + ", ".join(images))


if __name__ == "__main__":
    sys.exit(main())
