"""`paved restore`: take the template's version of files back, as one commit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paved import output
from paved.cli import options

if TYPE_CHECKING:
    from paved.update.restore import RestoreResult


def register(app: typer.Typer) -> None:
    app.command("restore", epilog=options.exit_codes())(restore)


def restore(
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH...", show_default=False,
        help="Files or folders of the generated repo, relative to the current directory.")],
    trust: options.Trust = False,
    json: options.Json = False,
) -> None:
    """Put back the template's version of PATH... at the repo's applied catalog version,
    as one commit on the current branch.

    The template's version is the pristine render of the version .paved.yml
    records (stored in the repo, else rendered again from the catalog). A
    folder restores every template file under it. The repo must have no
    uncommitted changes to tracked files; on any failure or interruption it is
    left exactly as it was.

    \b
    Examples:
      paved restore deploy/base/deployment.yaml
      paved restore .github/workflows --json
    """
    # Core modules load on use, so `paved --help` stays fast (see docs/benchmarks.md).
    from paved.update.restore import restore_files

    result = restore_files(paths, trust=trust)
    output.emit_result(result, as_json=json, describe=describe)


def describe(result: RestoreResult) -> str:
    lines = [f"{file.action:>10}  {file.path}" for file in result.files]
    restored = sum(file.action == "restored" for file in result.files)
    if result.commit is None:
        lines.append(f"Nothing to restore: already the template's version at "
                     f"v{result.version}.")
    else:
        lines.append(f"Restored {restored} file(s) of {result.golden_path} v{result.version} "
                     f"in {result.path}: commit {result.commit[:12]}.")
    return "\n".join(lines)
