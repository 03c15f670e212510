"""The upgrade step, with a stand-in for `paved.update.update.update_project` (issue 5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from paved.authoring.trial import run_trial
from paved.catalog import open_catalog
from paved.project import read_record
from paved.update import update
from tests.helpers import commit_all, git
from tests.template_catalogs import MANIFEST, small_catalog

pytestmark = pytest.mark.usefixtures("validators_pass")


@dataclass(frozen=True)
class FakeUpdate:
    conflicts: tuple[str, ...] = ()
    files: tuple[str, ...] = ("README.md",)


@dataclass
class Updater:
    """Records each call and what the project and target catalog looked like."""

    result: FakeUpdate
    calls: list[dict[str, Any]] = field(default_factory=list)
    brings_new_files: bool = True

    def __call__(self, path: Path, *, to: str, data: dict[str, Any], trust: bool) -> FakeUpdate:
        record = read_record(path)
        target = open_catalog(record.catalog, version=to)
        self.calls.append({
            "from": record.version, "to": target.version, "data": data,
            "notes": (path / "NOTES.md").read_text(),
            "dirty": git(path, "status", "--porcelain"),
            "target_has_new_file": (target.root / "layers/base/NEW.md").is_file(),
        })
        if self.brings_new_files:
            (path / "NEW.md").write_text((target.root / "layers/base/NEW.md").read_text())
            commit_all(path, "Update")
        return self.result


def install(monkeypatch: pytest.MonkeyPatch, updater: Updater) -> None:
    """Stand in for `paved update` (tests/update/test_update.py tests the real one)."""
    monkeypatch.setattr(update, "update_project", updater)


@pytest.fixture
def released(tmp_path: Path) -> Path:
    manifest = MANIFEST.replace("    test_command: test -s README.md\n",
                                "    test_command: test -s README.md\n"
                                "    upgrade_edits: tests/team-edits\n")
    root = small_catalog(tmp_path / "catalog", {"paved-catalog.yml": manifest,
                                                "tests/team-edits/NOTES.md": "ours\n"})
    commit_all(root, "First", tag="v1.0.0")
    (root / "layers/base/NEW.md").write_text("uncommitted\n")
    return root


def test_the_previous_release_with_team_edits_is_updated_to_the_working_tree(
        released: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    updater = Updater(FakeUpdate())
    install(monkeypatch, updater)
    result = run_trial(released, skip_tests=True)
    steps = [run.steps[3] for run in result.renders]
    assert [(step.status, step.detail) for step in steps] == [
        ("passed", "1.0.0 → working tree with 1 team edit(s): 1 file(s) updated, "
                   "no conflict")] * 2
    assert updater.calls == [
        {"from": "1.0.0", "to": "1.0.0+worktree", "data": {}, "notes": "ours\n", "dirty": "",
         "target_has_new_file": True},
        {"from": "1.0.0", "to": "1.0.0+worktree", "data": {"port": 9000}, "notes": "ours\n",
         "dirty": "", "target_has_new_file": True},
    ]
    assert git(released, "tag") == "v1.0.0\n"  # the catalog itself is left alone


def test_conflicts_fail_the_step(released: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, Updater(FakeUpdate(conflicts=("README.md", "NOTES.md"))))
    result = run_trial(released, golden_path="svc", skip_tests=True)
    assert not result.passed
    assert (result.renders[0].steps[3].status, result.renders[0].steps[3].detail) == (
        "failed", "paved update 1.0.0 → working tree left conflicts in: README.md, NOTES.md")


def test_skipped_without_a_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, Updater(FakeUpdate()))
    root = small_catalog(tmp_path / "c")
    commit_all(root, "Unreleased")
    step = run_trial(root, skip_tests=True).renders[0].steps[3]
    assert (step.status, step.detail) == ("skipped", "no released version to upgrade from")


def test_a_golden_path_new_since_the_release_is_skipped(
        released: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from paved.authoring.scaffold import scaffold

    install(monkeypatch, Updater(FakeUpdate()))
    scaffold(released, "worker", layer=False)
    step = run_trial(released, golden_path="worker", trust=True).renders[0].steps[3]
    assert (step.status, step.detail) == ("skipped", "golden path worker is new since 1.0.0")


def test_files_a_fresh_render_has_must_arrive(released: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, Updater(FakeUpdate(), brings_new_files=False))
    # The test step's own output (here build/) is not part of the render.
    manifest = released / "paved-catalog.yml"
    manifest.write_text(manifest.read_text().replace("test -s README.md",
                                                     "mkdir build && touch build/out"))
    step = run_trial(released, trust=True).renders[0].steps[3]
    assert (step.status, step.detail) == (
        "failed", "after paved update 1.0.0 → working tree, 1 file(s) of a fresh render are "
                  "missing: NEW.md")
