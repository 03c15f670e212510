"""`paved fleet update`: each repo updated in its workspace, on one branch `paved/update`.

Per repo: reset the cached clone, skip it when it is at the target version or
already proposes it (so a rerun resumes where the last one stopped), run
`paved update` on the branch (the commit carries the changelog), then, with
`push`, hand the branch to a publisher, which opens the repo's one pull
request or refreshes it (a newer version replaces the branch while only paved
has committed to it). Whatever happens in one repo is caught into its `RepoUpdate`.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from paved import git, yaml
from paved.catalog import changelog_between, is_older, open_catalog
from paved.errors import ExitCode, PavedError
from paved.fleet import hosting, hosts, proposal, publishers, runner, workspace
from paved.fleet.sources import RepoRef
from paved.fleet.status import not_paved
from paved.project import PRISTINE_TRAILER, RECORD_FILE, parse_record, read_record
from paved.update.update import update_project

BRANCH = proposal.BRANCH
LEGACY_PREFIX = "paved/update-"  # the scheduled workflow's branches: paved/update-VERSION
PAVED_TRAILERS = rf"^(Paved-Update|{PRISTINE_TRAILER}): "


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
    labels: tuple[str, ...] = ("paved",)
    auto_merge: bool = False


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
    file_counts: dict[str, int] | None = None  # files per group: updated, merged, conflict, kept
    seconds: float = field(default=0.0, metadata={"volatile": True})


@dataclass(frozen=True)
class FleetUpdate:
    repos: tuple[RepoUpdate, ...]
    dry_run: bool
    pushed: bool
    jobs: int
    seconds: float = field(default=0.0, metadata={"volatile": True})
    not_done: tuple[str, ...] = ()  # interrupted (Ctrl-C): the repos not done, fleet order

    @property
    def interrupted(self) -> bool:
        return bool(self.not_done)

    @property
    def counts(self) -> dict[str, int]:
        return {outcome.value: sum(1 for repo in self.repos if repo.outcome is outcome)
                for outcome in Outcome}

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        needs = any(repo.outcome in NEEDS_A_PERSON for repo in self.repos)
        return ExitCode.ATTENTION if needs else ExitCode.OK


def fleet_update(refs: Sequence[RepoRef], options: UpdateOptions, *, jobs: int = 1,
                 done: Callable[[RepoUpdate], None] = lambda repo: None) -> FleetUpdate:
    publishers.publisher(options.publisher)
    run = runner.run_repos(partial(update_repo, options=options), refs, jobs=jobs, done=done)
    return FleetUpdate(repos=run.results, dry_run=options.dry_run,
                       pushed=options.push and not options.dry_run, jobs=jobs,
                       seconds=run.seconds, not_done=run.not_done)


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
        return RepoUpdate(ref.name, ref.location, Outcome.SKIPPED, not_paved(clone.branch))
    record = read_record(clone.path)
    catalog = open_catalog(record.catalog, version=options.to)
    target = catalog.version
    result = partial(RepoUpdate, ref.name, ref.location, old_version=record.version,
                     new_version=target)
    if not is_older(record.version, target):
        return result(Outcome.CURRENT, f"at v{record.version}")
    legacy = LEGACY_PREFIX + target
    if git.remote_branch_exists(clone.path, legacy):
        return result(Outcome.PROPOSED, f"branch {legacy} is already on the remote",
                      branch=legacy)
    publisher = publishers.publisher(options.publisher)
    waiting = _proposed(ref, clone, target, options, publisher)
    if waiting is not None:
        return result(Outcome.PROPOSED, waiting, branch=BRANCH)
    update = update_project(clone.path, to=target, dry_run=options.dry_run,
                            branch=None if options.dry_run else BRANCH, trust=options.trust)
    files = proposal.count(update)
    result = partial(result, file_counts=files)
    draft = bool(update.conflicts) and options.push and publisher.proposes \
        and not options.dry_run
    if update.conflicts and not draft:
        verb = "would conflict" if options.dry_run else "conflicts"
        return result(Outcome.CONFLICT, f"{verb} in {', '.join(update.conflicts)}: run "
                      f"paved update in the repo and resolve them", conflicts=update.conflicts)
    if options.dry_run:
        return result(Outcome.WOULD_UPDATE, f"would go from v{record.version} to v{target}")
    if update.commit is None and not draft:
        return result(Outcome.CURRENT, f"at v{record.version}; nothing to change")
    if not options.push:
        return result(Outcome.UPDATED, f"committed on {BRANCH} in {clone.path} (not pushed)",
                      branch=BRANCH)
    repository = git.Repository(clone.path)
    if draft:  # the conflicts, markers and all, committed for the team to resolve
        update = dataclasses.replace(update, commit=git.commit_everything(
            clone.path, (repository.git_dir / "MERGE_MSG").read_text(encoding="utf-8")))
    assert update.commit is not None
    text = proposal.describe(update, changelog_between(catalog, record.version, target), BRANCH,
                             clone.branch, noun=_noun(options.publisher))
    changed = [file.path for file in update.files]
    published = publisher.publish(publishers.Change(
        clone=clone.path, location=ref.location, slug=ref.slug, branch=BRANCH,
        base=clone.branch, title=text.title, body=text.body, labels=options.labels,
        reviewers=proposal.reviewers(clone.path, changed), auto_merge=options.auto_merge,
        draft=draft))
    notes = "".join(f"; {note}" for note in published.notes)
    if draft:
        return result(Outcome.CONFLICT, f"conflicts in {', '.join(update.conflicts)}: "
                      f"resolve them in {published.where}{notes}", conflicts=update.conflicts,
                      branch=BRANCH, published=published.where)
    verb = "published" if published.created else "refreshed"
    return result(Outcome.UPDATED, f"{verb}: {published.where}{notes}", branch=BRANCH,
                  published=published.where)


def _proposed(ref: RepoRef, clone: workspace.Clone, target: str, options: UpdateOptions,
              publisher: publishers.Publisher) -> str | None:
    """Why the update branch on the remote is left as it is, or None to (re)write it.

    paved rewrites its branch while only paved committed to it: a newer catalog
    version replaces an older proposal, and a proposal whose pull request was
    never opened (an interrupted run) is opened. A branch a person pushed to is theirs.
    """
    if not git.remote_branch_exists(clone.path, BRANCH):
        return None
    repository = git.Repository(clone.path)
    remote = f"origin/{BRANCH}"
    foreign = [sha for sha, message in repository.commits_between(remote, f"origin/{clone.branch}")
               if not re.search(PAVED_TRAILERS, message, re.MULTILINE)]
    proposed = _version_on(repository, remote)
    if foreign:
        return (f"{BRANCH} has {len(foreign)} commit(s) not made by paved; paved leaves it "
                f"to you (it proposes v{proposed})")
    if proposed is None or is_older(proposed, target):
        return None
    if not (options.push and publisher.proposes) or options.dry_run:
        return f"{BRANCH} already proposes v{proposed}"
    host = hosts.connect(publisher.name)
    latest = host.latest(ref.slug or hosting.slug_of(ref.location), BRANCH)
    if latest is None or latest.head_sha != repository.resolve(remote):
        return None  # pushed, but its pull request was never opened: open it now
    if latest.state in (hosting.State.MERGED, hosting.State.CLOSED):
        return (f"{host.noun} {latest.url} was {latest.state.value} without this version "
                f"reaching {clone.branch}; paved does not reopen it")
    return f"{latest.url} ({latest.state.value}) already proposes v{proposed}"


def _version_on(repository: git.Repository, rev: str) -> str | None:
    data = repository.read_file(rev, RECORD_FILE)
    if data is None:
        return None
    try:
        return parse_record(yaml.loads(data.decode("utf-8", "replace")), f"{rev}:{RECORD_FILE}"
                            ).version
    except PavedError:
        return None


def _noun(publisher: str) -> str:
    return "merge request" if publisher == "gitlab" else "pull request"
