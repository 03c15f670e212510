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
    labels = dict(zip(question.labels, question.choices, strict=False))
    if question.choices:
        shown = [f"{label} = {value}" if str(value) != label else label
                 for label, value in labels.items()] or [str(c) for c in question.choices]
        several = "; several, comma-separated" if question.multiselect else ""
        text += f" ({' / '.join(shown)}{several})"
    if question.multiselect:
        reply = typer.prompt(f"{text} [{question.name}]", err=True,
                             default=", ".join(str(item) for item in default or []))
        return [labels.get(part.strip(), part.strip()) for part in str(reply).split(",")
                if part.strip()]
    reply = typer.prompt(f"{text} [{question.name}]",
                         default=None if default is None else default,
                         hide_input=question.secret, err=True)
    return labels.get(reply, reply) if isinstance(reply, str) else reply
