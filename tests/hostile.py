"""Malicious catalogs for the security tests: small local git repositories, built per test.

`hostile_catalog(root, files)` is a one-layer catalog (golden path `svc`, layer
`core` in `layers/core`) whose files `files` add to or replace; every malicious
variant in tests/ is this catalog plus the few files that make it hostile.
`SENTINEL` is a file a hostile catalog tries to create through a hook, a task or
a test command: a test proves nothing ran by its absence.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.helpers import CORE_COPIER, CORE_MANIFEST, build_file_tree, commit_all

COPIER = CORE_COPIER
MANIFEST = CORE_MANIFEST
BASE = {
    "copier.yml": COPIER,
    "paved-catalog.yml": MANIFEST,
    "layers/core/README.md.jinja": "# {{ service_name }}\n",
}
SENTINEL = "pwned"


def hostile_catalog(root: Path, files: Mapping[str, str] | None = None, *,
                    tag: str | None = "v1.0.0", git: bool = True,
                    executable: tuple[str, ...] = ()) -> Path:
    """The small catalog with `files` added (or replacing its own), committed and tagged;
    the files named in `executable` are made executable first (hooks)."""
    build_file_tree(root, {**BASE, **(files or {})})
    for name in executable:
        (root / name).chmod(0o755)
    if git:
        commit_all(root, "catalog", tag=tag)
    return root


def hook(sentinel: Path) -> str:
    """A shell script that leaves `sentinel` behind when it runs."""
    return f"#!/bin/sh\ntouch '{sentinel}'\n"
