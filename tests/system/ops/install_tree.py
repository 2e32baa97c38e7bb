#!/usr/bin/python3
# Proves that `meson install` into a DESTDIR lays out a usable product: every
# expected file is where the system looks for it; udpcap.pc lets a third party
# compile, link and run against the installed headers and library; the man
# pages render without a single groff warning; the installed unit passes
# `systemd-analyze verify` and rates "OK" or better in `systemd-analyze
# security`, with CAP_BPF as its only capability; the sysusers.d and
# tmpfiles.d files apply cleanly to a scratch root and yield the ring
# directory with the intended owner and mode; the systemd-networkd example
# for a TAP output is installed under the documentation, every key in it is
# one this systemd-networkd knows, and it makes what the docs say it makes.
#
# Arguments (from tests/system/ops/meson.build): KEY=VALUE pairs naming the install
# directories of the build under test and what it is expected to install.
import configparser
import os
import re
import shutil
import sys
import tempfile

from opslib import fail, finish, mark, ok, run


def rooted(destdir, path):
	return os.path.join(destdir, path.lstrip("/"))


def check_tree(destdir, a):
	t0 = mark()
	expected = [
		(a["libdir"], "libudpcap.so"),
		(a["libdir"], "libudpcap.so.0"),
		(a["libdir"] + "/pkgconfig", "udpcap.pc"),
		(a["unitdir"], "udpcapd.service"),
		(a["unitdir"], "udpcap-tap@.service"),
		(a["sysusersdir"], "udpcapd.conf"),
		(a["tmpfilesdir"], "udpcapd.conf"),
		(a["sysctldir"], "60-udpcapd.conf"),
		(a["mandir"] + "/man8", "udpcapd.8"),
		(a["mandir"] + "/man8", "udpcapctl.8"),
		(a["mandir"] + "/man5", "udpcapd.conf.5"),
		(a["mandir"] + "/man8", "udpcap-tap-setup.8"),
	]
	for h in a["headers"].split(","):
		expected.append((a["includedir"] + "/udpcap", h))
	for b in a["sbin"].split(","):
		if b:
			expected.append((a["sbindir"], b))
	if a["conf"] == "1":
		expected.append((a["sysconfdir"] + "/udpcapd", "udpcapd.conf"))
	expected.append((a["sbindir"], "udpcap-tap-setup"))
	for f in NETWORKD_FILES:
		expected.append((a["docdir"] + "/examples/networkd", f))
	for d, f in expected:
		p = rooted(destdir, os.path.join(d, f))
		if not os.path.exists(p):
			fail("missing from the install tree: " + os.path.join(d, f))
	setup = rooted(destdir, os.path.join(a["sbindir"], "udpcap-tap-setup"))
	if os.path.exists(setup) and not os.access(setup, os.X_OK):
		fail(setup + " is not executable")
	for b in a["sbin"].split(","):
		p = rooted(destdir, os.path.join(a["sbindir"], b)) if b else None
		if p and os.path.exists(p) and not os.access(p, os.X_OK):
			fail(p + " is not executable")
	ok("%d expected files checked" % len(expected), t0)


def check_binaries(destdir, a):
	"""The installed programs run from the DESTDIR (no build-tree RPATH left),
	and the installed example configuration passes udpcapd --check-config."""
	t0 = mark()
	env = dict(os.environ, LD_LIBRARY_PATH=rooted(destdir, a["libdir"]))
	for b in a["sbin"].split(","):
		p = rooted(destdir, os.path.join(a["sbindir"], b))
		if not b or not os.path.exists(p):
			continue
		r = run([p, "--version"], env=env)
		if r.returncode != 0 or a["version"] not in r.stdout:
			fail("installed %s --version: rc %d, %r %r" % (b, r.returncode, r.stdout, r.stderr))
		r = run(["readelf", "-d", p])
		paths = re.findall(r"\((?:RUNPATH|RPATH)\).*\[(.*)\]", r.stdout)
		want = [] if a["prefix"] == "/usr" else [a["libdir"]]
		if destdir in r.stdout or paths != want:
			fail("installed %s has run path %r; want %r (the install libdir outside /usr, "
			     "none under /usr)" % (b, paths, want))
	conf = rooted(destdir, os.path.join(a["sysconfdir"], "udpcapd", "udpcapd.conf"))
	d = rooted(destdir, os.path.join(a["sbindir"], "udpcapd"))
	if os.path.exists(conf) and os.path.exists(d):
		r = run([d, "--check-config", "-c", conf], env=env)
		if r.returncode != 0:
			fail("the installed udpcapd.conf fails --check-config:\n" + r.stdout + r.stderr)
		else:
			ok("installed binaries run; the installed udpcapd.conf is valid", t0)


