"""paved's own Markdown renders as written: every code fence is closed where it should be."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
HEADING = re.compile(r"^#{2,6} ")


def misplaced_fence(text: str) -> int | None:
    """The line of a fence that swallows the page: never closed, or closed only after a
    section heading (an opening fence left unclosed turns the next fence into its end)."""
    opened: tuple[str, int] | None = None
    swallowed = False
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if opened is None:
            if match:
                opened, swallowed = (match.group(1), number), False
            continue
        if match and match.group(1)[0] == opened[0][0] \
                and len(match.group(1)) >= len(opened[0]) and not match.group(2).strip():
            if swallowed:
                return opened[1]
            opened = None
        elif HEADING.match(line):
            swallowed = True
    return opened[1] if opened else None


@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_no_code_fence_swallows_the_page(path: Path) -> None:
    assert misplaced_fence(path.read_text(encoding="utf-8")) is None


def test_a_fence_left_open_is_found() -> None:
    assert misplaced_fence("text\n```sh\npaved check\n") == 2
    assert misplaced_fence("```sh\npaved check\n\n## next\n\n```\npaved update\n```\n") == 1
    assert misplaced_fence("```sh\na\n```\n~~~\n# a comment\nb\n~~~\n## c\n") is None
