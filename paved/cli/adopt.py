"""`paved adopt`: bring an existing repository onto the paved road."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paved import output
from paved.cli import options
from paved.cli.prompt import terminal_asker

if TYPE_CHECKING:
    from paved.adopt.adopt import AdoptResult


def register(app: typer.Typer) -> None:
    app.command("adopt", epilog=options.exit_codes())(adopt)


def adopt(
    path: Annotated[Path, typer.Argument(metavar="DIR", help="The repository. Default: the "
                                         "current directory.", show_default=False)] = Path("."),
    template: Annotated[str | None, typer.Option(
        "--template", metavar="GOLDEN_PATH",
        help="Golden path to adopt. Default: python-service.")] = None,
    catalog: options.Catalog = None,
    with_layers: Annotated[str | None, typer.Option(
        "--with", metavar="LAYER,...", help="Optional layers to adopt too.")] = None,
    data: options.Data = None,
    defaults: Annotated[bool, typer.Option("--defaults", help="Never ask: take what the repo "
                                           "tells, else each default.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Make the change: one commit (or "
                                        "--branch). Without it, only report.")] = False,
    take: Annotated[list[str] | None, typer.Option(
        "--take", metavar="PATH", help="With --apply: replace your version of PATH with the "
                                       "golden path's; repeatable.")] = None,
    branch: Annotated[str | None, typer.Option("--branch", metavar="NAME",
                                               help="Make the change on a new branch NAME "
                                                    "(switched to).")] = None,
    trust: options.Trust = False,
    json: options.Json = False,
) -> None:
    """Link the repository at DIR to a golden path, so paved update keeps it in step.

    Without --apply, reports per file what adoption would change (already as the
    golden path / the golden path would add it / you have your own version, with
    a diff) and the paved check rules it would fix; nothing is written. Answers
    are guessed from the repo (pyproject.toml, CODEOWNERS, catalog-info.yaml,
    Dockerfile) and asked to confirm on a terminal. --apply adds the missing
    files, keeps yours (or takes the golden path's with --take) and records the
    pristine render: one commit, recoverable like paved update.

    \b
    Examples:
      paved adopt
      paved adopt services/orders --data owner=acme/team-orders --apply
      paved adopt --apply --take Dockerfile --branch paved/adopt
    """
    from paved.adopt.adopt import adopt_project

    result = adopt_project(path, catalog_source=catalog, golden_path=template,
                           with_layers=options.parse_names(with_layers),
                           data=options.parse_data(data), ask=terminal_asker(defaults),
                           apply=apply, take=tuple(take or ()), branch=branch, trust=trust)
    output.emit_result(result, as_json=json, describe=describe)


def describe(result: AdoptResult) -> str:
    lines = []
    for file in result.files:
        fixes = f"  (fixes {', '.join(file.fixes)})" if file.fixes else ""
        lines.append(f"{file.status:>30}  {file.path}{fixes}")
        if file.diff and not result.applied:
            lines.append(file.diff.rstrip("\n"))
    if result.fixes:
        lines.append("paved check rules adoption fixes: "
                     + ", ".join(f"{fix.id} ({fix.title})" for fix in result.fixes) + ".")
    golden = (f"golden path {result.golden_path} (catalog {result.catalog} v{result.version}; "
              f"layers {', '.join(result.layers)})")
    if not result.applied:
        lines.append(f"Dry run: {result.path} would adopt {golden}; nothing was changed. "
                     "Run with --apply to make the change.")
    else:
        where = f" on branch {result.branch}" if result.branch else ""
        lines.append(f"Adopted {golden} in {result.path}{where}: commit "
                     f"{(result.commit or '')[:12]}.")
    return "\n".join(lines)
