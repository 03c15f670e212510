"""Every `paved check` fix is true (issue 17): the command it names fixes the failure on
the golden path's own render. A rule whose fix names `paved restore FILE…` fails when
those files are deleted or broken, and passes again after that very command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paved.check import builtin_rules, run_check
from paved.check.rule import RESTORE, Status
from paved.create import create_service
from tests.helpers import commit_all, run_cli

RULES = {rule.id: rule for rule in builtin_rules()}
NAMED = re.compile(r"`paved restore ([^`]+)`")
# How each rule with a golden-path file to restore is broken: (file, text, replacement);
# None: the file is deleted.
BREAK = {
    "rollback/workflow": None,
    "rollback/builds-nothing": (".github/workflows/rollback.yml", "    steps:\n",
                                "    steps:\n      - run: docker build .\n"),
    "rollback/timeout": (".github/workflows/rollback.yml", "timeout-minutes: 5",
                         "timeout-minutes: 30"),
    "rollback/automatic": (".github/workflows/deploy.yml", "failure() && ", "always() && "),
    "rollback/worst-case-time": ("deploy/base/deployment.yaml", "progressDeadlineSeconds: ",
                                 "progressDeadlineSeconds: 9"),
    "security/pod-security-restricted": ("deploy/base/deployment.yaml",
                                         "allowPrivilegeEscalation: false",
                                         "allowPrivilegeEscalation: true"),
    "security/non-root-image": ("Dockerfile", "USER 10001", "USER root"),
    "ownership/runbook": None,
    "ownership/postmortem-template": None,
    "ownership/tests-in-ci": None,
    "evidence/chaos-experiment": None,
}
# Evidence is produced by running something, not by restoring a file: the fix names that.
PRODUCED_BY = {"evidence/chaos-journal": "`make chaos`",
               "evidence/rollback-drill": "deploy/scripts/drill.sh"}


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = create_service("payments-api", dest=tmp_path / "payments-api",
                          data={"owner": "team-payments"}).path
    monkeypatch.chdir(repo)
    return repo


def test_every_fix_names_the_command_that_fixes_it() -> None:
    for rule in builtin_rules():
        if rule.id in PRODUCED_BY:
            assert PRODUCED_BY[rule.id] in rule.fix, rule.id
            continue
        assert "`paved restore " in rule.fix or "`paved update" in rule.fix, rule.id
    assert {rule_id for rule_id, rule in RULES.items() if NAMED.search(rule.fix)
            and RESTORE not in rule.fix} == set(BREAK) | {"ownership/owner"}


@pytest.mark.parametrize("rule_id", sorted(BREAK))
def test_the_named_restore_fixes_the_failure(service: Path, rule_id: str) -> None:
    files = NAMED.search(RULES[rule_id].fix)[1].split()  # type: ignore[index]
    broken = BREAK[rule_id]
    if broken is None:
        for name in files:
            (service / name).unlink()
    else:
        name, old, new = broken
        text = (service / name).read_text()
        assert old in text
        (service / name).write_text(text.replace(old, new))
    commit_all(service, f"break {rule_id}")
    assert _status(service, rule_id) is Status.FAIL
    result = run_cli(["restore", *files])
    assert result.exit_code == 0, result.stderr
    assert _status(service, rule_id) is Status.PASS


def test_the_owner_fix_renders_the_new_owner(service: Path) -> None:
    (service / "CODEOWNERS").unlink()
    text = (service / "catalog-info.yaml").read_text()
    (service / "catalog-info.yaml").write_text(re.sub(r"  owner: .*\n", "", text))
    commit_all(service, "no owner")
    assert _status(service, "ownership/owner") is Status.FAIL
    assert run_cli(["restore", "catalog-info.yaml", "CODEOWNERS"]).exit_code == 0
    result = run_cli(["update", "--data", "owner=team-ledger"])
    assert result.exit_code == 0, result.stderr
    assert "owner: team-ledger" in (service / "catalog-info.yaml").read_text()
    assert "@team-ledger" in (service / "CODEOWNERS").read_text()
    assert _status(service, "ownership/owner") is Status.PASS


def _status(repo: Path, rule_id: str) -> Status:
    return {result.id: result.status for result in run_check(repo).results}[rule_id]
