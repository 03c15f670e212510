"""What a check rule is and what it returns.

A rule is a plain value: an id, an area, a title, why it matters, a severity,
how to fix it, and a function from the repository under check to an
`Outcome` (pass, fail or not applicable, with evidence: file and line).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from paved.check.repo import Repo


class Severity(enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    @property
    def weight(self) -> int:
        """How much a rule of this severity counts in a score."""
        return {"low": 1, "medium": 2, "high": 3, "critical": 4}[self.value]


class Status(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not applicable"
    ERROR = "error"  # the rule itself raised: reported, counted as a failure


@dataclass(frozen=True)
class Evidence:
    path: str  # relative to the repository root, with forward slashes
    line: int | None
    message: str

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str  # "area/name", stable: used by SARIF, docs and suppressions
    area: str
    title: str
    why: str
    severity: Severity
    fix: str
    check: Callable[[Repo], Outcome]


def passed(message: str, *evidence: Evidence) -> Outcome:
    return Outcome(Status.PASS, message, tuple(evidence))


def failed(message: str, *evidence: Evidence) -> Outcome:
    return Outcome(Status.FAIL, message, tuple(evidence))


def not_applicable(message: str) -> Outcome:
    return Outcome(Status.NOT_APPLICABLE, message)


def failed_with(problems: list[Evidence], *, ok: str, bad: str) -> Outcome:
    """Fail with `problems` as evidence when there are any; pass with `ok` otherwise."""
    if problems:
        return failed(bad.format(count=len(problems)), *problems)
    return passed(ok)


PAVED_UPDATE = "Run `paved update` to bring the golden path's version back"
