from __future__ import annotations

from pathlib import Path

import pytest

from paved.authoring.release import add_section, next_version, release
from paved.errors import CatalogError, InputError, ProjectError
from tests.helpers import commit_all, git
from tests.template_catalogs import small_catalog

CHANGELOG = "# Catalog changelog\n\nIntro.\n\n## 0.1.0\n\n- First release.\n"

pytestmark = pytest.mark.usefixtures("validators_tools")


@pytest.fixture
def catalog_repo(tmp_path: Path) -> Path:
    root = small_catalog(tmp_path / "catalog", {"CHANGELOG.md": CHANGELOG})
    commit_all(root, "First release", tag="v0.1.0")
    (root / "layers/base/NOTES.md").write_text("notes\n")
    commit_all(root, "Add release notes to the base layer")
    (root / "layers/app/static.txt").write_text("changed\n")
    commit_all(root, "Change the app layer's static file")
    return root


def test_release_writes_the_changelog_commits_and_tags(catalog_repo: Path) -> None:
    result = release(catalog_repo, bump="minor", trust=True)
    assert (result.version, result.previous, result.tag, result.tested) == (
        "0.2.0", "0.1.0", "v0.2.0", True)
    assert result.changes == ("Add release notes to the base layer",
                              "Change the app layer's static file")
    assert (catalog_repo / "CHANGELOG.md").read_text() == (
        "# Catalog changelog\n\nIntro.\n\n"
        "## 0.2.0\n\n- Add release notes to the base layer\n"
        "- Change the app layer's static file\n\n"
        "## 0.1.0\n\n- First release.\n")
    assert git(catalog_repo, "log", "-1", "--format=%H%n%B").splitlines() == [
        result.commit, "Release 0.2.0", "", "- Add release notes to the base layer",
        "- Change the app layer's static file", ""]
    assert git(catalog_repo, "cat-file", "-t", "v0.2.0").strip() == "tag"  # annotated
    assert git(catalog_repo, "rev-list", "-n1", "v0.2.0").strip() == result.commit
    assert git(catalog_repo, "status", "--porcelain") == ""


def test_a_second_release_lists_only_the_new_commits(catalog_repo: Path) -> None:
    release(catalog_repo, version="0.2.0", skip_test=True)
    (catalog_repo / "layers/base/NOTES.md").write_text("more notes\n")
    commit_all(catalog_repo, "More notes")
    result = release(catalog_repo, bump="patch", skip_test=True)
    assert (result.version, result.changes, result.tested) == ("0.2.1", ("More notes",), False)
    assert (catalog_repo / "CHANGELOG.md").read_text().startswith(
        "# Catalog changelog\n\nIntro.\n\n## 0.2.1\n\n- More notes\n\n## 0.2.0\n")


def test_the_unreleased_notes_open_the_release_section(catalog_repo: Path) -> None:
    changelog = catalog_repo / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace(
        "## 0.1.0", "## Unreleased\n\n- ci.yml runs `make lint`:\n  two lines.\n\n## 0.1.0"))
    commit_all(catalog_repo, "Say what teams will see")
    release(catalog_repo, bump="minor", skip_test=True)
    assert changelog.read_text() == (
        "# Catalog changelog\n\nIntro.\n\n"
        "## 0.2.0\n\n- ci.yml runs `make lint`:\n  two lines.\n"
        "- Add release notes to the base layer\n- Change the app layer's static file\n"
        "- Say what teams will see\n\n"
        "## 0.1.0\n\n- First release.\n")


def test_refuses_a_dirty_tree(catalog_repo: Path) -> None:
    (catalog_repo / "stray.txt").write_text("x")
    with pytest.raises(ProjectError) as raised:
        release(catalog_repo, bump="patch", trust=True)
    assert str(raised.value) == (f"{catalog_repo} has uncommitted changes (stray.txt); "
                                 "commit or stash them first")
    assert git(catalog_repo, "tag") == "v0.1.0\n"


