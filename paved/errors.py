"""The one error hierarchy of paved, and the exit codes it maps to.

    PavedError                  any failure a user can act on; message is user-ready
    ├── InputError              bad name, answer, option or answers file        -> 1
    ├── DestinationError        destination exists, is not empty or unwritable  -> 1
    ├── CatalogError            catalog missing, unreadable, malformed          -> 1
    │   └── UnknownGoldenPath   no such golden path in the catalog              -> 1
    ├── ProjectError            the target repo is not usable (not paved, dirty)-> 1
    ├── GitError                a git operation failed (keeps git's stderr)     -> 1
    ├── RenderError             the template failed to render                   -> 1
    ├── TaskError               a template's task or migration failed            -> 1
    └── MissingToolError        an external tool paved runs is not installed    -> 1

Outcomes that are not errors (conflicts left by an update, lint findings,
drift, fleet repos that need a person) have their own codes in `ExitCode`;
`paved.cli` is the one place that turns errors and outcomes into a process
exit code. Code 2 is click's own usage error and is never used for an outcome.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1  # a PavedError: bad input, catalog, repo, git or render failure
    USAGE = 2  # click: unknown option, missing argument
    CONFLICTS = 3  # paved update left conflicts to resolve
    FINDINGS = 4  # lint/check found problems at or above the threshold
    DRIFT = 5  # paved status --check: behind the catalog or managed files changed
    ATTENTION = 6  # paved fleet: some repos need a person (conflicts, failures)
    INTERNAL = 70  # a bug in paved (EX_SOFTWARE); a crash log is written
    INTERRUPTED = 130  # Ctrl-C or SIGTERM; nothing was left half-written
    BROKEN_PIPE = 141  # the reader of stdout went away (`paved list | head`), as git does


class Outcome(Protocol):
    """A command's result that is not an error but may carry its own exit code
    (conflicts left, drift found); `PavedGroup.invoke` turns it into the exit code."""

    @property
    def exit_code(self) -> ExitCode: ...


@dataclass(frozen=True)
class Findings:
    """The outcome of a command that reports findings (lint, check): exit 4 when some
    are at or above the command's threshold (a command option, hence not in its report)."""

    found: bool

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FINDINGS if self.found else ExitCode.OK


class PavedError(Exception):
    """Base of every error paved reports to a user. `str(error)` is one line."""

    exit_code: ExitCode = ExitCode.ERROR


class InputError(PavedError):
    """A name, answer, option value or answers file is not acceptable."""


class DestinationError(PavedError):
    """The destination directory cannot receive a new project."""


class CatalogError(PavedError):
    """The catalog cannot be found, fetched or understood."""


class UnknownGoldenPath(CatalogError):
    """The catalog has no golden path by that name."""


class ProjectError(PavedError):
    """The target repository cannot be used for this operation."""


class GitError(PavedError):
    """A git operation failed; the message carries git's own explanation."""


class RenderError(PavedError):
    """Copier or Jinja failed to render a template."""


class TaskError(PavedError):
    """A template's task or migration (a command it runs in the project) failed."""


class MissingToolError(PavedError):
    """An external program paved runs (kubectl, node, a validator) is not installed."""

    def __init__(self, tool: str, hint: str) -> None:
        super().__init__(f"{tool} is not installed: {hint}")
        self.tool = tool
        self.hint = hint
