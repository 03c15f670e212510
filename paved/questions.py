"""The questions a catalog asks, and turning raw input into validated answers.

Questions are declared in the catalog's copier.yml, in copier's own format
(`type`, `help`, `default`, `choices`, `validator`, `when`), so a plain copier
template works unchanged. paved evaluates them itself, before anything is
rendered, so that a bad answer is reported in one line and nothing is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paved import render
from paved.errors import CatalogError, InputError, one_line

TYPES = ("str", "int", "float", "bool", "yaml", "json")
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


@dataclass(frozen=True)
class Question:
    name: str
    type: str = "str"
    help: str = ""
    default: Any = None
    choices: tuple[Any, ...] = ()
    validator: str = ""
    when: Any = True
    secret: bool = False
    multiselect: bool = False
    labels: tuple[str, ...] = ()  # what a person sees for each choice (copier's choice names)
    #: Why a raw answer would be refused ("" when it is accepted): set on the questions an
    #: Asker is given, so that a prompt can refuse an answer inline, while it is typed.
    refusal: Callable[[Any], str] | None = field(default=None, compare=False, repr=False)


#: Asks a person for one answer: (question, rendered default, last error or "") -> raw text.
#: An answer that is refused anyway is asked for again, with the reason as the last error.
Asker = Callable[[Question, Any, str], Any]


def parse_questions(config: Mapping[str, Any], *, source: str) -> tuple[Question, ...]:
    """Read the questions of a copier.yml mapping (keys not starting with `_`)."""
    questions = []
    secret_questions = set(config.get("_secret_questions") or ())
    for name, spec in config.items():
        if str(name).startswith("_"):
            continue
        if not isinstance(spec, Mapping):
            # copier's short form `name: default`
            spec = {"default": spec, "type": _infer_type(spec)}
        kind = str(spec.get("type", _infer_type(spec.get("default"))))
        if kind not in TYPES:
            raise CatalogError(f"{source}: question {name!r} has unknown type {kind!r}")
        choices = spec.get("choices") or ()
        labels: tuple[str, ...] = ()
        if isinstance(choices, Mapping):
            labels = tuple(str(label) for label in choices)
            choices = tuple(choices.values())
        elif isinstance(choices, str):  # templated choices: known only when rendered
            choices = ()
        if not isinstance(choices, list | tuple):
            raise CatalogError(f"{source}: question {name!r} has choices that are no list "
                               f"({type(choices).__name__})")
        questions.append(Question(
            name=str(name), type=kind, help=str(spec.get("help", "")).strip(),
            default=spec.get("default"), choices=tuple(choices),
            validator=str(spec.get("validator", "") or ""), when=spec.get("when", True),
            secret=bool(spec.get("secret", False)) or name in secret_questions,
            multiselect=bool(spec.get("multiselect", False)), labels=labels,
        ))
    return tuple(questions)


def _infer_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list | dict):
        return "yaml"
    return "str"


def resolve_answers(
    questions: tuple[Question, ...],
    given: Mapping[str, Any],
    *,
    catalog_root: Path,
    context: Mapping[str, Any],
    ask: Asker | None = None,
    strict: bool = True,
    last: Mapping[str, Any] | None = None,
    how: render.Render | None = None,
    project: Path | None = None,
) -> dict[str, Any]:
    """Answer every question from `given`, the `last` answers (an update's record), the
    person (through `ask`) or the default, as copier's `Worker._ask` does.

    The questions are copier's own (`render.Questionnaire`): rendered in the template's
    environment, with copier's types, choices, `when` and validators. `given` values may
    be raw strings (from `--data`). With `strict`, a key in `given` that is no question is
    an error. A question whose `when` is false is left out (its value is computed again
    at render time), so are answers to questions the catalog no longer asks. `how` says
    where the template comes from and whether it is trusted: defaults, validators and
    `when` are evaluated as the render will be, confined unless trusted (see
    `paved.sandbox`). Raises `InputError` naming the question and the rule it broke.
    """
    known = {question.name for question in questions}
    if strict and (unknown := sorted(set(given) - known)):
        raise InputError(f"unknown question {name_shown(unknown[0])}; the catalog asks: "
                         f"{', '.join(sorted(known))}")
    given = {name: value for name, value in given.items() if name in known}
    questionnaire = render.Questionnaire(
        catalog_root, project or catalog_root, context, given,
        {name: value for name, value in (last or {}).items() if name in known},
        how or render.Render())
    answers: dict[str, Any] = {}
    for pending in questionnaire.pending():
        name = pending.name
        in_last = pending.last_is_valid()
        if not pending.applies():
            pending.hide()
            has_default, value = _default(pending)
            if has_default:
                pending.keep(value)  # visible to later questions, never recorded
            continue
        if name in given:
            answers[name] = _accept(pending, given[name])
        elif in_last and (ask is None or not pending.asks()):
            answers[name] = pending.accept(questionnaire.answers.last[name])
        elif ask is None or not pending.asks():
            has_default, value = _default(pending)
            if not has_default:
                if not pending.asks():
                    continue
                raise InputError(f"no answer for {name!r} and it has no default; "
                                 f"pass --data {name}=VALUE")
            answers[name] = value
        else:
            answers[name] = _prompt(pending, ask)
        pending.keep(answers[name])
    return answers


def _accept(pending: render.PendingQuestion, raw: Any) -> Any:
    try:
        return pending.accept(raw)
    except render.BadAnswer as error:
        raise InputError(f"invalid answer for {pending.name!r}: "
                         f"{_reason(error, secret=pending.secret)}") from error


def _default(pending: render.PendingQuestion) -> tuple[bool, Any]:
    """The question's default, checked by its validator as copier checks it."""
    try:
        return pending.default()
    except render.BadAnswer as error:
        raise InputError(f"invalid answer for {pending.name!r}: "
                         f"{_reason(error, secret=pending.secret)}") from error


def _reason(error: render.BadAnswer, *, secret: bool) -> str:
    """Which rule an answer broke, quoting it only as `quoted` does."""
    if error.rule == "type":
        return f"expected {error.detail}, got {quoted(error.value, secret=secret)}"
    if error.rule == "choice":
        return f"{quoted(error.value, secret=secret)} is not one of {one_line(error.detail)}"
    # The catalog's words, on one line of reasonable length (a validator may
    # render a whole answer, or anything else, into its message).
    return one_line(error.detail, MESSAGE_LIMIT)


def _prompt(pending: render.PendingQuestion, ask: Asker) -> Any:
    shown = pending.description()
    has_default, default = _default(pending)

    def refusal(raw: Any) -> str:
        try:
            pending.accept(raw)
        except render.BadAnswer as error:
            return _reason(error, secret=pending.secret)
        return ""

    question = Question(name=pending.name, type=shown["type"], help=str(shown["help"]).strip(),
                        default=default if has_default else None,
                        choices=tuple(value for _, value in shown["choices"]),
                        secret=shown["secret"], multiselect=shown["multiselect"],
                        labels=tuple(str(label) for label, _ in shown["choices"]),
                        refusal=refusal)
    problem = ""
    while True:
        raw = ask(question, question.default, problem)
        try:
            return _accept(pending, raw)
        except InputError as error:
            problem = str(error)


def recorded(questions: tuple[Question, ...], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that are written down: all but secret ones (copier never records them)."""
    secret = {question.name for question in questions if question.secret}
    return {name: value for name, value in answers.items() if name not in secret}


def read_answers_file(path: Path) -> dict[str, Any]:
    """Answers from a YAML (or JSON) mapping of question name to answer."""
    from paved import yaml

    data = yaml.plain(yaml.load(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of question names to answers")
    return {key: value for key, value in data.items() if not key.startswith("_")}


def check(question: Question, value: Any, env: Any, scope: Mapping[str, Any]) -> None:
    """Raise `InputError` when `value` breaks the question's choices or validator."""
    if question.choices and value not in question.choices:
        allowed = one_line(", ".join(str(choice) for choice in question.choices))
        raise InputError(f"invalid answer for {question.name!r}: {shown(question, value)} is "
                         f"not one of {allowed}")
    if question.validator:
        message = render.render_string(env, question.validator, scope).strip()
        if message:
            # The catalog's words, on one line of reasonable length (a validator may
            # render a whole answer, or anything else, into its message).
            raise InputError(f"invalid answer for {question.name!r}: "
                             f"{one_line(message, MESSAGE_LIMIT)}")


#: The longest validator message shown, and the most of an answer an error quotes.
MESSAGE_LIMIT = 200
QUOTED_LIMIT = 40


def name_shown(name: str) -> str:
    """A question name as an error quotes it: only when it looks like one (an answers file
    may be any file, whose "keys" are its lines)."""
    return repr(name) if _NAME.fullmatch(name) else "(a key that is no question name)"


_NAME = re.compile(r"[A-Za-z_][\w.-]{0,63}")


def shown(question: Question, value: Any) -> str:
    """An answer as an error quotes it (see `quoted`)."""
    return quoted(value, secret=question.secret)


def quoted(value: Any, *, secret: bool) -> str:
    """An answer as an error quotes it: never a secret's, at most QUOTED_LIMIT characters
    (an answers file may be any file; an error should not print it)."""
    if secret:
        return "the answer"
    return one_line(repr(value), QUOTED_LIMIT)


def convert(question: Question, raw: Any) -> Any:
    """Convert a raw answer (often text from the command line) to the question's type."""
    kind = question.type
    try:
        if kind == "str":
            return "" if raw is None else str(raw)
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError(raw)
        if kind == "int":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(raw)
            return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        if kind == "float":
            return float(raw)
        if kind == "json":
            return json.loads(raw) if isinstance(raw, str) else raw
        from paved import yaml

        return yaml.plain(yaml.loads(raw)) if isinstance(raw, str) else raw
    except (ValueError, TypeError, RecursionError, InputError) as error:
        expected = {"str": "text", "bool": "yes or no", "int": "an integer",
                    "float": "a number", "json": "JSON", "yaml": "YAML"}[kind]
        raise InputError(f"invalid answer for {question.name!r}: expected {expected}, "
                         f"got {shown(question, raw)}") from error
