"""`paved check`: audit a repository against the golden path's checklist."""

from __future__ import annotations

import enum
import json as jsonlib
import os
from pathlib import Path
from typing import Annotated

import typer

from paved import output
from paved.cli import options
from paved.errors import Findings, Outcome


class Format(enum.Enum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    SARIF = "sarif"


class FailOn(enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    NEVER = "never"


def _cores() -> int:
    """The cores this process may run on (a container may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def register(app: typer.Typer) -> None:
    app.command("check", epilog=options.exit_codes(
        (4, "a rule at or above --fail-on failed")))(check)


def check(
    path: options.RepoDir = Path("."),
    output_format: Annotated[Format, typer.Option(
        "--format", help="text (default), json, markdown (a PR comment) or sarif "
                         "(code scanning).")] = Format.TEXT,
    json: options.Json = False,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", metavar="SEVERITY",
        help="Exit 4 when a rule of this severity or above fails: low, medium, high, "
             "critical or never.")] = FailOn.HIGH,
    catalog: Annotated[str | None, typer.Option(
        "--catalog", metavar="SRC", help="Compare with this catalog (and take its extra "
        "rules) instead of the one .paved.yml records.")] = None,
    max_minor_behind: Annotated[int, typer.Option(
        "--max-minor-behind", min=0, metavar="N",
        help="Minor golden-path versions a repository may lag behind.")] = 2,
    trust: Annotated[bool, typer.Option(
        "--trust", help="Run the extra rules the catalog ships in checks/ (its own code). "
                        "Only for catalogs you trust.")] = False,
    jobs: options.CheckJobs = None,
    evidence: Annotated[Path | None, typer.Option(
        "--evidence", metavar="DIR", file_okay=False,
        help="Chaos journals and rollback drill records, for the evidence rules (download a "
             "CI run's artifacts here); the newest of each counts.")] = None,
    require_evidence: Annotated[bool, typer.Option(
        "--require-evidence",
        help="Fail the evidence rules whose evidence was not found (a CI gate) instead of "
             "reporting them unverified and leaving them out of the score.")] = False,
) -> Outcome:
    """Check a repository against the golden path: failure isolation, observability,
    rollback, security, ownership, currency and the evidence that failure tolerance was
    verified (a passed chaos experiment, a measured rollback drill), with a score per area.
    Evidence that was not found is listed as unverified with the command that produces
    it, and is not scored unless --require-evidence.

    Works on any repository; rules that need paved data say "not applicable" on
    repositories paved did not generate, and a rule that could not read a file
    it needs says "not checked" (never "fail"). A monorepo is checked service
    by service. Exit code 4 when a rule at or above --fail-on fails. Every rule,
    and the [tool.paved.check] settings, are described in docs/check.md.

    \b
    Examples:
      paved check
      paved check ../payments-api --fail-on medium
      paved check --format sarif > paved.sarif
      paved check --format markdown > comment.md
      paved check --catalog ../platform-catalog --trust --json
      paved check --jobs 1
      paved check --evidence chaos
      paved check --evidence artifacts --require-evidence --fail-on medium
    """

    # Core modules load on use, so `paved --help` stays fast (see docs/benchmarks.md).
    from paved.check import formats, run_check
    from paved.check.options import CheckOptions
    from paved.check.rule import Severity

    report = run_check(path, CheckOptions(catalog=catalog, max_minor_behind=max_minor_behind,
                                          trust=trust, jobs=jobs or _cores(), evidence=evidence,
                                          require_evidence=require_evidence))
    chosen = Format.JSON if json else output_format
    if chosen is Format.JSON:
        output.emit_json(report)
    elif chosen is Format.SARIF:
        output.emit(jsonlib.dumps(formats.sarif(report), indent=2))
    elif chosen is Format.MARKDOWN:
        output.emit(formats.markdown(report))
    else:
        output.emit(formats.text(report))
    return Findings(found=fail_on is not FailOn.NEVER
                    and bool(report.failures(Severity(fail_on.value))))