def check_pkgconfig(destdir, a, work):
	t0 = mark()
	env = dict(os.environ)
	env["PKG_CONFIG_SYSROOT_DIR"] = destdir
	env["PKG_CONFIG_PATH"] = rooted(destdir, a["libdir"] + "/pkgconfig")
	env["PKG_CONFIG_LIBDIR"] = env["PKG_CONFIG_PATH"] + ":/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/lib/pkgconfig:/usr/share/pkgconfig"
	r = run(["pkg-config", "--cflags", "--libs", "udpcap"], env=env)
	if r.returncode != 0:
		fail("pkg-config udpcap: " + r.stderr.strip())
		return
	flags = r.stdout.split()
	if not any(f.startswith("-I" + destdir) for f in flags):
		fail("pkg-config --cflags does not point into the DESTDIR: " + r.stdout.strip())
	prog = os.path.join(work, "consumer.c")
	with open(prog, "w") as f:
		f.write(r"""
#include <stdio.h>
#include <string.h>
#include <udpcap/decap.h>
#include <udpcap/ring.h>

int main(void)
{
	/* VXLAN header (I flag, VNI 42) followed by a 14-byte Ethernet header. */
	unsigned char pkt[22] = { 0x08, 0, 0, 0, 0, 0, 42, 0 };
	struct udpcap_encap enc = { .type = UDPCAP_ENCAP_VXLAN };
	struct udpcap_decap d;
	enum udpcap_decap_reason r;

	pkt[20] = 0x08;
	r = udpcap_decap(&enc, pkt, sizeof(pkt), &d);
	if (r != UDPCAP_DECAP_OK || d.vxlan_vni != 42 || d.inner_off != 8) {
		fprintf(stderr, "decap: %s vni %u off %u\n",
			udpcap_decap_reason_str(r), d.vxlan_vni, d.inner_off);
		return 1;
	}
	r = udpcap_decap(&enc, pkt, 4, &d);
	if (strcmp(udpcap_decap_reason_str(r), "vxlan_short") != 0)
		return 1;
	puts("linked against the installed libudpcap");
	return 0;
}
""")
	exe = os.path.join(work, "consumer")
	cc = a["cc"].split()
	san = a["sanitize"]
	sanflags = ["-fsanitize=" + san] if san and san != "none" else []
	r = run(cc + sanflags + ["-std=gnu17", "-Wall", "-Werror", prog, "-o", exe] + flags)
	if r.returncode != 0:
		fail("compiling against the installed headers/library failed:\n" + r.stdout + r.stderr)
		return
	env = dict(os.environ)
	env["LD_LIBRARY_PATH"] = rooted(destdir, a["libdir"])
	r = run([exe], env=env)
	if r.returncode != 0 or "linked" not in r.stdout:
		fail("program linked against the installed libudpcap failed: " + r.stdout + r.stderr)
		return
	ok("udpcap.pc: compiled, linked and ran a consumer against the DESTDIR", t0)


def check_man(destdir, a):
	t0 = mark()
	pages = [("man8", "udpcapd.8"), ("man8", "udpcapctl.8"), ("man5", "udpcapd.conf.5"),
		 ("man8", "udpcap-tap-setup.8")]
	env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
	for sect, page in pages:
		p = rooted(destdir, os.path.join(a["mandir"], sect, page))
		if not os.path.exists(p):
			continue
		r = run(["groff", "-man", "-ww", "-z", p], env=env)
		if r.returncode != 0 or r.stderr.strip():
			fail("groff warnings in %s:\n%s" % (page, r.stderr))
		r = run(["man", "--warnings", "-E", "UTF-8", "-l", p], env=env)
		if r.returncode != 0 or r.stderr.strip():
			fail("man --warnings on %s:\n%s" % (page, r.stderr))
		elif "SEE ALSO" not in r.stdout or len(r.stdout.splitlines()) < 30:
			fail("%s renders suspiciously short" % page)
		with open(p) as f:
			text = f.read()
		if "@" + "VERSION@" in text or "@" + "SYSCONFDIR@" in text:
			fail(page + " has unsubstituted @VARIABLES@")
	ok("man pages render without warnings", t0)


