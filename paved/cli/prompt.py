"""Asking a person for answers, only ever when stdin is a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from paved.questions import Asker, Question


def terminal_asker(defaults: bool) -> Asker | None:
    """An asker for interactive use, or None (take defaults) in CI or with --defaults."""
    if defaults or not sys.stdin.isatty():
        return None
    return _ask


def _ask(question: Question, default: Any, problem: str) -> Any:
    if problem:
        typer.secho(problem, err=True, fg="red")
    text = question.help or question.name
    if question.choices:
        text += f" ({' / '.join(str(choice) for choice in question.choices)})"
    return typer.prompt(f"{text} [{question.name}]",
                        default=None if default is None else default,
                        hide_input=question.secret, err=True)
