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


def line_of(node: Any, key: Any) -> int | None:
    """The 1-based line of `key` in a loaded mapping (or index in a list), if known."""
    lc: Any = getattr(node, "lc", None)
    try:
        line = lc.key(key)[0] if isinstance(node, dict) else lc.item(key)[0]
    except (AttributeError, KeyError, IndexError, TypeError):
        return None
    return int(line) + 1


def literal(text: str) -> Any:
    """A string dumped as a `|-` block (multi-line Jinja stays readable)."""
    from ruamel.yaml.scalarstring import LiteralScalarString

    return LiteralScalarString(text)


def mapping(items: dict[str, Any] | None = None) -> Any:
    """A new round-trip mapping (keeps key order; takes comments)."""
    from ruamel.yaml.comments import CommentedMap

    return CommentedMap(items or {})


def add_entry(container: Any, key: str, value: Any, *, comment: str = "",
              indent: int = 0) -> None:
    """Add `key: value` at the end of a loaded mapping, after a blank line and `# comment`.

    `indent` is the column of the mapping's keys (0 at the top level).
    """
    container[key] = value
    container.yaml_set_comment_before_after_key(key, before="\n" + comment, indent=indent)
