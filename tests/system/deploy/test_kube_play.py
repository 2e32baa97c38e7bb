#!/usr/bin/env python3
"""Proves that the pod of deploy/kubernetes/daemonset.yaml, with the ConfigMap
of configmap.yaml, runs under `podman kube play` the way Kubernetes' restricted
profile runs it (numeric non-root user, every capability dropped, no privilege
escalation, read-only root filesystems) and does its job there: VXLAN traffic
replayed from the host's loopback to the published UDP port reaches udpcapd,
which steers it with cbpf over both rings in the memory-backed volume the
containers share, where the consumer containers read it (the Zeek workers of
the manifest, or `udpcapctl dump` in their place when no Zeek is installed).
Every datagram sent is delivered or counted under a drop reason, and no
connection is split between the two rings."""

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

import harness
import ocilib
from ocilib import check, log, podman

KUBE = os.path.join(ocilib.SOURCE, "deploy", "kubernetes")
PCAP = "wikipedia.pcap"
LOOPS = 3


def restricted_in_manifest(spec):
    """The pod as shipped satisfies the restricted profile (and read-only roots)."""
    psc = spec.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0,
          "manifest: the pod runs as a non-root numeric user")
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
          "manifest: RuntimeDefault seccomp profile")
    for c in spec["containers"]:
        sc = c.get("securityContext", {})
        check(sc.get("allowPrivilegeEscalation") is False and
              sc.get("capabilities", {}).get("drop") == ["ALL"] and
              not sc.get("capabilities", {}).get("add") and
              sc.get("readOnlyRootFilesystem") is True and not sc.get("privileged"),
              "manifest: container %s drops all capabilities, cannot escalate, "
              "read-only root" % c["name"])
    rings = [v for v in spec["volumes"] if v["name"] == "rings"]
    check(rings and rings[0].get("emptyDir", {}).get("medium") == "Memory",
          "manifest: the rings are a memory-backed emptyDir")
    check(all(any(m["name"] == "rings" and m["mountPath"] == "/dev/shm/udpcapd"
                  for m in c.get("volumeMounts", [])) for c in spec["containers"]),
          "manifest: every container mounts the rings at /dev/shm/udpcapd")


def pod_for_test(ds, name, port, zeek):
    """The DaemonSet's pod template as a Pod for podman, with the UDP port
    published on loopback only. Probes are left out: podman runs httpGet
    probes with curl inside the container, and the udpcapd image has none
    (kubelet probes from outside). Without a Zeek image, each Zeek worker is
    replaced by `udpcapctl dump` of the same ring into the same volume."""
    tmpl = copy.deepcopy(ds["spec"]["template"])
    spec = tmpl["spec"]
    for c in spec["containers"]:
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            c.pop(probe, None)
        for p in c.get("ports", []):
            if "hostPort" in p:
                p["hostPort"] = port
                p["hostIP"] = "127.0.0.1"
        if c["name"].startswith("zeek-worker-") and not zeek:
            ring = "worker-" + c["name"].rsplit("-", 1)[1]
            c["image"] = ocilib.UDPCAP_IMAGE
            c["command"] = ["/usr/sbin/udpcapctl"]
            c["args"] = ["dump", ring, "-w", os.path.join(c["workingDir"], ring + ".pcap")]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": tmpl["metadata"]["labels"]},
            "spec": spec}


def ctl_stats(env, ctr):
    r = podman(env, "exec", ctr, "/usr/sbin/udpcapctl", "stats", "--json", check_rc=False)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


def wait_for(pred, what, tries=240):
    """Polls pred every half second (bounded); returns its last truthy value."""
    for _ in range(tries):
        v = pred()
        if v:
            return v
        time.sleep(0.5)
    check(False, "waiting for " + what)
    return None


def flows_of_frames(frames):
    """Direction-free 5-tuples of the IPv4 TCP/UDP Ethernet frames."""
    flows = set()
    for f in frames:
        if len(f) < 34 or f[12:14] != b"\x08\x00" or f[23] not in (6, 17):
            continue
        ihl = (f[14] & 0x0f) * 4
        a, b = f[26:30], f[30:34]
        sp, dp = f[14 + ihl:16 + ihl], f[16 + ihl:18 + ihl]
        flows.add((f[23],) + tuple(sorted([(a, sp), (b, dp)])))
    return flows


