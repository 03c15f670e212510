"""`make bench`: paved against copier, cookiecutter and cruft, side by side in one run.

Installs the pinned anchors into bench/.work/anchors, builds the fixtures,
checks that each side produces the same outcome, then times every case and
writes docs/benchmarks.md (the generated table section) and bench/results/*.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fixtures  # noqa: E402
from harness import CaseResult, Side, machine, markdown_table, measure, write_json  # noqa: E402

ANCHORS = {"copier": "9.19.1", "cookiecutter": "2.7.1", "cruft": "2.16.0"}
WORK = fixtures.ROOT / "bench" / ".work"
PAVED = Path(sys.executable).with_name("paved")
DOC = fixtures.ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def anchors() -> Path:
    """A virtual environment holding the pinned tools paved is compared with."""
    env = WORK / "anchors"
    stamp = env / "pinned.txt"
    pins = "\n".join(f"{name}=={version}" for name, version in ANCHORS.items())
    if not stamp.is_file() or stamp.read_text() != pins:
        venv.create(env, with_pip=True, clear=True)
        subprocess.run([env / "bin" / "python", "-m", "pip", "install", "--quiet",
                        *pins.split()], check=True)
        stamp.write_text(pins)
    return env / "bin"


def data_args(flag: str = "--data") -> list[str]:
    return [arg for key, value in fixtures.ANSWERS.items() for arg in (flag, f"{key}={value}")]


def case_startup(bins: Path, runs: int) -> CaseResult:
    sides = [
        Side("paved --help", lambda w: ([str(PAVED), "--help"], w)),
        Side("copier --help", lambda w: ([str(bins / "copier"), "--help"], w)),
        Side("python -c pass", lambda w: ([sys.executable, "-c", "pass"], w)),
    ]
    return measure("start-up", sides, WORK / "startup", runs=runs, target="≤ 0.3× copier")


def case_new(bins: Path, runs: int) -> CaseResult:
    catalog = fixtures.paved_catalog(WORK / "fixtures" / "new" / "catalog")
    flat = fixtures.flat_copier_template(WORK / "fixtures" / "new" / "flat")
    paved_new = Side("paved new service", lambda w: (
        [str(PAVED), "new", "service", "payments-api", "--catalog", str(catalog), "--defaults",
         "--data", "owner=team-payments"], w))
    copier_copy = Side("copier copy", lambda w: (
        [str(bins / "copier"), "copy", "--defaults", "--quiet", *data_args(), str(flat),
         str(w / "payments-api")], w))
    check = WORK / "check" / "new"
    from harness import run_once

    run_once(paved_new, check / "paved")
    run_once(copier_copy, check / "copier")
    ours = fixtures.tree(check / "paved" / "payments-api")
    theirs = fixtures.tree(check / "copier" / "payments-api")
    if ours != theirs:
        differ = sorted(set(ours) ^ set(theirs)) or [k for k in ours if ours[k] != theirs[k]]
        raise SystemExit(f"new: outcomes differ: {differ[:10]}")
    return measure("new service (whole golden path)", [paved_new, copier_copy],
                   WORK / "new", runs=runs, target="≤ 1.0× copier",
                   note=f"{len(ours)} files; paved also makes the git repository and commit")


CASES = {"startup": case_startup, "new": case_new}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("cases", nargs="*", default=list(CASES))
    options = parser.parse_args()
    bins = anchors()
    results = []
    for name in options.cases:
        print(f"bench: {name}…", file=sys.stderr, flush=True)
        results.append(CASES[name](bins, options.runs))
    meta = {"machine": machine(), "anchors": ANCHORS, "runs": options.runs}
    raw = write_json(results, meta, fixtures.ROOT / "bench" / "results")
    report = "\n".join([
        BEGIN,
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
        f"Python {meta['machine']['python']}, {meta['machine']['git']}. "
        f"Anchors: {', '.join(f'{k} {v}' for k, v in ANCHORS.items())}. "
        f"{options.runs} alternated runs per side after one warm-up. "
        f"Raw: `{raw.relative_to(fixtures.ROOT)}`.",
        "",
        markdown_table(results),
        "",
        *[f"- {r.case}: {r.note}" for r in results if r.note],
        END,
    ])
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + report + text[text.index(END) + len(END):]
    else:
        text += "\n## paved against copier, cookiecutter and cruft\n\n" + report + "\n"
    DOC.write_text(text)
    print(markdown_table(results))


if __name__ == "__main__":
    main()
