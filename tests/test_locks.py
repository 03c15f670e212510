"""`paved.locks`: a lock appears whole and held; only a lock nobody holds is stale."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from paved import locks
from tests.helpers import ROOT


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



def test_a_lock_is_made_with_the_folders_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "repo" / ".git" / "paved" / "lock"
    with locks.held(path):
        assert locks.holder(path) == os.getpid()
    assert sorted(p.name for p in (tmp_path / "repo/.git/paved").iterdir()) == []


def test_releasing_a_lock_removed_by_hand_is_quiet(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    lock = locks.take(path)
    path.unlink()
    locks.release(lock)
    assert not path.exists()


@pytest.mark.parametrize("made", ["before", "after"])
def test_releasing_never_removes_a_lock_file_that_is_not_ours(tmp_path: Path,
                                                              made: str) -> None:
    """Whichever way the file system numbers the two files (inodes), only ours is removed."""
    path, other = tmp_path / "lock", tmp_path / "other"
    if made == "before":
        other.write_text("1\n")
    lock = locks.take(path)
    if made == "after":
        other.write_text("1\n")
    os.replace(other, path)  # someone else's lock now stands where ours was
    locks.release(lock)
    assert path.read_text() == "1\n"


def test_only_a_lock_nobody_holds_is_stale(tmp_path: Path) -> None:
    """What `paved.scratch` asks before removing what a dead process left."""
    path = tmp_path / "lock"
    with locks.stale(path) as is_stale:
        assert is_stale is False  # no lock at all: nothing to clean up
    with locks.held(path):
        with locks.stale(path) as is_stale:
            assert is_stale is False  # held by a live process
        assert path.exists()
    path.write_text("12\n")  # left by a process that died
    with locks.stale(path) as is_stale:
        assert is_stale is True
    assert not path.exists()


def test_a_lock_broken_and_taken_by_another_meanwhile_is_not_stale(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, faults = tmp_path / "lock", tmp_path / "faults"
    path.write_text("")  # left by a process that died
    faults.mkdir()
    monkeypatch.setenv("PAVED_TEST_FAULTS", str(faults))
    monkeypatch.setenv("PAVED_TEST_PAUSE_AT", "lock-break")
    seen: list[bool] = []

    def look() -> None:
        with locks.stale(path) as is_stale:
            seen.append(is_stale)

    looking = threading.Thread(target=look)
    looking.start()
    wait_for(faults / "lock-break.reached")  # it holds the dead lock's flock
    path.unlink()  # another process broke it (as `stale` does) and took its own
    monkeypatch.delenv("PAVED_TEST_PAUSE_AT")
    other = locks.take(path)
    (faults / "lock-break.go").touch()
    looking.join(timeout=60)
    assert seen == [False]
    assert locks.is_held(path)
    locks.release(other)


HOLD = """
import sys
from pathlib import Path
from paved import locks
lock = locks.take(Path(sys.argv[1]))
print("taken", flush=True)
sys.stdin.readline()
locks.release(lock)
"""


def test_a_blocking_lock_waits_for_its_holder_to_let_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a fleet run's workspace does (`held(block=True)`); `held` alone refuses at once."""
    path, faults = tmp_path / "lock", tmp_path / "faults"
    faults.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == "taken\n"
    with pytest.raises(locks.Busy) as busy, locks.held(path):
        pass
    assert busy.value.holder == holder.pid
    monkeypatch.setenv("PAVED_TEST_FAULTS", str(faults))
    monkeypatch.setenv("PAVED_TEST_PAUSE_AT", "lock-wait")

    def let_go() -> None:
        wait_for(faults / "lock-wait.reached")  # the waiter found it busy
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
        (faults / "lock-wait.go").touch()

    letting_go = threading.Thread(target=let_go)
    letting_go.start()
    with locks.held(path, block=True) as lock:
        assert lock.path == path
        assert locks.holder(path) == os.getpid()
    letting_go.join(timeout=60)
    assert holder.returncode == 0
    assert not path.exists()


def wait_for(path: Path) -> None:
    """Until `path` exists (a fault point reached); a generous limit only stops a hung test."""
    for _ in range(6000):
        if path.exists():
            return
        time.sleep(0.01)
    raise AssertionError(f"{path.name} never appeared")