def unit_settings(path):
	settings = {}
	with open(path) as f:
		for line in f:
			line = line.strip()
			if not line or line[0] in "#;[":
				continue
			k, _, v = line.partition("=")
			settings.setdefault(k.strip(), []).append(v.strip())
	return settings


def check_unit(destdir, a, work):
	t0 = mark()
	unit = rooted(destdir, os.path.join(a["unitdir"], "udpcapd.service"))
	if not os.path.exists(unit):
		return
	s = unit_settings(unit)
	want = {
		"Type": ["notify"],
		"User": ["udpcapd"],
		"Group": ["udpcap"],
		"AmbientCapabilities": ["CAP_BPF"],
		"CapabilityBoundingSet": ["CAP_BPF"],
		"NoNewPrivileges": ["yes"],
		"ProtectSystem": ["strict"],
		"ExecReload": ["/bin/sh -c 'kill -HUP $$MAINPID'"],
	}
	for k, v in want.items():
		if s.get(k) != v:
			fail("udpcapd.service: %s=%s, expected %s" % (k, s.get(k), v))
	conf = os.path.join(a["sysconfdir"], "udpcapd", "udpcapd.conf")
	start = os.path.join(a["sbindir"], "udpcapd") + " -c " + conf
	if s.get("ExecStart") != [start]:
		fail("udpcapd.service: ExecStart=%s, expected %s" % (s.get("ExecStart"), start))
	if "WatchdogSec" not in s:
		fail("udpcapd.service: no WatchdogSec")

	# verify: point the binaries at the DESTDIR copy, man at the DESTDIR pages.
	copy = os.path.join(work, "udpcapd.service")
	with open(unit) as f:
		text = f.read()
	sbindir = a["sbindir"].rstrip("/") + "/"
	text = text.replace("=" + sbindir, "=" + rooted(destdir, sbindir))
	with open(copy, "w") as f:
		f.write(text)
	env = dict(os.environ, MANPATH=rooted(destdir, a["mandir"]), SYSTEMD_LOG_COLOR="0")
	if "udpcapd" in a["sbin"].split(","):
		r = run(["systemd-analyze", "verify", copy], env=env)
		if r.returncode != 0 or r.stderr.strip() or r.stdout.strip():
			fail("systemd-analyze verify:\n" + r.stdout + r.stderr)
		else:
			ok("systemd-analyze verify clean (ExecStart and man pages resolved in the DESTDIR)", t0)
	else:
		print("SKIP part: udpcapd is not built in this tree yet, so the unit's ExecStart "
		      "cannot be verified", flush=True)

	# the TAP device unit: an instance of the template, its script from the DESTDIR
	tap = rooted(destdir, os.path.join(a["unitdir"], "udpcap-tap@.service"))
	if os.path.exists(tap):
		t1 = mark()
		tap_copy = os.path.join(work, "udpcap-tap@udpcap0.service")
		with open(tap) as f:
			text = f.read().replace("=" + sbindir, "=" + rooted(destdir, sbindir))
		with open(tap_copy, "w") as f:
			f.write(text)
		r = run(["systemd-analyze", "verify", tap_copy], env=env)
		if r.returncode != 0 or r.stderr.strip() or r.stdout.strip():
			fail("systemd-analyze verify udpcap-tap@udpcap0.service:\n" + r.stdout + r.stderr)
		else:
			ok("systemd-analyze verify clean for udpcap-tap@udpcap0.service", t1)

	r = run(["systemd-analyze", "security", "--offline=true", "--no-pager", unit], env=env)
	m = re.search(r"Overall exposure level for udpcapd\.service: ([0-9.]+) (\w+)", r.stdout)
	if not m:
		fail("systemd-analyze security: no overall rating:\n" + r.stdout + r.stderr)
	else:
		score, rating = float(m.group(1)), m.group(2)
		if rating not in ("PERFECT", "SAFE", "OK"):
			fail("systemd-analyze security rates %.1f %s, need OK or better" % (score, rating))
		else:
			ok("systemd-analyze security: %.1f %s" % (score, rating), t0)
	# Exactly one capability, and it is CAP_BPF: every other line is a check mark.
	for line in r.stdout.splitlines():
		if "CapabilityBoundingSet=" in line and line.startswith("✗") and "CAP_BPF" not in line:
			fail("unexpected capability exposure: " + line.strip())


