#!/usr/bin/python3
# Proves that the operator documentation describes the product that exists:
# every key the config parser accepts is documented in docs/configuration.md
# and udpcapd.conf(5), and every documented key is one the parser knows;
# configuration.md's Reload column says what each key's row says;
# every drop reason the daemon can count is explained in docs/operations.md;
# every udpcapctl subcommand and exit status, and every udpcapd option, is in
# its man page; every INI example in the docs passes `udpcapd --check-config`;
# every relative link in README.md and docs/*.md points at a file; what the
# docs say about io_uring's CPU cost agrees with the measured benchmark table.
import os
import re
import sys
import tempfile

from opslib import fail, finish, mark, ok, run

src = os.environ.get("UDPCAP_SOURCE_ROOT", "")
build = os.environ.get("UDPCAP_BUILD_ROOT", "")


def read(rel):
	with open(os.path.join(src, rel), encoding="utf-8") as f:
		return f.read()


def parser_rows():
	"""{(section, key): reloadable} from the parser's own rows, printed by
	tests/lib/config/dump_config_keys."""
	r = run([os.path.join(build, "tests", "lib", "config", "dump_config_keys")])
	rows = {}
	for line in r.stdout.splitlines():
		f = line.split("\t")
		if len(f) == 5:
			rows[(f[0], f[1])] = f[2] == "reloadable"
	if r.returncode != 0 or not rows:
		fail("dump_config_keys printed no keys: " + r.stdout + r.stderr)
	return rows


def doc_keys(text, heading, other_heading, row):
	"""{(section, key): match}: HEADING names the section ("[rings]",
	"[listener NAME]"), a line starting with OTHER_HEADING ends it, ROW
	matches a documented key."""
	keys, sect = {}, None
	for line in text.splitlines():
		h = re.match(heading, line)
		if h:
			sect = h.group(1)
		elif line.startswith(other_heading):
			sect = None
		r = re.match(row, line)
		if r and sect:
			keys[(sect, r.group(1))] = r
	return keys


def md_keys(text):
	"""{(section, key): reloadable} from the tables' Reload column."""
	rows = doc_keys(text, r"## \[(\w+(?: NAME)?)\]", "## ",
			r"\| `([a-z0-9_-]+)` \|.*\|\s*([^|]*?)\s*\|\s*$")
	return {k: m.group(2).strip("*").lower() == "yes" for k, m in rows.items()}


def man_keys(text):
	return set(doc_keys(text, r"\.SH \[(\w+)", ".SH", r'\.BR ([a-z0-9_-]+) " = "'))


def check_keys():
	t0 = mark()
	rows = parser_rows()
	if not rows:
		return
	md = md_keys(read("docs/configuration.md"))
	for (s, k), reloadable in sorted(rows.items()):
		if (s, k) not in md:
			fail("docs/configuration.md does not document [%s] %s" % (s, k))
		elif md[(s, k)] != reloadable:
			fail("docs/configuration.md says [%s] %s is %sreloadable; the parser's row says "
			     "it is %s" % (s, k, "" if md[(s, k)] else "not ",
					  "reloadable" if reloadable else "not (a restart is needed)"))
	for s, k in sorted(set(md) - set(rows)):
		fail("docs/configuration.md documents [%s] %s, which the parser does not accept" % (s, k))
	# the summary table above the sections names the reloadable keys
	m = re.search(r"^\| Reloadable \|.*\n\|[-|]+\|\n\|([^|]*)\|", read("docs/configuration.md"), re.M)
	listed = set(re.findall(r"`\[([\w ]+)\] ([a-z0-9_]+)`", m.group(1))) if m else set()
	reloadable = {k for k, v in rows.items() if v}
	if listed != reloadable:
		fail("docs/configuration.md's Reloadable summary lists %s; the parser's rows say %s" %
		     (sorted(listed), sorted(reloadable)))
	# udpcapd.conf(5) describes [rings NAME] in prose: keys by section word
	real = {(s.split()[0], k) for s, k in rows}
	documented = man_keys(read("docs/man/udpcapd.conf.5.in"))
	for s, k in sorted(real - documented):
		fail("udpcapd.conf(5) does not document [%s] %s" % (s, k))
	for s, k in sorted(documented - real):
		fail("udpcapd.conf(5) documents [%s] %s, which the parser does not accept" % (s, k))
	ok("%d configuration keys documented in both places, %d reloadable as the rows say" %
	   (len(rows), len(reloadable)), t0)


