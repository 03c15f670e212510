"""The bundled catalog passes its own `paved template test` (its lint: tests/cli/test_template.py).

Each answer set of python-service's test matrix (the README's `payments-api`, a
one-letter name on Python 3.11, a 63-character name of many dashes) and of
node-service's (`payments-api`, the longest name on Node 22) is rendered and its
own CI workflow run step by step as GitHub would run it on the first pull
request: `make install` (pip, or `npm ci` from the committed lock file and Chaos
Toolkit), the pinned linters and type checkers, the test suite and the chaos
experiment (`make chaos`, its journal found for upload). Only the image build
(docker) and the jobs needing it are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import NPM_CACHE, PIP_CACHE, ROOT, bundled_catalog_repo, commit_all, run_cli

ANSWER_SETS = [("python-service", "payments-api"), ("python-service", "short-name"),
               ("python-service", "longest-name"), ("node-service", "payments-api"),
               ("node-service", "longest-name")]
CI = ".github/workflows/ci.yml"
BUILD_SKIPPED = ("build / Build the image (not pushed; the deploy workflow builds the "
                 "release): needs docker, which is not run locally")


@pytest.fixture
def shared_pip_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The renders install the same packages: download and build each once for all."""
    monkeypatch.setenv("PIP_CACHE_DIR", str(PIP_CACHE))
    monkeypatch.setenv("npm_config_cache", str(NPM_CACHE))


@pytest.mark.slow
@pytest.mark.parametrize(("golden_path", "answer_set"), ANSWER_SETS)
def test_the_bundled_catalog_passes_its_own_template_test(
        tmp_path: Path, golden_path: str, answer_set: str, shared_pip_cache: None) -> None:
    """The answer set renders, passes the validators and its own CI, and the previous
    release updates to the working tree without a conflict."""
    catalog = bundled_catalog_repo(tmp_path / "catalog", tag="v0.1.0")
    readme = catalog / "layers" / "base" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nSee the platform team's channel for help.\n")
    commit_all(catalog, "Point readers at the platform team")
    # A copy of the bundled catalog is not the bundled catalog: running its
    # test_command needs --trust (docs/security.md).
    result = run_cli(["template", "test", str(catalog), "--golden-path", golden_path,
                      "--answer-set", answer_set, "--json", "--trust"])
    document = json.loads(result.stdout)
    (render,) = document["renders"]
    steps = {step["name"]: (step["status"], step["detail"]) for step in render["steps"]}
    assert {name: value for name, value in steps.items() if value[0] != "passed"} == {}
    assert render["answer_set"] == answer_set
    # The test job (6 steps, 7 with node-service's setup-python for Chaos Toolkit), the chaos
    # job (5 steps, 6 with it) and the build job's checkout.
    passed = 12 if golden_path == "python-service" else 14
    expected = f"{CI}: {passed} step(s) passed; skipped: {BUILD_SKIPPED}"
    if answer_set == "longest-name":  # the rollback drill needs a kind cluster
        expected += "; rollback-drill / (job): needs job build, which was skipped"
    # A machine without the Python or Node.js a render asks for runs the nearest and notes it.
    assert steps["test"][1].split("; note: ")[0] == expected
    assert result.exit_code == 0


def test_an_unknown_answer_set_is_refused() -> None:
    result = run_cli(["template", "test", str(ROOT / "templates"), "--golden-path",
                      "python-service", "--answer-set", "nope"])
    assert (result.exit_code, result.stderr) == (1, (
        "paved: error: no answer set 'nope' in the test_matrix; declared: longest-name, "
        "payments-api, short-name\n"))
