#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that udpcapctl dump and replay show their progress when stderr is a
terminal (a pseudo-terminal here): a line rewritten in place with '\\r' that
counts packets, ended by a newline before the final summary; and that they
print no such line when stderr is not a terminal (logs and pipes stay clean).
"""
import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import harness as h  # noqa: E402

PRODUCER = sys.argv[1] if len(sys.argv) > 1 else ""


def run_on_pty(args, during=None, stop_after=None, timeout=60):
    """Run ARGS with stderr on a pty; DURING(proc) runs while it does; sends
    SIGINT after STOP_AFTER seconds if given. Returns (rc, stderr text)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    out = b""
    start = time.monotonic()
    try:
        if during:
            during(p)
        while time.monotonic() - start < timeout:
            if stop_after is not None and time.monotonic() - start >= stop_after and \
                    p.poll() is None:
                p.send_signal(signal.SIGINT)
                stop_after = None
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every writer of the pty is gone
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
    finally:
        if p.poll() is None:
            p.kill()
        rc = p.wait(timeout=30)
        os.close(master)
    return rc, out.decode(errors="replace")


def check_progress(what, text, word):
    lines = text.replace("\r\n", "\n").split("\n")
    progress = [seg for line in lines for seg in line.split("\r")[1:] if word in seg]
    if not progress:
        h.fail(f"{what}: no progress line ('\\r…{word}') on the terminal: {text!r}")
    # the progress line is ended before anything else is printed or the
    # program exits (the terminal's ONLCR turns '\n' into '\r\n')
    text = text.replace("\r\n", "\n")
    if "\n" not in text[text.rfind("\r"):]:
        h.fail(f"{what}: the progress line is left open at exit: {text!r}")
    h.log(f"ok: {what}: {len(progress)} progress update(s), e.g. {progress[-1].strip()!r}")


def dump_progress(tmp):
    rings = os.path.join(tmp, "rings")
    os.mkdir(rings)
    prod = subprocess.Popen([PRODUCER, rings, "r0"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        if not prod.stdout.readline().startswith("ok ready"):
            h.fail("ring_producer did not start")

        def feed(_p):
            # packets spread over 2.5 s, so that a once-a-second update is due
            for _ in range(5):
                prod.stdin.write("write 200\n")
                prod.stdin.flush()
                if not prod.stdout.readline().startswith("ok"):
                    h.fail("ring_producer write failed")
                time.sleep(0.5)

        out = os.path.join(tmp, "tty.pcap")
        rc, text = run_on_pty([h.UDPCAPCTL, "dump", "r0", "--dir", rings, "-w", out],
                              during=feed, stop_after=3.5)
        if rc != 0 or "1000 packets captured" not in text:
            h.fail(f"dump on a terminal: rc {rc}: {text!r}")
        check_progress("dump", text, "packets captured")

        # not a terminal: the summary only
        prod.stdin.write("write 50\n")
        prod.stdin.flush()
        prod.stdout.readline()
        r = subprocess.run([h.UDPCAPCTL, "dump", "r0", "--dir", rings, "-w",
                            os.path.join(tmp, "pipe.pcap"), "-c", "50"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0 or "\r" in r.stderr:
            h.fail(f"dump into a pipe: rc {r.returncode}, stderr {r.stderr!r}")
        h.log("ok: dump: no progress line when stderr is a pipe")
    finally:
        if prod.poll() is None:
            prod.stdin.write("quit\n")
            prod.stdin.close()
            prod.wait(timeout=30)


def replay_progress(tmp):
    frames = [h.eth_ipv4_udp("10.1.0.%d" % (i % 200 + 1), "10.2.0.1", 1024 + i, 80, bytes(64))
              for i in range(100)]
    pcap = os.path.join(tmp, "in.pcap")
    h.write_pcap(pcap, frames)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    to = "127.0.0.1:%d" % rx.getsockname()[1]
    try:
        # 250 packets at 100 per second: 2.5 s of sending
        base = [h.UDPCAPCTL, "replay", pcap, "--to", to, "--encap", "vxlan", "--rate", "100",
                "--loop", "3", "--max-seconds", "30"]
        rc, text = run_on_pty(base + ["--count", "250"])
        if rc != 0:
            h.fail(f"replay on a terminal: rc {rc}: {text!r}")
        check_progress("replay", text, "packets sent")
        r = subprocess.run(base + ["--count", "20"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0 or "\r" in r.stderr:
            h.fail(f"replay into a pipe: rc {r.returncode}, stderr {r.stderr!r}")
        h.log("ok: replay: no progress line when stderr is a pipe")
    finally:
        rx.close()


def main():
    for path in (PRODUCER, h.UDPCAPCTL):
        if not os.access(path, os.X_OK):
            h.fail(f"{path!r} is not built")
    tmp = tempfile.mkdtemp(prefix="udpcap-progress-")
    try:
        dump_progress(tmp)
        replay_progress(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
