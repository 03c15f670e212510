"""A fleet repo's workspace: a clone cached under the paved cache dir and reused.

The first run clones (full history, so the pristine line comes along and
updates merge from the stored base); every later run fetches and resets the
clone to the remote's default branch, whatever an interrupted run left there
(a half-applied update, conflicts, a local update branch).

A run holds the workspace (`checked_out`, a lock beside the clone) from the
reset to its last read or push: a second fleet run sharing the cache waits
for it, then finds the first run's work (issue 21, item 13).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from paved import config, faults, git, locks
from paved.errors import GitError
from paved.fleet.sources import RepoRef
from paved.update import journal


@dataclass(frozen=True)
class Clone:
    path: Path
    branch: str  # the remote's default branch, checked out


def root() -> Path:
    return config.cache_dir() / "workspaces"


def location_of(ref: RepoRef) -> Path:
    digest = hashlib.sha256(ref.location.encode()).hexdigest()[:12]
    return root() / f"{ref.name}-{digest}"


@contextmanager
def checked_out(ref: RepoRef) -> Iterator[Clone]:
    """The repo's clone, fresh from its remote, held by this process inside the block."""
    dest = location_of(ref)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with locks.held(dest.with_name(f"{dest.name}.lock"), block=True):
        faults.reached("workspace")
        yield prepare(ref)


@contextmanager
def readable(ref: RepoRef) -> Iterator[Path]:
    """Where read-only commands (status, check) read the repo: a local checkout in place,
    else its workspace, held while they read."""
    in_place = readable_in_place(ref)
    if in_place is not None:
        yield in_place
        return
    with checked_out(ref) as clone:
        yield clone.path


def prepare(ref: RepoRef) -> Clone:
    """The repo's clone, fresh from its remote: cloned the first time, reset after.
    Call it holding the workspace (`checked_out`)."""
    dest = location_of(ref)
    if (dest / ".git").is_dir():
        # An update killed mid-way left its journal (and git's index.lock); the reset
        # below restores every file and ref from the remote, so they have nothing to add.
        shutil.rmtree(dest / ".git" / journal.WORK_DIR, ignore_errors=True)
        (dest / ".git" / "index.lock").unlink(missing_ok=True)
        try:
            return Clone(dest, git.refresh_clone(dest))
        except GitError:
            shutil.rmtree(dest)  # damaged beyond a reset: clone it again
    elif dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    git.clone(ref.location, dest)
    return Clone(dest, git.refresh_clone(dest))


def readable_in_place(ref: RepoRef) -> Path | None:
    """A local checkout that read-only commands (status, check) can read where it is."""
    path = Path(ref.location)
    return path if "://" not in ref.location and (path / ".git").exists() else None
