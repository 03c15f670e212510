"""The visible step of an update against everything else that happens in a repo: kills,
the user's work after a kill, processes committing meanwhile, two updates racing for
the lock (issue 21, items 7 and 8). Real processes, ordered by fault points."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from paved.create import create_service
from paved.git import Repository
from paved.update import journal
from tests.helpers import (
    ROOT,
    commit_all,
    edit_like_a_team,
    evolving_catalog,
    git,
    release,
    release_v2,
    release_v3,
    run_cli,
    snapshot,
    start_paved,
    wait_until_reached,
)

HALF_CHANGED = ("paved: error: an interrupted paved update left {} half-changed; run paved "
                "update to roll it back (paved status never writes)\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repo at v1.0.0 with the team's edits; the catalog is at v3.0.0; no conflicts."""
    catalog = evolving_catalog(tmp_path / "catalog", versions=1)
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    edit_like_a_team(repo)
    git(repo, "checkout", "--quiet", "HEAD~1", "--", "notes.txt")
    commit_all(repo, "undo notes edit")
    release_v2(catalog)
    release_v3(catalog)
    return repo


def kill_inside_the_step(project: Path, where: Callable[[], bool]) -> None:
    """Kill `paved update` at the first checkpoint after which `where()` holds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for step in range(1, 80):
        env["PAVED_TEST_KILL_AT"] = str(step)
        done = subprocess.run([sys.executable, "-m", "paved", "update", str(project)], env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == -9, f"the update ended before the state wanted: {done.stderr}"
        if journal.interrupted(Repository(project)) and where():
            return
        with journal.locked(Repository(project)):
            pass
    raise AssertionError("no checkpoint reached the state wanted")


def test_after_a_kill_paved_never_undoes_a_commit_the_user_made(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD").strip()
    committed = (project / "config.txt").read_text()
    kill_inside_the_step(project, lambda: (project / "config.txt").read_text() != committed)
    # git refuses to commit while the killed update holds index.lock; a user follows its hint.
    refused = subprocess.run(["git", "commit", "-qam", "x"], cwd=project, capture_output=True,
                             text=True, check=False)
    assert refused.returncode == 128 and "index.lock': File exists" in refused.stderr
    (project / ".git/index.lock").unlink()
    (project / "TEAM.md").write_text("written after the kill\n")
    git(project, "commit", "-qam", "work after the kill")
    (project / "app/main.py").write_text("print('not committed yet')\n")
    mine = snapshot(project)

    status = run_cli(["status", str(project)])
    assert (status.exit_code, status.stderr) == (1, HALF_CHANGED.format(project))
    assert snapshot(project) == mine  # paved status never writes
    update = run_cli(["update", str(project)])
    assert (update.exit_code, update.stderr) == (1, (
        "paved: error: an interrupted paved update was not rolled back, to keep your work: the "
        "index changed since (a commit, git add or checkout); nothing was changed. Check git "
        f"status and git log, keep what you want, then remove {project}/.git/paved/journal.json "
        "and run paved update again\n"))
    assert snapshot(project) == mine
    assert git(project, "log", "-2", "--format=%P %s").splitlines()[0] == (
        f"{head} work after the kill")


def test_after_a_kill_a_file_the_user_changed_is_kept_and_the_rest_rolled_back(
        project: Path) -> None:
    before = snapshot(project)
    committed = (project / "config.txt").read_text()
    kill_inside_the_step(project, lambda: (project / "config.txt").read_text() != committed)
    assert (project / "README.md").read_text() != before["files"]["README.md"][1].decode()
    (project / "config.txt").write_text("the user's config, edited after the kill\n")
    (project / "TEAM.md").write_text("the user's notes, edited after the kill\n")

    update = run_cli(["update", str(project)])
    assert (update.exit_code, update.stderr) == (1, (
        "paved: error: rolled back an interrupted paved update, except what changed since (kept "
        "as it is): your version of config.txt; check it, then run paved update again\n"))
    after = snapshot(project)
    assert (project / "config.txt").read_text() == "the user's config, edited after the kill\n"
    assert (project / "TEAM.md").read_text() == "the user's notes, edited after the kill\n"
    expected = {name: content for name, content in before["files"].items()  # type: ignore[attr-defined]
                if name not in ("config.txt", "TEAM.md")}
    assert {name: content for name, content in after["files"].items()  # type: ignore[attr-defined]
            if name not in ("config.txt", "TEAM.md")} == expected
    assert {key: after[key] for key in ("folders", "index", "refs", "HEAD", "merge", "locks")} \
        == {key: before[key] for key in ("folders", "index", "refs", "HEAD", "merge", "locks")}
    assert not (project / ".git/paved").exists()
    assert sorted(git(project, "diff", "--name-only").split()) == ["TEAM.md", "config.txt"]


def test_after_a_kill_paved_never_undoes_commits_on_top_of_the_update(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD").strip()
    kill_inside_the_step(project, lambda: git(project, "rev-parse", "HEAD").strip() != head)
    update_commit = git(project, "rev-parse", "HEAD").strip()
    (project / ".git/index.lock").unlink()  # as git's hint says
    git(project, "commit", "--allow-empty", "-qm", "on top of the update")
    mine = snapshot(project)
    update = run_cli(["update", str(project)])
    assert (update.exit_code, update.stderr) == (1, (
        "paved: error: an interrupted paved update was not rolled back, to keep your work: "
        f"refs/heads/main has commits on top of the update's commit {update_commit[:12]}; "
        "nothing was changed. Check git status and git log, keep what you want, then remove "
        f"{project}/.git/paved/journal.json and run paved update again\n"))
    assert snapshot(project) == mine


LOOP = """
import pathlib, subprocess, sys
stop, count = pathlib.Path(sys.argv[2]), 0
while not stop.exists():
    count += 1
    done = subprocess.run(["git", "commit", "--allow-empty", "-qm", f"loop {count}"],
                          cwd=sys.argv[1], capture_output=True)
    if done.returncode == 0:
        print(f"loop {count}", flush=True)
