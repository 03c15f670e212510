"""The fleet case's pure helpers: what an update changed, copier's shell loop, growth."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import fleet


def test_changed_files_lists_rewritten_added_and_removed_paths_with_new_content() -> None:
    before = {"README.md": b"old\n", "same.txt": b"x\n", "gone.txt": b"bye\n"}
    after = {"README.md": b"new\n", "same.txt": b"x\n", "added.txt": b"hi\n"}
    assert fleet.changed_files(before, after) == {
        "README.md": hashlib.sha1(b"new\n").hexdigest(),
        "added.txt": hashlib.sha1(b"hi\n").hexdigest(),
        "gone.txt": "removed",
    }


def test_changed_files_of_an_untouched_tree_is_empty() -> None:
    assert fleet.changed_files({"a": b"1"}, {"a": b"1"}) == {}


def test_shell_loop_quotes_every_part_and_stops_at_the_first_failure(tmp_path: Path) -> None:
    repos = [tmp_path / "one repo", tmp_path / "two", tmp_path / "three"]
    for repo in repos:
        repo.mkdir()
    log = tmp_path / "log"
    script = f"echo \"$1\" >> '{log}'; test \"$(basename \"$1\")\" != two"
    command = fleet.shell_loop(["sh", "-c", script, "check"], repos)
    assert command[:2] == ["sh", "-c"]
    assert subprocess.run(command).returncode == 1
    assert log.read_text().splitlines() == [str(repos[0]), str(repos[1])]


def test_growth_is_the_slope_from_the_smallest_to_the_largest_fleet() -> None:
    assert fleet.growth([10, 50, 100], [5.0, 24.0, 50.0]) == pytest.approx(0.5)


@pytest.mark.parametrize(("sizes", "seconds"), [([10], [5.0]), ([10, 10], [1.0, 2.0]),
                                                ([10, 100], [1.0])])
def test_growth_refuses_what_has_no_slope(sizes: list[int], seconds: list[float]) -> None:
    with pytest.raises(ValueError, match="at least two fleet sizes"):
        fleet.growth(sizes, seconds)


def test_the_release_edits_two_files_of_the_base_layer_and_adds_one() -> None:
    base = ROOT / "templates" / "layers" / "base"
    assert [(base / path).is_file() for path in fleet.CHANGE] == [True, True, False]
