"""zizmor (static analysis of GitHub Actions), the one module that runs it.

Used by the delivery validators (every finding) and by `paved check`'s
`security/actions-pinned` and `security/workflow-permissions`, which take
zizmor's findings of the matching audits instead of checking the same things a
second way. zizmor is looked for next to paved's own Python first (an
unactivated virtual environment, where `pip install zizmor` puts it), then on
PATH; `find` says None when it is not installed and callers say so.

It runs offline, with the repository's own zizmor configuration and
`# zizmor: ignore[…]` comments, as the team's CI would run it; `paved check`
asks for the pedantic persona, so that an image pinned by tag, not by digest,
is reported too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paved.errors import MissingToolError, one_line

NAME = "zizmor"
#: How long one run may take before paved gives up on it (a few workflows take ~0.1 s).
TIMEOUT = 120


@dataclass(frozen=True)
class ZizmorFinding:
    ident: str  # the audit: unpinned-uses, excessive-permissions…
    path: str  # as given to zizmor (relative to the directory it ran in)
    line: int | None
    message: str  # zizmor's annotation of the primary location
    feature: str  # the text at that location
    severity: str


def find() -> str | None:
    """zizmor's path: next to this Python (an unactivated venv) first, then PATH."""
    here = Path(sys.executable).parent / NAME
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which(NAME)


def version(tool: str) -> str:
    done = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False,
                          timeout=TIMEOUT)
    return done.stdout.strip().removeprefix("zizmor ").strip() or "?"


def audit(root: Path, inputs: Sequence[str], *, persona: str = "regular",
          tool: str | None = None) -> list[ZizmorFinding]:
    """zizmor's findings over `inputs` (paths relative to `root`). Raises MissingToolError
    when it is not installed, and RuntimeError with its stderr when its output is no
    report."""
    tool = tool or find()
    if tool is None:
        raise MissingToolError(NAME, "install zizmor (pip install zizmor, pinned in paved's "
                                     "`test` extra)")
    if not inputs:
        return []
    done = subprocess.run([tool, "--offline", "--persona", persona, "--format", "json",
                           *inputs], cwd=root, capture_output=True, text=True, check=False,
                          timeout=TIMEOUT)
    try:
        results = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        results = None
    if not isinstance(results, list) or (done.returncode not in (0, *range(10, 15))
                                         and not results):
        raise RuntimeError(f"zizmor exited with {done.returncode}: "
                           f"{one_line(done.stderr, 500)}")
    return [_finding(result) for result in results if isinstance(result, dict)]


def _finding(result: dict[str, Any]) -> ZizmorFinding:
    locations = result.get("locations") or [{}]
    primary = next((item for item in locations
                    if item.get("symbolic", {}).get("kind") == "Primary"), locations[0])
    symbolic, concrete = primary.get("symbolic", {}), primary.get("concrete", {})
    path = symbolic.get("key", {}).get("Local", {}).get("verbatim_path", "")
    row = concrete.get("location", {}).get("start_point", {}).get("row")
    return ZizmorFinding(ident=str(result.get("ident", "")), path=str(path),
                         line=None if row is None else int(row) + 1,
                         message=str(symbolic.get("annotation", result.get("desc", ""))),
                         feature=str(concrete.get("feature", "")),
                         severity=str(result.get("determinations", {}).get("severity", "")))
