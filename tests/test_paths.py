"""Path patterns follow git's .gitignore rules, not fnmatch's."""

from __future__ import annotations

from pathlib import Path

import pytest

from paved import paths
from paved.catalog import load
from paved.errors import CatalogError
from tests.template_catalogs import MANIFEST, small_catalog


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("src/*/settings.py", "src/pkg/settings.py", True),
    ("src/*/settings.py", "src/pkg/platform/settings.py", False),  # fnmatch said True
    ("src/*/platform/**", "src/pkg/platform/settings.py", True),
    ("src/*/platform/**", "src/pkg/platform/sub/deep.py", True),
    ("Makefile", "docs/Makefile", True),  # no slash: any depth
    ("/Makefile", "docs/Makefile", False),
    ("/Makefile", "Makefile", True),
    (".github/workflows/*.yml", ".github/workflows/ci.yml", True),
    (".github/workflows/*.yml", ".github/workflows/old/ci.yml", False),
    ("deploy/", "deploy/base/kustomization.yaml", True),
])
def test_gitignore_semantics(pattern: str, path: str, expected: bool) -> None:
    assert paths.matches((pattern,), path) is expected


def test_negation_and_which_patterns_match() -> None:
    patterns = ("src/**", "!src/*/api.py", "src/*/api.py")
    assert paths.matches(patterns[:2], "src/pkg/api.py") is False
    assert paths.matching(patterns, "src/pkg/api.py") == ("src/**", "src/*/api.py")
    assert paths.invalid(["src/**", "!", "ok"]) == "!"
    assert paths.invalid(["src/**"]) is None


def test_a_catalog_with_an_invalid_pattern_is_refused(tmp_path: Path) -> None:
    manifest = MANIFEST.replace("    path: layers/app\n",
                                "    path: layers/app\n    once: [config/*.env, '!']\n")
    root = small_catalog(tmp_path, {"paved-catalog.yml": manifest})
    with pytest.raises(CatalogError) as raised:
        load(root, source=str(root), version="1.0.0")
    assert str(raised.value) == (f"catalog {root}, paved-catalog.yml: layer 'app': once pattern "
                                 "'!' is not a valid gitignore-style pattern")
    manifest = MANIFEST.replace("    path: layers/app\n", "    path: layers/app\n    once: x\n")
    root = small_catalog(tmp_path, {"paved-catalog.yml": manifest})
    with pytest.raises(CatalogError, match=r": layer 'app': once must be a list of path "
                                           r"patterns$"):
        load(root, source=str(root), version="1.0.0")
