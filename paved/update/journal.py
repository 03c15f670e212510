"""The one visible step of an update, made recoverable with a journal; the update lock.

Everything an update produces (blobs, trees, commits, the new index) is
prepared off to the side first. What remains is to write a few files into the
work tree, swap the index and move refs; that cannot be one atomic operation,
so before touching anything `apply` writes a journal of how each of them was
and what the update makes of it. The journal is removed only once every step
is done; if the process dies in between (even by SIGKILL), the next `paved
update` finds it and `recover` rolls the update back.

A rollback never undoes anyone else's work (issue 21, item 7): each file, ref,
the index and HEAD is put back only while it still holds exactly what the
update wrote (refs by compare-and-swap in one `update-ref` transaction). When
someone built on the half-made update (committed, staged, switched HEAD, or
committed on top of its commit), nothing is touched and the user is told what
to look at; a file changed since is kept as it is and named. For the length
of the step paved holds git's own `index.lock`, so no git command changes the
index under it. See "Updates" in docs/architecture.md and docs/security.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paved import faults, locks
from paved.errors import GitError, ProjectError
from paved.git import Entry, Repository, blob_sha
from paved.update import worktree

WORK_DIR = "paved"  # inside the repo's git dir: lock, journal, index backup, prepared index
JOURNAL = "journal.json"
LOCK = "lock"  # held (paved.locks) by the paved update at work; holds its process id
KILL_ENV = faults.KILL_ENV
FORMAT = 2  # journals of paved 0.1 (format 1) recorded no "after" states
_INDEX_LOCK_MARK = "paved update: the visible step of an update holds this lock\n"
_SHOWN = 5
_INDEX_LOCK_WAIT = 2.0  # seconds: git commands hold index.lock briefly

checkpoint = faults.checkpoint  # a point where the kill test may stop the process


@dataclass(frozen=True)
class Change:
    """The visible part of an update: everything it will write into the repository."""

    files: Mapping[str, Entry | None]  # work-tree path -> new content (None: remove)
    before: Mapping[str, Entry | None]  # the same paths as committed at HEAD
    index: Path  # a prepared index file, moved over the repo's index
    refs: Mapping[str, tuple[str | None, str | None]]  # ref -> (new, current)
    head: str | None = None  # new HEAD (`ref: refs/heads/x`), or None to leave it
    git_files: Mapping[str, str] = field(default_factory=dict)  # MERGE_HEAD, MERGE_MSG…
    # The bytes to write for files whose blob is stored converted (`.gitattributes`);
    # a rollback puts back the blob (git sees the same file).
    contents: Mapping[str, bytes] = field(default_factory=dict)


def work_dir(repo: Repository) -> Path:
    return repo.git_dir / WORK_DIR


def interrupted(repo: Repository) -> bool:
    """True when an update's visible step is under way or was interrupted (read-only)."""
    return (work_dir(repo) / JOURNAL).is_file()


def at_work(repo: Repository) -> bool:
    """True when a live paved update holds this repo (read-only)."""
    return locks.is_held(work_dir(repo) / LOCK)


def apply(repo: Repository, change: Change) -> None:
    """Make `change` visible; on any failure, or at the next run after a kill, roll back."""
    folder = work_dir(repo)
    index = repo.git_dir / "index"
    backup = folder / "index.orig"
    faults.reached("visible-step")
    _take_index_lock(repo)
    try:
        if index.exists():
            shutil.copy2(index, backup)
        saved = _save_converted(repo, change)
        head = repo.head_file()
        journal = {
            "format": FORMAT,
            "files": {path: [_plain(change.before.get(path)), _plain(entry)]
                      for path, entry in change.files.items()},
            "new_dirs": _missing_dirs(repo.root, change.files),
            "index": [repo.index_digest(index), repo.index_digest(change.index)],
            "refs": {ref: [current, new] for ref, (new, current) in change.refs.items()},
            "head": [head, change.head or head],
            "git_files": dict(change.git_files),
            "saved": saved,
        }
        _write_atomically(folder / JOURNAL, json.dumps(journal, indent=1).encode())
    except BaseException:
        _release_index_lock(repo)
        raise
    checkpoint()
    try:
        for path, entry in _removals_first(change.files):
            if not worktree.holds(repo.root / path, change.before.get(path), repo):
                raise ProjectError(f"{path} changed while paved update ran")
            worktree.put(repo, path, entry, change.contents.get(path))
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
    except BaseException as error:
        left = _roll_back(repo, journal)
        if left and isinstance(error, Exception):
            raise ProjectError(f"the update was rolled back ({_first_line(error)}); left as "
                               f"they are: {'; '.join(left)}; run paved update again") from error
        raise
    (folder / JOURNAL).unlink()
    backup.unlink(missing_ok=True)
    for name in saved.values():
        (folder / name).unlink(missing_ok=True)
    _release_index_lock(repo)


