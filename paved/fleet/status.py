"""`paved fleet status`: where each repo stands, and how the fleet adopted each version.

A local checkout is read where it is; a remote repo through its workspace clone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from paved import git
from paved.catalog import open_catalog, versions_behind
from paved.errors import ExitCode, PavedError
from paved.fleet import runner, workspace
from paved.fleet.sources import RepoRef
from paved.update.status import project_status

UPDATE_COMMITS = "^(Paved-Update|Paved-Pristine): "


@dataclass(frozen=True)
class RepoStatus:
    name: str
    location: str
    golden_path: str | None = None
    applied_version: str | None = None
    latest_version: str | None = None
    behind_by: int | None = None  # released versions between applied and latest
    drifted: int | None = None  # template files changed by the team
    managed_drift: int | None = None  # of which managed by the platform
    last_update: str | None = None  # date of the newest paved commit (new or update)
    error: str | None = None  # why the repo could not be read


@dataclass(frozen=True)
class Adoption:
    version: str
    repos: int


@dataclass(frozen=True)
class FleetStatus:
    repos: tuple[RepoStatus, ...]
    adoption: tuple[Adoption, ...]  # repos per applied version, oldest version first
    unreadable: int
    seconds: float

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.ATTENTION if self.unreadable else ExitCode.OK


def fleet_status(refs: Sequence[RepoRef], *, jobs: int = 1,
                 done: Callable[[RepoStatus], None] = lambda repo: None) -> FleetStatus:
    start = time.monotonic()
    repos = tuple(runner.run_each(repo_status, refs, jobs=jobs, done=done))
    versions = sorted({repo.applied_version for repo in repos if repo.applied_version},
                      key=_sort_key)
    adoption = tuple(Adoption(version, sum(1 for repo in repos
                                           if repo.applied_version == version))
                     for version in versions)
    return FleetStatus(repos=repos, adoption=adoption,
                       unreadable=sum(1 for repo in repos if repo.error),
                       seconds=round(time.monotonic() - start, 3))


def repo_status(ref: RepoRef) -> RepoStatus:
    """One repo's row; its problems become the row's `error`."""
    try:
        with workspace.readable(ref) as path:
            status = project_status(path)
            catalog = open_catalog(status.catalog)
            return RepoStatus(
                name=ref.name, location=ref.location, golden_path=status.golden_path,
                applied_version=status.applied_version, latest_version=status.latest_version,
                behind_by=versions_behind(catalog, status.applied_version),
                drifted=len(status.drift),
                managed_drift=sum(1 for file in status.drift if file.managed),
                last_update=git.Repository(path).last_date_mentioning(UPDATE_COMMITS))
    except PavedError as error:
        return RepoStatus(name=ref.name, location=ref.location, error=str(error))
    except Exception as error:  # one odd repo must not stop the report
        return RepoStatus(name=ref.name, location=ref.location,
                          error=f"internal error: {type(error).__name__}: {error}")


def _sort_key(version: str) -> tuple[int, Version | str]:
    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)
