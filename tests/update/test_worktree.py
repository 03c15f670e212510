"""What stands where an update writes: files in the way of folders, symbolic links, files
git has been told not to look at (issue 21, items 9-11). Nothing is written, before or
during the visible step, and recovery copes with whatever the user put in the way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from paved.create import create_service
from paved.errors import ProjectError
from paved.git import Repository
from paved.update import journal, worktree
from tests.helpers import ROOT, build_file_tree, commit_all, git, run_cli, snapshot

ADDS_A_FOLDER = ("paved: error: newdir is a file where the update needs a folder (for "
                 "newdir/a.txt); move it away, commit, and run paved update again\n")
THROUGH_A_LINK = ("paved: error: newdir is a symbolic link, and the update would write "
                  "newdir/a.txt through it; paved never writes through a link (nor does git): "
                  "move it away, commit, and run paved update again\n")


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A plain copier template: v1.0.0 tagged; `release()` makes v2.0.0."""
    root = build_file_tree(tmp_path / "template", {
        "copier.yml": "project:\n  type: str\n  default: demo\n",
        "config.txt": "one\n",
        "sub/only.txt": "the only file of sub/\n",
    })
    commit_all(root, "v1", tag="v1.0.0")
    return root


def release(template: Path) -> None:
    """v2.0.0: config.txt changes, sub/ goes, newdir/ comes with two files."""
    (template / "config.txt").write_text("one\ntwo\n")
    (template / "sub/only.txt").unlink()
    build_file_tree(template, {"newdir/a.txt": "a\n", "newdir/b.txt": "b\n"})
    commit_all(template, "v2", tag="v2.0.0")


@pytest.fixture
def project(tmp_path: Path, template: Path) -> Path:
    return create_service("svc", dest=tmp_path / "svc", catalog_source=str(template)).path


def test_an_untracked_file_where_a_folder_is_needed(project: Path, template: Path) -> None:
    release(template)
    (project / "newdir").write_text("the user's untracked file\n")
    before = snapshot(project)
    refused = run_cli(["update", str(project)])
    assert (refused.exit_code, refused.stderr) == (1, ADDS_A_FOLDER)
    assert snapshot(project) == before
    (project / "newdir").unlink()
    assert run_cli(["update", str(project)]).exit_code == 0
    assert (project / "newdir/a.txt").read_text() == "a\n"


def test_a_committed_file_where_a_folder_is_needed(project: Path, template: Path) -> None:
    release(template)
    (project / "newdir").write_text("the team's file\n")
    commit_all(project, "a file called newdir")
    before = snapshot(project)
    refused = run_cli(["update", str(project)])
    assert (refused.exit_code, refused.stderr) == (1, ADDS_A_FOLDER)
    assert snapshot(project) == before


@pytest.mark.parametrize("committed", [False, True])
def test_never_through_a_symbolic_link(project: Path, template: Path, tmp_path: Path,
                                       committed: bool) -> None:
    release(template)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "newdir").symlink_to(elsewhere)
    if committed:
        commit_all(project, "a link called newdir")
    before = snapshot(project)
    refused = run_cli(["update", str(project)])
    assert (refused.exit_code, refused.stderr) == (1, THROUGH_A_LINK)
    assert list(elsewhere.iterdir()) == []
    assert snapshot(project) == before


@pytest.mark.parametrize("flag", ["--skip-worktree", "--assume-unchanged"])
def test_a_hidden_local_change_is_never_overwritten(project: Path, template: Path,
                                                    flag: str) -> None:
    release(template)
    git(project, "update-index", flag, "config.txt")
    (project / "config.txt").write_text("the user's change, hidden from git status\n")
    assert git(project, "status", "--porcelain") == ""
    before = snapshot(project)
    refused = run_cli(["update", str(project)])
    assert (refused.exit_code, refused.stderr) == (1, (
        "paved: error: config.txt differ from HEAD although git status does not show it "
        "(marked skip-worktree or assume-unchanged?); commit or undo those changes first\n"))
    assert snapshot(project) == before


