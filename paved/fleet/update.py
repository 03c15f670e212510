"""`paved fleet update`: each repo updated in its workspace, on `paved/update-<version>`.

Per repo: reset the cached clone, skip it when it is at the target version or
its update branch is already on the remote (so a rerun resumes where the last
one stopped), run `paved update` on the branch (the commit carries the
changelog), then, with `push`, hand the branch to a publisher. Whatever
happens in one repo is caught into its `RepoUpdate`.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from paved import git, render
from paved.catalog import is_older, open_catalog
from paved.errors import ExitCode, PavedError
from paved.fleet import publishers, runner, workspace
from paved.fleet.sources import RepoRef
from paved.project import RECORD_FILE, read_record
from paved.update.update import update_project

BRANCH_PREFIX = "paved/update-"


class Outcome(enum.Enum):
    UPDATED = "updated"
    WOULD_UPDATE = "would update"  # --dry-run
    CURRENT = "current"  # already at the target version
    PROPOSED = "proposed"  # its update branch is already on the remote, awaiting review
    SKIPPED = "skipped"  # not a paved repo
    CONFLICT = "conflict"
    FAILED = "failed"


NEEDS_A_PERSON = (Outcome.CONFLICT, Outcome.FAILED)


@dataclass(frozen=True)
class UpdateOptions:
    to: str | None = None
    dry_run: bool = False
    push: bool = False
    publisher: str = "branch"
    trust: bool = False


@dataclass(frozen=True)
class RepoUpdate:
    name: str
    location: str
    outcome: Outcome
    reason: str  # one line: what was done, or why not
    old_version: str | None = None
    new_version: str | None = None
    branch: str | None = None
    conflicts: tuple[str, ...] = ()
    published: str | None = None  # where the change can be seen
    seconds: float = 0.0


@dataclass(frozen=True)
class FleetUpdate:
    repos: tuple[RepoUpdate, ...]
    dry_run: bool
    pushed: bool
    jobs: int
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        return {outcome.value: sum(1 for repo in self.repos if repo.outcome is outcome)
                for outcome in Outcome}

    @property
    def exit_code(self) -> ExitCode:
        needs = any(repo.outcome in NEEDS_A_PERSON for repo in self.repos)
        return ExitCode.ATTENTION if needs else ExitCode.OK


def fleet_update(refs: Sequence[RepoRef], options: UpdateOptions, *, jobs: int = 1,
                 done: Callable[[RepoUpdate], None] = lambda repo: None) -> FleetUpdate:
    if options.publisher not in publishers.PUBLISHERS:
        raise publishers.PublishError(f"no publisher {options.publisher!r}; choose one of "
                                      f"{', '.join(publishers.PUBLISHERS)}")
    start = time.monotonic()
    if jobs > 1:
        render.import_copier()  # once, before the workers fork, rather than once in each
    results = runner.run_each(partial(update_repo, options=options), refs, jobs=jobs, done=done)
    return FleetUpdate(repos=tuple(results), dry_run=options.dry_run,
                       pushed=options.push and not options.dry_run, jobs=jobs,
                       seconds=round(time.monotonic() - start, 3))


def update_repo(ref: RepoRef, options: UpdateOptions) -> RepoUpdate:
    """Update one repo; never raises for that repo's problems (they are its outcome)."""
    start = time.monotonic()
    try:
        result = _update(ref, options)
    except PavedError as error:
        result = RepoUpdate(ref.name, ref.location, Outcome.FAILED, str(error))
    except Exception as error:  # a bug met in one repo must not stop the fleet
        result = RepoUpdate(ref.name, ref.location, Outcome.FAILED,
                            f"internal error: {type(error).__name__}: {error}")
    return dataclasses.replace(result, seconds=round(time.monotonic() - start, 3))


def _update(ref: RepoRef, options: UpdateOptions) -> RepoUpdate:
    with workspace.checked_out(ref) as clone:  # another run sharing the cache waits here
        return _update_clone(ref, clone, options)


def _update_clone(ref: RepoRef, clone: workspace.Clone, options: UpdateOptions) -> RepoUpdate:
    if not (clone.path / RECORD_FILE).is_file():
        return RepoUpdate(ref.name, ref.location, Outcome.SKIPPED,
                          f"not a paved repo: no {RECORD_FILE} on {clone.branch}")
    record = read_record(clone.path)
    target = open_catalog(record.catalog, version=options.to).version
    result = partial(RepoUpdate, ref.name, ref.location, old_version=record.version,
                     new_version=target)
    if not is_older(record.version, target):
        return result(Outcome.CURRENT, f"at v{record.version}")
    branch = BRANCH_PREFIX + target
    if git.remote_branch_exists(clone.path, branch):
        return result(Outcome.PROPOSED, f"branch {branch} is already on the remote",
                      branch=branch)
    update = update_project(clone.path, to=target, dry_run=options.dry_run,
                            branch=None if options.dry_run else branch, trust=options.trust)
    if update.conflicts:
        verb = "would conflict" if options.dry_run else "conflicts"
        return result(Outcome.CONFLICT, f"{verb} in {', '.join(update.conflicts)}: run "
                      f"paved update in the repo and resolve them", conflicts=update.conflicts)
    if options.dry_run:
        return result(Outcome.WOULD_UPDATE, f"would go from v{record.version} to v{target}")
    if update.commit is None:
        return result(Outcome.CURRENT, f"at v{record.version}; nothing to change")
    if not options.push:
        return result(Outcome.UPDATED, f"committed on {branch} in {clone.path} (not pushed)",
                      branch=branch)
    message = git.Repository(clone.path).message(update.commit)
    title, _, body = message.partition("\n")
    published = publishers.PUBLISHERS[options.publisher].publish(publishers.Change(
        clone=clone.path, location=ref.location, branch=branch, base=clone.branch,
        title=title, body=body.strip()))
    return result(Outcome.UPDATED, f"published: {published}", branch=branch,
                  published=published)
