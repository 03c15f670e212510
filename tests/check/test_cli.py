from __future__ import annotations

import json
from pathlib import Path

from tests.check.fixture_repo import line
from tests.check.test_monorepo import valid_sarif
from tests.helpers import run_cli

ROLLBACK = ".github/workflows/rollback.yml"


def test_a_compliant_repo_exits_0_with_a_table(repo: Path) -> None:
    result = run_cli(["check", str(repo)])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[0] == (
        f"paved check {repo.resolve()}: score 100/100 (paved python-service 0.1.0)")
    assert "isolation 100/100" in result.stdout
    assert "PASS    high      isolation/outbound-timeouts" in result.stdout


def test_a_high_failure_exits_4_and_says_how_to_fix(repo: Path) -> None:
    (repo / ROLLBACK).unlink()
    result = run_cli(["check", str(repo)])
    assert result.exit_code == 4
    assert "FAIL    high      rollback/workflow" in result.stdout
    assert ("    .github/workflows/deploy.yml:1: deploys, but no "
            ".github/workflows/rollback.yml") in result.stdout


def test_fail_on_sets_the_threshold(repo: Path) -> None:
    (repo / "docs/postmortem.md").unlink()  # a low-severity failure
    assert run_cli(["check", str(repo)]).exit_code == 0
    assert run_cli(["check", str(repo), "--fail-on", "low"]).exit_code == 4
    (repo / ROLLBACK).unlink()
    assert run_cli(["check", str(repo), "--fail-on", "never"]).exit_code == 0


def test_json_output(repo: Path) -> None:
    result = run_cli(["check", str(repo), "--json"])
    data = json.loads(result.stdout)
    assert data["schema_version"] == 2 and data["score"] == 100 and data["paved"] is True
    first = data["results"][0]
    assert (first["id"], first["status"], first["severity"]) == (
        "isolation/outbound-timeouts", "pass", "high")


def test_sarif_output_locates_findings(repo: Path) -> None:
    text = (repo / ROLLBACK).read_text().replace("timeout-minutes: 5", "timeout-minutes: 30")
    (repo / ROLLBACK).write_text(text)
    result = run_cli(["check", str(repo), "--format", "sarif"])
    sarif = json.loads(result.stdout)
    valid_sarif(sarif)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert "rollback/timeout" in [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    [finding] = run["results"]
    assert finding["ruleId"] == "rollback/timeout" and finding["level"] == "warning"
    assert run["tool"]["driver"]["rules"][finding["ruleIndex"]]["id"] == "rollback/timeout"
    location = finding["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": ROLLBACK, "uriBaseId": "SRCROOT"},
                        "region": {"startLine": line(repo, ROLLBACK, "timeout-minutes")}}


def test_markdown_output_for_a_pull_request(repo: Path) -> None:
    (repo / "docs/postmortem.md").unlink()
    result = run_cli(["check", str(repo), "--format", "markdown"])
    assert result.stdout.startswith("### paved check: 98/100\n")
    assert "| ❌ | **ownership/postmortem-template** A postmortem template exists | low | " \
           "`docs/postmortem.md` missing |" in result.stdout


def test_a_missing_directory_is_a_user_error(tmp_path: Path) -> None:
    result = run_cli(["check", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr == f"paved: error: {tmp_path / 'nowhere'} is not a directory\n"


def test_jobs_changes_nothing_in_the_report(repo: Path) -> None:
    one = run_cli(["check", str(repo), "--jobs", "1", "--json"])
    two = run_cli(["check", str(repo), "-j", "2", "--json"])
    assert (one.exit_code, two.exit_code) == (0, 0)
    assert one.stdout == two.stdout
    assert run_cli(["check", str(repo), "--jobs", "0"]).exit_code == 2  # a usage error
