"""What `paved template lint` reports: its rules and their findings.

Shared by `lint` (manifest and questions) and `lint_files` (templates), so that
neither imports the other's internals.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


#: Every rule: id -> (severity, what it checks). Documented in docs/commands.md.
RULES: dict[str, tuple[Severity, str]] = {
    "yaml-syntax": (Severity.ERROR, "copier.yml and paved-catalog.yml are valid YAML"),
    "manifest-schema": (Severity.ERROR, "paved-catalog.yml has the documented shape"),
    "copier-schema": (Severity.ERROR, "copier.yml has the shape paved and copier expect"),
    "question-help": (Severity.ERROR, "every question has help text"),
    "question-default": (Severity.ERROR, "every question has a default that passes its own "
                                         "type, choices and validator"),
    "test-matrix": (Severity.ERROR, "every declared answer set is valid"),
    "jinja-syntax": (Severity.ERROR, "every template parses"),
    "undefined-variable": (Severity.ERROR, "templates use only questions and paved's "
                                           "context variables"),
    "render-error": (Severity.ERROR, "every file renders with strict undefined over the "
                                     "sample answers"),
    "unresolved-partial": (Severity.ERROR, "include/import/from name a file in the catalog"),
    "path-escape": (Severity.ERROR, "rendered paths and links stay inside the destination"),
    "path-collision": (Severity.ERROR, "no two layers of a golden path render the same path"),
    "pattern-overlap": (Severity.ERROR, "no rendered file is both managed: and once:"),
    "contract": (Severity.ERROR, "every language layer fulfils the layer contract (its "
                                 "partial's names, the Makefile's targets); a golden path "
                                 "whose layers import it has one language layer"),
    "needs-trust": (Severity.ERROR, "a plain copier template that loads Jinja extensions is "
                                    "checked with --trust (copier needs it to render)"),
    "jinja-extension": (Severity.ERROR, "every Jinja extension of a plain copier template "
                                        "loads"),
    "unknown-variable": (Severity.WARNING, "a plain copier template reads only variables "
                                           "its questions, copier or paved define (copier "
                                           "renders any other as empty)"),
    "answers-needed": (Severity.WARNING, "a plain copier template's render could be checked: "
                                         "every question without a default has an answer "
                                         "(paved-answer-sets.yml)"),
    "unused-question": (Severity.WARNING, "every question is used by some template"),
    "unknown-key": (Severity.WARNING, "no keys paved does not know (likely typos)"),
    "unmatched-pattern": (Severity.WARNING, "every managed:/once: pattern matches a rendered "
                                            "file"),
}


@dataclass(frozen=True)
class Finding:
    file: str  # relative to the catalog root
    line: int | None
    rule: str
    message: str
    severity: Severity

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def finding(file: str, line: int | None, rule: str, message: str) -> Finding:
    return Finding(file=file, line=line, rule=rule, message=message, severity=RULES[rule][0])