def drop_reasons():
	names = []
	for rel in ("lib/include/udpcap/decap_types.h", "daemon/counters.h"):
		if os.path.exists(os.path.join(src, rel)):
			names += [n for n in re.findall(r'/\* "([a-z_]+)":', read(rel)) if n not in names]
	if len(names) < 10:
		fail("found only %d drop reasons in decap.h/counters.h; update this test" % len(names))
	return names


def check_reasons():
	t0 = mark()
	names = drop_reasons()
	ops = read("docs/operations.md")
	arch = read("docs/architecture.md")
	man = read("docs/man/udpcapctl.8.in")
	for n in names:
		if not re.search(r"^\| `%s` \|" % n, ops, re.M):
			fail("docs/operations.md has no row for drop reason %s" % n)
		if n not in arch:
			fail("docs/architecture.md does not mention drop reason %s" % n)
		if n not in man:
			fail("udpcapctl(8) does not mention drop reason %s" % n)
	ok("%d drop reasons explained" % len(names), t0)


def man_section(man, head):
	"""The text of a man page section from HEAD to the next .SS or .SH."""
	m = re.search(r"^%s\b.*?(?=^\.S[SH] )" % re.escape(head), man, re.M | re.S)
	return m.group(0) if m else ""


def check_ctl():
	t0 = mark()
	man = read("docs/man/udpcapctl.8.in")
	ctl = os.path.join(build, "tools", "udpcapctl")
	r = run([ctl, "--help"])
	cmds = re.findall(r"^  ([a-z]+) ", r.stdout, re.M)
	if r.returncode != 0 or not cmds:
		fail("udpcapctl --help lists no commands: " + r.stdout + r.stderr)
	common = man_section(man, ".SH FINDING THE DAEMON")
	for c in cmds:
		sect = man_section(man, ".SS " + c)
		if not sect:
			fail("udpcapctl(8) has no section for the command %s" % c)
		h = run([ctl, c, "--help"])
		for opt in sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", h.stdout))):
			if opt == "--help":
				continue
			if opt.replace("-", "\\-") not in sect + common:
				fail("udpcapctl(8) does not document '%s %s' in its section" % (c, opt))
	codes = re.findall(r"CTL_EXIT_\w+ = (\d+)", read("tools/ctl.h"))
	for c in codes:
		if not re.search(r"^\.B %s$" % c, man, re.M):
			fail("udpcapctl(8) does not document exit status %s" % c)
	ok("udpcapctl: %d commands, %d exit statuses in the man page" % (len(cmds), len(codes)), t0)


def udpcapd():
	p = os.path.join(build, "daemon", "udpcapd")
	return p if os.access(p, os.X_OK) else None


def check_daemon_options():
	t0 = mark()
	d = udpcapd()
	if not d:
		return
	man = read("docs/man/udpcapd.8.in")
	r = run([d, "--help"])
	opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", r.stdout + r.stderr))
	if not opts:
		fail("udpcapd --help lists no options")
	for opt in sorted(opts):
		if opt.replace("-", "\\-") not in man:
			fail("udpcapd(8) does not document %s" % opt)
	ok("udpcapd: %d options in the man page" % len(opts), t0)


def ini_examples():
	out = []
	for rel in ("docs/configuration.md", "docs/deployment.md"):
		for m in re.finditer(r"```ini\n(.*?)```", read(rel), re.S):
			out.append((rel, m.group(1)))
	man = read("docs/man/udpcapd.conf.5.in")
	m = re.search(r"\.SH EXAMPLE\n\.in \+4n\n\.EX\n(.*?)\.EE", man, re.S)
	if m:
		out.append(("udpcapd.conf(5)", m.group(1).replace("\\-", "-")))
	else:
		fail("udpcapd.conf(5) has no EXAMPLE block")
	return out


