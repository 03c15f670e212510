"""Extra rules a catalog ships in `checks/`: run only when the catalog is trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from paved.check import run_check, trusted_catalog
from paved.check.options import CheckOptions
from paved.check.rule import Status
from paved.errors import CatalogError
from tests.check.fixture_repo import change
from tests.helpers import build_file_tree, bundled_catalog_repo, commit_all

EXTRA = '''\
from paved.check.rule import Rule, Severity, failed, passed


def check(repo):
    if (repo.root / "SECURITY.md").is_file():
        return passed("found")
    return failed("no SECURITY.md")


RULES = (Rule("acme/security-policy", "acme", "A security policy exists", "why",
              Severity.HIGH, "add SECURITY.md", check),)
'''


def _catalog_with_rules(tmp_path: Path, source: str = EXTRA) -> Path:
    catalog = bundled_catalog_repo(tmp_path / "catalog")
    build_file_tree(catalog, {"checks/acme.py": source})
    commit_all(catalog, "extra rules", tag="v0.1.1")
    return catalog


def test_rules_of_an_untrusted_catalog_are_not_run(repo: Path, tmp_path: Path) -> None:
    catalog = _catalog_with_rules(tmp_path)
    change(repo, ".paved.yml", "catalog: bundled", f"catalog: {catalog}")
    report = run_check(repo)
    assert "acme/security-policy" not in {r.id for r in report.results}
    assert report.notes == (f"catalog {catalog} ships 1 rule module(s) in checks/ that were "
                            "not run: pass --trust if you trust it",)


def test_rules_of_a_trusted_catalog_run_in_their_own_area(repo: Path, tmp_path: Path) -> None:
    catalog = _catalog_with_rules(tmp_path)
    report = run_check(repo, CheckOptions(catalog=str(catalog), trust=True))
    [extra] = [r for r in report.results if r.id == "acme/security-policy"]
    assert (extra.status, extra.message) == (Status.FAIL, "no SECURITY.md")
    assert report.areas[-1].area == "acme" and report.areas[-1].score == 0


def test_a_catalog_rule_clashing_with_a_builtin_is_refused(repo: Path, tmp_path: Path) -> None:
    catalog = _catalog_with_rules(tmp_path, EXTRA.replace("acme/security-policy",
                                                          "ownership/owner"))
    with pytest.raises(CatalogError, match="defines rule ownership/owner twice"):
        run_check(repo, CheckOptions(catalog=str(catalog), trust=True))


def test_only_the_bundled_catalog_is_trusted_without_trust() -> None:
    assert trusted_catalog("bundled", trust=False)
    assert not trusted_catalog("/some/catalog", trust=False)
    assert trusted_catalog("/some/catalog", trust=True)
