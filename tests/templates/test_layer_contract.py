"""The shared layers became language-neutral without changing python-service repos beyond
what the changelog says (issue 19: base, ci-github and deploy-k8s render from the language
layer's contract)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

from paved.catalog import bundled_root
from tests.helpers import ROOT, commit_all, git, run_cli

#: main before the layer contract (the chaos experiment merged, node-service not yet): the
#: catalog with python-service only (v0.1.0 here).
BEFORE_THE_CONTRACT = "13ec418c64bb5c5477aa2f4522bf68c15716ccf3"
ANSWER_SETS = {
    "payments-api": [],
    "x": ["--data", "lifecycle=production", "--data", "python_version=3.11",
          "--data", "http_port=9000"],
    "a-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b-b":
        ["--data", "rollback_drill=true", "--data", "owner=acme/team-b"],
}


def catalog_before_the_contract(root: Path) -> Path:
    """A catalog repo at v0.1.0: the bundled catalog as main had it before the contract."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar",
                              BEFORE_THE_CONTRACT, "templates"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    catalog = root / "catalog"
    (root / "templates").rename(catalog)
    commit_all(catalog, "catalog before the contract", tag="v0.1.0")
    return catalog


def release_the_contract(catalog: Path) -> None:
    """v0.2.0: the bundled catalog as it is now, its Unreleased changes released."""
    shutil.rmtree(catalog / "templates", ignore_errors=True)
    for entry in catalog.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    shutil.copytree(bundled_root(), catalog, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    changelog = catalog / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## Unreleased", "## 0.2.0", 1))
    commit_all(catalog, "the layer contract and node-service", tag="v0.2.0")


def package(name: str) -> str:
    """The Python package of service `name` (the golden path's `package_name`)."""
    return name.replace("-", "_")


def removed_lines(repo: Path, *paths: str) -> list[str]:
    """The lines the last commit removed from `paths`: what a team would lose or see change."""
    diff = git(repo, "diff", "HEAD~1", "HEAD", "--", *paths)
    return [line for line in diff.splitlines() if line.startswith("-")
            and not line.startswith("---")]


def test_python_repos_update_to_the_contract_with_only_the_changelogs_changes(
        tmp_path: Path) -> None:
    catalog = catalog_before_the_contract(tmp_path)
    for name, answers in ANSWER_SETS.items():
        created = run_cli(["new", "service", name, "--dest", str(tmp_path / name), "--catalog",
                           str(catalog), "--defaults", *answers])
        assert created.exit_code == 0, created.stderr
    release_the_contract(catalog)
    for name in ANSWER_SETS:
        repo = tmp_path / name
        updated = run_cli(["update", str(repo)])
        assert updated.exit_code == 0, updated.stderr
        changed = git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split()
        # The contract's two files, the version lines, and the changelog's other entries of
        # this release: the optional layers' readiness hook, the tests pinning the policy,
        # and the chaos experiment at the shipped defaults with DEADLINE_HEADERS_ENABLED.
        platform = f"src/{package(name)}/platform"
        assert changed == [".github/workflows/ci.yml", ".paved.yml", "Makefile", "README.md",
                           "catalog-info.yaml", "chaos/experiment.json", f"{platform}/app.py",
                           f"{platform}/chaos/activities.py", f"{platform}/faults.py",
                           f"{platform}/health.py", f"{platform}/middleware.py",
                           f"{platform}/settings.py", "tests/test_budget_and_breaker.py",
                           "tests/test_chaos.py", "tests/test_faults.py",
                           "tests/test_instances.py", "tests/test_observability.py",
                           "tests/test_outbound_client.py", "tests/test_server.py"], name
        # README.md and catalog-info.yaml name the catalog version, as every update does.
        assert removed_lines(repo, "README.md", "catalog-info.yaml") == [
            "-(catalog version 0.1.0; see `.paved.yml`).",
            '-    paved.dev/catalog-version: "0.1.0"']
        message = git(repo, "log", "-1", "--format=%B")
        # The changelog the update commit quotes names both files and what changed in them.
        for words in ("`.github/workflows/ci.yml` runs `make lint`", "`make\n  typecheck`",
                      "the `Makefile` gains\n  the `lint`, `typecheck` and `ci` targets",
                      "`platform/app.py` and `platform/health.py`",
                      "`tests/test_budget_and_breaker.py`", "`DEADLINE_HEADERS_ENABLED`"):
            assert words in message, (name, words)
        assert removed_lines(repo, ".github/workflows/ci.yml") == [
            "-# Every pull request: lint, type-check, test, build the image. Pushes to main",
            "-        run: |",
            "-          make install",
            "-          .venv/bin/python -m pip install --quiet ruff==0.8.4 mypy==1.13.0",
            "-        run: .venv/bin/ruff check .",
            "-        run: .venv/bin/mypy src"], name
        assert removed_lines(repo, "Makefile") == [
            "-.PHONY: install test run bench chaos",
            "-\t$(VENV)/bin/python -m pip install --quiet -e '.[test]'",
            "-# `paved check --evidence chaos` reads. About 20 seconds."], name
