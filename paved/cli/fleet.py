"""`paved fleet status | update | check`: many generated repos at once."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paved import output
from paved.cli import options
from paved.errors import InputError

if TYPE_CHECKING:
    from paved.fleet.check import FleetCheck
    from paved.fleet.sources import RepoRef

# The fleet modules are imported when a fleet command runs, not at every paved
# start-up; so results are typed `Any` here (typer evaluates every annotation).

fleet_app = typer.Typer(help="Status, updates and checks across many generated repos.",
                        no_args_is_help=True, epilog=options.exit_codes(options.FLEET_ATTENTION))


def register(app: typer.Typer) -> None:
    from paved.cli import fleet_adopt, fleet_update

    fleet_app.command("status", epilog=options.exit_codes(options.FLEET_ATTENTION))(status)
    fleet_update.register(fleet_app)
    fleet_adopt.register(fleet_app)
    fleet_app.command("check", epilog=options.exit_codes(options.FLEET_ATTENTION))(check)
    app.add_typer(fleet_app, name="fleet")


def status(
    source: options.FleetFrom,
    topic: options.FleetTopic = None,
    repos: options.FleetRepos = None,
    limit: options.FleetLimit = None,
    jobs: options.FleetJobs = 1,
    report_file: Annotated[Path | None, typer.Option(
        "--report", metavar="FILE.html", help="Also write a self-contained HTML report "
                                              "(repos, adoption, drift, check areas).")] = None,
    host: Annotated[str | None, typer.Option(
        "--publish", metavar="github|gitlab",
        help="Where fleet update publishes: show each repo's update pull request and its "
             "state. Default: the host of a github:/gitlab: source.")] = None,
    with_check: Annotated[bool, typer.Option(
        "--with-check", help="Run paved check in every repo too; adds scores and failing "
                             "rules to the report.")] = False,
    json: options.Json = False,
) -> Any:
    """One row per repo: golden path, applied and latest version, how far behind,
    drifted files, last update and its update pull request (open, checks failing,
    merged); then how many repos run each version.

    Repos that are not paved are skipped (listed). Exit 6 when some repos could
    not be read (listed with the reason).

    \b
    Examples:
      paved fleet status --from repos.txt
      paved fleet status --from github:acme --topic paved --report fleet.html --with-check
      paved fleet status --from repos.txt --publish gitlab --json | jq '.proposals'
    """
    from paved.fleet import formats, report, sources
    from paved.fleet.status import fleet_status

    refs = sources.pick(source, repos, limit, topic)
    with output.Progress([ref.name for ref in refs], "status", jobs) as progress:
        result = fleet_status(refs, jobs=jobs, host=host, done=lambda repo: progress.advance(
            formats.status_line(repo), repo.name))
    checked = _check(refs, jobs) if with_check else None
    if report_file is not None:
        stamp = _now().strftime("%Y-%m-%d %H:%M UTC")
        output.write_file(report_file, report.html(result, check=checked, generated=stamp))
    output.emit_result(result, as_json=json, describe=formats.status_table)
    return result


def _now() -> datetime.datetime:
    # SOURCE_DATE_EPOCH (reproducible-builds.org) pins the stamp, so a report can be rebuilt
    # byte for byte.
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
    return datetime.datetime.now(datetime.UTC)


def _check(refs: list[RepoRef], jobs: int, evidence: Path | None = None,
           from_ci: bool = False) -> FleetCheck:
    from paved.fleet import formats
    from paved.fleet.check import fleet_check

    with output.Progress([ref.name for ref in refs], "check", jobs) as progress:
        result = fleet_check(refs, jobs=jobs, evidence=evidence, from_ci=from_ci,
                             done=lambda repo: progress.advance(
            formats.check_line(repo), repo.name))
    return result


def check(
    source: options.FleetFrom,
    topic: options.FleetTopic = None,
    repos: options.FleetRepos = None,
    limit: options.FleetLimit = None,
    jobs: options.FleetJobs = 1,
    json: options.Json = False,
    evidence: Annotated[Path | None, typer.Option(
        "--evidence", metavar="DIR", exists=True, file_okay=False,
        help="Evidence per repo in DIR/<repo name> (chaos journals, rollback drill records), "
             "for the evidence rules.")] = None,
    evidence_from_ci: Annotated[bool, typer.Option(
        "--evidence-from-ci",
        help="Fetch each repo's newest chaos-journal and rollback-drill artifacts built on "
             "its default branch from its host (repos listed with github:ORG or "
             "gitlab:GROUP; the token the fleet publishes with), for the evidence rules.")
    ] = False,
) -> Any:
    """Run paved check in every repo: a score per repo, the rules failing most often, and
    which foundations (failure isolation, incident observability, rollback under 5 minutes,
    on-call and runbooks, postmortems) each repo has verified, only configured, or misses.

    Exit 6 when some repos could not be checked.

    \b
    Examples:
      paved fleet check --from repos.txt
      paved fleet check --from ~/src --jobs 2 --json
      paved fleet check --from repos.txt --evidence artifacts
      paved fleet check --from github:acme --topic paved --evidence-from-ci
    """
    from paved.fleet import formats, sources

    if evidence is not None and evidence_from_ci:
        raise InputError("give --evidence DIR or --evidence-from-ci, not both")
    result = _check(sources.pick(source, repos, limit, topic), jobs, evidence, evidence_from_ci)
    output.emit_result(result, as_json=json, describe=formats.check_table)
    return result
