"""`paved fleet check`: `paved check` in every repo, with the rules that fail most often."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from paved.check import run_check
from paved.check.options import CheckOptions
from paved.check.rule import Status
from paved.errors import ExitCode, PavedError
from paved.fleet import runner, workspace
from paved.fleet.sources import RepoRef


@dataclass(frozen=True)
class RepoCheck:
    name: str
    location: str
    score: int | None = None  # 0-100
    failing: tuple[str, ...] = ()  # ids of the rules that failed
    areas: dict[str, int | None] | None = None  # score (0-100) per check area
    error: str | None = None


@dataclass(frozen=True)
class RuleCount:
    rule: str
    repos: int  # how many repos fail it


@dataclass(frozen=True)
class FleetCheck:
    repos: tuple[RepoCheck, ...]
    failing_rules: tuple[RuleCount, ...]  # most repos first
    average_score: int | None
    unreadable: int
    seconds: float = field(default=0.0, metadata={"volatile": True})
    interrupted: bool = False  # Ctrl-C: `repos` are those checked before it

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        return ExitCode.ATTENTION if self.unreadable else ExitCode.OK


def fleet_check(refs: Sequence[RepoRef], *, jobs: int = 1,
                done: Callable[[RepoCheck], None] = lambda repo: None) -> FleetCheck:
    start = time.monotonic()
    run = runner.run_each(repo_check, refs, jobs=jobs, done=done)
    repos = run.results
    counts: dict[str, int] = {}
    for repo in repos:
        for rule in repo.failing:
            counts[rule] = counts.get(rule, 0) + 1
    scores = [repo.score for repo in repos if repo.score is not None]
    return FleetCheck(
        repos=repos,
        failing_rules=tuple(RuleCount(rule, count) for rule, count
                            in sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
        average_score=round(sum(scores) / len(scores)) if scores else None,
        unreadable=sum(1 for repo in repos if repo.error),
        seconds=round(time.monotonic() - start, 3), interrupted=run.interrupted)


def repo_check(ref: RepoRef) -> RepoCheck:
    try:
        # One process per repo: the fleet's --jobs already spreads repos over the cores.
        with workspace.readable(ref) as path:
            report = run_check(path, CheckOptions(jobs=1))
        failing = tuple(dict.fromkeys(result.id for result in report.all_results()
                                      if result.status in (Status.FAIL, Status.ERROR)))
        return RepoCheck(ref.name, ref.location, score=report.score, failing=failing,
                         areas={area.area: area.score for area in report.areas})
    except PavedError as error:
        return RepoCheck(ref.name, ref.location, error=str(error))
    except Exception as error:  # one odd repo must not stop the report
        return RepoCheck(ref.name, ref.location,
                         error=f"internal error: {type(error).__name__}: {error}")
