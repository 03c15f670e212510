"""Evidence: the chaos experiment, its latest journal and the latest rollback drill."""

from __future__ import annotations

import json
from pathlib import Path

from paved.check.rule import Status
from tests.check.fixture_repo import EXPERIMENT, HYPOTHESES, drill, journal, results, where
from tests.helpers import run_cli

EXPERIMENT_FILE = "chaos/experiment.json"
JOURNAL = "chaos/journal.json"
DRILL = "deploy/drill.json"


def outcome(repo: Path, rule: str, **options: object) -> tuple[Status, str, list[str]]:
    result = results(repo, **options)[f"evidence/{rule}"]
    return result.status, result.message, [item.message for item in result.evidence]


def test_the_compliant_repo_has_every_piece_of_evidence(repo: Path) -> None:
    assert outcome(repo, "chaos-experiment") == (
        Status.PASS, "the chaos experiment covers timeouts, retry budget, breaker, shedding, "
        "deadlines (5 hypotheses)", ["found"])
    assert outcome(repo, "chaos-journal") == (
        Status.PASS, "measured: the chaos run of 2026-11-30T10:00:00+00:00 passed "
        "(5 hypotheses under faults)", ["completed"])
    assert outcome(repo, "rollback-drill") == (
        Status.PASS, "measured: decision to healthy automatic 97 s, workflow 64 s in the drill "
        "of 2026-11-30T10:00:00Z", ["found"])


def test_an_experiment_without_a_breaker_hypothesis_fails_naming_it(repo: Path) -> None:
    experiment = {**EXPERIMENT, "method": [a for a in EXPERIMENT["method"]  # type: ignore[attr-defined]
                                           if not str(a["name"]).startswith("breaker:")]}
    (repo / EXPERIMENT_FILE).write_text(json.dumps(experiment))
    status, message, evidence = outcome(repo, "chaos-experiment")
    assert (status, message) == (Status.FAIL,
                                 "the chaos experiment tests no hypothesis about breaker")
    assert evidence == ["no probe of the method named `breaker: …`"]


def test_missing_evidence_names_the_command_that_produces_it(repo: Path) -> None:
    for path in (EXPERIMENT_FILE, JOURNAL, DRILL):
        (repo / path).unlink()
    found = results(repo)
    assert found["evidence/chaos-experiment"].message == "no chaos experiment"
    journal_result = found["evidence/chaos-journal"]
    assert (journal_result.status, journal_result.message) == (
        Status.UNVERIFIED, "no chaos journal: failure tolerance is configured, not verified")
    assert where(journal_result) == [(JOURNAL, None)]
    assert journal_result.evidence[0].message == (
        "not found: run `make chaos` (it writes chaos/journal.json) and pass `--evidence chaos`, "
        "or download the CI job's artifact (`gh run download --name chaos-journal --dir "
        "evidence`) and pass `--evidence evidence`")
    drill_result = found["evidence/rollback-drill"]
    assert (drill_result.status, drill_result.message) == (
        Status.UNVERIFIED, "no rollback drill measured: only the computed estimate "
        "(rollback/worst-case-time) stands")
    assert drill_result.evidence[0].message.startswith(
        "not found: run deploy/scripts/drill.sh on a throwaway cluster")


def test_the_newest_journal_counts_and_a_failed_one_names_its_hypotheses(
        repo: Path, tmp_path: Path) -> None:
    evidence = tmp_path / "artifacts" / "chaos-journal"
    evidence.mkdir(parents=True)
    (evidence / "journal.json").write_text(journal(
        "failed", end="2026-12-01T09:00:00+00:00", failed=(HYPOTHESES[2],)))
    status, message, details = outcome(repo, "chaos-journal", evidence=tmp_path / "artifacts")
    assert (status, message) == (Status.FAIL,
                                 "measured: the chaos run of 2026-12-01T09:00:00+00:00 failed")
    assert details == ["rejected: breaker: opens under 100 % 503s"]
    # An older failed run does not outweigh the newer passed one in the repository.
    (evidence / "journal.json").write_text(journal("failed", end="2026-11-01T09:00:00+00:00"))
    assert outcome(repo, "chaos-journal", evidence=tmp_path / "artifacts")[0] is Status.PASS


def test_a_deviated_steady_state_fails_the_journal(repo: Path) -> None:
    data = json.loads(journal())
    data["deviated"] = True
    data["steady_states"]["after"]["probes"][0]["tolerance_met"] = False
    (repo / JOURNAL).write_text(json.dumps(data))
    assert outcome(repo, "chaos-journal")[2] == ["rejected: steady state: errors"]


def test_a_journal_of_another_experiment_is_no_evidence(repo: Path) -> None:
    (repo / JOURNAL).write_text(journal(experiment={**EXPERIMENT, "title": "ledger survives"}))
    assert outcome(repo, "chaos-journal")[1:] == (
        "the latest chaos journal is of another experiment",
        ["journal of 'ledger survives'; the repository's: payments-api tolerates a failing "
         "dependency"])


