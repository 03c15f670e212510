from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paved.catalog import open_catalog
from paved.errors import InputError
from paved.questions import Question, convert, read_answers_file, resolve_answers


def test_a_person_is_asked_again_after_an_invalid_answer() -> None:
    catalog = open_catalog()
    replies = iter(["80", "8081"])
    problems: list[str] = []
    refusals: list[str] = []

    def ask(question: Question, default: Any, problem: str) -> Any:
        if question.name != "http_port":
            return default
        assert question.refusal is not None
        refusals.extend(question.refusal(raw) for raw in ("80", "x", "8081"))
        problems.append(problem)
        return next(replies)

    answers = resolve_answers(catalog.questions, {"service_name": "svc"},
                              catalog_root=catalog.root, context={"paved_layers": []}, ask=ask)
    assert answers["http_port"] == 8081
    assert problems == ["", "invalid answer for 'http_port': must be between 1024 and 65535 "
                            "(an unprivileged port)"]
    # what a prompt shows inline, before the answer is given
    assert refusals[:3] == ["must be between 1024 and 65535 (an unprivileged port)",
                            "expected an integer, got 'x'", ""]


def test_computed_values_are_visible_but_not_recorded() -> None:
    catalog = open_catalog()
    answers = resolve_answers(catalog.questions, {"service_name": "pay-api"},
                              catalog_root=catalog.root, context={})
    assert "package_name" not in answers
    assert "paved_layer" not in answers


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [("int", "42", 42), ("bool", "yes", True), ("bool", "off", False), ("float", "99.5", 99.5),
     ("yaml", "[a, b]", ["a", "b"]), ("json", '{"a": 1}', {"a": 1}), ("str", 5, "5")],
)
def test_raw_answers_are_converted_to_the_question_type(kind: str, raw: Any,
                                                        expected: Any) -> None:
    assert convert(Question(name="q", type=kind), raw) == expected


@pytest.mark.parametrize(("kind", "raw"), [("int", "1.5"), ("int", True), ("bool", "maybe"),
                                           ("json", "{"), ("float", "x")])
def test_unconvertible_answers_are_refused(kind: str, raw: Any) -> None:
    with pytest.raises(InputError, match="invalid answer for 'q': expected"):
        convert(Question(name="q", type=kind), raw)


def test_question_without_default_needs_an_answer(tmp_path: Path) -> None:
    (tmp_path / "copier.yml").write_text("token:\n  type: str\n  help: API token\n")
    question = Question(name="token", type="str", help="API token")
    with pytest.raises(InputError, match="no answer for 'token' and it has no default; "
                                         "pass --data token=VALUE"):
        resolve_answers((question,), {}, catalog_root=tmp_path, context={})


def test_answers_file_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="expected a mapping of question names to answers"):
        read_answers_file(path)
