"""`paved template test` against a catalog nobody vouched for (issue 21, items 5 and 6):
its test_command runs only with trust, and DIR is checked before it is copied."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from paved import sandbox
from paved.authoring import trial
from tests.helpers import run_cli
from tests.hostile import SENTINEL, hostile_catalog

REFUSAL = ("paved: error: catalog {catalog} declares a test_command (\"touch '{sentinel}'\") "
           "that runs through the shell as you: pass --trust if you trust this catalog, or "
           "--skip-tests\n")

pytestmark = pytest.mark.usefixtures("validators_tools")


def catalog_with_test_command(tmp_path: Path) -> tuple[Path, Path]:
    sentinel = tmp_path / SENTINEL
    catalog = hostile_catalog(tmp_path / "catalog", {
        "paved-catalog.yml": f"golden_paths:\n  svc:\n    layers: [core]\n"
                             f"    test_command: touch '{sentinel}'\nlayers:\n  core: {{}}\n"})
    return catalog, sentinel


def test_a_test_command_needs_trust(tmp_path: Path) -> None:
    catalog, sentinel = catalog_with_test_command(tmp_path)
    result = run_cli(["template", "test", str(catalog)])
    assert (result.exit_code, result.stdout, result.stderr) == (
        1, "", REFUSAL.format(catalog=catalog, sentinel=sentinel))
    assert not sentinel.exists()


def test_a_test_workflow_needs_trust_too(tmp_path: Path) -> None:
    sentinel = tmp_path / SENTINEL
    workflow = ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                f"      - run: touch '{sentinel}'\n")
    catalog = hostile_catalog(tmp_path / "catalog", {
        "paved-catalog.yml": "golden_paths:\n  svc:\n    layers: [core]\n"
                             "    test_workflow: ci.yml\nlayers:\n  core: {}\n",
        "layers/core/ci.yml": workflow})
    result = run_cli(["template", "test", str(catalog)])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", (
        f"paved: error: catalog {catalog} declares a test_workflow ('ci.yml') that runs "
        "through the shell as you: pass --trust if you trust this catalog, or --skip-tests\n"))
    assert not sentinel.exists()


def test_skip_tests_needs_no_trust(tmp_path: Path) -> None:
    catalog, sentinel = catalog_with_test_command(tmp_path)
    result = run_cli(["template", "test", str(catalog), "--skip-tests"])
    assert result.exit_code == 0, result.stderr
    assert not sentinel.exists()


def test_trust_runs_the_test_command(tmp_path: Path) -> None:
    catalog, sentinel = catalog_with_test_command(tmp_path)
    result = run_cli(["template", "test", str(catalog), "--trust"])
    assert result.exit_code == 0, result.stderr
    assert sentinel.exists()


def test_a_trusted_catalog_runs_its_test_command(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    catalog, sentinel = catalog_with_test_command(tmp_path)
    (tmp_path / "config.yml").write_text(f"trusted_catalogs:\n  - {catalog}\n")
    monkeypatch.setenv("PAVED_CONFIG", str(tmp_path / "config.yml"))
    assert run_cli(["template", "test", str(catalog)]).exit_code == 0
    assert sentinel.exists()


def test_the_bundled_catalog_runs_its_test_command(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    catalog, sentinel = catalog_with_test_command(tmp_path)
    monkeypatch.setattr(trial, "bundled_root", lambda: catalog)  # stands in for templates/
    assert trial.run_trial(catalog).passed
    assert sentinel.exists()


def test_the_help_says_testing_runs_the_catalogs_code() -> None:
    help_text = " ".join(run_cli(["template", "test", "--help"]).stdout.split())
    assert "Testing a catalog runs its code: its test_command, through the shell, as you." \
        in help_text


# --- item 6: check DIR first, never copy into itself, bound the copy ------------------

@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file copied, by name."""
    copied: list[str] = []
    real_file, real_tree = shutil.copy2, shutil.copytree

    def copy_file(source: Any, target: Any, **kwargs: Any) -> Any:
        copied.append(Path(source).name)
        return real_file(source, target, **kwargs)

    def copy_tree(source: Any, target: Any, **kwargs: Any) -> Any:
        copied.append(f"{Path(source).name}/")
        return real_tree(source, target, **kwargs)

    monkeypatch.setattr(shutil, "copy2", copy_file)
    monkeypatch.setattr(shutil, "copytree", copy_tree)
    return copied


def test_a_folder_that_is_no_catalog_is_refused_before_anything_is_copied(
        tmp_path: Path, copies: list[str]) -> None:
    (tmp_path / "not-a-catalog/big").mkdir(parents=True)
    (tmp_path / "not-a-catalog/big/file").write_text("x")
    result = run_cli(["template", "test", str(tmp_path / "not-a-catalog")])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: {tmp_path / 'not-a-catalog'} is not a catalog: it has no "
           f"copier.yml\n")
    assert copies == []


def test_a_catalog_holding_the_scratch_folder_is_not_copied_into_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", git=False)
    (catalog / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(catalog / "tmp"))  # as `template test /tmp`
    result = run_cli(["template", "test", str(catalog), "--skip-tests", "--json"])
    assert result.exit_code == 0, result.stderr
    assert [path.name for path in (catalog / "tmp").iterdir()] == []


def test_a_catalog_copy_is_bounded_in_files(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = hostile_catalog(tmp_path / "catalog",
                              {f"layers/core/file{n}": "x" for n in range(5)}, git=False)
    monkeypatch.setattr(sandbox, "MAX_FILES", 4)
    result = run_cli(["template", "test", str(catalog), "--skip-tests"])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: {catalog} holds more than 4 files or 100 MiB; is it really a "
           f"catalog? refusing to copy it\n")


def test_a_catalog_copy_is_bounded_in_bytes(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", {"layers/core/big": "x" * 2 ** 21},
                              git=False)
    monkeypatch.setattr(sandbox, "MAX_BYTES", 2 ** 20)
    result = run_cli(["template", "test", str(catalog), "--skip-tests"])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: {catalog} holds more than 10,000 files or 1 MiB; is it really a "
           f"catalog? refusing to copy it\n")


def test_a_released_version_is_bounded_too(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = hostile_catalog(tmp_path / "catalog",
                              {f"layers/core/file{n}": "x" for n in range(5)})
    monkeypatch.setattr(sandbox, "MAX_FILES", 4)
    result = run_cli(["new", "service", "svc", "--defaults", "--catalog", str(catalog),
                      "--dest", str(tmp_path / "svc")])
    assert result.exit_code == 1
    assert result.stderr.endswith(" holds more than 4 files or 100 MiB; refusing to "
                                  "extract it\n")
    assert not (tmp_path / "svc").exists()
