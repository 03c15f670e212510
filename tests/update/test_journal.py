"""The visible step of an update against everything else that happens in a repo: kills,
the user's work after a kill, processes committing meanwhile, two updates racing for
the lock (issue 21, items 7 and 8). Real processes, ordered by fault points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from paved.create import create_service
from paved.errors import ProjectError
from paved.git import Entry, Repository
from paved.update import journal, worktree
from tests.helpers import (
    ROOT,
    build_file_tree,
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


# --- the journaled step itself, on a small repo (fast: no render, no catalog) ---

SMALL = {"a.txt": "one\n", "gone.txt": "bye\n", "run.sh": "echo hi\n",
         **{f"docs/{n}.md": f"doc {n}\n" for n in range(6)}}

#: Applies the change `prepared` describes (its objects already stored) in a process of its
#: own, so that `PAVED_TEST_KILL_AT` can kill it at any checkpoint of the step.
APPLY = """
import json, sys
from pathlib import Path
from paved.git import Repository
from paved.update import journal
repo, spec = Repository(Path(sys.argv[1])), json.loads(sys.argv[2])
entry = lambda value: tuple(value) if value else None
index = journal.work_dir(repo) / "index.new"
index.parent.mkdir(parents=True, exist_ok=True)
repo.build_index(index, spec["tree"], {p: [entry(s) for s in sides]
                                       for p, sides in spec["stages"].items()})
journal.apply(repo, journal.Change(
    files={p: entry(e) for p, e in spec["files"].items()},
    before={p: entry(e) for p, e in spec["before"].items()}, index=index,
    refs={r: tuple(v) for r, v in spec["refs"].items()}, head=spec["head"],
    git_files=spec["git_files"]))
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    repo = build_file_tree(tmp_path / "small", SMALL)
    commit_all(repo, "start")
    return repo