def flows_of_conn_log(path):
    """Direction-free 5-tuples of a Zeek conn.log (TSV)."""
    with open(path) as f:
        lines = f.read().splitlines()
    fields = next(l for l in lines if l.startswith("#fields")).split("\t")[1:]
    rows = [dict(zip(fields, l.split("\t"))) for l in lines if l and l[0] != "#"]
    return {(r["proto"],) + tuple(sorted([(r["id.orig_h"], r["id.orig_p"]),
                                          (r["id.resp_h"], r["id.resp_p"])])) for r in rows}


def mounts(env, ctr):
    return json.loads(podman(env, "container", "inspect", "--format", "{{json .Mounts}}",
                             ctr).stdout)


def main():
    sent = 0
    env, conf_dir, images = ocilib.setup()
    zeek = ocilib.ZEEK_IMAGE in images
    pcap = os.path.join(harness.pcap_dir(), PCAP)
    with open(os.path.join(KUBE, "daemonset.yaml")) as f:
        ds = yaml.safe_load(f)
    spec = ds["spec"]["template"]["spec"]
    restricted_in_manifest(spec)

    name = "udpcap-kube-%d" % os.getpid()
    port = harness.free_udp_port()
    tmp = tempfile.mkdtemp(prefix="udpcap-kube-")
    pod_yaml = os.path.join(tmp, "pod.yaml")
    with open(pod_yaml, "w") as f:
        yaml.safe_dump(pod_for_test(ds, name, port, zeek), f, sort_keys=False)
    consumers = [c["name"] for c in spec["containers"] if c["name"].startswith("zeek-worker-")]
    daemon = name + "-udpcapd"
    volumes = set()
    try:
        t0 = time.monotonic()
        r = podman(env, "kube", "play", "--configmap", os.path.join(KUBE, "configmap.yaml"),
                   pod_yaml, check_rc=False, timeout=300)
        if not check(r.returncode == 0, "podman kube play of the DaemonSet's pod",
                     r.stdout + r.stderr):
            return ocilib.finish("")
        stats = wait_for(lambda: (lambda s: s if s and s["rings"] and
                                  all(x["consumer_attached"] for x in s["rings"]) else None)
                         (ctl_stats(env, daemon)),
                         "udpcapd up with a consumer on every ring")
        if not stats:
            log(podman(env, "pod", "logs", name, check_rc=False).stdout[-4000:])
            return ocilib.finish("")
        log("pod up, consumers attached in %.1f s" % (time.monotonic() - t0))
        for c in spec["containers"]:
            volumes |= {m["Name"] for m in mounts(env, name + "-" + c["name"])
                        if m.get("Type") == "volume" and m.get("Name")}

        # What the runtime really applied, container by container.
        for c in spec["containers"]:
            ctr = name + "-" + c["name"]
            top = podman(env, "top", ctr, "huser", "hgroup", "capeff", "seccomp",
                         check_rc=False).stdout.splitlines()
            procs = [l.split() for l in top[1:] if l.strip()]
            check(procs and all(p[0] == "10001" and p[1] == "10001" and p[2] == "none"
                                for p in procs),
                  "%s runs as 10001:10001 with no effective capabilities" % c["name"],
                  "\n".join(top))
            check(procs and all(p[3] == "filter" for p in procs),
                  "%s runs under a seccomp filter" % c["name"], "\n".join(top))
            ro = podman(env, "container", "inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}",
                        ctr).stdout.strip()
            check(ro == "true", "%s has a read-only root filesystem" % c["name"])
        ring_mounts = [m for m in mounts(env, daemon) if m["Destination"] == "/dev/shm/udpcapd"]
        check(ring_mounts and ring_mounts[0].get("Type") in ("tmpfs", "volume"),
              "the rings are a volume mounted into udpcapd", json.dumps(ring_mounts))

        check(stats["steering"] == "cbpf", "steering is cbpf in the restricted pod",
              "steering=" + stats["steering"])
        check(len(stats["rings"]) == len(consumers),
              "one ring per consumer container (%d)" % len(consumers))

        summary = harness.replay(pcap, "127.0.0.1:%d" % port, "vxlan",
                                 ["--loop", str(LOOPS), "--rate", "2000"])
        sent = summary["packets"]
        check(sent > 0 and summary["errors"] == 0, "udpcapctl replay sent %d datagrams without "
              "errors" % sent, json.dumps(summary))
        log("replayed %s x%d: %d datagrams to 127.0.0.1:%d" % (PCAP, LOOPS, sent, port))

        def accounted():
            s = ctl_stats(env, daemon)
            if s and s["totals"]["delivered"] + sum(s["totals"]["drops"].values()) >= sent:
                return s
            return None
        stats = wait_for(accounted, "every datagram sent to be delivered or dropped")
        if not stats:
            stats = ctl_stats(env, daemon)
        t = stats["totals"]
        drops = {k: v for k, v in t["drops"].items() if v}
        check(t["delivered"] + sum(drops.values()) == sent,
              "sent %d = delivered %d + dropped %s" % (sent, t["delivered"], drops))
        check(t["delivered"] == sent, "every datagram was delivered into a ring")
        per_ring = {r["name"]: r["delivered"] for r in stats["rings"]}
        check(all(n > 0 for n in per_ring.values()),
              "cbpf spread the connections over every ring: %s" % per_ring)

        # Let the consumers drain the rings, then stop the pod: Zeek writes its
        # logs and udpcapctl dump closes its file on SIGTERM.
        wait_for(lambda: all(r["used"] == 0 for r in (ctl_stats(env, daemon) or {"rings": [{"used": 1}]})["rings"]),
                 "the consumers to drain the rings")
        dirs = {}
        for c in consumers:
            for m in mounts(env, name + "-" + c):
                if m["Destination"].startswith("/var/log/zeek/"):
                    dirs[c] = m["Source"]
        podman(env, "pod", "stop", "-t", "30", name, timeout=120)

        seen = {}
        for c in consumers:
            ring = "worker-" + c.rsplit("-", 1)[1]
            d = dirs.get(c)
            if zeek:
                path = os.path.join(d or "/nonexistent", "conn.log")
                if check(os.path.exists(path), "%s wrote conn.log into its volume" % c):
                    seen[ring] = flows_of_conn_log(path)
            else:
                path = os.path.join(d or "/nonexistent", ring + ".pcap")
                if check(os.path.exists(path), "%s wrote %s.pcap into its volume" % (c, ring)):
                    _, _, pkts = harness.read_pcap(path)
                    check(len(pkts) == per_ring[ring],
                          "udpcapctl dump in %s read all %d packets of %s" % (c, per_ring[ring],
                                                                             ring),
                          "read %d" % len(pkts))
                    seen[ring] = flows_of_frames([p[1] for p in pkts])
        for ring, flows in seen.items():
            check(flows, "%s's consumer saw connections (%d)" % (ring, len(flows)))
        rings = sorted(seen)
        for i, a in enumerate(rings):
            for b in rings[i + 1:]:
                split = seen[a] & seen[b]
                check(not split, "no connection split between %s and %s" % (a, b),
                      "split: %s" % sorted(split)[:5])
        log("kube play test done in %.1f s" % (time.monotonic() - t0))
    finally:
        r = podman(env, "pod", "logs", name, check_rc=False)
        if ocilib.failures:
            log("pod logs:\n" + (r.stdout + r.stderr)[-6000:])
        podman(env, "kube", "down", pod_yaml, check_rc=False, timeout=120)
        podman(env, "pod", "rm", "-f", "-t", "5", name, check_rc=False, timeout=120)
        # the pod's emptyDir volumes, and only those
        for v in sorted(volumes):
            podman(env, "volume", "rm", "-f", v, check_rc=False)
        shutil.rmtree(tmp, ignore_errors=True)
        ocilib.cleanup_conf(conf_dir)
    return ocilib.finish("kube play: %d datagrams through the restricted pod, consumers: %s"
                         % (sent, "Zeek" if zeek else "udpcapctl dump"))


if __name__ == "__main__":
    sys.exit(main())
