"""The work tree an update writes into: what is on disk, checked before and at each write.

`check` runs before the visible step and refuses, writing nothing, when
anything stands where the update would write (issue 21, items 9-11):

- an untracked file where the update adds one, or a *file* (or link) where it
  needs a folder, at any component of the path;
- a symbolic link on the way, untracked or committed: paved never writes
  through a link, as git refuses to ("beyond a symbolic link");
- a file that differs from HEAD's copy although git does not list it as
  changed (`skip-worktree`, `assume-unchanged`): the disk is compared with the
  blob, whatever the index flags say.

`put` writes one file (temporary file, then rename), and checks again that no
folder on its way is a link or a file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from paved.errors import ProjectError
from paved.git import Entry, Repository, blob_sha

NEW_SUFFIX = ".paved-new"  # a file being written, beside its final name
_SHOWN = 5


def check(repo: Repository, files: Mapping[str, Entry | None],
          before: Mapping[str, Entry | None]) -> None:
    """Refuse when the work tree is not as HEAD has it at a path the update writes."""
    removed = {path for path, entry in files.items() if entry is None}
    in_the_way: list[str] = []
    differ: list[str] = []
    for path in sorted(files):
        _check_folders(repo.root, path, removed)
        expected = before.get(path)
        if holds(repo.root / path, expected, repo):
            continue
        (in_the_way if expected is None else differ).append(path)
    if in_the_way:
        raise ProjectError(f"untracked files are in the way of files the update adds "
                           f"({_shown(in_the_way)}); move them away first")
    if differ:
        raise ProjectError(f"{_shown(differ)} differ from HEAD although git status does not "
                           "show it (marked skip-worktree or assume-unchanged?); commit or "
                           "undo those changes first")


def _check_folders(root: Path, path: str, removed: set[str]) -> None:
    folder = root
    for part in Path(path).parts[:-1]:
        folder = folder / part
        name = folder.relative_to(root).as_posix()
        if name in removed:
            return  # the update removes this file or link first: a folder takes its place
        if folder.is_symlink():
            raise ProjectError(f"{name} is a symbolic link, and the update would write {path} "
                               "through it; paved never writes through a link (nor does git): "
                               "move it away, commit, and run paved update again")
        if folder.exists() and not folder.is_dir():
            raise ProjectError(f"{name} is a file where the update needs a folder (for "
                               f"{path}); move it away, commit, and run paved update again")


def put(repo: Repository, name: str, entry: Entry | None, data: bytes | None = None, *,
        prune: bool = True) -> None:
    """Make work-tree file `name` hold `entry` (or not exist), replacing it atomically;
    `data`: the bytes to write when they are not the blob's (`.gitattributes` conversions).

    Never through a symbolic link or over a file in the way of a folder. A removal
    also removes the folders it leaves empty, as git does, unless `prune` is False
    (a rollback removes only the folders the update made: `journal`).
    """
    target = repo.root / name
    _make_folders(repo.root, name, create=entry is not None)
    if entry is None:
        if target.is_symlink() or target.exists():
            target.unlink()
            parent = target.parent
            while prune and parent != repo.root and parent.is_dir() and \
                    not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        return
    mode, sha = entry
    data = repo.read_blob(sha) if data is None else data
    if _has(target, mode, data):
        return  # rolling back a file the update had not reached yet: leave it untouched
    staging = target.with_name(target.name + NEW_SUFFIX)
    staging.unlink(missing_ok=True)
    if mode == "120000":
        os.symlink(data.decode(), staging)
    else:
        staging.write_bytes(data)  # permissions from the umask, as git checkout does
        if mode == "100755":
            staging.chmod(staging.stat().st_mode | (0o111 & ~_umask()))
    os.replace(staging, target)


def holds(target: Path, entry: Entry | None, repo: Repository) -> bool:
    """True when work-tree path `target` is `entry` as git sees it (None: nothing there):
    its bytes are the blob's, or git stores them as that blob (`.gitattributes`
    conversions: `eol=crlf`…; asked of git only when the bytes differ)."""
    if entry is None:
        return not target.is_symlink() and not target.exists()
    mode, sha = entry
    if mode == "120000":
        return target.is_symlink() and blob_sha(os.readlink(target).encode()) == sha
    if target.is_symlink() or not target.is_file():
        return False
    executable = bool(target.stat().st_mode & 0o100)
    if executable != (mode == "100755"):
        return False
    if blob_sha(target.read_bytes()) == sha:
        return True
    name = target.relative_to(repo.root).as_posix().removesuffix(NEW_SUFFIX)
    return repo.stored_sha(target, name) == sha


def _has(target: Path, mode: str, data: bytes) -> bool:
    """True when `target` already holds exactly `data` with `mode`."""
    if mode == "120000":
        return target.is_symlink() and os.readlink(target).encode() == data
    if target.is_symlink() or not target.is_file():
        return False
    executable = bool(target.stat().st_mode & 0o100)
    return executable == (mode == "100755") and target.read_bytes() == data


def _make_folders(root: Path, name: str, *, create: bool) -> None:
    """Check (and with `create`, make) the folders holding `name`: each must be a real
    folder of the work tree, never a link or a file."""
    folder = root
    for part in Path(name).parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise ProjectError(f"{folder.relative_to(root)} is a symbolic link; paved does "
                               "not write through it")
        if folder.is_dir():
            continue
        if folder.exists():
            raise ProjectError(f"{folder.relative_to(root)} is a file where a folder is needed")
        if not create:
            return
        folder.mkdir()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _shown(paths: list[str]) -> str:
    return ", ".join(paths[:_SHOWN]) + (" …" if len(paths) > _SHOWN else "")
