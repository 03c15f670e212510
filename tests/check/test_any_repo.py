"""Repositories paved never saw, and hostile input: sensible results, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from paved.check import run_check
from paved.check.rule import Status
from paved.check.settings import MAX_FILE_BYTES
from paved.errors import InputError
from tests.helpers import build_file_tree


def test_a_plain_python_library(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"README.md": "# lib\n", "lib/__init__.py": "X = 1\n"})
    report = run_check(tmp_path)
    statuses = {r.id: r.status for r in report.results}
    assert not report.paved
    assert statuses["currency/golden-path-version"] is Status.NOT_APPLICABLE
    assert statuses["rollback/workflow"] is Status.NOT_APPLICABLE
    assert statuses["isolation/outbound-timeouts"] is Status.NOT_APPLICABLE
    assert statuses["ownership/owner"] is Status.FAIL
    assert Status.ERROR not in statuses.values()


def test_an_empty_directory(tmp_path: Path) -> None:
    report = run_check(tmp_path)
    assert Status.ERROR not in {r.status for r in report.results}


def test_hostile_files_are_skipped_and_noted(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {
        ".paved.yml": "catalog: [\n",
        "deploy/bad.yaml": "apiVersion: apps/v1\nkind: Deployment\n  : : :\n",
        "deploy/list.yaml": "- 1\n- 2\n",
        "deploy/odd.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec: 3\n",
        "deploy/odd2.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: x\n"
                            "spec:\n  template:\n    spec:\n      containers: [3, {name: a}]\n",
        ".github/workflows/odd.yml": "jobs: 3\n",
        ".github/workflows/odd2.yml": "on: push\njobs:\n  a:\n    steps: [1, {uses: x}]\n",
        "src/broken.py": "import httpx\ndef (:\n",
        "Dockerfile": "\n",
    })
    (tmp_path / "src/binary.py").write_bytes(b"\0\1\2")
    (tmp_path / "src/huge.py").write_text("import httpx\n" * (MAX_FILE_BYTES // 13 + 1))
    (tmp_path / "src/latin1.py").write_bytes("import requests\nx = 'é'\n".encode("latin-1"))
    report = run_check(tmp_path)
    assert Status.ERROR not in {r.status for r in report.results}, [
        r.message for r in report.results if r.status is Status.ERROR]
    assert not report.paved
    skipped = {item.path: item.reason for item in report.skipped}
    assert skipped == {
        ".paved.yml": "invalid YAML: did not find expected node content (line 2)",
        "deploy/bad.yaml": "invalid YAML: expected <block end>, but found '<block mapping "
                           "start>' (line 3)",
        "src/binary.py": "binary",
        "src/broken.py": "not valid Python",
        "src/huge.py": f"larger than {MAX_FILE_BYTES} bytes (max-file-bytes)",
        "src/latin1.py": "unreadable or not UTF-8",
    }


def test_a_file_is_not_a_repository(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="is not a directory"):
        run_check(tmp_path / "file")
