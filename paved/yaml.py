"""The one module that touches ruamel.yaml.

Two ways in: `load`/`loads` read plain data fast (ruamel's C-accelerated safe
loader) for everything paved only reads; `load_document`/`dump` keep comments,
order and quoting for files paved edits in place (a catalog manifest, say).

Every YAML paved reads comes from someone else (an answers file, a catalog, a
`.paved.yml` a team edits, a repo under check), so every way in is bounded: at
most `MAX_BYTES` of UTF-8 text, and at most `MAX_VALUES` values nested at most
`MAX_DEPTH` deep once aliases are expanded. A loader shares an aliased value
instead of copying it, but whatever walks the data later (`plain`, JSON output,
a render) copies it: nine nested aliases of nine ("billion laughs") are a few
hundred bytes of text and a billion values.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from paved.errors import InputError, one_line


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


MAX_BYTES = 4 * 1024 * 1024
MAX_VALUES = 500_000
MAX_DEPTH = 100


def _parse(parser: YAML, text: str, source: str) -> Any:
    _check_size(text, source)
    _check_nesting(text, source)
    try:
        data = parser.load(text)
    except YAMLError as error:
        raise _invalid(error, source) from error
    except RecursionError as error:
        raise InputError(f"{source}: invalid YAML: nested too deeply") from error
    except (ValueError, OverflowError) as error:  # a 5,000-digit integer, a 13th month
        raise InputError(f"{source}: invalid YAML: a value that cannot be read "
                         f"({one_line(str(error), 80)})") from error
    _check_expansion(data, source)
    return data


def _invalid(error: YAMLError, source: str) -> InputError:
    """One line naming the file and line; never the file's contents (an answers file may be
    any file: ruamel's duplicate-key problem quotes both values)."""
    mark = getattr(error, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark is not None else source
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    problem = problem.split(" with value ")[0]
    return InputError(f"{where}: invalid YAML: {one_line(problem, 120)}")


def _check_size(text: str, source: str) -> None:
    if len(text) > MAX_BYTES:
        raise InputError(f"{source} is larger than {MAX_BYTES // 1024 // 1024} MiB; paved "
                         f"reads no YAML file that large")


def _check_expansion(data: Any, source: str) -> None:
    """Refuse data holding more than MAX_VALUES values, or nested deeper than MAX_DEPTH,
    counting an aliased value once per use, as whatever walks the data later will."""
    count, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise InputError(f"{source} holds more than {MAX_VALUES:,} values once its "
                             f"aliases are expanded; paved reads no YAML that large")
        if isinstance(node, dict):
            children: Any = (item for pair in node.items() for item in pair)
        elif isinstance(node, list | tuple | set):
            children = iter(node)
        else:
            continue
        if depth >= MAX_DEPTH:
            raise InputError(f"{source}: invalid YAML: nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


def _read(path: Path) -> str:
    """The text of `path`: at most MAX_BYTES of UTF-8 (a device or a pipe is read no further)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
    if len(data) > MAX_BYTES:
        _check_size(" " * len(data), str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not UTF-8 text (byte {error.start}); expected "
                         "YAML") from error


def _check_nesting(text: str, source: str) -> None:
    """Refuse text nested deeper than MAX_DEPTH before a loader builds it.

    Loaders build nested values by recursion: ruamel's C loader crashes the process
    (SIGSEGV) some 30,000 levels down, the pure-Python one takes ~10 s to fail with
    RecursionError some 500 levels down. A block level takes at least one column
    or a `- `/`? ` of a line, and a flow level a bracket, so their sum bounds the
    depth; only text that could be deep is scanned (libyaml's scanner, which
    does not recurse), counting the levels its tokens open.
    """
    lines = text.split("\n")
    block = max((len(line) - len(line.lstrip(" ")) + line.count("- ") + line.count("? ")
                 for line in lines), default=0)
    if block + text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    try:
        for token in _tokens(text):
            kind = type(token).__name__
            if kind in _OPENING:
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(f"{source}: invalid YAML: nested deeper than "
                                     f"{MAX_DEPTH} levels")
            elif kind in _CLOSING:
                depth -= 1
    except YAMLError:
        return  # the loader reports it, with its line


_OPENING = frozenset({"FlowSequenceStartToken", "FlowMappingStartToken",
                      "BlockSequenceStartToken", "BlockMappingStartToken"})
_CLOSING = frozenset({"FlowSequenceEndToken", "FlowMappingEndToken", "BlockEndToken"})


def _tokens(text: str) -> Iterator[Any]:
    parser = YAML(typ="safe").Parser
    if hasattr(parser, "get_token"):  # ruamel.yaml.clib's: libyaml's scanner, in C
        scanner: Any = parser(text)
        while (token := scanner.get_token()) is not None:
            yield token
    else:
        yield from YAML(typ="safe", pure=True).scan(text)


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
    documents = _parse_all(YAML(typ="safe"), text, source)
    return [plain(document) for document in documents]


def loads_all_with_lines(text: str, *, source: str = "<string>") -> list[Any]:
    """Every document of a multi-document YAML text, keeping positions for `line_of`."""
    return _parse_all(_round_trip(), text, source)


def _parse_all(parser: YAML, text: str, source: str) -> list[Any]:
    _check_size(text, source)
    _check_nesting(text, source)
    try:
        documents = [document for document in parser.load_all(text) if document is not None]
    except YAMLError as error:
        raise _invalid(error, source) from error
    except RecursionError as error:
        raise InputError(f"{source}: invalid YAML: nested too deeply") from error
    except (ValueError, OverflowError) as error:
        raise InputError(f"{source}: invalid YAML: a value that cannot be read "
                         f"({one_line(str(error), 80)})") from error
    _check_expansion(documents, source)
    return documents


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
