"""A fleet repo's workspace: a clone cached under the paved cache dir and reused.

The first run clones (full history, so the pristine line comes along and
updates merge from the stored base); every later run fetches and resets the
clone to the remote's default branch, whatever an interrupted run left there
(a half-applied update, conflicts, a local update branch).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from paved import config, git
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


def prepare(ref: RepoRef) -> Clone:
    """The repo's clone, fresh from its remote: cloned the first time, reset after."""
    dest = location_of(ref)
    if (dest / ".git").is_dir():
        # An update killed mid-way left its journal; the reset below restores
        # every file and ref from the remote, so the journal has nothing to add.
        shutil.rmtree(dest / ".git" / journal.WORK_DIR, ignore_errors=True)
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
