"""`paved fleet status`: where each repo stands, and how the fleet adopted each version.

A local checkout is read where it is; a remote repo through its workspace clone.
With a host (`--publish github|gitlab`, or a `github:`/`gitlab:` source) each
row also shows the repo's newest update pull request and its state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from packaging.version import Version

from paved import git
from paved.catalog import open_catalog, parse_version, versions_behind
from paved.errors import ExitCode, PavedError
from paved.fleet import hosting, hosts, proposal, runner, workspace
from paved.fleet.sources import RepoRef
from paved.project import RECORD_FILE
from paved.update.status import DriftedFile, project_status

UPDATE_COMMITS = "^(Paved-Update|Paved-Pristine): "


@dataclass(frozen=True)
class RepoStatus:
    name: str
    location: str
    url: str = ""  # the repository's page
    golden_path: str | None = None
    applied_version: str | None = None
    latest_version: str | None = None
    behind_by: int | None = None  # released versions between applied and latest
    drift_count: int | None = None  # template files changed by the team
    managed_drift_count: int | None = None  # of which managed by the platform
    drift: tuple[DriftedFile, ...] = ()  # as `paved status` reports them
    last_update: str | None = None  # date of the newest paved commit (new or update)
    proposal: hosting.Proposal | None = None  # the newest update pull request, any state
    skipped: str | None = None  # why it is not counted: not a paved repo
    error: str | None = None  # why the repo could not be read


@dataclass(frozen=True)
class Adoption:
    version: str
    repos: int
    percent: float  # of the paved repos read, to one decimal
    latest: bool  # the newest version the fleet's catalogs offer


@dataclass(frozen=True)
class FleetStatus:
    repos: tuple[RepoStatus, ...]
    adoption: tuple[Adoption, ...]  # repos per applied version, oldest version first
    latest_version: str | None
    proposals: dict[str, int]  # update pull requests per state
    skipped: int
    unreadable: int
    seconds: float = field(default=0.0, metadata={"volatile": True})
    interrupted: bool = False  # Ctrl-C: `repos` are those read before it

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        return ExitCode.ATTENTION if self.unreadable else ExitCode.OK


def fleet_status(refs: Sequence[RepoRef], *, jobs: int = 1, host: str | None = None,
                 done: Callable[[RepoStatus], None] = lambda repo: None) -> FleetStatus:
    if host is not None:
        hosts.connect(host)  # a missing token is refused once, before any work
    start = time.monotonic()
    run = runner.run_each(partial(repo_status, host=host), refs, jobs=jobs, done=done)
    repos = run.results
    read = [repo for repo in repos if repo.applied_version]
    versions = sorted({repo.applied_version for repo in read if repo.applied_version},
                      key=_sort_key)
    offered = sorted({repo.latest_version for repo in read if repo.latest_version},
                     key=_sort_key)
    latest = offered[-1] if offered else None
    adoption = []
    for version in versions:
        count = sum(1 for repo in read if repo.applied_version == version)
        adoption.append(Adoption(version, count, round(100 * count / len(read), 1),
                                 version == latest))
    states = [repo.proposal.state.value for repo in repos if repo.proposal]
    return FleetStatus(repos=repos, adoption=tuple(adoption), latest_version=latest,
                       proposals={state: states.count(state) for state in dict.fromkeys(states)},
                       skipped=sum(1 for repo in repos if repo.skipped),
                       unreadable=sum(1 for repo in repos if repo.error),
                       seconds=round(time.monotonic() - start, 3), interrupted=run.interrupted)


def repo_status(ref: RepoRef, host: str | None = None) -> RepoStatus:
    """One repo's row; a repo without a record is skipped, other problems are its `error`."""
    row = partial(RepoStatus, name=ref.name, location=ref.location, url=ref.url)
    try:
        with workspace.readable(ref) as path:
            if not (path / RECORD_FILE).is_file():
                return row(skipped=not_paved(_branch(path)))
            status = project_status(path)
            catalog = open_catalog(status.catalog)
            host = host or ref.host
            return row(
                golden_path=status.golden_path,
                applied_version=status.applied_version, latest_version=status.latest_version,
                behind_by=versions_behind(catalog, status.applied_version),
                drift_count=len(status.drift),
                managed_drift_count=sum(1 for file in status.drift if file.managed),
                drift=status.drift,
                last_update=git.Repository(path).last_date_mentioning(UPDATE_COMMITS),
                proposal=hosts.connect(host).latest(
                    ref.slug or hosting.slug_of(ref.location), proposal.BRANCH)
                if host else None)
    except PavedError as error:
        return row(error=str(error))
    except Exception as error:  # one odd repo must not stop the report
        return row(error=f"internal error: {type(error).__name__}: {error}")


def not_paved(branch: str) -> str:
    """Why a repo without a record is skipped, said the same by every fleet command."""
    return f"not a paved repo: no {RECORD_FILE} on {branch}"


def _branch(path: Path) -> str:
    """The branch checked out at `path` (a workspace is on the remote's default branch)."""
    head = git.Repository(path).head_file()
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: ") else "HEAD"


def _sort_key(version: str) -> tuple[int, Version | str]:
    parsed = parse_version(version)
    return (1, version) if parsed is None else (0, parsed)
