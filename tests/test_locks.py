"""`paved.locks`: a lock appears whole and held; only a lock nobody holds is stale."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paved import locks


def test_a_held_lock_is_busy_and_names_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "work" / "lock"
    lock = locks.take(path)
    assert path.read_text() == f"{os.getpid()}\n"
    assert locks.is_held(path)
    with pytest.raises(locks.Busy) as busy:
        locks.take(path)  # another open file: flock(2) treats it as another taker
    assert busy.value.holder == os.getpid()
    locks.release(lock)
    assert not path.exists()
    assert not locks.is_held(path)
    with locks.held(path):
        assert locks.is_held(path)
    assert list(path.parent.iterdir()) == []  # no temporary file left behind


@pytest.mark.parametrize("content", ["", "12", "not a number\n"])
def test_a_lock_nobody_holds_is_stale_whatever_it_says(tmp_path: Path, content: str) -> None:
    path = tmp_path / "lock"
    path.write_text(content)
    assert not locks.is_held(path)
    with locks.held(path):
        assert locks.holder(path) == os.getpid()


def test_releasing_leaves_a_lock_someone_else_made_alone(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    lock = locks.take(path)
    path.unlink()  # removed by hand while held
    other = locks.take(path)
    locks.release(lock)
    assert locks.is_held(path)
    locks.release(other)