def test_recovery_copes_with_a_file_where_a_folder_was(project: Path, template: Path) -> None:
    release(template)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for step in range(1, 40):  # the first checkpoint after sub/only.txt (and sub/) went
        env["PAVED_TEST_KILL_AT"] = str(step)
        done = subprocess.run([sys.executable, "-m", "paved", "update", str(project)], env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == -9, done.stderr
        if not (project / "sub").exists():
            break
        with journal.locked(Repository(project)):
            pass
    (project / "sub").write_text("the user put a file where the folder was\n")
    update = run_cli(["update", str(project)])
    assert (update.exit_code, update.stderr) == (1, (
        "paved: error: rolled back an interrupted paved update, except what changed since "
        "(kept as it is): sub/only.txt could not be restored (sub is a file where a folder "
        "is needed); check it, then run paved update again\n"))
    assert (project / "sub").read_text() == "the user put a file where the folder was\n"
    assert (project / "config.txt").read_text() == "one\n"
    assert not (project / ".git/paved").exists()
    again = run_cli(["update", str(project)])  # a clear refusal from now on, never a crash
    assert (again.exit_code, again.stderr) == (1, (
        f"paved: error: {project} has uncommitted changes to tracked files (sub/only.txt); "
        "commit or stash them first\n"))


# --- worktree.check, put and holds on a small repo (fast: no render) ---

@pytest.fixture
def small(tmp_path: Path) -> Repository:
    root = build_file_tree(tmp_path / "small", {"a.txt": "a\n", "gone/only.txt": "only\n"})
    commit_all(root, "start")
    return Repository(root)


def blob(repo: Repository, text: str, mode: str = "100644") -> tuple[str, str]:
    return (mode, repo.store_blob(text.encode()))


def test_files_in_the_way_are_named_five_at_most(small: Repository) -> None:
    names = [f"new{n}.txt" for n in range(6)]
    for name in names:
        (small.root / name).write_text("the user's\n")
    files = {name: blob(small, "template's\n") for name in names}
    with pytest.raises(ProjectError) as refused:
        worktree.check(small, files, dict.fromkeys(names))
    assert str(refused.value) == (
        "untracked files are in the way of files the update adds (new0.txt, new1.txt, "
        "new2.txt, new3.txt, new4.txt …); move them away first")


def test_a_file_the_update_removes_may_become_a_folder(small: Repository) -> None:
    a = small.entries("HEAD")["a.txt"]
    files = {"a.txt": None, "a.txt/inside.txt": blob(small, "in\n")}
    worktree.check(small, files, {"a.txt": a, "a.txt/inside.txt": None})  # no refusal
    for path, entry in sorted(files.items(), key=lambda item: item[1] is not None):
        worktree.put(small, path, entry)
    assert (small.root / "a.txt/inside.txt").read_text() == "in\n"


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o077, 0o700), (0o002, 0o775)])
def test_an_executable_file_gets_the_execute_bits_the_umask_allows(
        small: Repository, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        worktree.put(small, "bin/run.sh", blob(small, "echo hi\n", "100755"))
        worktree.put(small, "plain.txt", blob(small, "text\n"))
    finally:
        os.umask(previous)
    assert (small.root / "bin/run.sh").stat().st_mode & 0o777 == mode
    assert (small.root / "plain.txt").stat().st_mode & 0o777 == 0o666 & ~umask
    assert worktree.holds(small.root / "bin/run.sh", blob(small, "echo hi\n", "100755"), small)
    assert not worktree.holds(small.root / "bin/run.sh", blob(small, "echo hi\n"), small)
    assert not worktree.holds(small.root / "plain.txt", blob(small, "text\n", "100755"), small)


def test_a_link_is_written_as_a_link_and_held_only_by_one(small: Repository) -> None:
    link = blob(small, "a.txt", "120000")
    worktree.put(small, "to-a", link)
    assert os.readlink(small.root / "to-a") == "a.txt"
    assert worktree.holds(small.root / "to-a", link, small)
    assert not worktree.holds(small.root / "to-a", blob(small, "a\n"), small)  # not a file
    assert not worktree.holds(small.root / "a.txt", link, small)  # a file, not a link
    assert not worktree.holds(small.root / "to-a", None, small)
    assert not worktree.holds(small.root / "to-a", blob(small, "gone/only.txt", "120000"), small)
    (small.root / "a.txt").unlink()
    assert not worktree.holds(small.root / "to-a", None, small)  # a dangling link is there


def test_removing_a_folders_last_file_removes_the_empty_folders(small: Repository) -> None:
    worktree.put(small, "deep/er/x.txt", blob(small, "x\n"))
    worktree.put(small, "deep/keep.txt", blob(small, "k\n"))
    worktree.put(small, "deep/er/x.txt", None)
    assert not (small.root / "deep/er").exists()
    assert (small.root / "deep/keep.txt").exists()
    worktree.put(small, "gone/only.txt", None)
    assert not (small.root / "gone").exists()
    assert small.root.is_dir()
    worktree.put(small, "never/there.txt", None)  # nothing to remove: nothing made either
    assert not (small.root / "never").exists()


def test_a_file_already_as_wanted_is_left_untouched(small: Repository) -> None:
    before = (small.root / "a.txt").stat()
    worktree.put(small, "a.txt", small.entries("HEAD")["a.txt"])
    after = (small.root / "a.txt").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(p.name for p in small.root.iterdir()) == [".git", "a.txt", "gone"]


def test_a_committed_executable_is_held_as_git_lists_it(small: Repository) -> None:
    script = small.root / "tool.sh"
    script.write_text("echo tool\n")
    script.chmod(0o755)
    commit_all(small.root, "a tool")
    committed = small.entries("HEAD")["tool.sh"]  # as git lists it, not a literal
    assert worktree.holds(script, committed, small)
    before = script.stat()
    worktree.put(small, "tool.sh", committed)  # already as wanted: left untouched
    assert (script.stat().st_ino, script.stat().st_mtime_ns) == (before.st_ino,
                                                                  before.st_mtime_ns)
    script.chmod(0o644)
    assert not worktree.holds(script, committed, small)
