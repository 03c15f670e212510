from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from paved.fleet import workspace
from paved.fleet.sources import RepoRef
from tests.fleet.conftest import Fleet
from tests.helpers import git, release, run_cli, start_paved, wait_until_reached

BRANCH = "paved/update"


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
    assert repos["alpha"] == ("proposed", f"{BRANCH} already proposes v3.0.0")
    assert repos["beta"] == ("proposed", f"{BRANCH} already proposes v3.0.0")
    assert repos["gamma"] == ("current", "at v3.0.0")
    assert repos["delta"][0] == "conflict"
    assert repos["refuser"][0] == "failed"


def test_sequential_and_parallel_runs_agree(fleet: Fleet) -> None:
    first = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--jobs", "1"])
    second = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--jobs", "2"])
    assert first.exit_code == second.exit_code == 6
    assert first.stdout == second.stdout
    assert "  refuser: committed on paved/update in " in first.stdout
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
                      "--publish", "bitbucket"])
    assert result.exit_code == 1
    assert result.stderr == ("paved: error: no publisher 'bitbucket'; choose one of branch, "
                             "github, gitlab\n")
    assert not workspace.root().exists()


@contextlib.contextmanager
def silent_remote() -> Iterator[str]:
    """An http URL whose server takes the connection and never answers: a clone hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/stuck.git"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_ends_with_what_was_done_and_no_traceback(fleet: Fleet, tmp_path: Path,
                                                          jobs: str) -> None:
    listed = tmp_path / "hanging.txt"
    with silent_remote() as stuck:
        # --jobs 2: the stuck repo holds one worker while the other does the rest.
        names = ["alpha", "gamma", "plain"] if jobs == "2" else ["alpha", "beta"]
        locations = [str(fleet.remote(name)) for name in names]
        locations.insert(0 if jobs == "2" else 1, stuck)
        listed.write_text("".join(f"{location}\n" for location in locations))
        run = subprocess.Popen([sys.executable, "-m", "paved", "fleet", "update", "--from",
                                str(listed), "--jobs", jobs], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
        assert run.stderr is not None
        progress = [run.stderr.readline() for _ in range(3 if jobs == "2" else 1)]
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C on a terminal does
        stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 130
    assert "Traceback" not in stderr and stderr == "", stderr
    assert [line.split(" (")[0] for line in progress] == (
        ["[1/4] alpha: updated", "[2/4] gamma: current", "[3/4] plain: skipped"]
        if jobs == "2" else ["[1/3] alpha: updated"])
    clone = workspace.location_of(RepoRef("alpha", str(fleet.remote("alpha"))))
    if jobs == "2":
        assert stdout == (
            "updated (1):\n"
            f"  alpha: committed on {BRANCH} in {clone} (not pushed)\n"
            "already current (1):\n  gamma: at v3.0.0\n"
            "skipped (1):\n  plain: not a paved repo: no .paved.yml on main\n"
            "interrupted (1): stuck\n"
            "Interrupted: 3 of 4 repos done: 1 updated, 1 already current, 1 skipped. Run the "
            "same command again to carry on.\n")
    else:
        assert stdout == (
            "updated (1):\n"
            f"  alpha: committed on {BRANCH} in {clone} (not pushed)\n"
            "interrupted (2): stuck, beta\n"
            "Interrupted: 1 of 3 repos done: 1 updated. Run the same command again to carry "
            "on.\n")


def test_on_a_terminal_a_live_bar_shows_the_repos_in_flight_from_the_start(
        fleet: Fleet, tmp_path: Path) -> None:
    listed = tmp_path / "hanging.txt"
    with silent_remote() as stuck:
        listed.write_text(f"{stuck}\n{fleet.remote('gamma')}\n")
        terminal = pexpect.spawn(sys.executable, ["-m", "paved", "fleet", "update", "--from",
                                                  str(listed), "--jobs", "2"],
                                 env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
                                 encoding="utf-8", timeout=60, dimensions=(24, 120))
        terminal.expect(r"\[1/2\] gamma: current")  # printed above the bar
        # the count, the time elapsed and the repo in flight (between colour codes)
        terminal.expect(r"update\S*\s.*1/2\S*\s+\S*\d:\d\d:\d\d\S*\s+\S*stuck")
        terminal.sendintr()
        terminal.expect(pexpect.EOF)
        terminal.close()
    assert terminal.exitstatus == 130
    screen = terminal.before.replace("\r", "")
    assert "interrupted (1): stuck\nInterrupted: 1 of 2 repos done: 1 already current." in screen
    assert "Traceback" not in screen


def test_the_scheduled_workflows_branch_counts_as_proposed(fleet: Fleet) -> None:
    git(fleet.remote("alpha"), "branch", "paved/update-3.0.0", "main")
    result = run_cli(["fleet", "update", "--from", str(fleet.list_file), "--repos", "alpha",
                      "--push"])
    assert result.exit_code == 0
    assert outcomes(result.stdout) == ["  alpha: branch paved/update-3.0.0 is already on the "
                                       "remote"]
    assert git(fleet.remote("alpha"), "branch", "--list", "paved/update").strip() == ""


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
        f"  alpha: {BRANCH} already proposes v3.0.0", "1 repos: 1 already proposed."]), \
        second_err
    assert git(fleet.remote("alpha"), "log", "-1", "--format=%s", BRANCH).startswith(
        "Update svc from paved catalog v1.0.0 to v3.0.0")
