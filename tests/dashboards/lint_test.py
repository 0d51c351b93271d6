"""Lint of the committed Grafana dashboards (dashboards/*.json), no server needed:
  - each file is what dashboards/generate.py writes from the definitions (generate.py --check);
  - valid JSON, unique and stable uids, the datasource/instance/comm/pid/class variables;
  - every panel has a unit and a description, every rate() and increase() takes
    [$__rate_interval], every expression parses (promtool check rules over them, variables
    substituted as Grafana would);
  - every metric named is a family hakmemd serves (the golden list), and every family it
    serves appears in some panel.
usage: lint_test.py --source DIR --golden FILE"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

EXPECTED_UIDS = {"hakmem-process.json": "hakmem-process", "hakmem-compare.json": "hakmem-compare",
                 "hakmem-host.json": "hakmem-host"}
REQUIRED_VARS = {"datasource", "instance", "comm", "pid", "class"}
# What Grafana puts in place of each variable in these checks: All (".*"), the compare
# dashboard's default key and two profile values, and $__rate_interval = 4 x a 1 s scrape.
SUBSTITUTE = {"$__rate_interval": "4s", "$instance": ".*", "$comm": ".*", "$pid_a": ".*", "$pid_b": ".*",
              "$pid": ".*", "$class": ".*", "$key": "HAKMEM_PROFILE", "$value_a": "balanced",
              "$value_b": "low-memory"}
METRIC = re.compile(r"\b(hakmemd?_[a-z0-9_]+)\b")


def substitute(expr):
    for k in sorted(SUBSTITUTE, key=len, reverse=True):
        expr = expr.replace(k, SUBSTITUTE[k])
    return expr


def family_of(name, families):
    if name in families:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in families:
            return name[: -len(suffix)]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--golden", required=True)
    args = ap.parse_args()
    errors = []
    d = os.path.join(args.source, "dashboards")
    r = subprocess.run([sys.executable, os.path.join(d, "generate.py"), "--check"], capture_output=True, text=True)
    if r.returncode != 0:
        errors.append("generated JSON differs: " + r.stderr.strip())

    families = {}
    with open(args.golden) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, kind = line.split()
                families[name] = kind
    used = set()
    exprs = []
    uids = {}
    for name, uid in EXPECTED_UIDS.items():
        try:
            with open(os.path.join(d, name)) as f:
                dash = json.load(f)
        except (OSError, ValueError) as e:
            errors.append(f"{name}: {e}")
            continue
        if dash.get("uid") != uid:
            errors.append(f"{name}: uid {dash.get('uid')!r}, expected the stable {uid!r}")
        if dash.get("uid") in uids:
            errors.append(f"{name}: uid {dash['uid']} also in {uids[dash['uid']]}")
        uids[dash.get("uid")] = name
        names = {v["name"] for v in dash.get("templating", {}).get("list", [])}
        if not REQUIRED_VARS <= names:
            errors.append(f"{name}: variables {sorted(REQUIRED_VARS - names)} missing")
        ds = [v for v in dash["templating"]["list"] if v["name"] == "datasource"]
        if not ds or ds[0].get("type") != "datasource" or ds[0].get("query") != "prometheus":
            errors.append(f"{name}: the datasource variable is not a Prometheus datasource variable")
        for v in dash["templating"]["list"]:
            q = v.get("definition")
            if q:
                exprs.append((f"{name} variable {v['name']}", re.sub(r"^label_values\((.*), \w+\)$", r"\1", q)))
        for p in dash.get("panels", []):
            if p.get("type") == "row":
                continue
            where = f"{name} panel {p.get('title')!r}"
            if not p.get("description"):
                errors.append(f"{where}: no description")
            if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
                errors.append(f"{where}: no unit")
            if p.get("datasource") != {"type": "prometheus", "uid": "${datasource}"}:
                errors.append(f"{where}: datasource is not the $datasource variable")
            for t in p.get("targets", []):
                e = t.get("expr", "")
                for m in re.finditer(r"\b(rate|increase|irate)\([^\[]*\[([^\]]*)\]", e):
                    if m.group(2) != "$__rate_interval":
                        errors.append(f"{where}: {m.group(1)}(...[{m.group(2)}]) instead of [$__rate_interval]")
                exprs.append((where, e))
    for where, e in exprs:
        for m in METRIC.findall(e):
            fam = family_of(m, families)
            if fam is None:
                errors.append(f"{where}: {m} is not a family hakmemd serves (tests/e2e/golden_families.txt)")
            else:
                used.add(fam)
    for fam in families:
        if fam not in used:
            errors.append(f"{fam}: served by hakmemd but on no panel")

    # Every expression parses: promtool checks them as recording rules.
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("groups:\n  - name: lint\n    rules:\n")
        for i, (_, e) in enumerate(exprs):
            f.write(f"      - record: lint:expr_{i}\n        expr: {json.dumps(substitute(e))}\n")
        rules = f.name
    r = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
    os.unlink(rules)
    if r.returncode != 0:
        for line in (r.stdout + r.stderr).splitlines():
            m = re.search(r"lint:expr_(\d+)", line)
            errors.append(f"promtool: {exprs[int(m.group(1))][0] + ': ' if m else ''}{line.strip()}")
    # Grafana provisioning: a Prometheus datasource and a file provider for the installed folder.
    prov = os.path.join(args.source, "config", "grafana", "provisioning")
    for rel, needles in (("datasources/hakmem.yml", ("apiVersion: 1", "type: prometheus", "url: ")),
                         ("dashboards/hakmem.yml", ("apiVersion: 1", "type: file", "path: /usr/local/share/hakmem/dashboards"))):
        try:
            with open(os.path.join(prov, rel)) as f:
                text = f.read()
        except OSError as e:
            errors.append(f"provisioning {rel}: {e}")
            continue
        for n in needles:
            if n not in text:
                errors.append(f"provisioning {rel}: no {n!r}")
    for e in errors:
        print("FAIL " + e)
    print(f"{len(exprs)} expressions, {len(used)} of {len(families)} families on panels, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
