"""The verdict per hypothesis, read from a Chaos Toolkit journal.

A hypothesis is a probe: those of the steady-state hypothesis (before and
after the method) pass when their tolerance was met; those of the method and
the rollbacks when they ran without failing. The experiment passes when Chaos
Toolkit says "completed", the steady state did not deviate and every
hypothesis passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REJECTED = "HypothesisRejected: "


@dataclass(frozen=True)
class Verdict:
    phase: str  # before, method, after, rollbacks
    name: str
    passed: bool
    figure: str


@dataclass(frozen=True)
class Outcome:
    passed: bool
    status: str  # Chaos Toolkit's: completed, failed, aborted, interrupted
    deviated: bool
    verdicts: tuple[Verdict, ...]


def read_outcome(journal: Mapping[str, Any]) -> Outcome:
    verdicts: list[Verdict] = []
    states = journal.get("steady_states") or {}
    for phase in ("before", "method", "after", "rollbacks"):
        if phase in ("before", "after"):
            runs = (states.get(phase) or {}).get("probes") or []
        else:
            runs = journal.get("run" if phase == "method" else "rollbacks") or []
        for run in runs:
            if run["activity"].get("type") != "probe":
                continue
            passed = run.get("status") == "succeeded" and run.get("tolerance_met", True)
            verdicts.append(Verdict(phase, run["activity"]["name"], passed, _figure(run)))
    status, deviated = str(journal.get("status")), bool(journal.get("deviated"))
    passed = status == "completed" and not deviated and all(v.passed for v in verdicts)
    return Outcome(passed, status, deviated, tuple(verdicts))


def _figure(run: Mapping[str, Any]) -> str:
    output = run.get("output")
    if isinstance(output, Mapping) and "figure" in output:
        return str(output["figure"])
    # The exception as Chaos Toolkit records it: the last line names the probe's own error.
    lines = "".join(run.get("exception") or []).strip().splitlines()
    if not lines:
        return repr(output)
    return lines[-1].split(REJECTED, 1)[1] if REJECTED in lines[-1] else lines[-1]


def render(outcome: Outcome, journal_path: str) -> str:
    lines = [
        f"{'PASS' if v.passed else 'FAIL'}  {v.phase:<9} {v.name} — {v.figure}" for v in outcome.verdicts
    ]
    failed = sum(not v.passed for v in outcome.verdicts)
    verdict = "passed" if outcome.passed else "FAILED"
    detail = f"{failed} of {len(outcome.verdicts)} hypotheses rejected" if failed else outcome.status
    lines.append(f"chaos experiment {verdict} ({detail}); journal: {journal_path}")
    return "\n".join(lines)
