"""The one module that touches ruamel.yaml: round-trip YAML that keeps comments."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from paved.errors import InputError


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def loads(text: str, *, source: str = "<string>") -> Any:
    """Parse YAML text; a syntax error becomes an `InputError` naming `source`."""
    try:
        return _yaml().load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{where}: invalid YAML: {problem}") from error


def load(path: Path) -> Any:
    """Parse a YAML file (comments kept for a later `dump`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
    return loads(text, source=str(path))


def dumps(data: Any) -> str:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()


def dump(data: Any, path: Path) -> None:
    path.write_text(dumps(data), encoding="utf-8")


def plain(data: Any) -> Any:
    """Turn ruamel's round-trip containers into plain dicts, lists and scalars."""
    if isinstance(data, dict):
        return {str(key): plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [plain(item) for item in data]
    if isinstance(data, str):
        return str(data)
    if isinstance(data, bool):
        return bool(data)
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    return data


def loads_all(text: str, *, source: str = "<string>") -> list[Any]:
    """Parse a multi-document YAML stream (such as `kubectl kustomize` output) into plain data."""
    try:
        return [plain(document) for document in YAML(typ="safe").load_all(text)
                if document is not None]
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{where}: invalid YAML: {problem}") from error
