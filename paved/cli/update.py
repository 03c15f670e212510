"""`paved update`: bring a generated repo to a newer catalog version."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paved import output
from paved.cli import options
from paved.errors import Outcome

if TYPE_CHECKING:
    from paved.update.update import UpdateResult


def register(app: typer.Typer) -> None:
    app.command("update", epilog=options.exit_codes(
        (3, "conflicts left in files: resolve them, git add, git commit")))(update)


def update(
    path: options.ProjectDir = Path("."),
    to: options.ToVersion = None,
    data: options.Data = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen to each "
                                          "file, with diffs; change nothing.")] = False,
    branch: Annotated[str | None, typer.Option("--branch", metavar="NAME",
                                               help="Make the change on a new branch NAME "
                                                    "(switched to).")] = None,
    allow_downgrade: Annotated[bool, typer.Option(
        "--allow-downgrade", help="Let --to name a version older than the repo's.")] = False,
    trust: options.Trust = False,
    json: options.Json = False,
) -> Outcome:
    """Merge the catalog's newer version into the repo at DIR, as one commit.

    Template changes land, your edits stay; where both changed the same lines
    the files are left as git conflicts (exit code 3): resolve them, git add,
    git commit. The repo must have no uncommitted changes to tracked files. On
    any failure or interruption the repo is left exactly as it was.

    \b
    Examples:
      paved update --dry-run
      paved update services/payments-api --to 0.3.0 --data shutdown_timeout_seconds=30
      paved update --branch paved/update --json
    """
    # Core modules load on use, so `paved --help` stays fast (see docs/benchmarks.md).
    from paved.update.update import update_project

    result = update_project(path, to=to, data=options.parse_data(data), dry_run=dry_run,
                            branch=branch, trust=trust, allow_downgrade=allow_downgrade)
    output.emit_result(result, as_json=json, describe=describe)
    return result


_NOTES = {
    "kept": "  (the template removed it; kept because you changed it)",
    "left deleted": "  (the template changed it; you had deleted it)",
    "left alone": "  (created once for you; the template's changes are not applied)",
    "renamed": "  (the template moved it here; your edits came along)",
}


def describe_files(result: UpdateResult) -> list[str]:
    """One line per file (and its diff with --dry-run): also `paved layer`'s."""
    lines = []
    for file in result.files:
        lines.append(f"{file.action:>12}  {file.path}{_NOTES.get(file.action, '')}")
        if file.diff:
            lines.append(file.diff.rstrip("\n"))
    for command in result.commands:
        kind, _, shown = command.partition(" ")
        lines.append(f"{'would run' if result.dry_run else 'ran'} {kind}: {shown}")
    return lines


def describe(result: UpdateResult) -> str:
    if result.up_to_date:
        return f"{result.path} is already at v{result.new_version}; nothing to do."
    lines = describe_files(result)
    versions = f"v{result.old_version} to v{result.new_version}"
    if result.dry_run:
        lines.append(f"Dry run: {result.path} would go from {versions}; nothing was changed.")
    elif result.conflicts:
        lines.append(f"Updated {result.path} from {versions} with {len(result.conflicts)} "
                     f"conflict(s): {', '.join(result.conflicts)}.\n"
                     "Resolve them, then git add and git commit (the message is prepared).")
    else:
        where = f" on branch {result.branch}" if result.branch else ""
        lines.append(f"Updated {result.path} from {versions}{where}: commit "
                     f"{(result.commit or '')[:12]}.")
    return "\n".join(lines)
