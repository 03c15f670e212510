"""`paved.scratch`: each process's area is its own; what dead processes left is swept."""

from __future__ import annotations

import os
from pathlib import Path

from paved import locks, scratch


def test_sweep_removes_only_what_no_live_process_holds(tmp_path: Path) -> None:
    dead = tmp_path / "run-1-dead"
    (dead / "deep").mkdir(parents=True)
    (dead / "deep" / "file").write_text("left by a killed run\n")
    (tmp_path / "run-1-dead.lock").write_text("1\n")  # nobody holds it
    orphan = tmp_path / "run-2-orphan"  # its owner was killed while removing it
    orphan.mkdir()
    other = tmp_path / "keep-me"
    other.mkdir()
    live = tmp_path / "run-3-live"
    live.mkdir()
    with locks.held(tmp_path / "run-3-live.lock"):
        scratch.sweep(tmp_path, "run-")
        assert sorted(path.name for path in tmp_path.iterdir()) == [
            "keep-me", "run-3-live", "run-3-live.lock"]


def test_the_area_is_per_process_and_per_cache() -> None:
    area = scratch.area()
    assert area.parent == Path(os.environ["PAVED_CACHE_DIR"]) / "scratch"
    assert area.name.startswith(f"run-{os.getpid()}-")
    assert scratch.area() == area
    assert locks.is_held(area.with_name(f"{area.name}.lock"))


def test_beside_is_hidden_next_to_the_target_and_gone_afterwards(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    with scratch.beside(target) as staging:
        assert staging.parent == tmp_path
        assert staging.name.startswith(".svc.paved-")
        assert staging.stat().st_mode & 0o777 == 0o700
    assert list(tmp_path.iterdir()) == []
