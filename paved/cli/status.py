"""`paved status`: a generated repo's catalog version and drift."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paved import output
from paved.cli import options
from paved.errors import Outcome

if TYPE_CHECKING:
    from paved.update.status import StatusResult


def register(app: typer.Typer) -> None:
    app.command("status", epilog=options.exit_codes(
        (5, "with --check: behind the catalog, managed files changed or conflicts left")))(status)


def status(
    path: options.ProjectDir = Path("."),
    check: Annotated[bool, typer.Option("--check", help="Exit 5 when the repo is behind the "
                                        "catalog or platform-managed files changed "
                                        "(for CI).")] = False,
    allow_behind: Annotated[bool, typer.Option("--allow-behind", help="With --check, do not "
                                               "fail only because a newer catalog version is "
                                               "out (the pre-push hook; being behind is "
                                               "`paved check`'s currency rule).")] = False,
    json: options.Json = False,
) -> Outcome:
    """Show the repo's catalog, applied and latest versions, layers and drift.

    Drift is every template file that differs from the pristine render of the
    applied version; files the platform manages are marked. Team edits to their
    own files are reported but never fail --check.

    \b
    Examples:
      paved status
      paved status services/payments-api --check
      paved status --check --allow-behind
      paved status --json | jq .drift
    """
    # Core modules load on use, so `paved --help` stays fast (see docs/benchmarks.md).
    from paved.update.status import project_status

    result = project_status(path, check=check, allow_behind=allow_behind)
    output.emit_result(result, as_json=json, describe=describe)
    return result


def describe(result: StatusResult) -> str:
    latest = "up to date" if not result.behind else f"v{result.latest_version} available"
    where = f"{result.path}: golden path {result.golden_path} at v{result.applied_version}"
    if result.update_in_progress and result.conflicts:
        where += (f", update to v{result.update_in_progress} in progress with "
                  f"{len(result.conflicts)} conflict(s): resolve them, git add, git commit "
                  "(or git merge --abort)")
    elif result.update_in_progress:
        where += (f", update to v{result.update_in_progress} in progress: conflicts resolved, "
                  "git commit to finish")
    else:
        where += f" ({latest})"
    lines = [where,
             f"Catalog: {result.catalog}",
             f"Layers: {', '.join(result.layers)}"]
    lines += [f"  conflict  {path}" for path in result.conflicts]
    if result.base == "missing":
        lines.append("Drift: unknown (no pristine render stored and the version is gone)")
    elif not result.drift:
        lines.append("Drift: none")
    else:
        lines.append(f"Drift from the pristine render ({len(result.drift)} file(s)):")
        lines += [f"  {file.change:>8}  {file.path}{'  (managed)' if file.managed else ''}"
                  for file in result.drift]
    return "\n".join(lines)
