"""`paved template init | lint`: scaffold and check a catalog (test and release: template_run)."""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paved import output
from paved.cli import complete, options
from paved.errors import Findings, Outcome

if TYPE_CHECKING:
    from paved.authoring.lint import LintResult
    from paved.authoring.scaffold import ScaffoldResult

template_app = typer.Typer(help="Write, check, test and release golden-path templates.",
                           no_args_is_help=True, epilog=options.exit_codes(
                               (4, "lint: findings at or above --fail-on; test: a step "
                                   "failed")))


class Format(enum.Enum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


class FailOn(enum.Enum):
    """`paved.authoring.findings.Severity`'s values, declared here so that `paved --help`
    need not load the linter."""

    ERROR = "error"
    WARNING = "warning"


def register(app: typer.Typer) -> None:
    from paved.cli import template_run

    template_run.register(template_app)
    app.add_typer(template_app, name="template")


@template_app.command("init", epilog=options.exit_codes())
def init(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Name of the new golden path "
                                             "or layer, such as dashboards.")],
    layer: Annotated[bool, typer.Option("--layer", help="Add a layer instead of a "
                                        "golden path.")] = False,
    golden_path: Annotated[str | None, typer.Option(
        "--golden-path", metavar="GOLDEN_PATH", autocompletion=complete.golden_paths,
        help="With --layer: the golden path it joins.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", metavar="TEAM",
                                              help="Owning team. Default: the golden "
                                                   "path's owner.")] = None,
    description: Annotated[str | None, typer.Option("--description", metavar="TEXT",
                                                    help="What it produces, in one line.")]
    = None,
    catalog_dir: Annotated[Path, typer.Option("--catalog-dir", metavar="DIR",
                                              help="The catalog. Default: current directory.")]
    = Path("."),
    json: options.Json = False,
) -> None:
    """Scaffold a golden path or layer: manifest entry, example question, layer folder.

    The new layer has an example file that uses the shared partial
    partials/provenance.jinja; the result passes `paved template lint`.

    \b
    Examples:
      paved template init dashboards --layer --golden-path python-service
      paved template init worker --owner team-platform --description "Queue worker"
    """
    # Core modules load on use, so `paved --help` stays fast (see docs/benchmarks.md).
    from paved.authoring.scaffold import scaffold

    result = scaffold(catalog_dir, name, layer=layer, golden_path=golden_path, owner=owner,
                      description=description)
    output.emit_result(result, as_json=json,
                       describe=lambda done: _describe_scaffold(done, golden_path))


def _describe_scaffold(result: ScaffoldResult, golden_path: str | None) -> str:
    joins = f" (joins golden path {golden_path})" if golden_path else ""
    return (f"Added {result.kind} {result.name}{joins} to {result.catalog}.\n"
            f"Created: {', '.join(result.created)}\n"
            f"Changed: {', '.join(result.changed)} (example question {result.question})\n"
            f"Next: edit layers/{result.name}, then `paved template lint` and "
            "`paved template test`.")


@template_app.command("lint", epilog=options.exit_codes(
    (4, "a finding at or above --fail-on")))
def lint(
    catalog: options.CatalogDir = Path("."),
    format: Annotated[Format, typer.Option("--format", help="text, json, or sarif "
                                           "(SARIF 2.1.0 for code scanning).")] = Format.TEXT,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", metavar="SEVERITY",
                                            help="error or warning: exit 4 on findings of this "
                                            "severity or worse.")] = FailOn.ERROR,
    json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    trust: options.Trust = False,
) -> Outcome:
    """Check a catalog: schema, questions, Jinja, variables, partials, rendered paths.

    A plain copier template (no paved-catalog.yml) is checked as copier reads it:
    copier renders it over each answer set of its paved-answer-sets.yml (or its
    defaults); its Jinja extensions load only with --trust.

    Each finding names a file, line, rule and severity. Exit code 4 when a finding
    reaches --fail-on (errors by default), 0 otherwise.

    \b
    Examples:
      paved template lint
      paved template lint templates --format sarif > paved.sarif
      paved template lint ../platform-catalog --fail-on warning --json
    """
    from paved import config
    from paved.authoring.findings import Severity
    from paved.authoring.lint import lint_catalog, to_sarif

    result = lint_catalog(catalog, trust=trust or config.is_trusted(str(catalog.resolve())))
    chosen = Format.JSON if json else format
    if chosen is Format.JSON:
        output.emit_json(result)
    elif chosen is Format.SARIF:
        output.emit_document(to_sarif(result, uri_prefix=_uri_prefix(Path(result.catalog))))
    else:
        output.emit(_describe_lint(result))
    return Findings(found=result.failed(Severity(fail_on.value)))


def _uri_prefix(catalog: Path) -> str:
    """Where the catalog is from the current directory (code scanning's repository root)."""
    relative = os.path.relpath(catalog, Path.cwd())
    return "" if relative == "." or relative.startswith("..") else relative + "/"


def _describe_lint(result: LintResult) -> str:
    lines = [f"{item.location()}: {item.severity.value}: {item.message} [{item.rule}]"
             for item in result.findings]
    lines.append(f"{result.errors} error(s), {result.warnings} warning(s) in {result.catalog}"
                 if result.findings else f"No findings in {result.catalog}.")
    return "\n".join(lines)
