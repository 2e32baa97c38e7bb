#!/usr/bin/env python3
"""Proves that the alerts shipped in deploy/kubernetes/prometheusrule.yaml are
valid Prometheus rules (promtool check rules), that each of them fires on the
series that should raise it and stays quiet otherwise (promtool test rules
with prometheusrule_test.yml), and that every metric they use is one udpcapd
exports. The rule file is extracted from the PrometheusRule object itself,
so the expressions tested are the ones that ship."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

SOURCE = os.environ.get("UDPCAP_SOURCE_ROOT",
                        os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
RULE_OBJECT = os.path.join(SOURCE, "deploy", "kubernetes", "prometheusrule.yaml")
TEST_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prometheusrule_test.yml")
DAEMON = os.path.join(SOURCE, "daemon")

failures = []


def check(cond, msg, detail=""):
    print(("ok: " if cond else "FAIL: ") + msg + (("\n" + detail) if detail and not cond else ""),
          flush=True)
    if not cond:
        failures.append(msg)
    return cond


def promtool():
    path = shutil.which("promtool")
    if path:
        return path
    if os.geteuid() != 0:
        print("SKIP: promtool is missing and installing it (apt-get install prometheus) "
              "needs root", flush=True)
        sys.exit(77)
    subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=900", "install", "-y", "-qq",
                    "--no-install-recommends", "prometheus"], check=True, timeout=1200,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    return shutil.which("promtool")


def main():
    tool = promtool()
    with open(RULE_OBJECT) as f:
        obj = yaml.safe_load(f)
    check(obj.get("kind") == "PrometheusRule" and
          obj.get("apiVersion") == "monitoring.coreos.com/v1",
          "prometheusrule.yaml is a monitoring.coreos.com/v1 PrometheusRule")
    groups = obj["spec"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    alerts = {r["alert"]: r for r in rules if "alert" in r}

    # A ring without a consumer, ring_full, drops by reason, udpcapd down, TAP drops, TAP down.
    exprs = {name: r["expr"] for name, r in alerts.items()}
    check(any("udpcapd_ring_consumer_attached" in e for e in exprs.values()),
          "an alert watches rings without a consumer")
    check(any('reason="ring_full"' in e for e in exprs.values()), "an alert watches ring_full")
    check(any("udpcapd_dropped_packets_total" in e and "reason" in e for e in exprs.values()),
          "an alert watches drops by reason")
    check(any(re.search(r'\bup\{job="udpcap"\}', e) for e in exprs.values()),
          "an alert watches udpcapd being down")
    check(any("udpcapd_tap_dropped_packets_total" in e and "reason" in e for e in exprs.values()),
          "an alert watches TAP drops by reason")
    check(any("udpcapd_tap_up" in e for e in exprs.values()), "an alert watches a TAP being down")

    exported = set()
    for top, _, files in os.walk(DAEMON):
        for name in files:
            if name.endswith(".c"):
                with open(os.path.join(top, name)) as f:
                    exported |= set(re.findall(r'"(udpcapd_[a-z_]+)"', f.read()))
    used = set(re.findall(r"\budpcapd_[a-z_]+", " ".join(exprs.values())))
    check(used and used <= exported, "every metric the alerts use is exported by udpcapd",
          "not exported: %s" % sorted(used - exported))

    with open(TEST_FILE) as f:
        tests = yaml.safe_load(f)
    fired = {t["alertname"] for case in tests["tests"] for t in case.get("alert_rule_test", [])
             if t.get("exp_alerts")}
    check(set(alerts) <= fired, "the rule test makes every shipped alert fire",
          "never fired: %s" % sorted(set(alerts) - fired))

    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "rules.yml"), "w") as f:
            yaml.safe_dump({"groups": groups}, f, sort_keys=False)
        shutil.copy(TEST_FILE, tmp)
        r = subprocess.run([tool, "check", "rules", "rules.yml"], cwd=tmp, capture_output=True,
                           text=True, timeout=120)
        check(r.returncode == 0 and "%d rules found" % len(rules) in r.stdout,
              "promtool check rules: %d rules" % len(rules), r.stdout + r.stderr)
        r = subprocess.run([tool, "test", "rules", os.path.basename(TEST_FILE)], cwd=tmp,
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "promtool test rules: every alert fires as expected",
              r.stdout + r.stderr)

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("PrometheusRule: %d alerts checked and tested" % len(alerts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
