"""node-service's chaos experiment as rendered (docs/golden-paths/chaos.md, "node-service"):
python-service's hypotheses, run by Chaos Toolkit with node probes against the real service and
fault proxy, and a journal `paved check` and `paved fleet check` read as python-service's. (The
generated repo's own tests break properties: tests/chaos.test.ts, run by its `make test` in
tests/templates/test_bundled_catalog.py.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from paved.check import run_check
from paved.check.options import CheckOptions
from paved.check.rule import Status
from paved.create import create_service
from tests.helpers import NPM_CACHE, PIP_CACHE, run_cli


def test_the_chaos_experiment_tests_the_python_services_hypotheses(
        node_service: Path, rendered_service: Path) -> None:
    """The same hypotheses under the same names, in the same order: what `paved check` and
    `paved fleet check` read from both golden paths' experiments and journals alike. Only the
    providers differ (node probes run by Chaos Toolkit's process provider)."""
    python = rendered_service

    def hypotheses(root: Path) -> list[str]:
        data = json.loads((root / "chaos" / "experiment.json").read_text())
        return [activity["name"] for activity in
                [*data["steady-state-hypothesis"]["probes"], *data["method"], *data["rollbacks"]]
                if activity["type"] == "probe"]

    assert hypotheses(node_service) == hypotheses(python)
    assert len(hypotheses(node_service)) == 13
    providers = {activity["provider"]["type"] for activity in json.loads(
        (node_service / "chaos" / "experiment.json").read_text())["method"]}
    assert providers == {"http", "process"}  # the proxy's control API, the node probes
    runbook = (node_service / "docs" / "runbook.md").read_text()
    assert runbook.count("**Tested by** the chaos experiment (`make chaos`") == 3
    assert "/chaos/journal.*" in (node_service / ".gitignore").read_text().splitlines()
    assert ("make install   # installs the locked dependencies (npm ci) into node_modules and "
            "Chaos Toolkit into .venv\n") in (node_service / "README.md").read_text()


@pytest.mark.slow
def test_make_chaos_passes_and_paved_check_reads_its_journal(node_service: Path,
                                                            tmp_path: Path) -> None:
    """The experiment as shipped, run as a developer runs it (`make install`, `make chaos`)
    against the real service and fault proxy: every hypothesis passes, and the journal Chaos
    Toolkit wrote is the evidence `paved check --evidence` reads, as python-service's."""
    built_service = tmp_path / node_service.name
    shutil.copytree(node_service, built_service)
    env = {**os.environ, "npm_config_cache": str(NPM_CACHE), "PIP_CACHE_DIR": str(PIP_CACHE)}
    subprocess.run(["make", "install"], cwd=built_service, check=True, capture_output=True,
                   text=True, timeout=900, env=env)
    done = subprocess.run(["make", "chaos"], cwd=built_service, capture_output=True, text=True,
                          timeout=300, check=False, env=env)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert lines[-1] == "chaos experiment passed (completed); journal: chaos/journal.json"
    verdicts = [line for line in lines if line.startswith(("PASS", "FAIL"))]
    assert [line.split("  ", 1)[0] for line in verdicts] == ["PASS"] * 16
    result = {r.id: r for r in run_check(built_service, CheckOptions(
        evidence=built_service / "chaos")).results}["evidence/chaos-journal"]
    assert result.status is Status.PASS
    assert re.fullmatch(r"measured: the chaos run of \S+ passed \(10 hypotheses under faults\)",
                        result.message)
    # `paved fleet check` reads it as python-service's: failure isolation verified.
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    create_service("payments-api", dest=fleet / "payments-api", golden_path="node-service",
                   data={"owner": "team-payments"})
    (tmp_path / "artifacts" / "payments-api").mkdir(parents=True)
    shutil.copy(built_service / "chaos" / "journal.json", tmp_path / "artifacts" / "payments-api")
    checked = run_cli(["fleet", "check", "--from", str(fleet), "--json",
                       "--evidence", str(tmp_path / "artifacts")])
    (repo,) = json.loads(checked.stdout)["repos"]
    assert repo["foundations"]["failure isolation"] == "verified"
