"""The only module that writes to the terminal.

Data goes to stdout (text or versioned JSON); status, progress and errors go to
stderr, so `paved … --json | jq` always sees clean JSON.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any, TypeVar

T = TypeVar("T")

JSON_SCHEMA_VERSION = 1


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
    print(json.dumps(payload, indent=2))


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


def error(message: str) -> None:
    print(f"paved: error: {message}", file=sys.stderr, flush=True)


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
    """A report file, written whole or not at all (temporary file, then rename), with the
    permissions the umask gives a new file (issue 16, item 10)."""
    import os
    import tempfile

    target = os.fspath(path)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(target)),
                                         prefix=".paved-")
    try:
        # mkstemp makes it private (0600); a report is meant to be read and published, so
        # it gets what the umask allows, or keeps the mode of the file it replaces.
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            current = os.umask(0)
            os.umask(current)
            mode = 0o666 & ~current
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
