"""What a repository says about how `paved check` reads it: `[tool.paved.check]` in
`pyproject.toml`, or `check:` in `.paved.yml` (the same keys; `.paved.yml` wins key by key).

```toml
[tool.paved.check]
extend-exclude = ["generated/", "*_pb2.py"]   # gitignore-style, added to the defaults
exclude = ["node_modules/", ".venv/"]         # replaces the defaults (rarely wanted)
respect-gitignore = true                      # files git ignores are not read
max-file-bytes = 1000000                      # larger files are not read (and say so)
```

Both files are the repository's, so both are hostile input: a value of the wrong
type is a one-line `InputError`, and unknown keys are refused (a typo would
otherwise silently check what the team meant to exclude).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paved import yaml
from paved.errors import InputError
from paved.project import RECORD_FILE

PYPROJECT = "pyproject.toml"
#: Trees that hold someone else's code or build output, skipped as linters skip them
#: (ruff's default excludes, plus `vendor/` and `third_party/`).
DEFAULT_EXCLUDE = (
    ".git/", ".hg/", ".svn/", ".bzr/", ".venv/", "venv/", ".direnv/", ".tox/", ".nox/",
    "node_modules/", "__pycache__/", "__pypackages__/", ".mypy_cache/", ".ruff_cache/",
    ".pytest_cache/", ".pytype/", ".eggs/", "site-packages/", "build/", "dist/", "_build/",
    "buck-out/", "vendor/", "third_party/",
)
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class CheckConfig:
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    max_file_bytes: int = MAX_FILE_BYTES
    sources: tuple[str, ...] = ()  # the files it was read from


def read_config(root: Path) -> CheckConfig:
    """The check settings of the repository at `root` (defaults where it says nothing)."""
    values: dict[str, Any] = {}
    sources = []
    for name, table in ((PYPROJECT, _from_pyproject(root / PYPROJECT)),
                        (RECORD_FILE, _from_record(root / RECORD_FILE))):
        if table is not None:
            values.update(_validated(table, name))
            sources.append(name)
    return CheckConfig(**values, sources=tuple(sources))


def _from_pyproject(path: Path) -> Mapping[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # not ours to judge: the project's own tools report a broken file
    tool = data.get("tool")
    paved = tool.get("paved") if isinstance(tool, dict) else None
    table = paved.get("check") if isinstance(paved, dict) else None
    if table is not None and not isinstance(table, dict):
        raise InputError(f"{PYPROJECT}: [tool.paved.check] must be a table")
    return table


def _from_record(path: Path) -> Mapping[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = yaml.plain(yaml.load(path))
    except InputError:
        return None  # the currency rule and the notes report a broken record
    table = data.get("check") if isinstance(data, dict) else None
    if table is not None and not isinstance(table, dict):
        raise InputError(f"{RECORD_FILE}: check: must be a mapping")
    return table


def _validated(table: Mapping[str, Any], source: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{source}: check setting {key!r}"
        if key in ("exclude", "extend-exclude"):
            if not isinstance(value, list) or not all(isinstance(item, str) and item.strip()
                                                      for item in value):
                raise InputError(f"{where} must be a list of gitignore-style patterns")
            found[key.replace("-", "_")] = tuple(item.strip() for item in value)
        elif key == "respect-gitignore":
            if not isinstance(value, bool):
                raise InputError(f"{where} must be true or false")
            found["respect_gitignore"] = value
        elif key == "max-file-bytes":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"{where} must be a positive number of bytes")
            found["max_file_bytes"] = value
        else:
            raise InputError(f"{where} is unknown; known: exclude, extend-exclude, "
                             "respect-gitignore, max-file-bytes")
    return found
