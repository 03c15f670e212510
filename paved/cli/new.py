"""`paved new service`: render a golden path into a new repository."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paved import output
from paved.cli import complete, options
from paved.cli.prompt import ask_service_name, terminal_asker

if TYPE_CHECKING:
    from paved.create import CreateResult

new_app = typer.Typer(help="Create something new from the catalog.", no_args_is_help=True,
                      epilog=options.exit_codes())


def register(app: typer.Typer) -> None:
    app.add_typer(new_app, name="new")


@new_app.command("service", epilog=options.exit_codes())
def service(
    name: Annotated[str | None, typer.Argument(
        metavar="NAME", show_default=False,
        help="Service name: a DNS-1123 label such as payments-api. Asked for on a "
             "terminal when left out.")] = None,
    dest: Annotated[Path | None, typer.Option("--dest", metavar="DIR",
                                              help="Directory to create. Default: "
                                                   "./NAME.")] = None,
    template: options.GoldenPath = None,
    catalog: options.Catalog = None,
    with_layers: Annotated[str | None, typer.Option(
        "--with", metavar="LAYER,...", autocompletion=complete.optional_layers,
        help="Optional layers to add (paved list shows them).")] = None,
    version: Annotated[str | None, typer.Option(
        "--version", metavar="VERSION", help="Catalog version to render: a release (1.2.0), "
        "a tag or a commit. Default: the latest release.")] = None,
    defaults: Annotated[bool, typer.Option("--defaults", help="Take the default for every "
                                           "question not answered by --data or a file.")] = False,
    data: options.Data = None,
    answers_file: Annotated[Path | None, typer.Option(
        "--answers-file", metavar="FILE", help="YAML file of answers; --data wins.")] = None,
    no_git: Annotated[bool, typer.Option("--no-git", help="Do not create a git repository.")]
    = False,
    trust: options.Trust = False,
    json: options.Json = False,
) -> None:
    """Render a new service from a golden path into ./NAME (or --dest).

    Questions are asked on a terminal; otherwise (CI, pipes, --defaults) each takes
    its default. Answers are checked before anything is written, and the render is
    atomic: on any failure or Ctrl-C nothing is left behind.

    \b
    Examples:
      paved new service payments-api
      paved new service payments-api --defaults --data owner=team-payments
      paved new service orders --with postgres,monitoring --defaults
      paved new service billing --catalog gh:acme/service-template --version 2.1.0
      paved new service checkout --catalog git@github.com:acme/paved-catalog.git --json
    """
    # Core modules load on use, so `paved --help` stays fast (see docs/benchmarks.md).
    from paved.create import create_service
    from paved.questions import read_answers_file

    if name is None:
        name = ask_service_name(defaults)
    answers: dict[str, Any] = read_answers_file(answers_file) if answers_file else {}
    answers.update(options.parse_data(data))
    result = create_service(name, dest=dest, golden_path=template, catalog_source=catalog,
                            version=version, data=answers, ask=terminal_asker(defaults),
                            use_git=not no_git, trust=trust,
                            with_layers=options.parse_names(with_layers))
    output.emit_result(result, as_json=json, describe=_describe)


def _describe(result: CreateResult) -> str:
    committed = f", committed {result.commit[:12]}" if result.commit else ""
    lines = [f"Created {result.path} from golden path {result.golden_path} "
             f"(catalog {result.catalog} v{result.version}): {result.file_count} files"
             f"{committed}.",
             f"Layers: {', '.join(result.layers)}."]
    lines += [f"Note: {note}." for note in result.notes]
    lines += [f"Ran task: {task}" for task in result.tasks]
    if result.next_steps:
        lines.append(f"Next: cd {result.path} && {result.next_steps}")
    return "\n".join(lines)
