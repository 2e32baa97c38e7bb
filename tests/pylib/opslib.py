# Shared by the ops tests: failure collection and the exit status protocol
# (0 pass, 1 fail, 77 skip with a loud reason), and a bounded subprocess run.
import subprocess

failures = []


def fail(msg):
	failures.append(msg)
	print("FAIL: " + msg, flush=True)


def ok(msg, since=None):
	"""Report a passed check; with SINCE (len(failures) when the check began)
	only if the check added no failure."""
	if since is None or len(failures) == since:
		print("ok: " + msg, flush=True)


def mark():
	return len(failures)


def run(cmd, timeout=300, **kw):
	return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def finish(done, skip_reason=None):
	"""Exit status: failures first, then a skip if part could not run."""
	if failures:
		print("%d failure(s)" % len(failures))
		return 1
	if skip_reason:
		print("SKIP: everything else passed, but " + skip_reason, flush=True)
		return 77
	print(done)
	return 0
