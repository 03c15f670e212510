"""`paved fleet update`: roll the catalog's new version out to many repos."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from paved import output
from paved.cli import options


def register(app: typer.Typer) -> None:
    app.command("update", epilog=options.exit_codes(options.FLEET_ATTENTION))(update)


def update(
    source: options.FleetFrom,
    topic: options.FleetTopic = None,
    repos: options.FleetRepos = None,
    limit: options.FleetLimit = None,
    jobs: options.FleetJobs = 1,
    to: options.FleetTo = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would happen to each "
                                                            "repo; change nothing.")] = False,
    push: Annotated[bool, typer.Option("--push", help="Publish each update branch "
                                                      "(see --publish).")] = False,
    publish: Annotated[str, typer.Option(
        "--publish", metavar="branch|github|gitlab",
        help="How --push publishes: push the branch only, or push it and open (or refresh) "
             "the repo's GitHub pull request ($GITHUB_TOKEN, $GITHUB_API_URL) or GitLab merge "
             "request ($GITLAB_TOKEN, $GITLAB_URL).")] = "branch",
    label: Annotated[list[str] | None, typer.Option(
        "--label", metavar="NAME", help="Label of the pull request; repeatable. Default: "
                                        "paved.")] = None,
    auto_merge: Annotated[bool, typer.Option(
        "--auto-merge", help="Merge the pull request (a merge commit) once its checks "
                             "pass.")] = False,
    trust: options.Trust = False,
    json: options.Json = False,
) -> Any:
    """Update every repo of the fleet on its branch paved/update, in cached clones.

    With --push, each repo gets one pull request, kept up to date: a newer
    catalog version refreshes it. One repo's failure or conflict never stops the
    rest. A rerun skips repos already at the version or already proposing it, so
    an interrupted run resumes. Exit 0 when every repo is done, 6 when some need
    a person (conflicts, failures: listed with the reason), 130 when interrupted
    (what was done is listed).

    \b
    Examples:
      paved fleet update --from repos.txt --dry-run
      paved fleet update --from repos.txt --jobs 4 --push
      paved fleet update --from github:acme --push --publish github --auto-merge
      paved fleet update --from gitlab:platform/services --topic paved --push --publish gitlab
    """
    from paved.fleet import formats
    from paved.fleet.sources import pick
    from paved.fleet.update import UpdateOptions, fleet_update

    refs = pick(source, repos, limit, topic)
    with output.Progress([ref.name for ref in refs], "update", jobs) as progress:
        result = fleet_update(refs, UpdateOptions(to=to, dry_run=dry_run, push=push,
                                                  publisher=publish, trust=trust,
                                                  labels=tuple(label or ("paved",)),
                                                  auto_merge=auto_merge),
                              jobs=jobs, done=lambda repo: progress.advance(
                                  formats.update_line(repo), repo.name))
    output.emit_result(result, as_json=json, describe=formats.update_summary)
    return result
