"""The only module that writes to the terminal.

Data goes to stdout (text or versioned JSON); status, progress and errors go to
stderr, so `paved … --json | jq` always sees clean JSON.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any, TypeVar

from paved.errors import one_line

T = TypeVar("T")

JSON_SCHEMA_VERSION = 1
#: The longest error line printed: a message is one line, never a file's worth of text.
ERROR_LIMIT = 1000


def to_plain(value: Any) -> Any:
    """Results (frozen dataclasses) to JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_plain(getattr(value, field.name))
                for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(item) for item in value]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def emit_json(result: Any) -> None:
    payload = {"schema_version": JSON_SCHEMA_VERSION, **to_plain(result)}
    print(json.dumps(payload, indent=2, default=_json_value))


def _json_value(value: Any) -> Any:
    """What JSON has no type for: answers a YAML question read as a date or bytes."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def emit(text: str) -> None:
    print(text)


def emit_result(result: T, *, as_json: bool, describe: Callable[[T], str]) -> None:
    """A command's result: versioned JSON with `--json`, else its text description."""
    if as_json:
        emit_json(result)
    else:
        emit(describe(result))


def status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def error(message: str, *, code: str = "error", as_json: bool = False) -> None:
    """An error: one line on stderr; with `--json`, also a versioned JSON error on stdout."""
    line = one_line(message, ERROR_LIMIT)
    print(f"paved: error: {line}", file=sys.stderr, flush=True)
    if as_json:
        error_json(line, code=code)


def error_json(message: str, *, code: str) -> None:
    """`{"schema_version": 1, "error": {"code": …, "message": …}}` on stdout (see
    docs/commands.md): scripts reading `--json` get an answer on every path."""
    print(json.dumps({"schema_version": JSON_SCHEMA_VERSION,
                      "error": {"code": code, "message": one_line(message, ERROR_LIMIT)}},
                     indent=2), flush=True)


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A plain left-aligned text table."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows,
                                                                       strict=False)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False))
             .rstrip() for line in (headers, *rows)]
    return "\n".join(lines)


def emit_document(document: Mapping[str, Any]) -> None:
    """A JSON document in someone else's format (SARIF): printed as is, no schema_version."""
    print(json.dumps(document, indent=2))


class Progress:
    """One status line per finished item on stderr; on a terminal, also a bar below them.

    The bar is redrawn in place (carriage return) under the lines already printed,
    so a log captured from a pipe holds only the lines.
    """

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.done = total, label, 0
        self.live = sys.stderr.isatty()

    def advance(self, line: str) -> None:
        self.done += 1
        width = len(str(self.total))
        text = f"[{self.done:>{width}}/{self.total}] {line}"
        if self.live:
            sys.stderr.write("\r\033[K" + text + "\n" + self._bar())
            sys.stderr.flush()
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.live:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def _bar(self, width: int = 30) -> str:
        filled = width * self.done // max(self.total, 1)
        return f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"


def write_file(path: PurePath, text: str) -> None:
    """A report file, written whole or not at all (temporary file, then rename)."""
    import os
    import tempfile

    target = os.fspath(path)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(target)),
                                         prefix=".paved-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
