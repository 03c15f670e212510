from __future__ import annotations

import json
import os
from pathlib import Path

from tests.fleet.conftest import Fleet
from tests.helpers import run_cli


def test_fleet_status_table_and_adoption(fleet: Fleet) -> None:
    result = run_cli(["fleet", "status", "--from", str(fleet.list_file)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line[:48] for line in lines[:7]] == [
        "repo     golden path  applied  latest  behind  d",
        "alpha    svc          v1.0.0   v3.0.0  2       0",
        "beta     svc          v2.0.0   v3.0.0  1       0",
        "gamma    svc          v3.0.0   v3.0.0  0       0",
        "delta    svc          v1.0.0   v3.0.0  2       1",
        "plain    -            -        -       -       -",
        "refuser  svc          v1.0.0   v3.0.0  2       0",
    ]
    assert lines[8:] == ["6 repos. Adoption: v1.0.0: 3 (60%), v2.0.0: 1 (20%), "
                         "v3.0.0: 1 (20%, latest).",
                         "skipped: plain: not a paved repo: no .paved.yml on main"]


def test_a_repo_that_is_not_paved_is_reported_alike_by_status_and_update(fleet: Fleet) -> None:
    status = run_cli(["fleet", "status", "--from", str(fleet.list_file), "--repos", "plain"])
    update = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--repos", "plain"])
    assert (status.exit_code, update.exit_code) == (0, 0)
    assert status.stdout.splitlines()[-1] == \
        "skipped: plain: not a paved repo: no .paved.yml on main"
    assert update.stdout.splitlines()[:2] == \
        ["skipped (1):", "  plain: not a paved repo: no .paved.yml on main"]
    assert status.stderr == "[1/1] plain: skipped\n"
    assert update.stderr.startswith("[1/1] plain: skipped (")


def test_an_unreadable_repo_exits_6(fleet: Fleet, tmp_path: Path) -> None:
    listed = tmp_path / "broken.txt"
    listed.write_text(f"{fleet.remote('alpha')}\n{tmp_path / 'nowhere.git'}\n")
    result = run_cli(["fleet", "status", "--from", str(listed)])
    assert result.exit_code == 6
    assert result.stdout.splitlines()[-1].startswith("unreadable: nowhere: ")


def test_fleet_status_json_reads_local_checkouts_in_place(fleet: Fleet) -> None:
    checkouts = fleet.catalog.parent / "checkouts"
    (checkouts / "delta" / "config.txt").write_text("uncommitted drift\n")
    result = run_cli(["fleet", "status", "--from", str(checkouts), "--json", "--jobs", "2"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["adoption"] == [
        {"version": "1.0.0", "repos": 3, "percent": 60.0, "latest": False},
        {"version": "2.0.0", "repos": 1, "percent": 20.0, "latest": False},
        {"version": "3.0.0", "repos": 1, "percent": 20.0, "latest": True}]
    assert (data["latest_version"], data["skipped"], data["unreadable"]) == ("3.0.0", 0, 0)
    rows = {row["name"]: row for row in data["repos"]}
    assert sorted(rows) == ["alpha", "beta", "delta", "gamma", "refuser"]
    assert (rows["delta"]["drift_count"], rows["delta"]["behind_by"]) == (2, 2)
    assert rows["delta"]["drift"] == [
        {"path": "config.txt", "change": "modified", "managed": False},
        {"path": "notes.txt", "change": "modified", "managed": False}]
    assert rows["delta"]["url"] == (checkouts / "delta").as_uri()
    assert rows["gamma"]["last_update"][:4].isdigit()


def test_fleet_check_aggregates_scores_and_rules(fleet: Fleet) -> None:
    result = run_cli(["fleet", "check", "--from", str(fleet.list_file), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    scores = {repo["name"]: (repo["score"], len(repo["failing"])) for repo in data["repos"]}
    assert scores["alpha"] == scores["gamma"]
    assert scores["plain"][0] is not None
    counts = {item["rule"]: item["repos"] for item in data["failing_rules"]}
    assert counts["ownership/runbook"] == 6
    assert [item["repos"] for item in data["failing_rules"]] == sorted(counts.values(),
                                                                    reverse=True)
    text = run_cli(["fleet", "check", "--from", str(fleet.list_file)]).stdout
    assert text.splitlines()[-1].startswith("6 repos, average score ")


def test_the_report_is_readable_by_others_as_the_umask_allows(fleet: Fleet,
                                                               tmp_path: Path) -> None:
    page = tmp_path / "fleet.html"
    previous = os.umask(0o022)
    try:
        run_cli(["fleet", "status", "--from", str(fleet.list_file), "--report", str(page)])
    finally:
        os.umask(previous)
    assert page.stat().st_mode & 0o777 == 0o644
    page.chmod(0o664)  # a report published from a group-writable place keeps its mode
    run_cli(["fleet", "status", "--from", str(fleet.list_file), "--report", str(page)])
    assert page.stat().st_mode & 0o777 == 0o664
