"""`paved fleet check`'s foundations assessment: verified by evidence, configured only, missing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.check.fixture_repo import compliant_repo, journal
from tests.helpers import commit_all, git, run_cli

NAMES = ["failure isolation", "incident observability", "rollback under 5 minutes",
         "on-call and runbooks", "postmortems"]


def checkout(root: Path, *, without: tuple[str, ...] = ()) -> None:
    compliant_repo(root)
    for path in without:
        (root / path).unlink()
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "generated")


def test_fleet_check_tells_verified_from_configured_and_missing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    checkout(src / "payments")
    checkout(src / "ledger", without=("chaos/journal.json", "deploy/drill.json"))
    checkout(src / "orders", without=("docs/runbook.md",))
    result = run_cli(["fleet", "check", "--from", str(src), "--json"])
    data = json.loads(result.stdout)
    assessed = {repo["name"]: repo["foundations"] for repo in data["repos"]}
    # Only failure isolation and rollback have evidence rules that can verify them.
    assert assessed["payments"] == {
        "failure isolation": "verified", "incident observability": "configured",
        "rollback under 5 minutes": "verified", "on-call and runbooks": "configured",
        "postmortems": "configured"}
    assert assessed["ledger"] == dict.fromkeys(NAMES, "configured")
    assert assessed["orders"]["on-call and runbooks"] == "missing"
    assert data["foundations"][0] == {"foundation": "failure isolation", "verified": 2,
                                      "configured": 1, "missing": 0}
    text = run_cli(["fleet", "check", "--from", str(src)]).stdout
    assert "  rollback under 5 minutes: 2 / 1 / 0" in text.splitlines()


def test_evidence_per_repo_verifies_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    checkout(src / "ledger", without=("chaos/journal.json",))
    (tmp_path / "artifacts" / "ledger").mkdir(parents=True)
    (tmp_path / "artifacts" / "ledger" / "journal.json").write_text(journal())
    data = json.loads(run_cli(["fleet", "check", "--from", str(src), "--json",
                               "--evidence", str(tmp_path / "artifacts")]).stdout)
    assert data["repos"][0]["foundations"]["failure isolation"] == "verified"


def test_unverified_evidence_is_configured_and_a_failed_run_is_missing(tmp_path: Path) -> None:
    """Evidence not found leaves the foundation configured and fails no rule; evidence that
    shows a failure (a chaos run with a rejected hypothesis) makes it missing."""
    src = tmp_path / "src"
    checkout(src / "ledger", without=("chaos/journal.json",))
    checkout(src / "orders")
    (src / "orders" / "chaos" / "journal.json").write_text(
        journal("failed", failed=("breaker: opens under 100 % 503s",)))
    commit_all(src / "orders", "a failed chaos run")
    data = json.loads(run_cli(["fleet", "check", "--from", str(src), "--json"]).stdout)
    repos = {repo["name"]: repo for repo in data["repos"]}
    assert (repos["ledger"]["foundations"]["failure isolation"], repos["ledger"]["failing"],
            repos["ledger"]["score"]) == ("configured", [], 100)
    assert (repos["orders"]["foundations"]["failure isolation"],
            repos["orders"]["failing"]) == ("missing", ["evidence/chaos-journal"])
    assert data["foundations"][0] == {"foundation": "failure isolation", "verified": 0,
                                      "configured": 1, "missing": 1}