def check_examples():
	t0 = mark()
	d = udpcapd()
	if not d:
		print("SKIP part: udpcapd is not built, INI examples not checked", flush=True)
		return
	with tempfile.TemporaryDirectory(prefix="udpcap-docs-") as tmp:
		n = 0
		for where, text in ini_examples():
			# A fragment without a listener is completed with one, so the
			# parser's "at least one listener" rule does not hide its errors.
			if "[listener" not in text:
				text += "\n[listener probe]\nlisten = 127.0.0.1:0\n"
			path = os.path.join(tmp, "example%d.conf" % n)
			n += 1
			with open(path, "w") as f:
				f.write(text)
			r = run([d, "--check-config", "-c", path])
			# an example may name the packaged group (udpcap), which this
			# machine need not have: the file itself is what is checked here
			host_only = [l for l in r.stderr.splitlines()
				     if not l.endswith(": no such group on this host")
				     and not l.endswith(": configuration does not fit this host")]
			if r.returncode != 0 and (host_only or "no such group" not in r.stderr):
				fail("an INI example in %s is rejected by udpcapd --check-config:\n%s%s"
				     % (where, r.stdout, r.stderr))
		ok("%d INI examples pass udpcapd --check-config" % n, t0)


def check_links():
	t0 = mark()
	files = ["README.md"] + ["docs/" + f for f in sorted(os.listdir(os.path.join(src, "docs")))
				 if f.endswith(".md")]
	n = 0
	for rel in files:
		for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", read(rel)):
			if re.match(r"[a-z]+:", target):
				continue
			n += 1
			p = os.path.normpath(os.path.join(src, os.path.dirname(rel), target))
			if not os.path.exists(p):
				fail("%s links to %s, which does not exist" % (rel, target))
	ok("%d relative links checked in %d files" % (n, len(files)), t0)


def backend_bench():
	"""From the benchmark table of docs/replay-and-dump.md: True when
	io_uring used more receiver CPU per packet than recvmmsg in most rows
	(same threads, both loads), False when less, None without a table."""
	rows = {}
	for line in read("docs/replay-and-dump.md").splitlines():
		m = re.match(r"\|\s*udpcapd (recvmmsg|io_uring), threads = (\S+)[^|]*\|\s*(\d+)\s*\|"
			     r"[^|]*\|[^|]*\|[^|]*\|\s*(\d+)\s*\|", line)
		if m:
			rows[(m.group(1), m.group(2))] = (int(m.group(3)), int(m.group(4)))
	more = less = 0
	for (backend, threads), cells in rows.items():
		other = rows.get(("recvmmsg", threads))
		if backend != "io_uring" or not other:
			continue
		for a, b in zip(cells, other):
			more += a > b
			less += a < b
	if not more and not less:
		return None
	return more > less


def check_backend_claims():
	"""Prose about io_uring's CPU cost and the examples' choice of backend
	agree with the measured table."""
	t0 = mark()
	more = backend_bench()
	if more is None:
		fail("docs/replay-and-dump.md has no udpcapd recvmmsg/io_uring benchmark rows")
		return
	wrong = "less CPU" if more else "more CPU"
	files = (["README.md", "conf/udpcapd.conf"] +
		 ["docs/" + f for f in sorted(os.listdir(os.path.join(src, "docs"))) if f.endswith(".md")] +
		 ["docs/man/" + f for f in sorted(os.listdir(os.path.join(src, "docs/man")))])
	for rel in files:
		text = re.sub(r"\s+", " ", read(rel).replace("\\-", "-"))
		for sentence in re.split(r"(?<=[.;:])\s", text):
			if "io_uring" in sentence and wrong in sentence:
				fail("%s says io_uring uses %s, but the benchmark measured %s: %s" %
				     (rel, wrong, "more" if more else "less", sentence.strip()[:160]))
		if more and re.search(r"^\s*backend\s*=\s*io_uring", read(rel), re.M) and rel != "conf/udpcapd.conf":
			fail("%s has an example with backend = io_uring, which the benchmark measured "
			     "as costlier than recvmmsg" % rel)
	ok("io_uring's CPU cost is described as measured (%s than recvmmsg)" %
	   ("more" if more else "less"), t0)


def main():
	if not src or not build:
		print("UDPCAP_SOURCE_ROOT / UDPCAP_BUILD_ROOT not set", file=sys.stderr)
		return 1
	check_keys()
	check_reasons()
	check_ctl()
	check_daemon_options()
	check_examples()
	check_links()
	check_backend_claims()
	return finish("docs match the code", None if udpcapd() else
		      "udpcapd is not built yet, so its options and the INI examples were not checked")


if __name__ == "__main__":
	sys.exit(main())