"""


def test_a_process_committing_in_a_loop_loses_nothing(project: Path, tmp_path: Path) -> None:
    faults, stop = tmp_path / "faults", tmp_path / "stop"
    update = start_paved(["update", str(project)], faults, pause=["visible-step"])
    wait_until_reached(faults, "visible-step", update)  # everything prepared from HEAD
    loop = subprocess.Popen([sys.executable, "-c", LOOP, str(project), str(stop)],
                            stdout=subprocess.PIPE, text=True)
    assert loop.stdout is not None
    made = [loop.stdout.readline().strip() for _ in range(3)]  # the branch moved on
    release(faults, "visible-step")
    _, stderr = update.communicate(timeout=120)
    stop.touch()
    made += loop.communicate(timeout=60)[0].split("\n")
    made = [line for line in made if line]
    assert update.returncode == 1
    assert stderr.startswith("paved: error: the update was rolled back (updating refs failed: ")
    assert "; left as they are: refs/heads/main, which another process moved to " in stderr
    assert stderr.endswith("; run paved update again\n")
    history = git(project, "log", "--format=%s", "main").splitlines()
    assert [line for line in history if line.startswith("loop ")] == made[::-1]
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "diff", "--cached", "--name-only", "HEAD") == ""
    assert not (project / ".git/paved").exists()
    assert not (project / ".git/index.lock").exists()


def test_a_second_update_never_takes_a_lock_just_made(project: Path, tmp_path: Path) -> None:
    faults = tmp_path / "faults"
    first = start_paved(["update", str(project)], faults, pause=["repo-locked"])
    wait_until_reached(faults, "repo-locked", first)  # the lock file has just appeared
    second = run_cli(["update", str(project)])
    assert second.stderr == (f"paved: error: another paved update (process {first.pid}) is "
                             "working on this repo; wait for it to finish\n")
    status = run_cli(["status", str(project)])  # reads, and leaves the lock alone
    assert status.exit_code == 0, status.stderr
    release(faults, "repo-locked")
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert git(project, "log", "-1", "--format=%s").startswith("Update svc")
    assert git(project, "status", "--porcelain") == ""
    assert not (project / ".git/paved").exists()


def test_a_stale_lock_is_broken_by_one_process_only(project: Path, tmp_path: Path) -> None:
    lock = project / ".git/paved/lock"
    lock.parent.mkdir()
    lock.write_text("")  # left by a process that died before writing its id
    faults = tmp_path / "faults"
    first = start_paved(["update", str(project)], faults, pause=["lock-break"])
    wait_until_reached(faults, "lock-break", first)  # found it stale, about to remove it
    second = run_cli(["update", str(project)])
    assert second.stderr == ("paved: error: another paved update is working on this repo; "
                             "wait for it to finish\n")
    release(faults, "lock-break")
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert git(project, "log", "-1", "--format=%s").startswith("Update svc")
    assert git(project, "status", "--porcelain") == ""
    assert not (project / ".git/paved").exists()


def test_a_rollback_puts_back_the_bytes_of_files_git_converts(tmp_path: Path) -> None:
    """`.gitattributes` says `eol=crlf`: the work tree holds CRLF where git stores LF. An
    update killed half-way is rolled back to the bytes the files had, not the blobs'."""
    from tests.copier_compat import fixtures
    from tests.copier_compat.drive import PROJECT, paved_new

    template = fixtures.build(fixtures.EOL, tmp_path / "template")
    assert paved_new(template, tmp_path / "paved", "v1.0.0", fixtures.EOL.answers,
                     trust=False).exit_code == 0
    project = tmp_path / "paved" / PROJECT
    before = snapshot(project)
    assert (project / "notes.txt").read_bytes() == b"one\r\ntwo\r\nthree\r\n"
    kill_inside_the_step(project, lambda: (project / "raw.txt").read_bytes() !=
                         b"kept as committed\n")
    assert (project / "notes.txt").read_bytes() == b"one\r\ntwo\r\nTHREE\r\n"  # written

    update = run_cli(["update", str(project), "--to", "v1.0.0"])
    assert (update.exit_code, update.stderr) == (0, "")
    assert snapshot(project) == before
    assert git(project, "status", "--porcelain") == ""
