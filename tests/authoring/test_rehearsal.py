"""The upgrade step of `paved template test`, through the real `paved update` (issue 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paved.authoring.trial import run_trial
from paved.project import read_record
from tests.helpers import commit_all, git
from tests.template_catalogs import MANIFEST, small_catalog

pytestmark = pytest.mark.usefixtures("validators_tools")

UPDATE = "1.0.0 → working tree"


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """A catalog released as v1.0.0 whose working tree adds a file to the base layer."""
    manifest = MANIFEST.replace("    test_command: test -s README.md\n",
                                "    test_command: test -s README.md\n"
                                "    upgrade_edits: tests/team-edits\n")
    root = small_catalog(tmp_path / "catalog", {"paved-catalog.yml": manifest,
                                                "tests/team-edits/NOTES.md": "ours\n"})
    commit_all(root, "First", tag="v1.0.0")
    (root / "layers/base/NEW.md").write_text("uncommitted\n")
    return root


def upgrade_steps(root: Path, keep: Path, **options: object) -> list[tuple[str, str]]:
    result = run_trial(root, keep=keep, skip_tests=True, **options)  # type: ignore[arg-type]
    return [(run.steps[3].status, run.steps[3].detail) for run in result.renders]


def test_the_previous_release_with_team_edits_is_updated_to_the_working_tree(
        released: Path, tmp_path: Path) -> None:
    renders = tmp_path / "renders"
    assert upgrade_steps(released, renders) == [
        ("passed", f"{UPDATE} with 1 team edit(s): 2 file(s) updated, no conflict")] * 2
    for answer_set, port in (("defaults", 8080), ("other-port", 9000)):
        upgraded = renders / f"svc-{answer_set}-upgrade"
        assert (upgraded / "NEW.md").read_text() == "uncommitted\n"
        assert (upgraded / "NOTES.md").read_text() == "ours\n"  # the team's edit stays
        assert (upgraded / "config/demo.env").read_text() == f"PORT={port}\n"
        assert git(upgraded, "status", "--porcelain") == ""
        assert git(upgraded, "log", "--first-parent", "--format=%s").splitlines() == [
            "Update svc from paved catalog v1.0.0 to v1.0.0+worktree",
            "Typical team edits (paved template test)",
            "Render svc for paved template test"]
        record = read_record(upgraded)
        assert (record.version, record.answers["port"]) == ("1.0.0+worktree", port)
    assert git(released, "tag") == "v1.0.0\n"  # the catalog itself is left alone
    assert git(released, "status", "--porcelain") == "?? layers/base/NEW.md\n"


def test_a_team_edit_the_working_tree_conflicts_with_fails_the_step(
        released: Path, tmp_path: Path) -> None:
    (released / "tests/team-edits/README.md").write_text("# demo\n\nThe team's own words.\n")
    readme = released / "layers/base/README.md.jinja"
    readme.write_text(readme.read_text().replace("{{ paved_golden_path }}.",
                                                 "{{ paved_golden_path }}, now with more."))
    assert upgrade_steps(released, tmp_path / "renders", golden_path="svc") == [
        ("failed", f"paved update {UPDATE} left conflicts in: README.md")] * 2


def test_a_layer_added_since_the_release_arrives_with_the_update(
        released: Path, tmp_path: Path) -> None:
    manifest = released / "paved-catalog.yml"
    manifest.write_text(manifest.read_text().replace(
        "    layers: [base, app]\n", "    layers: [base, app, extra]\n").replace(
        "layers:\n  base:\n", "layers:\n  extra:\n    description: More\n    owner: team-a\n"
                              "    path: layers/extra\n  base:\n"))
    (released / "layers/extra").mkdir()
    (released / "layers/extra/EXTRA.md").write_text("extra\n")
    renders = tmp_path / "renders"
    assert upgrade_steps(released, renders) == [
        ("passed", f"{UPDATE} with 1 team edit(s): 3 file(s) updated, no conflict")] * 2
    assert (renders / "svc-defaults-upgrade/EXTRA.md").read_text() == "extra\n"


def test_skipped_without_a_release(tmp_path: Path) -> None:
    root = small_catalog(tmp_path / "c")
    commit_all(root, "Unreleased")
    assert upgrade_steps(root, tmp_path / "renders", golden_path="svc",
                         answer_set="defaults") == [
        ("skipped", "no released version to upgrade from")]


def test_a_golden_path_new_since_the_release_is_skipped(released: Path, tmp_path: Path) -> None:
    from paved.authoring.scaffold import scaffold

    scaffold(released, "worker", layer=False)
    step = run_trial(released, golden_path="worker", trust=True).renders[0].steps[3]
    assert (step.status, step.detail) == ("skipped", "golden path worker is new since 1.0.0")


def test_a_file_the_update_failed_to_bring_fails_the_step(
        released: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real update, made to lose a file of the new release: the step's safety net for
    # a defect of `paved update` itself.
    from paved.update import update

    real = update.update_project

    def losing(path: Path, **options: Any) -> Any:
        result = real(path, **options)
        git(path, "rm", "--quiet", "NEW.md")
        commit_all(path, "lose NEW.md")
        return result

    monkeypatch.setattr(update, "update_project", losing)
    assert upgrade_steps(released, tmp_path / "renders", golden_path="svc") == [
        ("failed", f"after paved update {UPDATE}, 1 file(s) of a fresh render are missing: "
                   "NEW.md")] * 2
