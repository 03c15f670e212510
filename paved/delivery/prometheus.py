"""Prometheus alerting rules and Grafana dashboards, checked offline by `promtool`.

- `*.rules.yaml`: `promtool check rules` (syntax, PromQL, templates of the
  annotations), and `promtool test rules` for each `*.rules.test.yaml` beside it
  (the rules' unit tests: series in, alerts expected out).
- `*.dashboard.json` or `dashboard.json` (Grafana's JSON model): the JSON holds
  panels with unique ids, and every query of every panel is PromQL that
  Prometheus parses: the queries are written as recording rules into a scratch
  rules file that `promtool check rules` reads (Grafana's `$variables` would not
  parse; the dashboards we render use none inside queries).

Debian's `prometheus` package ships `promtool` (docs/golden-paths/dashboards.md).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from paved import yaml


@dataclass(frozen=True)
class Problem:
    file: str  # relative to the project
    message: str


def check_rules(promtool: str, project: Path, files: list[Path]) -> list[Problem]:
    problems: list[Problem] = []
    for path in files:
        where = str(path.relative_to(project))
        done = _run([promtool, "check", "rules", path.name], path.parent)
        if done.returncode != 0:
            problems.append(Problem(where, _last_lines(done)))
    tests = {test for rules in files for test in rules.parent.glob("*.rules.test.y*ml")}
    for path in sorted(tests):
        done = _run([promtool, "test", "rules", path.name], path.parent)
        if done.returncode != 0:
            problems.append(Problem(str(path.relative_to(project)), _last_lines(done)))
    return problems


def check_dashboards(promtool: str, project: Path, files: list[Path]) -> list[Problem]:
    problems: list[Problem] = []
    for path in files:
        where = str(path.relative_to(project))
        try:
            dashboard = json.loads(path.read_text(encoding="utf-8"))
            panels = dashboard["panels"]
            ids = [panel["id"] for panel in panels]
            queries = [target["expr"] for panel in panels for target in panel.get("targets", [])]
        except (ValueError, KeyError, TypeError) as error:
            problems.append(Problem(where, f"not a Grafana dashboard model: {error!r}"))
            continue
        if len(ids) != len(set(ids)):
            problems.append(Problem(where, "two panels share an id"))
        rules = {"groups": [{"name": "dashboard", "rules": [
            {"record": f"dashboard:panel_query_{number}", "expr": query}
            for number, query in enumerate(queries, start=1)]}]}
        with tempfile.TemporaryDirectory(prefix="paved-dashboard-") as scratch:
            rules_file = Path(scratch) / "queries.rules.yaml"
            rules_file.write_text(yaml.dumps(rules), encoding="utf-8")
            done = _run([promtool, "check", "rules", str(rules_file)], project)
        if done.returncode != 0:
            problems.append(Problem(where, "a query does not parse: " + _last_lines(done)))
    return problems


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def _last_lines(done: subprocess.CompletedProcess[str]) -> str:
    text = (done.stderr + done.stdout).strip().splitlines()
    return " ".join(line.strip() for line in text[-6:])
