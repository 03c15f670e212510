"""`paved layer add / remove`: optional layers, added to or removed from a generated repo."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paved import output
from paved.cli import complete, options
from paved.cli.prompt import terminal_asker
from paved.cli.update import describe_files
from paved.errors import Outcome

if TYPE_CHECKING:
    from paved.update.update import UpdateResult

layer_app = typer.Typer(help="Add or remove the optional layers of a golden path.",
                        no_args_is_help=True)

Name = Annotated[str, typer.Argument(metavar="LAYER", help="An optional layer (paved list).",
                                     autocompletion=complete.layers_to_add)]
Added = Annotated[str, typer.Argument(metavar="LAYER", help="An optional layer the repo has.",
                                      autocompletion=complete.layers_to_remove)]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would happen to each file, "
                                      "with diffs; change nothing.")]
Branch = Annotated[str | None, typer.Option("--branch", metavar="NAME",
                                            help="Make the change on a new branch NAME "
                                                 "(switched to).")]
Defaults = Annotated[bool, typer.Option("--defaults", help="Take the default for every new "
                                        "question not answered by --data.")]


def register(app: typer.Typer) -> None:
    app.add_typer(layer_app, name="layer")


@layer_app.command("add", epilog=options.exit_codes(
    (3, "conflicts left in files: resolve them, git add, git commit")))
def add(name: Name, path: options.ProjectDir = Path("."), data: options.Data = None,
        defaults: Defaults = False, dry_run: DryRun = False, branch: Branch = None,
        trust: options.Trust = False, json: options.Json = False) -> Outcome:
    """Add the optional layer LAYER to the repo at DIR, as one commit.

    Asks the layer's questions (on a terminal; --data or defaults otherwise),
    renders it at the catalog version the repo is at and merges it like paved
    update: your edits stay, overlaps are left as conflicts (exit code 3), and
    any failure or interruption leaves the repo as it was.

    \b
    Examples:
      paved layer add postgres --dry-run
      paved layer add monitoring services/payments-api --branch paved/monitoring
    """
    from paved.update.update import LayerChange, update_project

    result = update_project(path, data=options.parse_data(data), dry_run=dry_run,
                            branch=branch, trust=trust, layers=LayerChange(added=(name,)),
                            ask=None if dry_run else terminal_asker(defaults))
    output.emit_result(result, as_json=json, describe=describe)
    return result


@layer_app.command("remove", epilog=options.exit_codes(
    (3, "conflicts left in files: resolve them, git add, git commit")))
def remove(name: Added, path: options.ProjectDir = Path("."), dry_run: DryRun = False,
           branch: Branch = None, trust: options.Trust = False,
           json: options.Json = False) -> Outcome:
    """Remove the optional layer LAYER from the repo at DIR, as one commit.

    The layer's files you did not change are deleted; the ones you changed are
    kept and reported. Files of other layers that depend on it are merged like
    paved update.

    \b
    Examples:
      paved layer remove postgres --dry-run
      paved layer remove monitoring --branch paved/no-monitoring
    """
    from paved.update.update import LayerChange, update_project

    result = update_project(path, dry_run=dry_run, branch=branch, trust=trust,
                            layers=LayerChange(removed=(name,)))
    output.emit_result(result, as_json=json, describe=describe)
    return result


def describe(result: UpdateResult) -> str:
    change = result.layer_change
    assert change is not None
    verb = "add" if change.added else "remove"
    names = ", ".join(change.added or change.removed)
    lines = describe_files(result)
    if result.dry_run:
        lines.append(f"Dry run: paved would {verb} layer {names} in {result.path}; nothing "
                     f"was changed.")
    elif result.conflicts:
        lines.append(f"Layer {names}: {verb} left {len(result.conflicts)} conflict(s) in "
                     f"{result.path}: {', '.join(result.conflicts)}.\n"
                     "Resolve them, then git add and git commit (the message is prepared).")
    else:
        where = f" on branch {result.branch}" if result.branch else ""
        done = "Added" if change.added else "Removed"
        lines.append(f"{done} layer {names} in {result.path}{where}: commit "
                     f"{(result.commit or '')[:12]}. Layers: {', '.join(result.layers)}.")
    return "\n".join(lines)
