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
from dataclasses import dataclass
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


#: Asks a person for one answer: (question, rendered default, last error or "") -> raw text.
Asker = Callable[[Question, Any, str], Any]


def parse_questions(config: Mapping[str, Any], *, source: str) -> tuple[Question, ...]:
    """Read the questions of a copier.yml mapping (keys not starting with `_`)."""
    questions = []
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
        if isinstance(choices, Mapping):
            choices = tuple(choices.values())
        if not isinstance(choices, list | tuple):
            raise CatalogError(f"{source}: question {name!r} has choices that are no list "
                               f"({type(choices).__name__})")
        questions.append(Question(
            name=str(name), type=kind, help=str(spec.get("help", "")).strip(),
            default=spec.get("default"), choices=tuple(choices),
            validator=str(spec.get("validator", "") or ""), when=spec.get("when", True),
            secret=bool(spec.get("secret", False)),
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
    trust: bool = False,
) -> dict[str, Any]:
    """Answer every question from `given`, the person (through `ask`) or the default.

    `given` values may be raw strings (from `--data`) and are converted to the
    question's type. With `strict`, a key in `given` that is no question is an error.
    Defaults, validators and `when` are evaluated as the render will be: confined
    unless `trust` (see `paved.sandbox`).
    Raises `InputError` naming the question and the rule it broke.
    """
    known = {question.name for question in questions}
    if strict and (unknown := sorted(set(given) - known)):
        raise InputError(f"unknown question {name_shown(unknown[0])}; the catalog asks: "
                         f"{', '.join(sorted(known))}")
    env = render.environment(catalog_root, trust=trust)
    answers: dict[str, Any] = {}
    computed: dict[str, Any] = {}  # `when: false` values: visible to later questions, not kept
    for question in questions:
        scope = {**context, **computed, **answers}
        default = _render_default(question, env, scope)
        if not _applies(question, env, scope):
            computed[question.name] = default
            continue
        if question.name in given or ask is None:
            if question.name not in given and default is None:
                raise InputError(f"no answer for {question.name!r} and it has no default; "
                                 f"pass --data {question.name}=VALUE")
            raw = given.get(question.name, default)
            answers[question.name] = _accept(question, raw, env, scope)
            continue
        problem = ""
        while question.name not in answers:
            try:
                raw = ask(question, default, problem)
                answers[question.name] = _accept(question, raw, env, scope)
            except InputError as error:
                problem = str(error)
    return answers


def _accept(question: Question, raw: Any, env: Any, scope: Mapping[str, Any]) -> Any:
    value = convert(question, raw)
    check(question, value, env, {**scope, question.name: value})
    return value


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
    """An answer as an error quotes it: never a secret's, at most QUOTED_LIMIT characters
    (an answers file may be any file; an error should not print it)."""
    if question.secret:
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


def _applies(question: Question, env: Any, scope: Mapping[str, Any]) -> bool:
    when = question.when
    if isinstance(when, str):
        when = render.render_string(env, when, scope).strip().lower() not in _FALSE | {""}
    return bool(when)


def _render_default(question: Question, env: Any, scope: Mapping[str, Any]) -> Any:
    default = question.default
    if isinstance(default, str) and "{" in default:
        return render.render_string(env, default, scope)
    return default
