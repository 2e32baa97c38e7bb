#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Proves that libudpcap's exported ABI is written down: every function an
installed header marks UDPCAP_API is exported by libudpcap.so, every
exported symbol is listed by name in lib/libudpcap.map (no globs in its
global sections) and declared in an installed header, and nothing the map
lists is missing from the library."""
import os
import re
import subprocess
import sys


def main():
    src, lib = sys.argv[1], sys.argv[2]
    headers = sys.argv[3:]
    failures = []

    with open(os.path.join(src, "lib", "libudpcap.map")) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    mapped, nodes = set(), []
    for node, body in re.findall(r"([\w.]+)\s*\{(.*?)\}\s*[\w.]*\s*;", text, re.S):
        nodes.append(node)
        glob = re.search(r"global:(.*?)(?:local:|$)", body, re.S)
        for name in re.findall(r"([^\s;]+)\s*;", glob.group(1) if glob else ""):
            if any(c in name for c in "*?["):
                failures.append("%s lists the glob '%s': list each symbol by name" % (node, name))
            mapped.add(name)
    if not nodes:
        failures.append("lib/libudpcap.map has no version node")

    declared = set()
    for h in headers:
        with open(h) as f:
            body = f.read()
        declared |= set(re.findall(r"UDPCAP_API\b[^;{]*?\b(udpcap_\w+)\s*\(", body, re.S))

    nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                        check=True).stdout
    exported = set()
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] != "A":
            exported.add(parts[2].split("@")[0])

    for s in sorted(declared - exported):
        failures.append("%s is UDPCAP_API in an installed header but not exported "
                        "(missing from lib/libudpcap.map?)" % s)
    for s in sorted(exported - mapped):
        failures.append("%s is exported but not listed in lib/libudpcap.map" % s)
    for s in sorted(exported - declared):
        failures.append("%s is exported but no installed header declares it UDPCAP_API" % s)
    for s in sorted(mapped - exported):
        failures.append("lib/libudpcap.map lists %s, which the library does not define" % s)
    for msg in failures:
        print("FAIL: " + msg)
    if failures:
        return 1
    print("ok: %d exported symbols, each declared and listed by name in %s"
          % (len(exported), ", ".join(nodes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
