from __future__ import annotations

from pathlib import Path

from paved.check.currency import minor_versions_behind
from paved.check.rule import Status
from tests.check.fixture_repo import change, results, where
from tests.helpers import bundled_catalog_repo, commit_all


def _catalog(tmp_path: Path, *tags: str) -> Path:
    catalog = bundled_catalog_repo(tmp_path / "catalog", tag="v0.1.0")
    for tag in tags:
        commit_all(catalog, f"release {tag}", tag=tag)
    return catalog


def test_three_minor_versions_behind_fails_by_default(repo: Path, tmp_path: Path) -> None:
    catalog = _catalog(tmp_path, "v0.2.0", "v0.3.0", "v0.4.0")
    change(repo, ".paved.yml", "catalog: bundled", f"catalog: {catalog}")
    result = results(repo)["currency/golden-path-version"]
    assert result.status is Status.FAIL
    assert result.message == ("golden path python-service at 0.1.0, 3 minor version(s) behind "
                              "0.4.0 (allowed: 2)")
    assert where(result) == [(".paved.yml", 2)]


def test_the_allowed_lag_is_configurable(repo: Path, tmp_path: Path) -> None:
    catalog = _catalog(tmp_path, "v0.2.0", "v0.3.0", "v0.4.0")
    change(repo, ".paved.yml", "catalog: bundled", f"catalog: {catalog}")
    assert results(repo, max_minor_behind=3)["currency/golden-path-version"].status \
        is Status.PASS


def test_an_unreachable_catalog_is_not_applicable(repo: Path, tmp_path: Path) -> None:
    change(repo, ".paved.yml", "catalog: bundled", f"catalog: {tmp_path / 'gone'}")
    result = results(repo)["currency/golden-path-version"]
    assert result.status is Status.NOT_APPLICABLE
    assert result.message.startswith(f"cannot compare with catalog {tmp_path / 'gone'}: ")


def test_patch_releases_do_not_count() -> None:
    assert minor_versions_behind("1.2.0", ("1.2.0", "1.2.5", "1.3.0", "1.3.1", "2.0.0")) == 2


def test_a_fresh_repo_is_current(repo: Path) -> None:
    result = results(repo)["currency/golden-path-version"]
    assert (result.status, result.message) == (
        Status.PASS, "golden path python-service at 0.1.0, 0 minor version(s) behind 0.1.0 "
                     "(allowed: 2)")
    assert where(result) == [(".paved.yml", 2)]


def test_older_releases_and_tags_that_are_no_versions_do_not_count() -> None:
    assert minor_versions_behind("v1.2.0", ("v1.0.0", "v1.1.0", "latest", "v1.2.0", "nightly",
                                            "v1.3.0")) == 1
    assert minor_versions_behind("2.0.0", ("1.9.0", "1.10.0")) == 0
