"""copier is the oracle: every fixture template, at every tag, renders the same through
`paved new service` as through `copier copy`, and updates the same through `paved
update` as through `copier update`, with the same answers and the same team edits.

Only the documented differences (docs/copier.md) may remain: `.paved.yml`, the
labels of conflict markers, paved's exit code 3 and commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.copier_compat import fixtures
from tests.copier_compat.drive import (
    PROJECT,
    compat,
    copier_new,
    copier_update,
    differences,
    paved_new,
    paved_update,
)
from tests.copier_compat.fixtures import Fixture


def _ids(fixture: Fixture) -> str:
    return fixture.name


@pytest.mark.parametrize("fixture", fixtures.IDENTICAL, ids=_ids)
def test_new_renders_every_tag_as_copier_does(fixture: Fixture, tmp_path: Path) -> None:
    template = fixtures.build(fixture, tmp_path / "template")
    for tag in fixture.tags:
        copier_project = copier_new(template, tmp_path / "copier" / tag, tag, fixture.answers,
                                    trust=fixture.trust)
        done = paved_new(template, tmp_path / "paved" / tag, tag, fixture.answers,
                         trust=fixture.trust)
        assert done.exit_code == 0, done.stderr
        assert differences(copier_project, tmp_path / "paved" / tag / PROJECT) == [], tag


@pytest.mark.parametrize("fixture", fixtures.IDENTICAL, ids=_ids)
def test_update_merges_as_copier_does(fixture: Fixture, tmp_path: Path) -> None:
    template = fixtures.build(fixture, tmp_path / "template")
    old, new = fixture.tags[0], fixture.tags[-1]
    copier_project = copier_new(template, tmp_path / "copier", old, fixture.answers,
                                trust=fixture.trust)
    done = paved_new(template, tmp_path / "paved", old, fixture.answers, trust=fixture.trust)
    assert done.exit_code == 0, done.stderr
    paved_project = tmp_path / "paved" / PROJECT
    for project in (copier_project, paved_project):
        fixtures.edit(project, fixture.edits)
    copier_update(copier_project, new, fixture.update_data, trust=fixture.trust)
    done = paved_update(paved_project, new, fixture.update_data, trust=fixture.trust)
    fresh = copier_new(template, tmp_path / "fresh", new, fixture.answers, trust=fixture.trust)
    for name in fixture.better_on_update:
        # copier conflicts on its own temporary folder names; paved's result is what a
        # fresh copier render of the new version holds.
        assert compat.conflicted({name: compat.snapshot(copier_project)[name]}) == [name]
        assert (paved_project / name).read_bytes() == (fresh / name).read_bytes()
        (copier_project / name).write_bytes((fresh / name).read_bytes())
    expected_conflicts = compat.conflicted(compat.snapshot(copier_project))
    assert done.exit_code == (3 if expected_conflicts else 0), done.stderr
    assert compat.conflicted(compat.snapshot(paved_project)) == expected_conflicts
    assert differences(copier_project, paved_project) == []


def test_the_context_fixture_updates_with_a_merge_and_a_conflict(tmp_path: Path) -> None:
    """The oracle itself: copier's update of the context fixture merges notes.txt and
    leaves conflict.txt conflicted, so the comparison above covers both; folder.txt
    conflicts too, on copier's temporary folder names (a documented difference)."""
    fixture = fixtures.CONTEXT
    template = fixtures.build(fixture, tmp_path / "template")
    project = copier_new(template, tmp_path / "copier", "v1.0.0", fixture.answers, trust=False)
    fixtures.edit(project, fixture.edits)
    copier_update(project, "v2.0.0", trust=False)
    assert (project / "notes.txt").read_text() == "ONE\ntwo\nTHREE\n"
    assert compat.conflicted(compat.snapshot(project)) == ["conflict.txt", "folder.txt"]
    assert not (project / "old.txt").exists()
    assert "commit: v2.0.0\n" in (project / "README.md").read_text()