def check_sysctl(destdir, a):
	t0 = mark()
	p = rooted(destdir, os.path.join(a["sysctldir"], "60-udpcapd.conf"))
	if not os.path.exists(p):
		return
	n = 0
	for i, line in enumerate(open(p), 1):
		line = line.strip()
		if not line or line[0] in "#;":
			continue
		k, sep, v = line.partition("=")
		k, v = k.strip(), v.strip()
		if not sep or not os.path.exists("/proc/sys/" + k.replace(".", "/")) or not v.isdigit():
			fail("%s:%d: not a known 'key = number' sysctl: %s" % (p, i, line))
		n += 1
	if n == 0:
		fail(p + " sets nothing")
	else:
		ok("sysctl.d: %d known key(s)" % n, t0)


NETWORKD_FILES = ("udpcap0.netdev", "udpcap0.network", "60-udpcap0.conf")
NETWORKD = "/lib/systemd/systemd-networkd"


def check_networkd(destdir, a):
	"""The networkd alternative to udpcap-tap@.service: a persistent
	multi-queue TAP of udpcapd's user, with no address, no IPv6 and no ARP."""
	t0 = mark()
	d = rooted(destdir, os.path.join(a["docdir"], "examples", "networkd"))
	paths = [os.path.join(d, f) for f in NETWORKD_FILES]
	if not all(os.path.exists(p) for p in paths):
		return  # check_tree said so
	ini = {}
	for p in paths[:2]:
		c = configparser.ConfigParser(interpolation=None)
		c.optionxform = str
		try:
			c.read(p)
		except configparser.Error as e:
			fail("%s: %s" % (p, e))
			return
		ini[os.path.splitext(p)[1]] = c
	netdev, network = ini[".netdev"], ini[".network"]
	with open(rooted(destdir, os.path.join(a["sysusersdir"], "udpcapd.conf"))) as f:
		user = [l.split()[1] for l in f if l.startswith("u ")][0]
	want = [
		(netdev, "NetDev", "Kind", "tap"),
		(netdev, "Tap", "MultiQueue", "yes"),
		(netdev, "Tap", "User", user),
		(network, "Match", "Name", netdev.get("NetDev", "Name", fallback=None)),
		(network, "Link", "ARP", "no"),
		(network, "Network", "LinkLocalAddressing", "no"),
		(network, "Network", "IPv6AcceptRA", "no"),
	]
	for c, sec, key, v in want:
		got = c.get(sec, key, fallback=None)
		if got != v:
			fail("networkd example: [%s] %s = %r, want %r" % (sec, key, got, v))
	name = netdev.get("NetDev", "Name", fallback="")
	sysctl = {}
	for line in open(paths[2]):
		if line.strip() and not line.startswith("#"):
			k, _, v = line.partition("=")
			sysctl[k.strip()] = v.strip()
	if sysctl.get("net.ipv6.conf.%s.disable_ipv6" % name) != "1":
		fail("networkd example: %s does not turn IPv6 off on %s" % (paths[2], name))
	for k in sysctl:
		# the per-device leaves, as lo has them on this kernel
		parts = k.split(".")
		if len(parts) != 5 or parts[3] != name or \
				not os.path.exists("/proc/sys/" + "/".join(parts[:3] + ["lo", parts[4]])):
			fail("networkd example: %s: '%s' is not a sysctl of %s" % (paths[2], k, name))
	if os.path.exists(NETWORKD):
		with open(NETWORKD, "rb") as f:
			known = f.read()
		for c in ini.values():
			for sec in c.sections():
				for key in c[sec]:
					if b"\0%s.%s\0" % (sec.encode(), key.encode()) not in known:
						fail("networkd example: [%s] %s is not a key %s knows" %
						     (sec, key, NETWORKD))
	else:
		print("SKIP part: %s is not installed; the example's keys are not checked "
		      "against it" % NETWORKD, flush=True)
	ok("networkd example: a multi-queue TAP %s of user %s, no address, IPv6 and ARP off "
	   "(%d sysctls)" % (name, user, len(sysctl)), t0)


