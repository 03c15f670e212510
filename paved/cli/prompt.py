"""Asking a person for answers, only ever when stdin is a terminal.

paved's own prompts (the service's NAME) are questionary's: the reason an
answer is refused is shown inline under it, the text kept for editing, and the
prompt goes to stderr so stdout keeps only the result. questionary (and
prompt_toolkit under it) load only when a prompt is shown, so start-up stays
fast; Ctrl-C in a prompt interrupts the command (exit 130). The catalog's
questions go through `_ask`, in the same style.
"""

from __future__ import annotations

import json
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

    # unsafe_ask: Ctrl-C raises (exit 130) instead of returning None.
    answer = _wrapping(questionary.text(message, validate=validate,
                                        output=_stderr())).unsafe_ask()
    return str(answer).strip()


def _stderr() -> Any:
    """Where prompts are drawn: stderr, so stdout keeps only the result. prompt_toolkit
    itself leaves colour out under NO_COLOR (which --no-color sets)."""
    from prompt_toolkit.output import create_output

    return create_output(stdout=sys.stderr)


def _ask(question: Question, default: Any, problem: str) -> Any:
    """One of the catalog's questions as questionary asks it: text with the default
    pre-filled (editable), choices picked with the arrow keys by their labels, several
    with a checkbox list, yes/no as a confirm, secrets hidden. An answer the question's
    `refusal` refuses is explained inline, as for the NAME; an answer refused after the
    prompt (a choice or a yes/no the catalog's validator turns down) is explained on the
    line above the question, asked again."""
    import questionary

    if problem:
        output.problem(problem)
    message = f"{question.name}: {question.help}" if question.help else question.name
    refusal = question.refusal or (lambda raw: "")

    def valid(raw: Any) -> bool | str:
        return refusal(raw) or True

    if question.choices:
        titles = (question.labels if len(question.labels) == len(question.choices)
                  else tuple(str(choice) for choice in question.choices))
        if question.multiselect:
            chosen = default if isinstance(default, list | tuple) else []
            boxes = [questionary.Choice(title, value=index, checked=value in chosen)
                     for index, (title, value) in enumerate(zip(titles, question.choices,
                                                                strict=True))]

            def valid_boxes(indexes: list[Any]) -> bool | str:
                return valid([question.choices[index] for index in indexes])

            picked = questionary.checkbox(message, boxes, validate=valid_boxes,
                                          output=_stderr()).unsafe_ask()
            return [question.choices[index] for index in picked]
        items = [questionary.Choice(title, value=index) for index, title in enumerate(titles)]
        first = next((item for item, value in zip(items, question.choices, strict=True)
                      if value == default), None)
        return question.choices[questionary.select(message, items, default=first,
                                                   output=_stderr()).unsafe_ask()]
    if question.type == "bool":
        return questionary.confirm(message, default=bool(default), output=_stderr(),
                                   instruction="[Y/n] " if default else "[y/N] ").unsafe_ask()
    asker = questionary.password if question.secret else questionary.text
    return _wrapping(asker(message, default=_editable(question, default), validate=valid,
                           output=_stderr())).unsafe_ask()


def _wrapping(prompt: Any) -> Any:
    """`prompt` with its refusal wrapped over as many lines as it needs: prompt_toolkit
    shows it on one line, cut at the terminal's width, and a catalog's validator may
    explain its rule in up to `questions.MESSAGE_LIMIT` characters."""
    from prompt_toolkit.filters import has_validation_error, to_filter
    from prompt_toolkit.layout import ConditionalContainer, Window

    for container in prompt.application.layout.walk():
        if (isinstance(container, ConditionalContainer) and container.filter is has_validation_error
                and isinstance(container.content, Window)):
            container.content.height = None
            container.content.wrap_lines = to_filter(True)
    return prompt


def _editable(question: Question, default: Any) -> str:
    """The default as text to edit: structured answers as JSON (which YAML reads too)."""
    if default is None:
        return ""
    if question.type in ("yaml", "json") and not isinstance(default, str):
        return json.dumps(default)
    return str(default)
