"""`paved fleet update`: roll the catalog's new version out to many repos."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from paved import output
from paved.cli import options


def register(app: typer.Typer) -> None:
    app.command("update")(update)


def update(
    source: options.FleetFrom,
    repos: options.FleetRepos = None,
    limit: options.FleetLimit = None,
    jobs: options.FleetJobs = 1,
    to: Annotated[str | None, typer.Option("--to", metavar="VERSION",
                                           help="Catalog version to go to. Default: the "
                                                "latest of each repo's catalog.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would happen to each "
                                                            "repo; change nothing.")] = False,
    push: Annotated[bool, typer.Option("--push", help="Publish each update branch "
                                                      "(see --publish).")] = False,
    publish: Annotated[str, typer.Option(
        "--publish", metavar="branch|github",
        help="How --push publishes: push the branch only, or push it and open a GitHub pull "
             "request ($GITHUB_TOKEN, $GITHUB_API_URL).")] = "branch",
    trust: options.Trust = False,
    json: options.Json = False,
) -> Any:
    """Update every repo of the fleet on a branch paved/update-VERSION, in cached clones.

    One repo's failure or conflict never stops the rest. A rerun skips repos
    already at the version or whose branch is already on the remote, so an
    interrupted run resumes. Exit 0 when every repo is done, 6 when some need a
    person (conflicts, failures: listed with the reason).

    \b
    Examples:
      paved fleet update --from repos.txt --dry-run
      paved fleet update --from repos.txt --jobs 4 --push
      paved fleet update --from ~/src --repos payments-api,orders --to 0.3.0 --push --publish github
    """
    from paved.fleet import formats
    from paved.fleet.sources import pick
    from paved.fleet.update import UpdateOptions, fleet_update

    refs = pick(source, repos, limit)
    progress = output.Progress(len(refs), "update")
    result = fleet_update(refs, UpdateOptions(to=to, dry_run=dry_run, push=push,
                                              publisher=publish, trust=trust),
                          jobs=jobs, done=lambda repo: progress.advance(
                              formats.update_line(repo)))
    progress.close()
    output.emit_result(result, as_json=json, describe=formats.update_summary)
    return result
