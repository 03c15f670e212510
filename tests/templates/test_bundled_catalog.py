"""The bundled catalog passes its own `paved template test` (its lint: tests/cli/test_template.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import bundled_catalog_repo, commit_all, run_cli


@pytest.mark.slow
def test_the_bundled_catalog_passes_its_own_template_test(tmp_path: Path) -> None:
    """Every declared answer set renders, passes the validators and its own tests, and
    the previous release updates to the working tree without a conflict."""
    catalog = bundled_catalog_repo(tmp_path / "catalog", tag="v0.1.0")
    readme = catalog / "layers" / "base" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nSee the platform team's channel for help.\n")
    commit_all(catalog, "Point readers at the platform team")
    # A copy of the bundled catalog is not the bundled catalog: running its
    # test_command needs --trust (docs/security.md).
    result = run_cli(["template", "test", str(catalog), "--json", "--trust"])
    document = json.loads(result.stdout)
    steps = {(run["answer_set"], step["name"]): (step["status"], step["detail"])
             for run in document["renders"] for step in run["steps"]}
    assert {key: value for key, value in steps.items() if value[0] != "passed"} == {}
    assert {answer_set for answer_set, _ in steps} == {"defaults", "production"}
    assert result.exit_code == 0
