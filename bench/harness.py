"""Measurement: paired, alternated runs of whole commands, and the report they feed.

Each case compares sides (paved and an anchor such as copier) doing the same
work. Sides are alternated within one run (A B A B …) after a warm-up, since
the machines are noisy, and each pair gives a ratio; the report shows medians,
min–max and the median of the paired ratios.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Prepares a fresh working directory for one run and returns the command to time.
Setup = Callable[[Path], tuple[Sequence[str], Path]]


@dataclass(frozen=True)
class Side:
    name: str
    setup: Setup
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Timing:
    side: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True)
class CaseResult:
    case: str
    timings: list[Timing]
    ratios: dict[str, list[float]]  # "paved/copier" -> per-pair ratios
    target: str
    note: str = ""

    def ratio(self, key: str) -> float:
        return statistics.median(self.ratios[key])


def run_once(side: Side, workdir: Path) -> float:
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    command, cwd = side.setup(workdir)
    env = {**os.environ, **side.env}
    started = time.perf_counter()
    done = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 3):  # 3: paved update left the expected conflict
        raise RuntimeError(f"{side.name}: {' '.join(command)} exited {done.returncode}\n"
                           f"{done.stdout}\n{done.stderr}")
    return elapsed


def measure(case: str, sides: Sequence[Side], work: Path, *, runs: int, target: str,
            note: str = "") -> CaseResult:
    """Warm each side up once, then alternate them `runs` times."""
    for side in sides:
        run_once(side, work / "warmup" / side.name)
    seconds: dict[str, list[float]] = {side.name: [] for side in sides}
    for index in range(runs):
        order = sides if index % 2 == 0 else list(reversed(sides))
        for side in order:
            seconds[side.name].append(run_once(side, work / f"run{index}" / side.name))
    first = sides[0].name
    ratios = {
        f"{first}/{other.name}": [a / b for a, b in zip(seconds[first], seconds[other.name],
                                                       strict=True)]
        for other in sides[1:]
    }
    return CaseResult(case=case, timings=[Timing(name, values) for name, values in seconds.items()],
                      ratios=ratios, target=target, note=note)


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
            "system": f"{platform.system()} {platform.release()}", "git": git}


def write_json(results: Sequence[CaseResult], meta: dict[str, object], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = directory / f"bench-{stamp}.json"
    payload = {"meta": meta, "cases": [asdict(result) for result in results]}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def markdown_table(results: Sequence[CaseResult]) -> str:
    lines = ["| case | side | median | min–max | paired ratio (median) | target |",
             "|---|---|---|---|---|---|"]
    for result in results:
        for index, timing in enumerate(result.timings):
            ratio = ""
            if index == 0 and result.ratios:
                ratio = "; ".join(f"{key} = {statistics.median(values):.2f}×"
                                  for key, values in result.ratios.items())
            lines.append(
                f"| {result.case if index == 0 else ''} | {timing.side} | "
                f"{_fmt(timing.median)} | {_fmt(min(timing.seconds))}–{_fmt(max(timing.seconds))} "
                f"| {ratio} | {result.target if index == 0 else ''} |")
    return "\n".join(lines)


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
