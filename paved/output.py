"""The only module that writes to the terminal.

Data goes to stdout (text or versioned JSON); status, progress and errors go to
stderr, so `paved … --json | jq` always sees clean JSON.

Colour and layout come from rich, and only on a terminal: piped or captured
output is plain text (tables with two spaces between columns). Colour is off
whenever `NO_COLOR` is set (no-color.org; `paved --no-color` sets it for the
whole run, worker processes and prompts included) or `TERM=dumb`.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any, TypeVar

from paved.errors import one_line

T = TypeVar("T")

#: The version of every `--json` document (docs/commands.md says what changed when).
JSON_SCHEMA_VERSION = 2
#: The longest error line printed: a message is one line, never a file's worth of text.
ERROR_LIMIT = 1000
#: The metadata of a result field whose value changes from run to run (a timing): left out
#: of JSON when SOURCE_DATE_EPOCH is set, so that two runs' outputs can be diffed.
VOLATILE = "volatile"


def document(result: Any) -> dict[str, Any]:
    """A command's result (a frozen dataclass) as its versioned JSON document.

    pydantic serializes the result's own type, the model its published JSON
    Schema comes from (`paved schema COMMAND`, docs/schemas/), so the output and
    the schema cannot drift apart.
    """
    from pydantic import TypeAdapter

    exclude = _volatile(result) if os.environ.get("SOURCE_DATE_EPOCH") else None
    plain = TypeAdapter(type(result)).dump_python(result, mode="json", exclude=exclude,
                                                  fallback=_json_value)
    return {"schema_version": JSON_SCHEMA_VERSION, **plain}


def _volatile(value: Any) -> Any:
    """pydantic's `exclude` for the volatile fields inside `value` (None: none)."""
    found: dict[Any, Any] = {}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            inner = None if item.metadata.get(VOLATILE) else _volatile(getattr(value, item.name))
            if item.metadata.get(VOLATILE) or inner:
                found[item.name] = True if item.metadata.get(VOLATILE) else inner
    elif isinstance(value, list | tuple):
        found = {index: inner for index, item in enumerate(value)
                 if (inner := _volatile(item))}
    return found or None


def emit_json(result: Any) -> None:
    print(json.dumps(document(result), indent=2))


def _json_value(value: Any) -> Any:
    """What JSON has no type for (answers a YAML question read oddly): its text."""
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


def colour(stream: Any) -> bool:
    """Whether `stream` may get colour: a terminal, and neither NO_COLOR nor TERM=dumb."""
    return (not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
            and stream.isatty())


