"""What a check rule is and what it returns.

A rule is a plain value: an id, an area, a title, why it matters, a severity,
how to fix it, and a function from the repository under check to an
`Outcome` (pass, fail, not applicable or, for evidence not found, unverified;
with evidence: file and line).
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
    # The rule needed a file it could not read (too large, invalid, not UTF-8…) and its
    # verdict could depend on it: never a failure, never a pass (issue 24).
    NOT_CHECKED = "not checked"
    # The evidence a rule looks for (a chaos journal, a rollback drill record) was not
    # found: a finding naming the command that produces it, not scored; a failure only
    # with --require-evidence. Evidence that was found and shows a failure is a FAIL.
    UNVERIFIED = "unverified"


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
    # True when nothing the rule could not read can change it: a problem was found (a
    # call without a timeout stays one), or what the rule looks for was found. A verdict
    # that rests on something being absent is not definite: when the rule met a file it
    # could not read, it becomes "not checked".
    definite: bool = False


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
    """A pass because nothing wrong was found (not definite)."""
    return Outcome(Status.PASS, message, tuple(evidence))


def found(message: str, *evidence: Evidence) -> Outcome:
    """A pass because what the rule looks for was found: unread files cannot undo it."""
    return Outcome(Status.PASS, message, tuple(evidence), definite=True)


def failed(message: str, *evidence: Evidence) -> Outcome:
    """A failure because something wrong was found: unread files cannot undo it."""
    return Outcome(Status.FAIL, message, tuple(evidence), definite=True)


def missing(message: str, *evidence: Evidence) -> Outcome:
    """A failure because something was not found: a file the rule could not read may hold
    it, so the rule is then "not checked" instead."""
    return Outcome(Status.FAIL, message, tuple(evidence))


def unverified(message: str, *evidence: Evidence) -> Outcome:
    """No evidence found (not definite: a file the rule could not read may hold it). The
    evidence's message says which command produces it."""
    return Outcome(Status.UNVERIFIED, message, tuple(evidence))


def not_applicable(message: str) -> Outcome:
    """Nothing to look at (not definite: an unread file may hold something)."""
    return Outcome(Status.NOT_APPLICABLE, message)


def failed_with(problems: list[Evidence], *, ok: str, bad: str) -> Outcome:
    """Fail with `problems` as evidence when there are any (definite); pass with `ok`
    otherwise (not definite)."""
    if problems:
        return failed(bad.format(count=len(problems)), *problems)
    return passed(ok)


#: The end of a fix that a golden-path file holds. `paved update` is not one: it keeps the
#: team's edits (that is its job), so it never brings back what the team changed.
RESTORE = ("In a repo paved generated: `paved status` lists the golden-path files you "
           "changed or deleted, and `paved restore FILE...` takes their golden-path version "
           "back (one commit).")


def restore(*files: str) -> str:
    """The end of a fix that names the golden-path files holding it."""
    return (f"In a repo paved generated: `paved restore {' '.join(files)}` takes the golden "
            "path's version back (one commit).")
