"""`paved fleet check`: `paved check` in every repo, with the rules that fail most often
and the foundations assessment: for each foundation of safe deployment autonomy
(failure isolation, incident observability, rollback under five minutes, on-call
and runbooks, postmortems), which repos have it *verified* (the evidence rules
pass: a passed chaos run, a measured rollback drill), which only *configured*
(its rules pass, its evidence is unverified: not found), and which *missing*
(one of its rules fails, an evidence rule included: a failed chaos run or a
drill over five minutes shows the foundation does not hold).
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from paved.check import RuleResult, run_check
from paved.check.options import CheckOptions
from paved.check.rule import Status
from paved.errors import ExitCode, PavedError
from paved.fleet import evidence as fleet_evidence
from paved.fleet import hosts, runner, workspace
from paved.fleet.hosting import HostError
from paved.fleet.sources import RepoRef

VERIFIED, CONFIGURED, MISSING, NOT_APPLICABLE = "verified", "configured", "missing", "n/a"


@dataclass(frozen=True)
class Foundation:
    name: str
    configured_by: tuple[str, ...]  # rule ids, or "area/" for every rule of an area
    verified_by: tuple[str, ...] = ()  # evidence rules; none: it can only be configured


FOUNDATIONS = (
    Foundation("failure isolation", ("isolation/",),
               ("evidence/chaos-experiment", "evidence/chaos-journal")),
    Foundation("incident observability", ("observability/",)),
    Foundation("rollback under 5 minutes", ("rollback/",), ("evidence/rollback-drill",)),
    Foundation("on-call and runbooks", ("ownership/owner", "ownership/runbook")),
    Foundation("postmortems", ("ownership/postmortem-template",)),
)


@dataclass(frozen=True)
class FoundationCount:
    foundation: str
    verified: int
    configured: int  # configured, not verified
    missing: int


@dataclass(frozen=True)
class RepoCheck:
    name: str
    location: str
    score: int | None = None  # 0-100
    failing: tuple[str, ...] = ()  # ids of the rules that failed
    areas: dict[str, int | None] | None = None  # score (0-100) per check area
    foundations: dict[str, str] | None = None  # foundation -> verified|configured|missing|n/a
    error: str | None = None
    # With evidence from CI: the files fetched, and one line per artifact not fetched.
    evidence_fetched: tuple[str, ...] = ()
    evidence_notes: tuple[str, ...] = ()


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
    foundations: tuple[FoundationCount, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        return ExitCode.ATTENTION if self.unreadable else ExitCode.OK


def fleet_check(refs: Sequence[RepoRef], *, jobs: int = 1, evidence: Path | None = None,
                from_ci: bool = False,
                done: Callable[[RepoCheck], None] = lambda repo: None) -> FleetCheck:
    """`evidence`: a folder with one folder of evidence per repo, named after it.
    `from_ci`: fetch each hosted repo's evidence artifacts from its host instead."""
    start = time.monotonic()
    run = runner.run_each(functools.partial(repo_check, evidence=evidence, from_ci=from_ci),
                          refs, jobs=jobs, done=done)
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
        foundations=tuple(FoundationCount(
            foundation.name, *(sum(1 for repo in repos if (repo.foundations or {}).get(
                foundation.name) == state) for state in (VERIFIED, CONFIGURED, MISSING)))
            for foundation in FOUNDATIONS),
        average_score=round(sum(scores) / len(scores)) if scores else None,
        unreadable=sum(1 for repo in repos if repo.error),
        seconds=round(time.monotonic() - start, 3), interrupted=run.interrupted)


def repo_check(ref: RepoRef, evidence: Path | None = None, from_ci: bool = False) -> RepoCheck:
    mine = evidence / ref.name if evidence is not None else None
    try:
        with contextlib.ExitStack() as stack:
            fetched = fleet_evidence.Fetched((), ())
            if from_ci:
                mine = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="paved-")))
                fetched = _from_ci(ref, mine)
            # One process per repo: the fleet's --jobs already spreads repos over the cores.
            with workspace.readable(ref) as path:
                report = run_check(path, CheckOptions(
                    jobs=1, evidence=mine if mine is not None and mine.is_dir() else None))
        failing = tuple(dict.fromkeys(result.id for result in report.all_results()
                                      if result.status in (Status.FAIL, Status.ERROR)))
        return RepoCheck(ref.name, ref.location, score=report.score, failing=failing,
                         areas={area.area: area.score for area in report.areas},
                         foundations={foundation.name: assess(foundation, report.all_results())
                                      for foundation in FOUNDATIONS},
                         evidence_fetched=fetched.files, evidence_notes=fetched.notes)
    except PavedError as error:
        return RepoCheck(ref.name, ref.location, error=str(error))
    except Exception as error:  # one odd repo must not stop the report
        return RepoCheck(ref.name, ref.location,
                         error=f"internal error: {type(error).__name__}: {error}")


def _from_ci(ref: RepoRef, folder: Path) -> fleet_evidence.Fetched:
    if ref.host is None or ref.slug is None:
        return fleet_evidence.Fetched((), ("not listed from a host (--from github:ORG or "
                                           "gitlab:GROUP): no CI artifacts to fetch",))
    try:
        return fleet_evidence.fetch(hosts.connect(ref.host), ref.slug, folder)
    except HostError as error:  # no token: the repo is still checked, without the evidence
        return fleet_evidence.Fetched((), (str(error),))


def assess(foundation: Foundation, results: Sequence[RuleResult]) -> str:
    """verified, configured, missing, or n/a when none of its rules applied."""
    def of(ids: tuple[str, ...]) -> list[RuleResult]:
        return [r for r in results if any(r.id == i or (i.endswith("/") and r.id.startswith(i))
                                          for i in ids)]
    configured = [r for r in of(foundation.configured_by) if r.status is not Status.NOT_APPLICABLE]
    if any(r.status in (Status.FAIL, Status.ERROR) for r in configured):
        return MISSING
    if not configured:
        return NOT_APPLICABLE
    verified = of(foundation.verified_by)
    if any(r.status in (Status.FAIL, Status.ERROR) for r in verified):
        return MISSING
    if verified and all(r.status is Status.PASS for r in verified):
        return VERIFIED
    return CONFIGURED
