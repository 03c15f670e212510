"""Measurement: paired, alternated runs of whole commands, and the report they feed.

Each case compares sides (paved and an anchor such as copier) doing the same
work. Every side runs once as a warm-up; the outcomes of those runs must match
(`compare`) before anything is timed. Then the sides alternate within one run
(A B A B …, the order reversed every other round) since the machines are noisy;
each round gives one paired ratio, and the report shows medians, min–max, the
median of the paired ratios and whether each target was met.

The pure helpers (`median`, `paired_ratios`, `verdict`, `compare`,
`markdown_table`) are unit-tested in tests/bench/.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: Prepares a fresh working directory for one run and returns the command to time and its cwd.
Setup = Callable[[Path], tuple[Sequence[str], Path]]
#: Reads what a run left in its working directory, in a form every side can be compared in.
Observe = Callable[[Path], Any]


@dataclass(frozen=True)
class Side:
    name: str
    setup: Setup
    observe: Observe | None = None  # None: the side's outcome is not compared (start-up)
    codes: tuple[int, ...] = (0,)  # exit codes that mean "did the work"


@dataclass(frozen=True)
class Target:
    """`key` at most `limit` (at least, with `at_least`: a speed-up): a paired ratio
    ("paved update/copier update") or, with `seconds`, the median wall time of the
    side named `key` (with `megabytes`, its median peak memory)."""

    label: str
    key: str
    limit: float
    seconds: bool = False
    at_least: bool = False
    megabytes: bool = False  # the median peak memory (MB) of the side named `key`


@dataclass(frozen=True)
class Timing:
    side: str
    seconds: list[float]  # wall time per run
    cpu: list[float] = field(default_factory=list)  # user + system time of the process tree
    # Peak resident memory per run (MB): the largest process of the tree, as wait4 reports.
    peak_mb: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class CaseResult:
    case: str
    timings: list[Timing]
    ratios: dict[str, list[float]]  # "paved update/copier update" -> per-round ratios
    targets: list[Target]
    note: str = ""


class OutcomeMismatch(Exception):
    """The sides did not do the same work: no time is reported."""


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def paired_ratios(first: Sequence[float], second: Sequence[float]) -> list[float]:
    """first[i] / second[i] for each round i: both were measured under the same load."""
    if len(first) != len(second) or not first:
        raise ValueError("paired ratios need two equally long, non-empty series")
    return [a / b for a, b in zip(first, second, strict=True)]


def verdict(result: CaseResult, target: Target) -> tuple[float, bool]:
    """The measured figure for `target` and whether it is within the limit."""
    if target.seconds:
        figure = median(next(t.seconds for t in result.timings if t.side == target.key))
    elif target.megabytes:
        figure = median(next(t.peak_mb for t in result.timings if t.side == target.key))
    else:
        figure = median(result.ratios[target.key])
    return figure, figure >= target.limit if target.at_least else figure <= target.limit


def compare(outcomes: Mapping[str, Any]) -> list[str]:
    """Differences between the sides' outcomes (empty when they all did the same work)."""
    names = list(outcomes)
    problems = []
    for other in names[1:]:
        first, second = outcomes[names[0]], outcomes[other]
        if first == second:
            continue
        problems.append(f"{names[0]} and {other} differ: {_difference(first, second)}")
    return problems


def _difference(first: Any, second: Any) -> str:
    files_a, files_b = getattr(first, "files", None), getattr(second, "files", None)
    if isinstance(files_a, dict) and isinstance(files_b, dict):
        only = sorted(set(files_a) ^ set(files_b))
        changed = sorted(name for name in set(files_a) & set(files_b)
                         if files_a[name] != files_b[name])
        parts = []
        if only:
            parts.append(f"files in one only: {', '.join(only[:10])}")
        if changed:
            parts.append(f"different content: {', '.join(changed[:10])}")
        if first.conflicts != second.conflicts:
            parts.append(f"conflicts {list(first.conflicts)} vs {list(second.conflicts)}")
        return "; ".join(parts) or repr((first, second))
    return f"{first!r} vs {second!r}"


