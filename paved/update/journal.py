"""The one visible step of an update, made recoverable with a journal.

Everything an update produces (blobs, trees, commits, the new index) is
prepared off to the side first. What remains is to write a few files into the
work tree, swap the index and move refs; that cannot be one atomic operation,
so before touching anything `apply` writes a journal of how each of them was.
The journal is removed only once every step is done; if the process dies
in between (even by SIGKILL), the next paved command that opens the repo
finds the journal and `recover` puts every file, the index and every ref back
exactly as they were. See "Updates" in docs/architecture.md.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from paved.errors import ProjectError
from paved.git import Entry, Repository

WORK_DIR = "paved"  # inside the repo's git dir: journal, index backup, prepared index
JOURNAL = "journal.json"
LOCK = "lock"  # the process id of the paved update at work
KILL_ENV = "PAVED_TEST_KILL_AT"  # tests: SIGKILL ourselves at the Nth checkpoint
_NEW_SUFFIX = ".paved-new"
_reached = 0


@dataclass(frozen=True)
class Change:
    """The visible part of an update: everything it will write into the repository."""

    files: Mapping[str, Entry | None]  # work-tree path -> new content (None: remove)
    before: Mapping[str, Entry | None]  # the same paths as committed at HEAD
    index: Path  # a prepared index file, moved over the repo's index
    refs: Mapping[str, tuple[str | None, str | None]]  # ref -> (new, current)
    head: str | None = None  # new HEAD (`ref: refs/heads/x`), or None to leave it
    git_files: Mapping[str, str] = field(default_factory=dict)  # MERGE_HEAD, MERGE_MSG…


def checkpoint() -> None:
    """A point where the kill test may stop the process (`PAVED_TEST_KILL_AT=N`)."""
    global _reached
    wanted = os.environ.get(KILL_ENV)
    if wanted:
        _reached += 1
        if _reached == int(wanted):
            os.kill(os.getpid(), signal.SIGKILL)


def work_dir(repo: Repository) -> Path:
    return repo.git_dir / WORK_DIR


def apply(repo: Repository, change: Change) -> None:
    """Make `change` visible; on any failure, or at the next run after a kill, roll back."""
    folder = work_dir(repo)
    index = repo.git_dir / "index"
    backup = folder / "index.orig"
    if index.exists():
        shutil.copy2(index, backup)
    journal = {
        "files": {path: list(entry) if entry else None for path, entry in change.before.items()},
        "new_dirs": _missing_dirs(repo.root, change.files),
        "had_index": index.exists(),
        "refs": {ref: current for ref, (_, current) in change.refs.items()},
        "head": repo.head_file(),
        "git_files": sorted(change.git_files),
    }
    _write_atomically(folder / JOURNAL, json.dumps(journal, indent=1).encode())
    checkpoint()
    try:
        for path, entry in _removals_first(change.files):
            _put(repo, path, entry)
            checkpoint()
        repo.refresh_index(change.index)  # so git sees the files just written as unchanged
        checkpoint()
        os.replace(change.index, index)
        checkpoint()
        for name, text in change.git_files.items():
            _write_atomically(repo.git_dir / name, text.encode())
        checkpoint()
        repo.update_refs(change.refs)
        checkpoint()
        if change.head is not None:
            repo.set_head(change.head)
            checkpoint()
    except BaseException:
        recover(repo)
        raise
    (folder / JOURNAL).unlink()
    backup.unlink(missing_ok=True)


@contextmanager
def locked(repo: Repository) -> Iterator[None]:
    """Hold the repo for one update: one paved update at a time, stale state rolled back."""
    folder = work_dir(repo)
    holder = _live_holder(folder)
    if holder is not None:
        raise ProjectError(f"another paved update (process {holder}) is working on this "
                           "repo; wait for it to finish")
    recover(repo)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(folder / LOCK, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError as error:
        raise ProjectError("another paved update started on this repo just now; wait for "
                           "it to finish") from error
    os.write(descriptor, str(os.getpid()).encode())
    os.close(descriptor)
    try:
        yield
    finally:
        (folder / LOCK).unlink(missing_ok=True)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _live_holder(folder: Path) -> int | None:
    """The process id holding the lock, when that process is still running."""
    try:
        pid = int((folder / LOCK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def recover(repo: Repository) -> bool:
    """Roll back an update that was interrupted; True when there was one to roll back.

    Leaves the repo alone while another paved process holds it (`locked`).
    """
    folder = work_dir(repo)
    if _live_holder(folder) is not None:
        return False
    path = folder / JOURNAL
    if not path.is_file():
        shutil.rmtree(folder, ignore_errors=True)  # leftovers of an interrupted preparation
        return False
    journal = json.loads(path.read_text(encoding="utf-8"))
    originals = {name: (entry[0], entry[1]) if entry else None
                 for name, entry in journal["files"].items()}
    for name, original in _removals_first(originals):
        (repo.root / (name + _NEW_SUFFIX)).unlink(missing_ok=True)
        _put(repo, name, original)
    for folder_name in sorted(journal["new_dirs"], key=len, reverse=True):
        directory = repo.root / folder_name
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    index, backup = repo.git_dir / "index", folder / "index.orig"
    if journal["had_index"]:
        if backup.exists():
            os.replace(backup, index)
    else:
        index.unlink(missing_ok=True)
    for name in journal["git_files"]:
        (repo.git_dir / name).unlink(missing_ok=True)
    moved = {ref: (old, current) for ref, old in journal["refs"].items()
             if (current := repo.resolve_ref(ref)) != old}
    repo.update_refs(moved)
    if repo.head_file() != journal["head"]:
        repo.set_head(journal["head"])
    path.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    return True


def _removals_first(files: Mapping[str, Entry | None]) -> list[tuple[str, Entry | None]]:
    """Removals before writes, so a file may become a folder and a folder a file."""
    return sorted(files.items(), key=lambda item: (item[1] is not None, item[0]))


def _put(repo: Repository, name: str, entry: Entry | None) -> None:
    """Make work-tree file `name` hold `entry` (or not exist), replacing it atomically."""
    target = repo.root / name
    if entry is None:
        if target.is_symlink() or target.exists():
            target.unlink()
            parent = target.parent
            while parent != repo.root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        return
    mode, sha = entry
    data = repo.read_blob(sha)
    if _holds(target, mode, data):
        return  # rolling back a file the update had not reached yet: leave it untouched
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + _NEW_SUFFIX)
    staging.unlink(missing_ok=True)
    if mode == "120000":
        os.symlink(data.decode(), staging)
    else:
        staging.write_bytes(data)  # permissions from the umask, as git checkout does
        if mode == "100755":
            staging.chmod(staging.stat().st_mode | (0o111 & ~_umask()))
    os.replace(staging, target)


def _holds(target: Path, mode: str, data: bytes) -> bool:
    if mode == "120000":
        return target.is_symlink() and os.readlink(target).encode() == data
    if target.is_symlink() or not target.is_file():
        return False
    executable = bool(target.stat().st_mode & 0o100)
    return executable == (mode == "100755") and target.read_bytes() == data


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _missing_dirs(root: Path, files: Mapping[str, Entry | None]) -> list[str]:
    missing: set[str] = set()
    for name, entry in files.items():
        if entry is None:
            continue
        parent = Path(name).parent
        while str(parent) != "." and not (root / parent).is_dir():
            missing.add(parent.as_posix())
            parent = parent.parent
    return sorted(missing)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".tmp")
    with staging.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(staging, path)
