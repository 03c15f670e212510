from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from paved.authoring.lint import lint_catalog
from paved.authoring.scaffold import scaffold
from paved.authoring.trial import run_trial
from paved.catalog import bundled_root, load
from paved.errors import CatalogError, InputError
from tests.helpers import build_file_tree, tree
from tests.template_catalogs import PLAIN_COPIER, small_catalog

pytestmark = pytest.mark.usefixtures("validators_tools")


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(bundled_root(), tmp_path / "catalog"))


def test_a_new_layer_joins_a_golden_path_and_passes_lint(bundled_copy: Path) -> None:
    before = tree(bundled_copy)
    result = scaffold(bundled_copy, "dashboards", layer=True, golden_path="python-service")
    assert (result.kind, result.question) == ("layer", "dashboards_summary")
    assert result.created == ("layers/dashboards/docs/dashboards.md.jinja",
                              "partials/provenance.jinja")
    assert result.changed == ("paved-catalog.yml", "copier.yml")
    after = tree(bundled_copy)
    # Round-trip edits: every original line and comment is still there, in order.
    assert after["copier.yml"].startswith(before["copier.yml"])
    assert "# The paved catalog manifest" in after["paved-catalog.yml"]
    assert "layers: [base, python-service, ci-github, deploy-k8s, dashboards]" in \
        after["paved-catalog.yml"]
    assert after["paved-catalog.yml"].endswith(
        "  # Added by `paved template init dashboards`.\n"
        "  dashboards:\n"
        "    description: What the dashboards layer adds (say it here)\n"
        "    owner: platform-team\n"
        "    path: layers/dashboards\n"
        "    produces:\n"
        "      - docs/dashboards.md\n")
    assert after["copier.yml"][len(before["copier.yml"]):] == (
        "\n# Asked by the dashboards layer (added by `paved template init dashboards`).\n"
        "dashboards_summary:\n"
        "  type: str\n"
        "  help: One line on what the dashboards layer adds to this service.\n"
        "  default: The dashboards layer of the catalog.\n"
        "  validator: |-\n"
        "    {%- if not dashboards_summary.strip() -%}\n"
        "    must not be empty\n"
        "    {%- elif '\\n' in dashboards_summary -%}\n"
        "    must be one line\n"
        "    {%- endif -%}\n")
    assert after["layers/dashboards/docs/dashboards.md.jinja"] == (
        '{% from "partials/provenance.jinja" import provenance -%}\n'
        "# dashboards\n\n{{ dashboards_summary }}\n\n"
        '{{ provenance("dashboards", paved_golden_path, paved_catalog_version) }}\n')
    assert lint_catalog(bundled_copy).errors == 0


def test_a_new_golden_path_gets_its_own_layer_and_test_declaration(tmp_path: Path) -> None:
    root = small_catalog(tmp_path)
    result = scaffold(root, "worker", layer=False, owner="team-w", description="A worker")
    assert (result.kind, result.created) == ("golden path", (
        "layers/worker/docs/worker.md.jinja", "partials/provenance.jinja"))
    worker = load(root, source="t", version="0").golden_paths["worker"]
    # The catalog's base layer comes first when there is one.
    assert (worker.layers, worker.owner, worker.description) == (("base", "worker"),
                                                                 "team-w", "A worker")
    assert worker.test_matrix == {"defaults": {}}
    assert worker.test_command == "test -s docs/worker.md"
    assert lint_catalog(root).findings == ()
    trial = run_trial(root, golden_path="worker", trust=True)
    statuses = {step.name: step.status for step in trial.renders[0].steps}
    assert (statuses["render"], statuses["test"], trial.passed) == ("passed", "passed", True)


def test_an_existing_shared_partial_is_reused(tmp_path: Path) -> None:
    root = small_catalog(tmp_path, {"partials/provenance.jinja": "kept\n"})
    result = scaffold(root, "extra", layer=True)
    assert result.created == ("layers/extra/docs/extra.md.jinja",)
    assert (root / "partials/provenance.jinja").read_text() == "kept\n"


@pytest.mark.parametrize(("name", "layer", "golden_path", "message"), [
    ("Bad_Name", True, None, "invalid name 'Bad_Name': use lowercase letters, digits and "
     "single dashes, starting with a letter (for example payments-dashboards)"),
    ("base", True, None, "layer 'base' already exists in paved-catalog.yml"),
    ("svc", False, None, "golden path 'svc' already exists in paved-catalog.yml"),
    ("extra", True, "nope", "no golden path 'nope' to add the layer to; the catalog has: svc"),
    ("extra", False, "svc", "--golden-path goes with --layer: it names the golden path the "
     "new layer joins"),
])
def test_refusals(tmp_path: Path, name: str, layer: bool, golden_path: str | None,
                  message: str) -> None:
    root = small_catalog(tmp_path)
    before = tree(root)
    with pytest.raises(InputError) as raised:
        scaffold(root, name, layer=layer, golden_path=golden_path)
    assert str(raised.value) == message
    assert tree(root) == before


def test_refuses_an_existing_folder_or_question(tmp_path: Path) -> None:
    root = small_catalog(tmp_path, {"layers/extra/x": ""})
    with pytest.raises(InputError, match=r"^layers/extra already exists$"):
        scaffold(root, "extra", layer=True)
    (root / "copier.yml").write_text((root / "copier.yml").read_text()
                                     + "other_summary:\n  type: str\n  help: h\n  default: d\n")
    with pytest.raises(InputError, match=r"^question 'other_summary' already exists"):
        scaffold(root, "other", layer=True)


def test_needs_a_paved_catalog(tmp_path: Path) -> None:
    build_file_tree(tmp_path, PLAIN_COPIER)
    with pytest.raises(CatalogError) as raised:
        scaffold(tmp_path, "extra", layer=True)
    assert str(raised.value) == (f"{tmp_path} is not a paved catalog: it has no "
                                 "paved-catalog.yml (a plain copier template has exactly one "
                                 "golden path)")
