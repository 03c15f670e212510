"""docs/security.md names the test behind each guarantee: every one it names exists."""

from __future__ import annotations

import ast
import re

from tests.helpers import ROOT

MANIFEST_FIELDS = {"test_command", "test_matrix"}


def test_every_test_the_security_page_names_exists() -> None:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    files = set(re.findall(r"tests/[\w/]+\.py", text))
    defined = set()
    for name in files:
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        defined |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    named = set(re.findall(r"\b(test_\w+)\b(?!\.py)", text)) - MANIFEST_FIELDS
    assert named, "the page names no test"
    assert sorted(named - defined) == []
