"""`make bench`: paved against copier, cookiecutter and cruft, side by side in one run.

Installs the pinned anchors into bench/.work/anchors, builds the fixtures,
checks that every side of a case produces the same outcome, then times each
case (sides alternated) and writes the generated section of docs/benchmarks.md
and bench/results/bench-*.json. What each case means: docs/benchmarks.md.

    .venv/bin/python bench/run.py                      # everything (what make bench runs)
    .venv/bin/python bench/run.py update --runs 3      # one case, fewer runs
    .venv/bin/python bench/run.py scale --sizes 40 200 --no-doc
    .venv/bin/python bench/run.py check fleet-check      # paved check against ruff check
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checks
import fixtures
import fleet
from harness import (
    CaseResult,
    OutcomeMismatch,
    Side,
    Target,
    format_seconds,
    machine,
    markdown_table,
    measure,
    median,
    write_json,
)

ANCHORS = {"copier": "9.19.1", "cookiecutter": "2.7.1", "cruft": "2.16.0", "ruff": "0.17.5"}
WORK = fixtures.ROOT / "bench" / ".work"
PAVED = WORK / "paved" / "bin" / "paved"  # installed by `install_paved`, as users get it
DOC = fixtures.ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
# The `paved check` cases (issue 24) have a section of their own, so that running them
# alone does not replace the figures of the others.
CHECK_CASES = ("check", "fleet-check")
CHECK_BEGIN, CHECK_END = "<!-- bench:check:begin -->", "<!-- bench:check:end -->"
CHECK_SIZES = (("20,000", 200, 100), ("100,000", 1000, 100))  # label, packages, modules
CHECK_FLEET = 100
TYPICAL_SIZE = 46  # files in the template of the `update` case (as in issue 9)
SIZES = (40, 200, 1000)
FLEET_SIZES = (10, 50, 100)


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


def install_paved() -> None:
    """paved as users install it: a regular (not editable) install of this checkout into
    its own environment, byte-compiled by pip as the anchors are. An editable install
    under PYTHONDONTWRITEBYTECODE (set on this project's machines) would compile
    paved's modules from source on every run, a cost no installed tool pays."""
    env = PAVED.parent.parent
    stamp = env / "requirements.txt"
    requirements = (fixtures.ROOT / "pyproject.toml").read_text()
    if not stamp.is_file() or stamp.read_text() != requirements:
        venv.create(env, with_pip=True, clear=True)
        # Dependencies once (and the build backend, so that reinstalls stay offline).
        subprocess.run([env / "bin" / "python", "-m", "pip", "install", "--quiet", "hatchling",
                        fixtures.ROOT], check=True)
        stamp.write_text(requirements)
    # This checkout's code, every run.
    subprocess.run([env / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--force-reinstall", fixtures.ROOT], check=True)


def isolate() -> None:
    """Every tool gets the same empty home, git identity and caches, inside bench/.work."""
    home = WORK / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text("[user]\n\tname = bench\n\temail = bench@localhost\n"
                                     "[init]\n\tdefaultBranch = main\n")
    os.environ.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
                      GIT_CONFIG_NOSYSTEM="1", XDG_CONFIG_HOME=str(home / ".config"),
                      XDG_CACHE_HOME=str(home / ".cache"), PAVED_CACHE_DIR=str(WORK / "cache"))
    for name in ("PAVED_CATALOG", "PAVED_CONFIG", "COPIER_SETTINGS_PATH"):
        os.environ.pop(name, None)


def sh(*args: str | Path, cwd: Path | None = None) -> None:
    done = subprocess.run([str(arg) for arg in args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({done.returncode}):\n"
                         f"{done.stdout}{done.stderr}")


def data_args(flag: str = "--data") -> list[str]:
    return [arg for key, value in fixtures.ANSWERS.items() for arg in (flag, f"{key}={value}")]


# --- cases ---

def case_startup(bins: Path, runs: int, options: argparse.Namespace) -> list[CaseResult]:
    sides = [
        Side("paved --version", lambda w: ([str(PAVED), "--version"], w)),
        Side("paved --help", lambda w: ([str(PAVED), "--help"], w)),
        Side("copier --help", lambda w: ([str(bins / "copier"), "--help"], w)),
        Side("python -c pass", lambda w: ([str(PAVED.with_name("python")), "-c", "pass"], w)),
    ]
    pairs = [("paved --version", "copier --help"), ("paved --help", "copier --help")]
    targets = [Target(f"{a.split()[1]} ≤ 0.3× copier", f"{a}/{b}", 0.3) for a, b in pairs]
    return [measure("start-up", sides, WORK / "runs" / "startup", runs=runs, pairs=pairs,
                    targets=targets, note="`python -c pass` is the floor: the interpreter alone")]


def case_new(bins: Path, runs: int, options: argparse.Namespace) -> list[CaseResult]:
    root = WORK / "fixtures" / "new"
    catalog = fixtures.paved_catalog(root / "catalog")
    flat = fixtures.flat_copier_template(root / "flat")

    def observe(workdir: Path) -> dict[str, bytes]:
        return fixtures.tree(workdir / "payments-api")

    paved_new = Side("paved new service", lambda w: (
        [str(PAVED), "new", "service", "payments-api", "--catalog", str(catalog), "--defaults",
         "--data", "owner=team-payments"], w), observe)
    copier_copy = Side("copier copy", lambda w: (
        [str(bins / "copier"), "copy", "--defaults", "--quiet", *data_args(), str(flat),
         str(w / "payments-api")], w), observe)
    result = measure("new service (whole golden path)", [paved_new, copier_copy],
                     WORK / "runs" / "new", runs=runs,
                     targets=[Target("≤ 1.0× copier", "paved new service/copier copy", 1.0)])
    files = len(observe(WORK / "runs" / "new" / "warmup" / paved_new.name))
    return [dataclasses.replace(result, note=(
        f"the python-service golden path ({files} files from 4 layers) from a local git "
        "catalog, byte-identical on both sides; paved also makes the git repository and its "
        "first commit, copier makes none"))]


_BUILT: dict[tuple[int, bool], dict[str, Path]] = {}


def update_fixture(size: int, bins: Path, with_cruft: bool) -> dict[str, Path]:
    """Per tool: a committed project generated from v1.0.0 with the team's edits, whose
    template has since released v2.0.0. Built once per size and run."""
    if (size, True) in _BUILT or (size, with_cruft) in _BUILT:
        return _BUILT.get((size, True)) or _BUILT[(size, with_cruft)]
    root = WORK / "fixtures" / f"update-{size}"
    shutil.rmtree(root, ignore_errors=True)
    flavours = [fixtures.PAVED, fixtures.COPIER] + ([fixtures.COOKIECUTTER] if with_cruft else [])
    projects = {}
    for flavour in flavours:
        template = fixtures.synthetic_template(root / flavour.name / "template", size, flavour)
        project = root / flavour.name / fixtures.NAME
        if flavour is fixtures.PAVED:
            sh(PAVED, "new", "service", fixtures.NAME, "--catalog", template, "--dest", project,
               "--defaults")
        elif flavour is fixtures.COPIER:
            sh(bins / "copier", "copy", "--quiet", "--defaults", "--data",
               f"service_name={fixtures.NAME}", "--vcs-ref", "v1.0.0", template, project)
            fixtures.commit_project(project)
        else:
            sh(bins / "cruft", "create", template, "--checkout", "v1.0.0", "--no-input",
               "--output-dir", project.parent, "--extra-context",
               json.dumps({"service_name": fixtures.NAME}))
            fixtures.commit_project(project)
        fixtures.edit_locally(project)
        fixtures.release_v2(template, size, flavour)
        projects[flavour.name] = project
    _BUILT[(size, with_cruft)] = projects
    return projects


def update_sides(projects: dict[str, Path], bins: Path) -> list[Side]:
    def copied(name: str, command: Callable[[Path], list[str]]) -> Callable[
            [Path], tuple[list[str], Path]]:
        def setup(workdir: Path) -> tuple[list[str], Path]:
            project = workdir / fixtures.NAME
            sh("cp", "-a", projects[name], project)
            return command(project), workdir
        return setup

    def observe(workdir: Path) -> fixtures.Outcome:
        return fixtures.outcome_of(workdir / fixtures.NAME)

    sides = [
        Side("paved update", copied("paved", lambda p: [str(PAVED), "update", str(p)]),
             observe, codes=(3,)),  # 3: the expected conflict was left to resolve
        Side("copier update", copied("copier", lambda p: [
            str(bins / "copier"), "update", "--quiet", "--defaults", "--conflict", "inline",
            str(p)]), observe),
    ]
    if "cookiecutter" in projects:
        sides.append(Side("cruft update", copied("cookiecutter", lambda p: [
            str(bins / "cruft"), "update", "--project-dir", str(p), "--skip-apply-ask",
            "--checkout", "v2.0.0"]), observe))
    return sides


def case_update(bins: Path, runs: int, options: argparse.Namespace) -> list[CaseResult]:
    projects = update_fixture(TYPICAL_SIZE, bins, with_cruft=True)
    sides = update_sides(projects, bins)
    result = measure(f"update, typical change ({TYPICAL_SIZE}-file template)", sides,
                     WORK / "runs" / "update", runs=runs,
                     targets=[Target("≤ 0.25× copier", "paved update/copier update", 0.25),
                              Target("≤ 1.0× cruft", "paved update/cruft update", 1.0)],
                     note=f"{fixtures.EDITS} files edited, one added, one deleted, one renamed, "
                          "a new question; the team edited 2 files (one conflicts) and added "
                          "one; same files and same conflicted path on every side, checked on "
                          "every run")
    return [result]


def case_scale(bins: Path, runs: int, options: argparse.Namespace) -> list[CaseResult]:
    results = []
    for size in options.sizes:
        sides = update_sides(update_fixture(size, bins, with_cruft=False), bins)
        targets = ([Target("≤ 0.15× copier", "paved update/copier update", 0.15)]
                   if size >= 1000 else [])
        results.append(measure(f"update, {size:,}-file template", sides,
                               WORK / "runs" / f"scale-{size}", runs=runs, targets=targets))
    if len(results) > 1:
        small, large = results[0], results[-1]
        added = options.sizes[-1] - options.sizes[0]
        growth = [f"{side.side.split()[0]} +{median(side.seconds) - median(base.seconds):.2f} s "
                  f"({(median(side.seconds) - median(base.seconds)) / added * 1000:.1f} ms "
                  "per template file)"
                  for base, side in zip(small.timings, large.timings, strict=True)]
        results[-1] = dataclasses.replace(large, note=(
            f"from {options.sizes[0]:,} to {options.sizes[-1]:,} files with the same "
                 f"change ({fixtures.EDITS} edits …): " + ", ".join(growth)))
    return results


def _status_command(project: Path, workdir: Path) -> tuple[list[str], Path]:
    return [str(PAVED), "status", "--check", str(project)], workdir


def case_status(bins: Path, runs: int, options: argparse.Namespace) -> list[CaseResult]:
    root = WORK / "fixtures" / "status"
    golden = root / "payments-api"
    if not golden.is_dir():
        catalog = fixtures.paved_catalog(root / "catalog")
        sh(PAVED, "new", "service", "payments-api", "--catalog", catalog, "--dest", golden,
           "--defaults", "--data", "owner=team-payments")
        (golden / "README.md").write_text((golden / "README.md").read_text() + "\nOur notes.\n")
        sh("git", "commit", "-qam", "team notes", cwd=golden)
    large = update_fixture(max(options.sizes), bins, with_cruft=False)["paved"]
    results = []
    for label, project in (("golden path repo", golden),
                           (f"{max(options.sizes):,}-file template repo", large)):
        side = Side("paved status --check", functools.partial(_status_command, project),
                    codes=(0, 5))
        results.append(measure(f"status --check, {label}", [side],
                               WORK / "runs" / "status", runs=runs,
                               targets=[Target("≤ 0.5 s", side.name, 0.5, seconds=True)]))
    results[-1] = dataclasses.replace(results[-1], note=(
        "read-only; this repo is one version behind (exit 5, as CI would see it)"))
    return results


def fleet_runs(count: int, runs: int) -> int:
    """Fewer rounds for the larger fleets, which take tens of seconds a round."""
    return runs if count <= 10 else min(runs, 3)


def case_fleet(bins: Path, runs: int, options: argparse.Namespace) -> list[CaseResult]:
    sizes = sorted(options.fleet_sizes)
    # copier's loop runs its repos one after another, so its time per repo does not
    # depend on the fleet's size: it is measured on the smallest fleet only.
    built = fleet.build(WORK / "fixtures" / "fleet", sizes[-1], sizes[0], sh, PAVED,
                        bins / "copier")
    workspaces = WORK / "cache" / "workspaces"

    def paved_side(count: int, jobs: int) -> Side:
        return Side(f"fleet update --jobs {jobs}", lambda w: (
            [str(PAVED), "fleet", "update", "--from", str(built.listed), "--limit", str(count),
             "--jobs", str(jobs)], w),
            lambda w: fleet.paved_outcomes(workspaces, built.before, count))

    def copier_setup(workdir: Path) -> tuple[list[str], Path]:
        for repo in built.copier_repos:
            sh("cp", "-a", repo, workdir / repo.name)
        copies = [workdir / repo.name for repo in built.copier_repos]
        return fleet.shell_loop([str(bins / "copier"), "update", "--quiet", "--defaults"],
                                copies), workdir

    copier_loop = Side("copier update, shell loop", copier_setup, lambda w: fleet.copier_outcomes(
        [w / repo.name for repo in built.copier_repos], built.before))
    results = []
    for count in sizes:
        one, two = paved_side(count, 1), paved_side(count, 2)
        sides, pairs = [one, two], [(one.name, two.name)]
        targets = [Target("2 jobs ≥ 1.7× faster", f"{one.name}/{two.name}", 1.7, at_least=True)]
        if count == sizes[0]:
            sides.append(copier_loop)
            pairs += [(one.name, copier_loop.name), (two.name, copier_loop.name)]
            targets.append(Target("per repo ≤ 0.25× copier", f"{one.name}/{copier_loop.name}",
                                  0.25))
        rounds = fleet_runs(count, runs)
        result = measure(f"fleet update, {count} repos", sides, WORK / "runs" / f"fleet-{count}",
                         runs=rounds, pairs=pairs, targets=targets)
        per_repo = ", ".join(f"{t.side} {format_seconds(median(t.seconds) / count)}"
                             for t in result.timings)
        results.append(dataclasses.replace(result, note=(
            f"{rounds} rounds; per repo: {per_repo}")))
    if len(sizes) > 1:
        first, last = results[0], results[-1]
        slopes = []
        for small, large in zip(first.timings, last.timings, strict=False):  # the paved sides
            added = fleet.growth([sizes[0], sizes[-1]],
                                 [median(small.seconds), median(large.seconds)])
            jobs = large.side.removeprefix("fleet update ")
            slopes.append(f"{format_seconds(added)} with {jobs}")
        results[-1] = dataclasses.replace(last, note=(
            f"{last.note}; from {sizes[0]} to {sizes[-1]} repos each repo added "
            + ", ".join(slopes)))
    return results


def _check_side(name: str, repo: Path, *args: str) -> Side:
    """`paved check --json ARGS REPO`, its report written into the run's directory."""
    def setup(workdir: Path) -> tuple[list[str], Path]:
        return ["sh", "-c", '"$0" check --json "$@" > report.json', str(PAVED), *args,
                str(repo)], workdir
    return Side(name, setup, lambda w: checks.verdict(w / checks.REPORT), codes=(0, 4))


def _ruff_side(target: Path) -> Side:
    """`ruff check` reading the same tree, without its cache (paved keeps none either)."""
    return Side("ruff check", lambda w: ([str(ANCHOR_BINS / "ruff"), "check", "--no-cache",
                                          "--quiet", "."], target), codes=(0, 1))


ANCHOR_BINS = WORK / "anchors" / "bin"


def case_check(bins: Path, runs: int, options: argparse.Namespace) -> list[CaseResult]:
    root = WORK / "fixtures" / "check"
    fresh = checks.golden(root / "big", PAVED, sh)
    sh("git", "-C", fresh, "gc", "--quiet")  # a clone as CI checks out: packed
    results = []
    paved = _check_side("paved check", fresh)
    results.append(measure("check, fresh golden-path repo", [paved, _ruff_side(fresh)],
                           WORK / "runs" / "check-fresh", runs=runs,
                           targets=[Target("≤ 0.5 s", paved.name, 0.5, seconds=True)],
                           note="`paved new service big --defaults`; paved with its default "
                                "--jobs (the machine's cores)"))
    expected = _verdict_of(fresh)
    for label, packages, modules in CHECK_SIZES:
        big = checks.with_packages(fresh, root / f"big-{packages * modules}", packages,
                                   modules)
        if _verdict_of(big) != expected:
            raise OutcomeMismatch(f"check: the {label}-file repo's verdict differs from the "
                                  "fresh repo's")
        one, default = _check_side("paved check --jobs 1", big, "--jobs", "1"), \
            _check_side("paved check", big)
        ruff = _ruff_side(big)
        huge = packages * modules >= 100_000
        targets = ([Target("≤ 20 s", default.name, 20.0, seconds=True),
                    Target("≤ 500 MB", one.name, 500.0, megabytes=True)] if huge else
                   [Target("≤ 5 s with one job", one.name, 5.0, seconds=True),
                    Target("≤ 10× ruff (one job)", f"{one.name}/{ruff.name}", 10.0)])
        result = measure(f"check, {label}-file repo", [one, default, ruff],
                         WORK / "runs" / f"check-{packages * modules}",
                         runs=min(runs, 3), targets=targets,
                         pairs=[(one.name, ruff.name), (default.name, ruff.name)])
        peaks = ", ".join(f"{t.side} {median(t.peak_mb):.0f} MB" for t in result.timings)
        results.append(dataclasses.replace(result, note=(
            f"the fresh repo + {packages} packages × {modules} modules calling "
            f"httpx.get(…, timeout=2), committed; same verdict as the fresh repo (checked); "
            f"{min(runs, 3)} rounds; peak memory of the largest process: {peaks}")))
    return results


def _verdict_of(repo: Path) -> object:
    done = subprocess.run([str(PAVED), "check", "--json", str(repo)], capture_output=True,
                          text=True)
    if done.returncode not in (0, 4):
        raise SystemExit(f"paved check {repo} failed ({done.returncode}): {done.stderr}")
    report = WORK / "runs" / "verdict.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(done.stdout)
    return checks.verdict(report)


def case_fleet_check(bins: Path, runs: int, options: argparse.Namespace) -> list[CaseResult]:
    root = WORK / "fixtures" / "fleet-check"
    listed = checks.fleet(root, CHECK_FLEET, PAVED, sh)

    def setup(workdir: Path) -> tuple[list[str], Path]:
        return ["sh", "-c", '"$0" fleet check --from "$1" --jobs 2 --json > report.json',
                str(PAVED), str(listed)], workdir

    paved = Side("paved fleet check --jobs 2", setup,
                 lambda w: checks.fleet_verdict(w / checks.REPORT), codes=(0,))
    ruff = _ruff_side(root)
    result = measure(f"fleet check, {CHECK_FLEET} repos", [paved, ruff],
                     WORK / "runs" / "fleet-check", runs=min(runs, 3),
                     targets=[Target("≤ 1 s per repo", paved.name, 1.0 * CHECK_FLEET,
                                     seconds=True)])
    per_repo = ", ".join(f"{t.side} {format_seconds(median(t.seconds) / CHECK_FLEET)}"
                         for t in result.timings)
    return [dataclasses.replace(result, note=(
        f"{CHECK_FLEET} services made by `paved new service`, checked in place (local "
        f"checkouts); ruff reads the same {CHECK_FLEET} trees in one run; per repo: "
        f"{per_repo}; {min(runs, 3)} rounds"))]


#: Case name -> function.
CASES: dict[str, Callable[[Path, int, argparse.Namespace], list[CaseResult]]] = {
    "startup": case_startup,
    "new": case_new,
    "update": case_update,
    "scale": case_scale,
    "status": case_status,
    "fleet": case_fleet,
    "check": case_check,
    "fleet-check": case_fleet_check,
}


def write_doc(results: list[CaseResult], meta: dict[str, object], raw: Path,
              command: str, markers: tuple[str, str] = (BEGIN, END)) -> None:
    info = meta["machine"]
    begin, end = markers
    assert isinstance(info, dict)
    report = "\n".join([
        begin,
        f"`{command}` on {info['cpu']}, {info['cores']} cores (load average "
        f"{info['load']} at the start), {info['system']}, Python {info['python']}, "
        f"{info['git']}. Anchors: {', '.join(f'{k} {v}' for k, v in ANCHORS.items())}. "
        f"{meta['runs']} alternated runs per side after one warm-up; CPU is user + system "
        f"time of the process tree. Raw: `{raw.relative_to(fixtures.ROOT)}`.",
        "",
        markdown_table(results),
        "",
        *[f"- {r.case}: {r.note}" for r in results if r.note],
        end,
    ])
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    if begin in text:
        text = text[:text.index(begin)] + report + text[text.index(end) + len(end):]
    else:
        text += "\n## paved against copier, cookiecutter and cruft\n\n" + report + "\n"
    DOC.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=list(CASES), metavar="CASE",
                        help=f"cases to run (default: all): {', '.join(CASES)}")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per side (default 7)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="template sizes of the scale case (default: 40 200 1000)")
    parser.add_argument("--fleet-sizes", type=int, nargs="+", default=list(FLEET_SIZES),
                        help="repos in the fleet case (default: 10 50 100); fleets over 10 "
                             "repos get at most 3 rounds")
    parser.add_argument("--no-doc", action="store_true",
                        help="write bench/results only, not docs/benchmarks.md")
    options = parser.parse_args()
    unknown = sorted(set(options.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; choose from {', '.join(CASES)}")
    bins = anchors()
    install_paved()
    # Fixtures, caches and the tools' homes are made afresh: every run starts cold.
    for name in ("fixtures", "runs", "cache", "home"):
        shutil.rmtree(WORK / name, ignore_errors=True)
    isolate()
    meta: dict[str, object] = {"machine": machine(), "anchors": ANCHORS, "runs": options.runs,
                               "cases": options.cases, "sizes": options.sizes,
                               "fleet_sizes": options.fleet_sizes}
    results, checked = [], []
    for name in options.cases:
        print(f"bench: {name}…", file=sys.stderr, flush=True)
        (checked if name in CHECK_CASES else results).extend(
            CASES[name](bins, options.runs, options))
    raw = write_json(results + checked, meta, fixtures.ROOT / "bench" / "results")
    command = "make bench" if sys.argv[1:] == [] else "bench/run.py " + " ".join(sys.argv[1:])
    if not options.no_doc:
        for section, markers in ((results, (BEGIN, END)), (checked, (CHECK_BEGIN, CHECK_END))):
            if section:
                write_doc(section, meta, raw, command, markers=markers)
    print(markdown_table(results + checked))


if __name__ == "__main__":
    main()
