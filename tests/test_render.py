from __future__ import annotations

from pathlib import Path

import pytest

from paved import render
from paved.catalog import open_catalog
from paved.create import paved_context, render_golden_path
from paved.questions import resolve_answers, template_context
from tests.helpers import evolving_catalog


def _files(root: Path) -> dict[str, tuple[bytes, bool]]:
    return {path.relative_to(root).as_posix(): (path.read_bytes(),
                                                bool(path.stat().st_mode & 0o100))
            for path in sorted(root.rglob("*")) if path.is_file()}


def _render_both(source: str, data: dict[str, str], tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, tuple[bytes, bool]], ...]:
    catalog = open_catalog(source)
    golden_path = catalog.golden_path(None)
    answers = resolve_answers(catalog.questions, data, catalog_root=catalog.root,
                              context=paved_context(catalog, golden_path))
    results = []
    for renderer in ("plain", "copier"):
        monkeypatch.setenv(render.RENDERER_ENV, renderer)
        dest = tmp_path / renderer
        dest.mkdir()
        render_golden_path(catalog, golden_path, answers, dest, trust=False)
        results.append(_files(dest))
    return tuple(results)


def test_the_plain_renderer_renders_the_bundled_catalog_exactly_as_copier(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, copier = _render_both("bundled", {"service_name": "payments-api"}, tmp_path,
                                 monkeypatch)
    assert plain == copier
    assert "src/payments_api/main.py" in plain


def test_the_plain_renderer_renders_a_test_catalog_exactly_as_copier(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = evolving_catalog(tmp_path / "catalog")
    plain, copier = _render_both(str(catalog), {"service_name": "demo"}, tmp_path,
                                 monkeypatch)
    assert plain == copier
    assert plain["region.txt"] == (b"eu hi\n", False)


def test_the_bundled_catalog_needs_no_copier(tmp_path: Path) -> None:
    catalog = open_catalog("bundled")
    golden_path = catalog.golden_path(None)
    context = template_context(catalog.questions, {"service_name": "svc"},
                               catalog_root=catalog.root,
                               context=paved_context(catalog, golden_path))
    for layer in catalog.layers_of(golden_path):
        data = {**context, render.LAYER_VARIABLE: layer.path}
        assert render._render_plain(catalog.root, data) is not None, layer.name


def test_copier_renders_what_the_plain_renderer_does_not_support(tmp_path: Path) -> None:
    catalog = evolving_catalog(tmp_path / "catalog", versions=1)
    copier_yml = catalog / "copier.yml"
    copier_yml.write_text(copier_yml.read_text() + "_envops:\n  keep_trailing_newline: false\n")
    assert render._render_plain(catalog, {"paved_layer": "layers/core"}) is None
