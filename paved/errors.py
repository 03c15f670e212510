"""The one error hierarchy of paved, and the exit codes it maps to.

    PavedError                  any failure a user can act on; message is user-ready
    ├── InputError              bad name, answer, option or answers file        -> 1
    ├── DestinationError        destination exists, is not empty or unwritable  -> 1
    ├── CatalogError            catalog missing, unreadable, malformed, unsafe  -> 1
    │   └── UnknownGoldenPath   no such golden path in the catalog              -> 1
    ├── ProjectError            the target repo is not usable (not paved, dirty)-> 1
    ├── GitError                a git operation failed (keeps git's stderr)     -> 1
    ├── RenderError             the template failed to render, or was refused   -> 1
    ├── TaskError               a template's task or migration failed           -> 1
    ├── MissingToolError        an external tool paved runs is not installed    -> 1
    └── HostError               the machine refused: disk full, no permission   -> 1
                                (an OSError met anywhere, see `from_os_error`)

Each class has a `code`, the stable name `--json` reports errors under
(`{"schema_version": 1, "error": {"code": …, "message": …}}`).

Outcomes that are not errors (conflicts left by an update, lint findings,
drift, fleet repos that need a person) have their own codes in `ExitCode`;
`paved.cli` is the one place that turns errors and outcomes into a process
exit code. Code 2 is click's own usage error and is never used for an outcome.
"""

from __future__ import annotations

import enum
import errno
from dataclasses import dataclass
from typing import Literal, Protocol

#: Every `code` an error is reported under with `--json` (docs/commands.md).
ErrorCode = Literal["error", "input", "destination", "catalog", "unknown_golden_path",
                    "project", "git", "render", "missing_tool", "host", "usage", "interrupted",
                    "internal"]


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


@dataclass(frozen=True)
class ErrorDetail:
    code: ErrorCode  # the kind of error
    message: str  # one line, as printed on stderr


@dataclass(frozen=True)
class ErrorReport:
    """What any command prints with `--json` when it fails: `{"schema_version": …,
    "error": {"code": …, "message": …}}`."""

    error: ErrorDetail


class PavedError(Exception):
    """Base of every error paved reports to a user. `str(error)` is one line."""

    exit_code: ExitCode = ExitCode.ERROR
    code: str = "error"


class InputError(PavedError):
    """A name, answer, option value or answers file is not acceptable."""

    code = "input"


class DestinationError(PavedError):
    """The destination directory cannot receive a new project."""

    code = "destination"


class CatalogError(PavedError):
    """The catalog cannot be found, fetched or understood."""

    code = "catalog"


class UnknownGoldenPath(CatalogError):
    """The catalog has no golden path by that name."""

    code = "unknown_golden_path"


class ProjectError(PavedError):
    """The target repository cannot be used for this operation."""

    code = "project"


class GitError(PavedError):
    """A git operation failed; the message carries git's own explanation."""

    code = "git"


class RenderError(PavedError):
    """Copier or Jinja failed to render a template."""

    code = "render"


class TaskError(PavedError):
    """A template's task or migration (a command it runs in the project) failed."""

    code = "task"


class MissingToolError(PavedError):
    """An external program paved runs (kubectl, node, a validator) is not installed."""

    code = "missing_tool"

    def __init__(self, tool: str, hint: str) -> None:
        super().__init__(f"{tool} is not installed: {hint}")
        self.tool = tool
        self.hint = hint


class HostError(PavedError):
    """The machine refused an operation: a full disk, a missing permission, a read-only
    file system, a file where a folder is needed. Not a bug in paved: the message
    names the file and the reason."""

    code = "host"


#: errno values that say something about the machine, not about paved's code.
_MACHINE_ERRNOS = frozenset({
    errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR,
    errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.EMFILE, errno.ENFILE, errno.EIO,
    errno.ELOOP, errno.EFBIG, errno.ETXTBSY, errno.EBUSY, errno.ENOTEMPTY, errno.EXDEV,
    errno.ENOENT, errno.ENOMEM,
})


def from_os_error(error: OSError) -> HostError | None:
    """The user-facing error for an `OSError` the machine raised, or None when it is not
    one of those (then it is a bug, reported as such)."""
    if error.errno not in _MACHINE_ERRNOS:
        return None
    reason = error.strerror or type(error).__name__
    files = [str(name) for name in (error.filename, error.filename2) if name is not None]
    where = f"{' → '.join(files)}: " if files else ""
    return HostError(f"{where}{reason}")


def one_line(text: str, limit: int = 200) -> str:
    """`text` on one line (whitespace runs become one space), cut to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"