def check_users_tmpfiles(destdir, a, work):
	t0 = mark()
	sysusers = rooted(destdir, os.path.join(a["sysusersdir"], "udpcapd.conf"))
	tmpfiles = rooted(destdir, os.path.join(a["tmpfilesdir"], "udpcapd.conf"))
	if not (os.path.exists(sysusers) and os.path.exists(tmpfiles)):
		return
	root = os.path.join(work, "root")
	os.makedirs(os.path.join(root, "etc"))
	if os.geteuid() != 0:
		r = run(["systemd-sysusers", "--dry-run", "--root=" + root, sysusers])
		if r.returncode != 0 or "udpcapd" not in r.stdout + r.stderr:
			fail("systemd-sysusers --dry-run:\n" + r.stdout + r.stderr)
		print("SKIP part: not root, so tmpfiles.d cannot chown in a scratch root", flush=True)
		return
	r = run(["systemd-sysusers", "--root=" + root, sysusers])
	if r.returncode != 0:
		fail("systemd-sysusers:\n" + r.stdout + r.stderr)
		return
	ids = {}
	for name, f in (("user", "passwd"), ("group", "group")):
		for line in open(os.path.join(root, "etc", f)):
			parts = line.split(":")
			ids[(name, parts[0])] = parts
	u, g = ids.get(("user", "udpcapd")), ids.get(("group", "udpcap"))
	if not u or not g:
		fail("sysusers did not create udpcapd/udpcap: %s %s" % (u, g))
		return
	if u[3] != g[2]:
		fail("udpcapd's primary group is gid %s, not udpcap (%s)" % (u[3], g[2]))
	if u[6].strip() not in ("/usr/sbin/nologin", "/sbin/nologin"):
		fail("udpcapd has a login shell: " + u[6])
	r = run(["systemd-tmpfiles", "--root=" + root, "--create", tmpfiles])
	if r.returncode != 0 or r.stderr.strip():
		fail("systemd-tmpfiles --create:\n" + r.stdout + r.stderr)
		return
	st = os.stat(os.path.join(root, "dev/shm/udpcapd"))
	if (st.st_mode & 0o7777, st.st_uid, st.st_gid) != (0o750, int(u[2]), int(g[2])):
		fail("ring dir: mode %o uid %d gid %d, expected 0750 udpcapd:udpcap"
		     % (st.st_mode & 0o7777, st.st_uid, st.st_gid))
	else:
		ok("sysusers + tmpfiles: udpcapd:udpcap, /dev/shm/udpcapd 0750", t0)


def main():
	a = dict(arg.split("=", 1) for arg in sys.argv[1:])
	build = os.environ.get("UDPCAP_BUILD_ROOT")
	if not build:
		print("UDPCAP_BUILD_ROOT is not set", file=sys.stderr)
		return 1
	for tool in ("systemd-analyze", "systemd-sysusers", "systemd-tmpfiles", "groff", "man", "pkg-config"):
		if not shutil.which(tool):
			fail(tool + " is not installed (tools/dev.sh installs it)")
	work = tempfile.mkdtemp(prefix="udpcap-ops-")
	try:
		destdir = os.path.join(work, "dest")
		r = run(["meson", "install", "-C", build, "--no-rebuild", "--quiet", "--destdir", destdir])
		if r.returncode != 0:
			fail("meson install --destdir failed:\n" + r.stdout + r.stderr)
		else:
			ok("meson install --destdir " + destdir)
			check_tree(destdir, a)
			check_binaries(destdir, a)
			check_pkgconfig(destdir, a, work)
			check_man(destdir, a)
			check_unit(destdir, a, work)
			check_sysctl(destdir, a)
			check_networkd(destdir, a)
			check_users_tmpfiles(destdir, a, work)
	finally:
		shutil.rmtree(work, ignore_errors=True)
	return finish("install tree OK", None if "udpcapd" in a["sbin"].split(",") else
		      "udpcapd is not built in this tree, so the install "
		      "tree is incomplete")


if __name__ == "__main__":
	sys.exit(main())
