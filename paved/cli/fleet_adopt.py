"""`paved fleet adopt`: bring many existing repos onto the paved road at once."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from paved import output
from paved.cli import options


def register(app: typer.Typer) -> None:
    app.command("adopt", epilog=options.exit_codes(options.FLEET_ATTENTION))(adopt)


def adopt(
    source: options.FleetFrom,
    topic: options.FleetTopic = None,
    repos: options.FleetRepos = None,
    limit: options.FleetLimit = None,
    jobs: options.FleetJobs = 1,
    catalog: options.Catalog = None,
    template: Annotated[str | None, typer.Option(
        "--template", metavar="GOLDEN_PATH",
        help="Golden path to adopt. Default: python-service.")] = None,
    with_layers: Annotated[str | None, typer.Option(
        "--with", metavar="LAYER,...", help="Optional layers to adopt too.")] = None,
    data: options.Data = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what adoption would do in "
                                                            "each repo; change nothing.")] = False,
    push: Annotated[bool, typer.Option("--push", help="Publish each adoption branch "
                                                      "(see --publish).")] = False,
    publish: Annotated[str, typer.Option(
        "--publish", metavar="branch|github|gitlab",
        help="How --push publishes: the branch only, or the branch and a GitHub pull "
             "request or GitLab merge request.")] = "branch",
    label: Annotated[list[str] | None, typer.Option(
        "--label", metavar="NAME", help="Label of the pull request; repeatable. Default: "
                                        "paved.")] = None,
    trust: options.Trust = False,
    json: options.Json = False,
) -> Any:
    """Adopt every repo of the fleet on its branch paved/adopt, in cached clones.

    Each repo's answers are guessed from it (--data answers for all). Repos on
    the paved road already, or whose paved/adopt branch is on the remote, are
    skipped, so a rerun resumes. One repo's failure never stops the rest. Exit 0,
    6 when some failed (listed with the reason), 130 when interrupted.

    \b
    Examples:
      paved fleet adopt --from repos.txt --dry-run
      paved fleet adopt --from repos.txt --jobs 4 --push
      paved fleet adopt --from github:acme --topic python --push --publish github
    """
    from paved.fleet import formats
    from paved.fleet.adopt import AdoptOptions, fleet_adopt
    from paved.fleet.sources import pick

    refs = pick(source, repos, limit, topic)
    settings = AdoptOptions(catalog=catalog, golden_path=template,
                            with_layers=options.parse_names(with_layers),
                            data=options.parse_data(data), dry_run=dry_run, push=push,
                            publisher=publish, trust=trust, labels=tuple(label or ("paved",)))
    with output.Progress([ref.name for ref in refs], "adopt", jobs) as progress:
        result = fleet_adopt(refs, settings, jobs=jobs, done=lambda repo: progress.advance(
            formats.adopt_line(repo), repo.name))
    output.emit_result(result, as_json=json, describe=formats.adopt_summary)
    return result