@contextmanager
def locked(repo: Repository) -> Iterator[None]:
    """Hold the repo for one update: one paved update at a time, an interrupted one rolled
    back first (or a `ProjectError` saying why it cannot be)."""
    folder = work_dir(repo)
    try:
        lock = locks.take(folder / LOCK)
    except locks.Busy as busy:
        who = f" (process {busy.holder})" if busy.holder else ""
        raise ProjectError(f"another paved update{who} is working on this repo; wait for it "
                           "to finish") from None
    try:
        faults.reached("repo-locked")
        recover(repo)
        yield
    finally:
        locks.release(lock)
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty: another update may be taking the lock


def recover(repo: Repository) -> bool:
    """Roll back an update that was interrupted; True when there was one to roll back.

    Call it holding the lock (`locked`). Raises `ProjectError`, touching nothing,
    when the repo moved on from the interrupted update; after a rollback that had
    to leave something changed since, raises it naming what was kept.
    """
    folder = work_dir(repo)
    path = folder / JOURNAL
    if not path.is_file():
        _remove_leftovers(repo)
        return False
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        if journal.get("format") != FORMAT:
            raise ValueError("format")
    except (OSError, ValueError, AttributeError):
        raise ProjectError(f"an interrupted update left {path}, which this paved cannot read; "
                           f"check git status and git log, then remove {folder}") from None
    built_on = _built_on(repo, journal)
    if built_on:
        raise ProjectError(
            f"an interrupted paved update was not rolled back, to keep your work: {built_on}; "
            f"nothing was changed. Check git status and git log, keep what you want, then "
            f"remove {path} and run paved update again")
    left = _roll_back(repo, journal)
    if left:
        raise ProjectError(f"rolled back an interrupted paved update, except what changed "
                           f"since (kept as it is): {'; '.join(left)}; check it, then run paved "
                           "update again")
    return True


def _built_on(repo: Repository, journal: Mapping[str, Any]) -> str:
    """Why the repo has moved on from the interrupted update ("" when it has not)."""
    before, after = journal["index"]
    if repo.index_digest(repo.git_dir / "index") not in (before, after):
        return "the index changed since (a commit, git add or checkout)"
    if repo.head_file() not in journal["head"]:
        return "HEAD changed since"
    for ref, (_, new) in journal["refs"].items():
        current = repo.resolve_ref(ref)
        if new and current not in (new, None) and repo.is_ancestor(new, current):
            return f"{ref} has commits on top of the update's commit {new[:12]}"
    return ""


def _save_converted(repo: Repository, change: Change) -> dict[str, str]:
    """Copies of the files the update replaces whose bytes are not their blob's (git
    converts them: `.gitattributes` `eol=crlf`…), so that a rollback puts back those
    bytes and not the blob's. Path -> the copy's name in the work dir."""
    saved: dict[str, str] = {}
    for number, path in enumerate(sorted(change.files)):
        old, target = change.before.get(path), repo.root / path
        if old is None or old[0] == "120000" or target.is_symlink() or not target.is_file():
            continue
        data = target.read_bytes()
        if blob_sha(data) != old[1]:
            saved[path] = f"before-{number}"
            _write_atomically(work_dir(repo) / saved[path], data)
    return saved


