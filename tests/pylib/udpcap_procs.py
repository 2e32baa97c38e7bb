# SPDX-License-Identifier: BSD-3-Clause
"""Process helpers for the Python tests (not a test)."""

import signal
import subprocess


def stop_process(proc, sig=signal.SIGTERM, timeout=30):
    """Send sig (if proc still runs) and wait up to timeout seconds. Returns
    the exit status, or None when proc ignored sig and had to be killed (the
    caller decides whether that fails its test)."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
