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
    app.command("status")(status)


def status(
    path: options.ProjectDir = Path("."),
    check: Annotated[bool, typer.Option("--check", help="Exit 5 when the repo is behind the "
                                        "catalog or platform-managed files changed "
                                        "(for CI).")] = False,
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
      paved status --json | jq .drift
    """
    # Core modules load on use, so `paved --help` stays fast (see docs/benchmarks.md).
    from paved.update.status import project_status

    result = project_status(path, check=check)
    output.emit_result(result, as_json=json, describe=describe)
    return result


def describe(result: StatusResult) -> str:
    latest = "up to date" if not result.behind else f"v{result.latest_version} available"
    lines = [f"{result.path}: golden path {result.golden_path} at v{result.applied_version} "
             f"({latest})",
             f"Catalog: {result.catalog}",
             f"Layers: {', '.join(result.layers)}"]
    if result.base == "missing":
        lines.append("Drift: unknown (no pristine render stored and the version is gone)")
    elif not result.drift:
        lines.append("Drift: none")
    else:
        lines.append(f"Drift from the pristine render ({len(result.drift)} file(s)):")
        lines += [f"  {file.change:>8}  {file.path}{'  (managed)' if file.managed else ''}"
                  for file in result.drift]
    return "\n".join(lines)
