"""The one module that touches ruamel.yaml.

Two ways in: `load`/`loads` read plain data fast (ruamel's C-accelerated safe
loader) for everything paved only reads; `load_document`/`dump` keep comments,
order and quoting for files paved edits in place (a catalog manifest, say).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from paved.errors import InputError


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _parse(parser: YAML, text: str, source: str) -> Any:
    try:
        return parser.load(text)
    except YAMLError as error:
        raise _invalid(error, source) from error


def _invalid(error: YAMLError, source: str) -> InputError:
    mark = getattr(error, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark is not None else source
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return InputError(f"{where}: invalid YAML: {problem}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error


def loads(text: str, *, source: str = "<string>") -> Any:
    """Plain data (dicts, lists, scalars) from YAML text; errors name `source` and line."""
    return _parse(YAML(typ="safe"), text, source)


def load(path: Path) -> Any:
    """Plain data from a YAML file."""
    return loads(_read(path), source=str(path))


def load_document(path: Path) -> Any:
    """A YAML file as an editable document that keeps its comments for `dump`."""
    return _parse(_round_trip(), _read(path), str(path))


def dumps(data: Any) -> str:
    stream = io.StringIO()
    _round_trip().dump(data, stream)
    return stream.getvalue()


def dump(data: Any, path: Path) -> None:
    path.write_text(dumps(data), encoding="utf-8")


def plain(data: Any) -> Any:
    """Turn round-trip containers into plain dicts, lists and scalars."""
    if isinstance(data, dict):
        return {str(key): plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [plain(item) for item in data]
    if isinstance(data, bool):
        return bool(data)
    if isinstance(data, str):
        return str(data)
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
        raise _invalid(error, source) from error


def loads_all_with_lines(text: str, *, source: str = "<string>") -> list[Any]:
    """Every document of a multi-document YAML text, keeping positions for `line_of`."""
    try:
        return [document for document in _round_trip().load_all(text)
                if document is not None]
    except YAMLError as error:
        raise _invalid(error, source) from error


def line_of(node: Any, key: Any = None) -> int | None:
    """The 1-based line where `key` (a mapping key or list index) of `node` starts.

    Without `key`, the line of `node` itself. None when the node was not read
    from text (plain values carry no position).
    """
    positions = getattr(node, "lc", None)
    if positions is None:
        return None
    try:
        if key is None:
            return int(positions.line) + 1
        if isinstance(node, list):
            return int(positions.item(key)[0]) + 1
        return int(positions.key(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return int(positions.line) + 1


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