def test_a_slow_or_incomplete_drill_fails(repo: Path) -> None:
    (repo / DRILL).write_text(drill(automatic=301))
    assert outcome(repo, "rollback-drill")[2] == ["automatic rollback took 301 s (at most 300)"]
    record = json.loads(drill())
    record["rollbacks"] = record["rollbacks"][:1]
    (repo / DRILL).write_text(json.dumps(record))
    assert outcome(repo, "rollback-drill")[2] == ["workflow rollback not measured"]


def test_evidence_must_be_a_directory(repo: Path) -> None:
    result = run_cli(["check", str(repo), "--evidence", str(repo / "nowhere")])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: --evidence {repo / 'nowhere'} is not a directory\n")


def test_the_cli_reads_evidence_from_a_folder(repo: Path, tmp_path: Path) -> None:
    (repo / JOURNAL).unlink()
    (tmp_path / "chaos").mkdir()
    (tmp_path / "chaos" / "journal.json").write_text(journal())
    data = json.loads(run_cli(["check", str(repo), "--json", "--evidence",
                               str(tmp_path / "chaos")]).stdout)
    (found,) = [r for r in data["results"] if r["id"] == "evidence/chaos-journal"]
    assert found["status"] == "pass"


def test_unverified_evidence_is_not_scored_and_every_format_lists_it(repo: Path) -> None:
    """Missing evidence in text, JSON, Markdown and SARIF: the same rules, not scored."""
    for path in (JOURNAL, DRILL):
        (repo / path).unlink()
    data = json.loads(run_cli(["check", str(repo), "--json"]).stdout)
    assert data["score"] == 100
    (evidence,) = [area for area in data["areas"] if area["area"] == "evidence"]
    assert evidence == {"area": "evidence", "score": 100, "passed": 1, "failed": 0,
                        "not_applicable": 0, "not_checked": 0, "unverified": 2}
    assert {r["id"]: r["status"] for r in data["results"] if r["area"] == "evidence"} == {
        "evidence/chaos-experiment": "pass", "evidence/chaos-journal": "unverified",
        "evidence/rollback-drill": "unverified"}
    markdown = run_cli(["check", str(repo), "--format", "markdown"]).stdout.splitlines()
    assert "| evidence | 100/100 | 1 | 0 | 0 | 0 | 2 |" in markdown
    assert [line.split(" | ")[1] for line in markdown if line.startswith("| 🔍 |")] == [
        "**evidence/chaos-journal** The latest chaos experiment run passed",
        "**evidence/rollback-drill** A rollback drill measured decision to healthy ≤ 300 s"]
    sarif = json.loads(run_cli(["check", str(repo), "--format", "sarif"]).stdout)
    (run,) = sarif["runs"]
    assert [r["ruleId"] for r in run["results"]] == []
    notes = [(n["associatedRule"]["id"], n["level"], n["message"]["text"],
              n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
             for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes == [
        ("evidence/chaos-journal", "note", "unverified: no chaos journal: failure tolerance is "
         "configured, not verified", JOURNAL),
        ("evidence/rollback-drill", "note", "unverified: no rollback drill measured: only the "
         "computed estimate (rollback/worst-case-time) stands", DRILL)]


def test_require_evidence_fails_unverified_evidence_and_the_exit_code_follows(
        repo: Path) -> None:
    (repo / JOURNAL).unlink()
    assert run_cli(["check", str(repo), "--fail-on", "medium"]).exit_code == 0
    required = run_cli(["check", str(repo), "--fail-on", "medium", "--require-evidence"])
    assert required.exit_code == 4
    assert ("FAIL    medium    evidence/chaos-journal     no chaos journal: failure tolerance is "
            "configured, not verified (evidence required)") in required.stdout.splitlines()
    # Evidence that was found is judged the same with or without the option.
    (repo / JOURNAL).write_text(journal())
    assert run_cli(["check", str(repo), "--fail-on", "medium",
                    "--require-evidence"]).exit_code == 0


def test_hostile_json_in_the_evidence_folder_is_no_evidence(repo: Path, tmp_path: Path) -> None:
    """Artifacts are someone else's files: nesting past the parser's depth, not JSON, a
    link out of the folder; none crashes a rule, none counts."""
    (repo / JOURNAL).unlink()
    folder = tmp_path / "artifacts"
    folder.mkdir()
    (folder / "journal.json").write_text("[" * 200_000)
    (folder / "drill.json").write_bytes(b"\xff\xfe{")
    (tmp_path / "outside.json").write_text(drill())
    (folder / "linked.json").symlink_to(tmp_path / "outside.json")
    (repo / DRILL).unlink()
    found = results(repo, evidence=folder)
    assert [found[f"evidence/{rule}"].status for rule in ("chaos-journal", "rollback-drill")] \
        == [Status.UNVERIFIED, Status.UNVERIFIED]
