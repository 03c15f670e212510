"""Scratch space that the next run cleans up, whatever ended the last one.

Each paved process keeps its temporary files in a directory of its own under
`<cache>/scratch/` (`area()`; the CLI makes it the default for `tempfile`, so
the temporary files of copier and of every render go there too), held by a
lock (`paved.locks`). The next process to start removes the areas whose
process is gone, SIGKILL included, so nothing piles up in /tmp or beside a
project (issue 21, item 18). `beside(target)` does the same for a directory
that must be on the destination's file system: the staging of `paved new`
when the cache is on another one.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from paved import config, locks

_RUN_PREFIX = "run-"
# (process id, scratch root, its area): a forked child, or a new cache dir, makes its own.
_current: tuple[int, Path, Path] | None = None


def area() -> Path:
    """This process's scratch directory, made (and stale ones swept) on first use."""
    global _current
    root = config.cache_dir() / "scratch"
    if _current is not None and _current[:2] == (os.getpid(), root):
        return _current[2]
    root.mkdir(parents=True, exist_ok=True)
    sweep(root, _RUN_PREFIX)
    path, lock = _claim(root, _RUN_PREFIX)
    atexit.register(_give_back, path, lock, os.getpid())
    _current = (os.getpid(), root, path)
    return path


def use_for_temporary_files() -> None:
    """Make this process's area the default directory of `tempfile` (when the cache allows)."""
    with contextlib.suppress(OSError):  # unwritable cache: temporary files stay where they were
        tempfile.tempdir = str(area())


@contextmanager
def beside(target: Path) -> Iterator[Path]:
    """A hidden directory next to `target` (`.NAME.paved-…`), swept by the next run if left."""
    prefix = f".{target.name}.paved-"
    sweep(target.parent, prefix)
    path, lock = _claim(target.parent, prefix)
    try:
        yield path
    finally:
        _give_back(path, lock, os.getpid())


def same_file_system(first: Path, second: Path) -> bool:
    return os.stat(first).st_dev == os.stat(second).st_dev


def sweep(parent: Path, prefix: str) -> None:
    """Remove the directories named `prefix…` in `parent` whose process is gone."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix) or not entry.name.endswith(".lock"):
            continue
        with locks.stale(entry) as is_stale:
            if is_stale:
                shutil.rmtree(entry.with_name(entry.name.removesuffix(".lock")),
                              ignore_errors=True)
    for entry in entries:
        # A directory outlives its lock only when its owner was killed while removing it.
        if entry.name.startswith(prefix) and entry.is_dir() and not entry.is_symlink() \
                and not entry.with_name(f"{entry.name}.lock").exists():
            shutil.rmtree(entry, ignore_errors=True)


def _claim(parent: Path, prefix: str) -> tuple[Path, locks.Lock]:
    # The lock comes first and goes last: a directory without one is never in use.
    name = f"{prefix}{os.getpid()}-{os.urandom(4).hex()}"
    lock = locks.take(parent / f"{name}.lock")
    path = parent / name
    try:
        path.mkdir(mode=0o700)
    except BaseException:
        locks.release(lock)
        raise
    return path, lock


def _give_back(path: Path, lock: locks.Lock, owner: int) -> None:
    if os.getpid() != owner:
        return  # a forked child leaving: the area is its parent's
    shutil.rmtree(path, ignore_errors=True)
    locks.release(lock)
