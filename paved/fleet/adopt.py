"""`paved fleet adopt`: `paved adopt` across a fleet, one branch `paved/adopt` per repo.

Per repo, in its cached clone (paved.fleet.workspace): skip it when it is on
the paved road already (a `.paved.yml`) or its adoption branch is already on
the remote (a rerun resumes); otherwise adopt it on the branch (answers guessed
from each repo, `--data` for all), then, with `push`, hand the branch to the
same publishers as `paved fleet update` (a pushed branch, or a GitHub pull /
GitLab merge request). Whatever happens in one repo is caught into its result.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from paved import git
from paved.adopt.adopt import ADD, TAKE, YOURS, AdoptResult, adopt_project
from paved.errors import ExitCode, PavedError
from paved.fleet import proposal, publishers, runner, workspace
from paved.fleet.sources import RepoRef
from paved.project import RECORD_FILE

BRANCH = "paved/adopt"


class Outcome(enum.Enum):
    ADOPTED = "adopted"
    WOULD_ADOPT = "would adopt"  # --dry-run
    PAVED = "paved already"  # it has a .paved.yml
    PROPOSED = "proposed"  # its adoption branch is on the remote, awaiting review
    FAILED = "failed"


@dataclass(frozen=True)
class AdoptOptions:
    catalog: str | None = None
    golden_path: str | None = None
    with_layers: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    dry_run: bool = False
    push: bool = False
    publisher: str = "branch"
    trust: bool = False
    labels: tuple[str, ...] = ("paved",)


@dataclass(frozen=True)
class RepoAdopt:
    name: str
    location: str
    outcome: Outcome
    reason: str  # one line: what was done, or why not
    files: dict[str, int] | None = None  # added, taken, kept
    fixes: tuple[str, ...] = ()  # paved check rules the change fixes
    branch: str | None = None
    published: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class FleetAdopt:
    repos: tuple[RepoAdopt, ...]
    dry_run: bool
    pushed: bool
    jobs: int
    seconds: float
    not_done: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return {outcome.value: sum(1 for repo in self.repos if repo.outcome is outcome)
                for outcome in Outcome}

    @property
    def exit_code(self) -> ExitCode:
        if self.not_done:
            return ExitCode.INTERRUPTED
        failed = any(repo.outcome is Outcome.FAILED for repo in self.repos)
        return ExitCode.ATTENTION if failed else ExitCode.OK


def fleet_adopt(refs: Sequence[RepoRef], options: AdoptOptions, *, jobs: int = 1,
                done: Callable[[RepoAdopt], None] = lambda repo: None) -> FleetAdopt:
    publishers.publisher(options.publisher)
    run = runner.run_repos(partial(adopt_repo, options=options), refs, jobs=jobs, done=done)
    return FleetAdopt(repos=run.results, dry_run=options.dry_run,
                      pushed=options.push and not options.dry_run, jobs=jobs,
                      seconds=run.seconds, not_done=run.not_done)


def adopt_repo(ref: RepoRef, options: AdoptOptions) -> RepoAdopt:
    """Adopt one repo; never raises for that repo's problems (they are its outcome)."""
    start = time.monotonic()
    try:
        with workspace.checked_out(ref) as clone:
            result = _adopt_clone(ref, clone, options)
    except PavedError as error:
        result = RepoAdopt(ref.name, ref.location, Outcome.FAILED, str(error))
    except Exception as error:  # a bug met in one repo must not stop the fleet
        result = RepoAdopt(ref.name, ref.location, Outcome.FAILED,
                           f"internal error: {type(error).__name__}: {error}")
    return dataclasses.replace(result, seconds=round(time.monotonic() - start, 3))


def _adopt_clone(ref: RepoRef, clone: workspace.Clone, options: AdoptOptions) -> RepoAdopt:
    result = partial(RepoAdopt, ref.name, ref.location)
    if (clone.path / RECORD_FILE).is_file():
        return result(Outcome.PAVED, f"has {RECORD_FILE} on {clone.branch}: paved fleet update "
                                     f"keeps it in step")
    if git.remote_branch_exists(clone.path, BRANCH):
        return result(Outcome.PROPOSED, f"branch {BRANCH} is already on the remote",
                      branch=BRANCH)
    adopted = adopt_project(clone.path, catalog_source=options.catalog,
                            golden_path=options.golden_path, with_layers=options.with_layers,
                            data=options.data, apply=not options.dry_run,
                            branch=None if options.dry_run else BRANCH, trust=options.trust)
    files = {"added": _count(adopted, ADD), "taken": _count(adopted, TAKE),
             "kept": _count(adopted, YOURS)}
    fixes = tuple(fix.id for fix in adopted.fixes)
    result = partial(result, files=files, fixes=fixes)
    summary = (f"{files['added']} file(s) to add, {files['kept']} of its own kept, "
               f"{len(fixes)} check rule(s) fixed")
    if options.dry_run:
        return result(Outcome.WOULD_ADOPT, f"would adopt {adopted.golden_path} "
                                           f"v{adopted.version}: {summary}")
    if not options.push:
        return result(Outcome.ADOPTED, f"committed on {BRANCH} in {clone.path} (not pushed)",
                      branch=BRANCH)
    title, body = describe(adopted, clone.branch)
    publisher = publishers.publisher(options.publisher)
    published = publisher.publish(publishers.Change(
        clone=clone.path, location=ref.location, slug=ref.slug, branch=BRANCH,
        base=clone.branch, title=title, body=body, labels=options.labels,
        reviewers=proposal.reviewers(clone.path, [file.path for file in adopted.files
                                                  if file.status in (ADD, TAKE)])))
    notes = "".join(f"; {note}" for note in published.notes)
    return result(Outcome.ADOPTED, f"published: {published.where}{notes}", branch=BRANCH,
                  published=published.where)


def _count(adopted: AdoptResult, status: str) -> int:
    return sum(1 for file in adopted.files if file.status == status)


def describe(adopted: AdoptResult, base: str) -> tuple[str, str]:
    """The adoption proposal's title and body (Markdown)."""
    title = f"Adopt golden path {adopted.golden_path} (paved catalog v{adopted.version})"
    lines = [f"This links the repository to golden path **{adopted.golden_path}** of catalog "
             f"`{adopted.catalog}` v{adopted.version}, so that `paved update` keeps it in "
             f"step from now on. Files of your own are kept; review them against the golden "
             f"path's below.", ""]
    for heading, status in (("Added", ADD), ("Kept (your own version)", YOURS),
                            ("Taken from the golden path", TAKE)):
        paths = [file.path for file in adopted.files if file.status == status]
        if paths:
            lines += [f"### {heading} ({len(paths)})", "",
                      *(f"- `{path}`" for path in paths), ""]
    if adopted.fixes:
        lines += ["### `paved check` rules this fixes", "",
                  *(f"- `{fix.id}`: {fix.title}" for fix in adopted.fixes), ""]
    lines.append(f"Merge into `{base}` with a merge commit: its second parent is the "
                 f"pristine render that `paved update` merges from.")
    return title, "\n".join(lines)
