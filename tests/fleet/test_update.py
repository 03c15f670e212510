from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from paved.fleet import workspace
from paved.fleet.sources import RepoRef
from tests.fleet.conftest import Fleet
from tests.helpers import git, release, run_cli, start_paved, wait_until_reached

BRANCH = "paved/update-3.0.0"


def expected_summary(fleet: Fleet) -> str:
    return "\n".join([
        "updated (2):",
        f"  alpha: published: {fleet.remote('alpha')} branch {BRANCH}",
        f"  beta: published: {fleet.remote('beta')} branch {BRANCH}",
        "already current (1):",
        "  gamma: at v3.0.0",
        "skipped (1):",
        "  plain: not a paved repo: no .paved.yml on main",
        "conflicts (1):",
        "  delta: conflicts in notes.txt: run paved update in the repo and resolve them",
        "failed (1):",
        f"  refuser: origin refused {BRANCH}: pushes are frozen (pre-receive hook declined)",
        "6 repos: 2 updated, 1 already current, 1 skipped, 1 with conflicts, 1 failed; "
        "2 need a person.",
    ]) + "\n"


def outcomes(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("  ")]


def test_fleet_update_pushes_and_reports_every_outcome(fleet: Fleet) -> None:
    result = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--push"])
    assert result.exit_code == 6
    assert result.stdout == expected_summary(fleet)
    progress = result.stderr.splitlines()
    assert [line.split(" (")[0] for line in progress] == [
        "[1/6] alpha: updated", "[2/6] beta: updated", "[3/6] gamma: current",
        "[4/6] delta: conflict", "[5/6] plain: skipped", "[6/6] refuser: failed"]
    # The branch on the remote holds the update commit, its changelog and the pristine line.
    remote = fleet.remote("alpha")
    message = git(remote, "log", "-1", "--format=%B", BRANCH)
    assert message.startswith("Update svc from paved catalog v1.0.0 to v3.0.0\n")
    assert "## 3.0.0\n\n- Region question." in message
    parents = git(remote, "log", "-1", "--format=%P", BRANCH).split()
    assert len(parents) == 2
    assert "Paved-Pristine: 3.0.0" in git(remote, "log", "-1", "--format=%B", parents[1])
    assert git(fleet.remote("delta"), "branch", "--list", "paved/*") == ""
    assert git(fleet.remote("refuser"), "branch", "--list", "paved/*") == ""


def test_a_rerun_skips_what_is_done(fleet: Fleet) -> None:
    run_cli(["fleet", "update", "--from", str(fleet.list_file), "--push"])
    again = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--push", "--json"])
    assert again.exit_code == 6
    import json

    repos = {repo["name"]: (repo["outcome"], repo["reason"])
             for repo in json.loads(again.stdout)["repos"]}
    assert repos["alpha"] == ("proposed", f"branch {BRANCH} is already on the remote")
    assert repos["beta"] == ("proposed", f"branch {BRANCH} is already on the remote")
    assert repos["gamma"] == ("current", "at v3.0.0")
    assert repos["delta"][0] == "conflict"
    assert repos["refuser"][0] == "failed"


def test_sequential_and_parallel_runs_agree(fleet: Fleet) -> None:
    first = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--jobs", "1"])
    second = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--jobs", "2"])
    assert first.exit_code == second.exit_code == 6
    assert first.stdout == second.stdout
    assert "  refuser: committed on paved/update-3.0.0 in " in first.stdout
    assert sorted(line.split(" (")[0].split("] ")[1] for line in second.stderr.splitlines()) \
        == ["alpha: updated", "beta: updated", "delta: conflict", "gamma: current",
            "plain: skipped", "refuser: updated"]


def test_dry_run_changes_nothing(fleet: Fleet) -> None:
    result = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--dry-run",
                      "--repos", "alpha,delta,gamma", "--push"])
    assert result.exit_code == 6
    assert outcomes(result.stdout) == [
        "  alpha: would go from v1.0.0 to v3.0.0",
        "  gamma: at v3.0.0",
        "  delta: would conflict in notes.txt: run paved update in the repo and resolve them"]
    assert git(fleet.remote("alpha"), "branch", "--list", "paved/*") == ""


def test_limit_and_all_done_exit_zero(fleet: Fleet) -> None:
    result = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--limit", "3",
                      "--push"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "3 repos: 2 updated, 1 already current."


def test_unknown_repo_name_is_refused(fleet: Fleet) -> None:
    result = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--repos", "zeta"])
    assert result.exit_code == 1
    assert result.stderr == ("paved: error: --repos: no repo named 'zeta' in the fleet; it has: "
                             "alpha, beta, delta, gamma, plain, refuser\n")


def test_resumes_after_a_kill_in_the_middle_of_an_update(fleet: Fleet) -> None:
    env = {**os.environ, "PAVED_TEST_KILL_AT": "8"}
    killed = subprocess.run([sys.executable, "-m", "paved", "fleet", "update", "--from",
                             str(fleet.list_file), "--push"], env=env, capture_output=True,
                            text=True)
    assert killed.returncode == -9
    clone = workspace.location_of(RepoRef("alpha", str(fleet.remote("alpha"))))
    assert (clone / ".git" / "paved" / "journal.json").exists()  # killed mid-apply
    (clone / "stray.txt").write_text("left behind\n")
    result = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--push"])
    assert result.stdout == expected_summary(fleet)
    assert not (clone / "stray.txt").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_broken_workspace_is_cloned_again(fleet: Fleet, jobs: str) -> None:
    run_cli(["fleet", "update", "--from", str(fleet.list_file), "--repos", "alpha"])
    clone = workspace.location_of(RepoRef("alpha", str(fleet.remote("alpha"))))
    (clone / ".git" / "HEAD").write_text("garbage\n")
    result = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--repos",
                      "alpha,beta", "--jobs", jobs])
    assert result.exit_code == 0
    assert outcomes(result.stdout)[0] == f"  alpha: committed on {BRANCH} in {clone} (not pushed)"


def test_unknown_publisher_is_refused_before_any_work(fleet: Fleet) -> None:
    result = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--push",
                      "--publish", "gitlab"])
    assert result.exit_code == 1
    assert result.stderr == "paved: error: no publisher 'gitlab'; choose one of branch, github\n"
    assert not workspace.root().exists()


def test_two_runs_sharing_a_cache_take_turns_on_a_workspace(fleet: Fleet, tmp_path: Path) -> None:
    args = ["fleet", "update", "--from", str(fleet.list_file), "--repos", "alpha", "--push"]
    first_faults, second_faults = tmp_path / "first", tmp_path / "second"
    first = start_paved(args, first_faults, pause=["workspace"])
    wait_until_reached(first_faults, "workspace", first)  # holds alpha's workspace
    second = start_paved(args, second_faults)
    held = workspace.location_of(RepoRef("alpha", str(fleet.remote("alpha")))).name
    wait_until_reached(second_faults, f"{held}.lock-wait", second)  # found it held: waits
    assert first.poll() is None and second.poll() is None
    release(first_faults, "workspace")
    first_out, first_err = first.communicate(timeout=120)
    second_out, second_err = second.communicate(timeout=120)
    assert (first.returncode, first_out.splitlines()[-1]) == (0, "1 repos: 1 updated."), \
        first_err
    assert (second.returncode, second_out.splitlines()[-2:]) == (0, [
        f"  alpha: branch {BRANCH} is already on the remote", "1 repos: 1 already proposed."]), \
        second_err
    assert git(fleet.remote("alpha"), "log", "-1", "--format=%s", BRANCH).startswith(
        "Update svc from paved catalog v1.0.0 to v3.0.0")