def run_once(side: Side, workdir: Path) -> tuple[float, float, float]:
    """Run `side` in a fresh `workdir`: (wall seconds, CPU seconds of the process tree, peak
    resident MB of its largest process)."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    command, cwd = side.setup(workdir)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, stdout=out, stderr=err)
        # wait4 gives this run's own usage (children it waited for included), so the peak
        # memory is this run's, not the largest of every earlier child.
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in side.codes:
            out.seek(0)
            err.seek(0)
            raise RuntimeError(f"{side.name}: {' '.join(command)} exited {process.returncode}"
                               f"\n{out.read().decode(errors='replace')}\n"
                               f"{err.read().decode(errors='replace')}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024


def measure(case: str, sides: Sequence[Side], work: Path, *, runs: int,
            targets: Sequence[Target] = (), pairs: Sequence[tuple[str, str]] | None = None,
            note: str = "") -> CaseResult:
    """Warm each side up once and compare outcomes, then alternate the sides `runs` times.

    `pairs` names the ratios to report (default: the first side against each other).
    Every timed run's outcome must equal the warm-up's too.
    """
    expected = {}
    for side in sides:
        run_once(side, work / "warmup" / side.name)
        if side.observe is not None:
            expected[side.name] = side.observe(work / "warmup" / side.name)
    problems = compare(expected)
    if problems:
        raise OutcomeMismatch(f"{case}: " + "; ".join(problems))
    wall: dict[str, list[float]] = {side.name: [] for side in sides}
    cpu: dict[str, list[float]] = {side.name: [] for side in sides}
    peak: dict[str, list[float]] = {side.name: [] for side in sides}
    for index in range(runs):
        order = sides if index % 2 == 0 else list(reversed(sides))
        for side in order:
            workdir = work / f"run{index}" / side.name
            seconds, used, megabytes = run_once(side, workdir)
            wall[side.name].append(seconds)
            cpu[side.name].append(used)
            peak[side.name].append(megabytes)
            if side.observe is not None and side.observe(workdir) != expected[side.name]:
                raise OutcomeMismatch(f"{case}: {side.name} did other work in run {index}")
            shutil.rmtree(workdir)
    if pairs is None:
        pairs = [(sides[0].name, other.name) for other in sides[1:]]
    ratios = {f"{a}/{b}": paired_ratios(wall[a], wall[b]) for a, b in pairs}
    return CaseResult(case=case, timings=[Timing(s.name, wall[s.name], cpu[s.name],
                                                 peak[s.name]) for s in sides],
                      ratios=ratios, targets=list(targets), note=note)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "git": git,
            "load": " ".join(f"{value:.1f}" for value in os.getloadavg())}


def write_json(results: Sequence[CaseResult], meta: Mapping[str, object],
               directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = directory / f"bench-{stamp}.json"
    cases = [{**asdict(result),
              "verdicts": [{"target": target.label, "figure": figure, "met": met}
                           for target in result.targets
                           for figure, met in [verdict(result, target)]]}
             for result in results]
    path.write_text(json.dumps({"meta": meta, "cases": cases}, indent=2) + "\n")
    return path


def markdown_table(results: Sequence[CaseResult]) -> str:
    """One row per side: wall median, min–max, CPU median; ratios and targets on the first."""
    lines = ["| case | side | median | min–max | CPU | paired ratio (median) | target |",
             "|---|---|---|---|---|---|---|"]
    for result in results:
        ratios = "; ".join(f"{key} = {median(values):.2f}×"
                           for key, values in result.ratios.items())
        targets = "; ".join(_verdict_text(result, target) for target in result.targets)
        for index, timing in enumerate(result.timings):
            first = index == 0
            cpu = format_seconds(median(timing.cpu)) if timing.cpu else ""
            lines.append(
                f"| {result.case if first else ''} | {timing.side} | "
                f"{format_seconds(median(timing.seconds))} | "
                f"{format_seconds(min(timing.seconds))}–{format_seconds(max(timing.seconds))} "
                f"| {cpu} | {ratios if first else ''} | {targets if first else ''} |")
    return "\n".join(lines)


def _verdict_text(result: CaseResult, target: Target) -> str:
    figure, met = verdict(result, target)
    shown = format_seconds(figure) if target.seconds else \
        f"{figure:.0f} MB" if target.megabytes else f"{figure:.2f}×"
    return f"{target.label}: {'met' if met else '**missed**'} ({shown})"


def format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