def prepared(repo: Path) -> dict[str, object]:
    """An update as `paved update --branch paved/update` makes it when one file conflicts:
    files changed, removed, made executable, added in new folders, the conflict in the
    index with MERGE_HEAD and MERGE_MSG, the pristine ref moved, a branch made and HEAD
    switched to it."""
    git_repo = Repository(repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    ours = git_repo.entries(head)

    def blob(text: str) -> Entry:
        return ("100644", git_repo.store_blob(text.encode()))

    files: dict[str, Entry | None] = {
        "a.txt": blob("<<<<<<< ours\none\n=======\ntwo\n>>>>>>> theirs\n"),
        "gone.txt": None,
        "run.sh": ("100755", ours["run.sh"][1]),
        "new/deep/c.txt": blob("new\n"),
        **{f"docs/{n}.md": blob(f"doc {n}, from the template\n") for n in range(6)},
    }
    tree = git_repo.store_tree({**{p: e for p, e in ours.items() if p != "gone.txt"},
                                **{p: e for p, e in files.items() if e is not None}})
    pristine = git_repo.commit_tree(tree, [], "pristine")
    return {"tree": tree, "stages": {"a.txt": [ours["a.txt"], ours["a.txt"], blob("two\n")]},
            "files": files, "before": {path: ours.get(path) for path in files},
            "refs": {"refs/paved/pristine": [pristine, None],
                     "refs/heads/paved/update": [head, None]},
            "head": "ref: refs/heads/paved/update",
            "git_files": {"MERGE_HEAD": f"{pristine}\n", "MERGE_MSG": "Update\n"}}


def apply_in_a_process(repo: Path, spec: dict[str, object], kill_at: int | None = None
                       ) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(journal.KILL_ENV, None)
    if kill_at is not None:
        env[journal.KILL_ENV] = str(kill_at)
    done = subprocess.run([sys.executable, "-c", APPLY, str(repo), json.dumps(spec)], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode in (0, -9), done.stderr
    return done.returncode


def test_the_step_rolls_back_exactly_after_a_kill_at_each_checkpoint(small: Path) -> None:
    spec = prepared(small)
    before = snapshot(small)
    kills = 0
    while apply_in_a_process(small, spec, kill_at=kills + 1) == -9:
        kills += 1
        assert journal.interrupted(Repository(small))
        assert run_cli(["status", str(small)]).stderr == HALF_CHANGED.format(small)
        with journal.locked(Repository(small)):  # rolls back, as paved update does first
            pass
        assert snapshot(small) == before, f"after a kill at checkpoint {kills}"
        assert not (small / ".git/paved").exists()
    # The journal, each of the 10 files, the index refreshed, swapped, MERGE_*, refs, HEAD.
    assert kills == 1 + 10 + 5
    files = spec["files"]
    assert isinstance(files, dict)
    repo = Repository(small)
    for path, entry in files.items():
        assert worktree.holds(small / path, entry, repo), path
    assert git(small, "symbolic-ref", "HEAD").strip() == "refs/heads/paved/update"
    assert (small / ".git/MERGE_MSG").read_text() == "Update\n"
    assert git(small, "ls-files", "--unmerged").count("a.txt") == 3
    # git sees the files written as unchanged (the index refreshed), the conflict aside.
    assert set(git(small, "ls-files", "--modified").split()) == {"a.txt"}
    assert not journal.interrupted(repo)
    assert sorted(p.name for p in (small / ".git").iterdir() if p.name.endswith(".lock")) == []


def test_a_half_written_file_a_kill_left_is_removed_and_anyone_elses_kept(small: Path) -> None:
    spec = prepared(small)
    before = snapshot(small)
    assert apply_in_a_process(small, spec, kill_at=3) == -9  # gone.txt removed, a.txt written
    files = spec["files"]
    assert isinstance(files, dict)
    # Killed inside the write of the next file, and a `.paved-new` of someone else's.
    ours = small / "docs/0.md.paved-new"
    ours.write_text("doc 0, from the template\n")
    theirs = small / "docs/1.md.paved-new"
    theirs.write_text("not what the update writes\n")
    with journal.locked(Repository(small)):
        pass
    assert not ours.exists()
    assert theirs.read_text() == "not what the update writes\n"
    theirs.unlink()
    assert snapshot(small) == before


def test_after_a_kill_the_files_the_user_changed_are_named_five_at_most(small: Path) -> None:
    spec = prepared(small)
    assert apply_in_a_process(small, spec, kill_at=11) == -9  # every file written
    for n in range(6):
        (small / f"docs/{n}.md").write_text(f"the user's doc {n}\n")
    (small / "new/deep/c.txt").write_text("the user's c\n")
    with pytest.raises(ProjectError) as refused:
        journal.recover(Repository(small))
    assert str(refused.value) == (
        "rolled back an interrupted paved update, except what changed since (kept as it is): "
        "your version of new/deep/c.txt, docs/0.md, docs/1.md, docs/2.md, docs/3.md …; check "
        "it, then run paved update again")
    assert (small / "a.txt").read_text() == "one\n"
    assert (small / "gone.txt").read_text() == "bye\n"
    assert (small / "new/deep/c.txt").read_text() == "the user's c\n"
    assert [(small / f"docs/{n}.md").read_text() for n in range(6)] == [
        f"the user's doc {n}\n" for n in range(6)]
    assert not journal.interrupted(Repository(small))


def test_after_a_kill_a_switched_head_is_left_alone(small: Path) -> None:
    spec = prepared(small)
    assert apply_in_a_process(small, spec, kill_at=1) == -9  # the journal written, no more
    git(small, "branch", "mine")
    git(small, "symbolic-ref", "HEAD", "refs/heads/mine")
    mine = snapshot(small)
    with pytest.raises(ProjectError) as refused:
        journal.recover(Repository(small))
    assert str(refused.value) == (
        "an interrupted paved update was not rolled back, to keep your work: HEAD changed "
        f"since; nothing was changed. Check git status and git log, keep what you want, then "
        f"remove {small}/.git/paved/journal.json and run paved update again")
    assert snapshot(small) == mine


def test_after_a_kill_a_ref_another_process_moved_is_named_and_kept(small: Path) -> None:
    home = git(small, "symbolic-ref", "HEAD").strip()
    spec = prepared(small)
    assert apply_in_a_process(small, spec, kill_at=16) == -9  # refs and HEAD moved
    git(small, "symbolic-ref", "HEAD", home)  # the user went back to their branch
    start = git(small, "rev-parse", "HEAD").strip()
    pristine = git(small, "rev-parse", "refs/paved/pristine").strip()
    git(small, "update-ref", "refs/paved/pristine", start)  # moved by someone else
    with pytest.raises(ProjectError) as refused:
        journal.recover(Repository(small))
    assert str(refused.value) == (
        "rolled back an interrupted paved update, except what changed since (kept as it is): "
        f"refs/paved/pristine, which another process moved to {start[:12]}; check it, then "
        "run paved update again")
    assert pristine != start
    assert git(small, "rev-parse", "refs/paved/pristine").strip() == start
    assert git(small, "branch", "--list", "paved/update") == ""
    assert (small / "a.txt").read_text() == "one\n"


def test_the_repo_stays_locked_while_leftovers_are_cleaned(small: Path) -> None:
    """Recovery clears what a killed update left in .git/paved, never the lock it holds."""
    (small / ".git/paved").mkdir()
    (small / ".git/paved/index.new").write_text("left by a killed update\n")
    (small / ".git/paved/lock.12345.tmp").write_text("another process's lock in the making\n")
    with journal.locked(Repository(small)):
        assert journal.at_work(Repository(small))
        with pytest.raises(ProjectError) as refused, journal.locked(Repository(small)):
            pass
        assert str(refused.value) == (f"another paved update (process {os.getpid()}) is "
                                      "working on this repo; wait for it to finish")
        assert sorted(p.name for p in (small / ".git/paved").iterdir()) == [
            "lock", "lock.12345.tmp"]
    assert [p.name for p in (small / ".git/paved").iterdir()] == ["lock.12345.tmp"]


@pytest.mark.parametrize("content", ["not json", "[]", '{"format": 1}', '{"format": 3}'])
def test_a_journal_this_paved_cannot_read_is_left_with_what_to_do(small: Path,
                                                                  content: str) -> None:
    (small / ".git/paved").mkdir()
    (small / ".git/paved/journal.json").write_text(content)
    mine = snapshot(small)
    with pytest.raises(ProjectError) as refused:
        journal.recover(Repository(small))
    assert str(refused.value) == (
        f"an interrupted update left {small}/.git/paved/journal.json, which this paved cannot "
        f"read; check git status and git log, then remove {small}/.git/paved")
    assert snapshot(small) == mine


def test_a_git_command_holding_the_index_lock_stops_the_step_before_it_starts(
        small: Path) -> None:
    spec = prepared(small)
    (small / ".git/index.lock").write_text("git's own\n")
    before = snapshot(small)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", APPLY, str(small), json.dumps(spec)], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"paved.errors.ProjectError: git is working in this repo ({small}/.git/index.lock "
        "exists); wait for it to finish, or remove that file if no git process is running")
    assert snapshot(small) == before  # git's lock left alone
    assert not journal.interrupted(Repository(small))


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


def test_a_folder_the_user_had_is_kept_by_a_rollback(small: Path) -> None:
    (small / "new").mkdir()  # the user's empty folder, where the update adds new/deep/c.txt
    spec = prepared(small)
    before = snapshot(small)
    assert apply_in_a_process(small, spec, kill_at=11) == -9  # every file written
    with journal.locked(Repository(small)):
        pass
    assert snapshot(small) == before
    assert (small / "new").is_dir()


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
