"""Asking a person for answers, only ever when stdin is a terminal.

paved's own prompts (the service's NAME) are questionary's: the reason an
answer is refused is shown inline under it, the text kept for editing, and the
prompt goes to stderr so stdout keeps only the result. questionary (and
prompt_toolkit under it) load only when a prompt is shown, so start-up stays
fast; Ctrl-C in a prompt interrupts the command (exit 130). The catalog's
questions go through `_ask`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from paved import output

if TYPE_CHECKING:
    from paved.questions import Asker, Question


def terminal_asker(defaults: bool) -> Asker | None:
    """An asker for interactive use, or None (take defaults) in CI or with --defaults."""
    if defaults or not sys.stdin.isatty():
        return None
    return _ask


def ask_service_name(defaults: bool) -> str:
    """The NAME of `paved new service`, asked for on a terminal; without one (or with
    --defaults) its absence is a usage error, as for any missing argument."""
    if defaults or not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise typer.BadParameter("give the service's name, or run on a terminal to be "
                                 "asked for it", param_hint="'NAME'")
    return _text("Service name (a DNS-1123 label, such as payments-api):", _plain_name)


def _plain_name(text: str) -> bool | str:
    """What `paved new service` takes as NAME: a directory name of the current folder."""
    if not text.strip():
        return "a name is needed"
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        return "no control characters"
    if "/" in text or text in {".", ".."}:
        return "a name, not a path (--dest chooses the directory)"
    return True


def _text(message: str, validate: Callable[[str], bool | str]) -> str:
    import questionary
    from prompt_toolkit.output import create_output

    # unsafe_ask: Ctrl-C raises (exit 130) instead of returning None.
    answer = questionary.text(message, validate=validate,
                              output=create_output(stdout=sys.stderr)).unsafe_ask()
    return str(answer).strip()


def _ask(question: Question, default: Any, problem: str) -> Any:
    if problem:
        output.problem(problem)
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