def _roll_back(repo: Repository, journal: Mapping[str, Any]) -> list[str]:
    """Put back what still holds what the update wrote; name what was left (changed since)."""
    left: list[str] = []
    files = {name: (_entry(old), _entry(new)) for name, (old, new) in journal["files"].items()}
    changed = []
    for name, (old, new) in sorted(files.items(), key=lambda item: (item[1][0] is not None,
                                                                     item[0])):
        target = repo.root / name
        _remove_staging(repo, target, new)
        if worktree.holds(target, old, repo):
            continue
        if not worktree.holds(target, new, repo):
            changed.append(name)
            continue
        try:
            worktree.put(repo, name, old, _saved(repo, journal.get("saved", {}).get(name)),
                         prune=False)  # a folder that was there stays
        except (OSError, ProjectError) as error:
            left.append(f"{name} could not be restored ({_first_line(error)})")
    if changed:
        shown = ", ".join(changed[:_SHOWN]) + (" …" if len(changed) > _SHOWN else "")
        left.append(f"your version of {shown}")
    for folder_name in sorted(journal["new_dirs"], key=len, reverse=True):
        directory = repo.root / folder_name
        if directory.is_dir() and not directory.is_symlink() and not any(directory.iterdir()):
            directory.rmdir()
    index, backup = repo.git_dir / "index", work_dir(repo) / "index.orig"
    before, after = journal["index"]
    if before != after and repo.index_digest(index) == after:
        if before is None:
            index.unlink()
        else:
            os.replace(backup, index)
    for name, text in journal["git_files"].items():
        written = repo.git_dir / name
        if written.is_file() and written.read_text(encoding="utf-8") == text:
            written.unlink()
    left += _roll_back_refs(repo, journal["refs"])
    old_head, new_head = journal["head"]
    if old_head != new_head and repo.head_file() == new_head:
        repo.set_head(old_head)
    (work_dir(repo) / JOURNAL).unlink()
    _remove_leftovers(repo)
    return left


def _saved(repo: Repository, name: str | None) -> bytes | None:
    """The bytes `_save_converted` kept under `name`, if it kept any."""
    copy = work_dir(repo) / name if name else None
    return copy.read_bytes() if copy is not None and copy.is_file() else None


def _roll_back_refs(repo: Repository, refs: Mapping[str, list[str | None]]) -> list[str]:
    ours: dict[str, tuple[str | None, str | None]] = {}
    left = []
    for ref, (old, new) in refs.items():
        current = repo.resolve_ref(ref)
        if current == new and new != old:
            ours[ref] = (old, new)  # back to old, only if it still holds new
        elif current != old:
            left.append(f"{ref}, which another process moved to {(current or 'nothing')[:12]}")
    if ours:
        try:
            repo.update_refs(ours)
        except GitError as error:
            left.append(f"{', '.join(ours)} (moved by another process just now: "
                        f"{_first_line(error)})")
    return left


def _remove_leftovers(repo: Repository) -> None:
    """With no update under way, whatever is in the work dir was left by a killed one."""
    folder = work_dir(repo)
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name == LOCK or entry.name.startswith(f"{LOCK}."):
                continue  # ours, or another process's lock in the making
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    _release_index_lock(repo)


def _take_index_lock(repo: Repository) -> None:
    """Take git's `index.lock` as git does (created whole: written aside, then linked)."""
    lock = repo.git_dir / "index.lock"
    staging = work_dir(repo) / "index.lock.new"
    staging.write_text(_INDEX_LOCK_MARK, encoding="utf-8")
    deadline = time.monotonic() + _INDEX_LOCK_WAIT
    try:
        while True:
            try:
                os.link(staging, lock)
                return
            except FileExistsError:
                if time.monotonic() > deadline:
                    raise ProjectError(f"git is working in this repo ({lock} exists); wait for "
                                       "it to finish, or remove that file if no git process is "
                                       "running") from None
                time.sleep(0.02)  # a git command holds it for a moment
    finally:
        staging.unlink()


def _release_index_lock(repo: Repository) -> None:
    lock = repo.git_dir / "index.lock"
    try:
        if lock.read_text(encoding="utf-8") == _INDEX_LOCK_MARK:
            lock.unlink()
    except (OSError, UnicodeDecodeError):
        pass  # none, or git's own: not ours to remove


def _removals_first(files: Mapping[str, Entry | None]) -> list[tuple[str, Entry | None]]:
    """Removals before writes, so a file may become a folder and a folder a file."""
    return sorted(files.items(), key=lambda item: (item[1] is not None, item[0]))


def _remove_staging(repo: Repository, target: Path, new: Entry | None) -> None:
    """A `.paved-new` file a killed update left beside `target`, if it is what it wrote."""
    staging = target.with_name(target.name + worktree.NEW_SUFFIX)
    if new is not None and (staging.is_symlink() or staging.is_file()) and \
            worktree.holds(staging, new, repo):
        staging.unlink()


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


def _plain(entry: Entry | None) -> list[str] | None:
    return list(entry) if entry else None


def _entry(value: list[str] | None) -> Entry | None:
    return (value[0], value[1]) if value else None


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".tmp")
    with staging.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(staging, path)
