"""Locks that die with their holder: a file that appears already locked, owner inside.

A lock is written under a temporary name with its owner's process id, locked
with flock(2), and only then linked to its name: link(2) fails when a lock is
there, so two processes never both take it, and nobody ever sees a lock that
is empty or half-written (issue 21, item 8). Whether the holder still runs is
asked of the kernel, not guessed from process ids (reused) or ages: a process
that dies, even by SIGKILL, drops its flock. A lock left by a dead process is
broken by whoever takes its flock first, so two processes never both break it
and then both go ahead.

Used for the update lock of a repo (`paved.update.journal`), the workspaces of
a fleet run (`paved.fleet.workspace`) and scratch space (`paved.scratch`).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from paved import faults

_ATTEMPTS = 5  # a lock that changes hands this often while we look is simply busy


@dataclass(frozen=True)
class Lock:
    path: Path
    descriptor: int


class Busy(Exception):
    """A live process holds the lock; `holder` is its process id when it could be read."""

    def __init__(self, path: Path, holder: int | None) -> None:
        super().__init__(f"{path} is held by process {holder}")
        self.path = path
        self.holder = holder


def take(path: Path) -> Lock:
    """Take the lock at `path` now, or raise `Busy`."""
    for _ in range(_ATTEMPTS):
        path.parent.mkdir(parents=True, exist_ok=True)  # its last holder may have removed it
        if not _clear(path):
            break
        lock = _create(path)
        if lock is not None:
            return lock
    raise Busy(path, holder(path))


def wait(path: Path) -> Lock:
    """Take the lock at `path`, waiting for its holder to let go of it."""
    while True:
        try:
            return take(path)
        except Busy:
            faults.reached(f"{path.name}-wait")
            _wait_for_release(path)


@contextmanager
def held(path: Path, *, block: bool = False) -> Iterator[Lock]:
    lock = wait(path) if block else take(path)
    try:
        yield lock
    finally:
        release(lock)


def release(lock: Lock) -> None:
    """Remove the lock file (only if it is still ours), then drop the flock."""
    try:
        if _same_file(lock.path, lock.descriptor):
            lock.path.unlink()
    finally:
        os.close(lock.descriptor)


def holder(path: Path) -> int | None:
    """The process id written in the lock at `path`, when there is one to read."""
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def is_held(path: Path) -> bool:
    """True when a live process holds the lock at `path`."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


@contextmanager
def stale(path: Path) -> Iterator[bool]:
    """Yield True, holding its flock, when the lock at `path` is there and nobody holds it.

    The caller removes what the dead holder left (its scratch directory), then
    the lock file is removed before its flock is dropped.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        faults.reached(f"{path.name}-break")  # e.g. `lock-break`: the update lock
        # Another process may have broken this lock and made its own since we opened it.
        if not _same_file(path, descriptor):
            yield False
            return
        yield True
        if _same_file(path, descriptor):
            path.unlink()
    finally:
        os.close(descriptor)


def _clear(path: Path) -> bool:
    """True when no live process holds `path` (a lock a dead process left is removed)."""
    if not path.exists():
        return True
    with stale(path) as is_stale:
        return is_stale


def _create(path: Path) -> Lock | None:
    """Our lock at `path`, or None when another process put one there first."""
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.",
                                                 suffix=".tmp")
    except FileNotFoundError:
        return None  # its folder went away just now: look again
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody else knows this file
        os.write(descriptor, f"{os.getpid()}\n".encode())
        os.link(temporary, path)
    except (FileExistsError, FileNotFoundError):
        os.close(descriptor)
        return None
    except BaseException:
        os.close(descriptor)
        raise
    finally:
        Path(temporary).unlink(missing_ok=True)
    return Lock(path, descriptor)


def _wait_for_release(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH)  # returns once the holder let go
    finally:
        os.close(descriptor)


def _same_file(path: Path, descriptor: int) -> bool:
    try:
        on_disk, ours = os.stat(path), os.fstat(descriptor)
    except FileNotFoundError:
        return False
    return (on_disk.st_dev, on_disk.st_ino) == (ours.st_dev, ours.st_ino)