def console(*, stderr: bool = False) -> Any:
    """A rich console for stdout or stderr: styles only where `colour` allows them (rich
    alone would keep bold and dim under NO_COLOR)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, color_system="auto" if colour(stream) else None,
                   highlight=False)


def _warn(red: str, rest: str = "") -> None:
    """A line on stderr whose start is red where colour is allowed."""
    if not colour(sys.stderr):
        print(f"{red} {rest}" if rest else red, file=sys.stderr, flush=True)
        return
    from rich.text import Text

    console(stderr=True).print(Text.assemble((red, "red"), f" {rest}" if rest else ""),
                               soft_wrap=True)


def error(message: str, *, code: str = "error", as_json: bool = False) -> None:
    """An error: one line on stderr; with `--json`, also a versioned JSON error on stdout."""
    line = one_line(message, ERROR_LIMIT)
    _warn("paved: error:", line)
    if as_json:
        error_json(line, code=code)


def warning(message: str) -> None:
    """A warning: one line on stderr (copier's own warnings come here too)."""
    _warn("paved: warning:", one_line(message, ERROR_LIMIT))


def problem(message: str) -> None:
    """Why an answer was refused, before the question is asked again."""
    _warn(message)


def error_json(message: str, *, code: str) -> None:
    """`{"schema_version": 2, "error": {"code": …, "message": …}}` on stdout (see
    docs/commands.md): scripts reading `--json` get an answer on every path."""
    from paved.errors import ErrorDetail, ErrorReport

    report = ErrorReport(ErrorDetail(code, one_line(message, ERROR_LIMIT)))  # type: ignore[arg-type]
    print(json.dumps(document(report), indent=2), flush=True)


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A left-aligned text table for stdout: on a terminal, fitted to its width (rich
    wraps the widest cells); elsewhere plain, one line per row, for scripts and logs."""
    if sys.stdout.isatty():
        return _fitted(rows, headers)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows,
                                                                       strict=False)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False))
             .rstrip() for line in (headers, *rows)]
    return "\n".join(lines)


#: The narrowest a column of prose gets while the names beside it stay whole.
_PROSE_WIDTH = 20


def _fitted(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """The table at the terminal's width: a column of names (no spaces: rules, repos,
    versions) stays whole while the prose columns wrap, as long as they keep some
    room; narrower than that, every column folds. A cell never loses its end."""
    from rich import box
    from rich.table import Table

    screen = console()
    columns = [[str(header), *(str(row[index]) for row in rows if index < len(row))]
               for index, header in enumerate(headers)]
    widths = [max(map(len, column)) for column in columns]
    names = [not any(" " in cell for cell in column[1:]) for column in columns]
    gaps = 3 * (len(headers) - 1)  # a space each side of rich's (blank) column separator
    needed = gaps + sum(width if name else min(width, _PROSE_WIDTH)
                        for width, name in zip(widths, names, strict=True))
    whole = needed <= screen.width
    shown = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, header_style="bold")
    for header, name in zip(headers, names, strict=True):
        shown.add_column(header, overflow="fold", no_wrap=whole and name)
    for row in rows:
        shown.add_row(*(str(cell) for cell in row))
    with screen.capture() as captured:
        screen.print(shown, crop=False)
    return "\n".join(line.rstrip() for line in captured.get().rstrip("\n").splitlines())


def emit_document(document: Mapping[str, Any]) -> None:
    """A JSON document in someone else's format (SARIF): printed as is, no schema_version."""
    print(json.dumps(document, indent=2))


# The lock under which the live bar on screen writes (rich's refresh thread). It is
# held across fork(), so a worker process never starts with stderr's buffer locked
# mid-write by that thread (fleet runs fork their workers while the bar is live).
_on_screen: list[Any] = []


def _hold_screen() -> None:
    for lock in _on_screen:
        lock.acquire()


def _release_screen() -> None:
    for lock in _on_screen:
        lock.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_hold_screen, after_in_parent=_release_screen,
                        after_in_child=_release_screen)


class Progress:
    """Progress of a run over named items, on stderr.

    Not on a terminal: one line per finished item, so a captured log holds only
    those. On a terminal (rich): the same lines printed above a live bar that
    shows, from the first second, the count, the elapsed time and the items in
    flight (the first `jobs` unfinished ones, the order workers take them in).
    Use it as a context manager, so the bar is gone whatever happens.
    """

    def __init__(self, names: Sequence[str], label: str, jobs: int = 1) -> None:
        self.names, self.label, self.jobs = list(names), label, max(1, jobs)
        self.total, self.done = len(self.names), 0
        self.finished: set[str] = set()
        self._bar: Any = None
        if sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("[dim]{task.fields[flight]}"),
                            console=console(stderr=True), transient=True)
            self._task = self._bar.add_task(label, total=self.total, flight=self.in_flight())

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
            _on_screen.append(self._bar.live._lock)
        return self

    def __exit__(self, *args: object) -> None:
        if self._bar is not None:
            _on_screen.remove(self._bar.live._lock)
            self._bar.stop()

    def in_flight(self) -> str:
        running = [name for name in self.names if name not in self.finished][:self.jobs]
        return ", ".join(running)

    def advance(self, line: str, name: str | None = None) -> None:
        self.done += 1
        if name is not None:
            self.finished.add(name)
        width = len(str(self.total))
        text = f"[{self.done:>{width}}/{self.total}] {line}"
        if self._bar is None:
            print(text, file=sys.stderr, flush=True)
            return
        self._bar.console.print(text, markup=False, highlight=False)
        self._bar.update(self._task, advance=1, flight=self.in_flight())


def write_file(path: PurePath, text: str) -> None:
    """A report file, written whole or not at all (temporary file, then rename), with the
    permissions the umask gives a new file (issue 16, item 10)."""
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