@pytest.mark.parametrize(("version", "message"), [
    ("0.1.0", "version 0.1.0 is not greater than the latest release 0.1.0"),
    ("0.0.9", "version 0.0.9 is not greater than the latest release 0.1.0"),
    ("1.2", "'1.2' is not a version like 1.2.3"),
])
def test_refuses_a_version_not_above_the_latest(catalog_repo: Path, version: str,
                                                message: str) -> None:
    with pytest.raises(InputError) as raised:
        release(catalog_repo, version=version, trust=True)
    assert str(raised.value) == message


def test_refuses_lint_errors_and_failing_tests(catalog_repo: Path) -> None:
    (catalog_repo / "layers/base/bad.md.jinja").write_text("{{ nope }}\n")
    commit_all(catalog_repo, "Break the base layer")
    with pytest.raises(CatalogError) as raised:
        release(catalog_repo, bump="patch", trust=True)
    assert str(raised.value) == (f"lint found 1 error(s); run `paved template lint "
                                 f"{catalog_repo}` and fix them before releasing")
    git(catalog_repo, "rm", "-q", "layers/base/bad.md.jinja")
    manifest = catalog_repo / "paved-catalog.yml"
    manifest.write_text(manifest.read_text().replace("test -s README.md", "exit 3"))
    commit_all(catalog_repo, "A test command that fails")
    with pytest.raises(CatalogError, match=r"^`paved template test` failed; run it"):
        release(catalog_repo, bump="patch", trust=True)
    assert release(catalog_repo, bump="patch", skip_test=True).version == "0.1.1"


def test_nothing_to_release(catalog_repo: Path) -> None:
    release(catalog_repo, bump="patch", skip_test=True)
    with pytest.raises(InputError, match=r"^nothing to release: no commits to \. since v0\.1\.1$"):
        release(catalog_repo, bump="patch", trust=True)


def test_first_release_creates_the_changelog(tmp_path: Path) -> None:
    root = small_catalog(tmp_path / "c")
    commit_all(root, "Start the catalog")
    result = release(root, bump="minor", skip_test=True)
    assert (result.version, result.previous) == ("0.1.0", None)
    assert (root / "CHANGELOG.md").read_text() == (
        "# Catalog changelog\n\nEvery released version of this catalog, newest first. "
        "`paved update` quotes the\nentries between a repo's version and the new one in its "
        "commit.\n\n## 0.1.0\n\n- Start the catalog\n")


def test_a_catalog_in_a_subdirectory_lists_only_its_own_commits(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    small_catalog(repo / "templates")
    commit_all(repo, "Catalog")
    (repo / "README.md").write_text("x")
    commit_all(repo, "Unrelated change")
    result = release(repo / "templates", version="1.0.0", skip_test=True)
    assert result.changes == ("Catalog",)
    assert git(repo, "show", "--name-only", "--format=", "HEAD").strip() == \
        "templates/CHANGELOG.md"


@pytest.mark.parametrize(("latest", "bump", "expected"), [
    (None, "patch", "0.0.1"), ("1.2.3", "patch", "1.2.4"), ("1.2.3", "minor", "1.3.0"),
    ("1.2.3", "major", "2.0.0"),
])
def test_next_version(latest: str | None, bump: str, expected: str) -> None:
    assert next_version(latest, version=None, bump=bump) == expected


def test_exactly_one_of_version_and_bump() -> None:
    for version, bump in ((None, None), ("1.0.0", "patch")):
        with pytest.raises(InputError, match=r"^give exactly one of --version X\.Y\.Z and "):
            next_version(None, version=version, bump=bump)
    with pytest.raises(InputError, match=r"^--bump must be one of major, minor, patch, "):
        next_version(None, version=None, bump="huge")


def test_add_section_without_any_release() -> None:
    assert add_section("# Log\n", "0.1.0", ["a"]) == "# Log\n\n## 0.1.0\n\n- a\n"
