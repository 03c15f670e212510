"""`make mutate`: mutation testing of paved's policy modules with cosmic-ray.

Each module is mutated in a copy of the working tree of its own (cosmic-ray
writes every mutant into the file on disk), and every mutant is tested by the
module's fast unit tests only (`SCOPES`): pytest stops at the first failure,
so a killed mutant costs a fraction of a run. Mutants that cannot change
behaviour are left out before anything runs (`mutation/filters.py`): operators
inside type annotations (never evaluated under `from __future__ import
annotations`) and all but one replacement per binary operator.

    python mutation/run.py                       # every paved module below
    python mutation/run.py paved/update/merge.py # one module
    python mutation/run.py --service             # the generated service (mutation/service.py)
    python mutation/run.py --service src/payments_api/platform/budget.py
    python mutation/run.py --sample 5 --seed 1 paved/update/merge.py
    python mutation/run.py --recheck mutation/results/paved_locks.py.before.json --label after

Results: mutation/results/<module>.json (counts and every survivor's diff) and a
summary table on stdout (docs/testing.md quotes it).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import filters

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "mutation" / "results"

#: module -> the tests that pin it (fast ones: each runs once per mutant).
SCOPES: dict[str, tuple[str, ...]] = {
    "paved/update/merge.py": ("tests/update/test_merge.py",),
    "paved/update/journal.py": ("tests/update/test_journal.py",),
    "paved/update/worktree.py": ("tests/update/test_worktree.py",),
    "paved/locks.py": ("tests/test_locks.py",
                       "tests/update/test_journal.py::test_a_stale_lock_is_broken_by_one_process_only"),
    "paved/config.py": ("tests/test_config.py",),
    "paved/sandbox.py": ("tests/test_sandbox.py",),
    "paved/check/isolation.py": ("tests/check/test_isolation.py",),
    "paved/check/observability.py": ("tests/check/test_observability.py",),
    "paved/check/rollback.py": ("tests/check/test_rollback.py",),
    "paved/check/security.py": ("tests/check/test_security.py",),
    "paved/check/currency.py": ("tests/check/test_currency.py",),
    "paved/fleet/publishers.py": ("tests/fleet/test_publishers.py", "tests/fleet/test_update.py"),
    "paved/fleet/proposal.py": ("tests/fleet/test_proposal.py", "tests/fleet/test_publishers.py"),
    "paved/fleet/github.py": ("tests/fleet/test_publishers.py", "tests/fleet/test_hosted.py"),
    "paved/fleet/gitlab.py": ("tests/fleet/test_gitlab.py", "tests/fleet/test_hosted.py"),
}

#: Seconds a mutant's tests may take before the mutant counts as killed (a hang).
TIMEOUT = 300.0


def copy_tree(src: Path, dest: Path, rev: str | None = None) -> None:
    """The working tree as git sees it (tracked and untracked, not ignored files), or `rev`."""
    if rev is not None:
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", rev], cwd=src, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=src, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = src / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet in the index
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def test_command(tests: tuple[str, ...], python: str = sys.executable,
                 import_path: str = ".") -> str:
    # PYTHONPATH: the copy's code, also in the processes tests start (`paved`, a service).
    # Without hypothesis's and xdist's plugins pytest starts in a third of the time.
    return shlex.join(["env", f"PYTHONPATH={import_path}", python, "-m", "pytest", "-x", "-q",
                       "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist",
                       *tests])


def mutate(module: str, tests: tuple[str, ...], workdir: Path, *, sample: int | None,
           seed: int, source: Path = ROOT, rev: str | None = None,
           python: str = sys.executable, import_path: str = ".") -> dict[str, object]:
    """Run every (or `sample`) mutant of `module` against `tests` in a copy under `workdir`."""
    copy = workdir / "tree"
    if copy.exists():
        shutil.rmtree(copy)
    copy_tree(source, copy, rev)
    config = workdir / "cosmic-ray.toml"
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        f"timeout = {TIMEOUT}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(test_command(tests, python, import_path))}\n"
        '[cosmic-ray.distributor]\nname = "local"\n')
    session = workdir / "session.sqlite"
    session.unlink(missing_ok=True)
    cosmic_ray = [sys.executable, "-m", "cosmic_ray.cli"]
    subprocess.run([*cosmic_ray, "init", str(config), str(session)], cwd=copy, check=True)
    kept = filters.apply(session, copy / module, sample=sample, seed=seed)
    baseline = subprocess.run(["sh", "-c", test_command(tests, python, import_path)], cwd=copy,
                              capture_output=True, text=True,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if baseline.returncode != 0:
        raise SystemExit(f"{module}: its tests fail unmutated:\n{baseline.stdout[-3000:]}")
    subprocess.run([*cosmic_ray, "exec", str(config), str(session)], cwd=copy, check=True)
    return filters.summarise(session, module, tests, kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: all of SCOPES)")
    parser.add_argument("--service", action="store_true",
                        help="mutate the generated service's policy modules in a render")
    parser.add_argument("--sample", type=int,
                        help="test only N mutants per module, drawn by --seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="modules mutated at once")
    parser.add_argument("--rev", help="mutate this commit's tree instead of the working tree "
                                      "(the scores before a change)")
    parser.add_argument("--tests", help="the tests to run instead of the module's SCOPES "
                                        "entry (one module), as pytest arguments")
    parser.add_argument("--label", default="", help="a name for this run: results go to "
                                                    "<module>.<label>.json")
    parser.add_argument("--render", type=Path,
                        help="with --service: a render prepared before (its .venv in it)")
    parser.add_argument("--recheck", type=Path, metavar="RESULTS",
                        help="run only the survivors of a saved (paved) run again, against the "
                             "working tree's tests: its mutants the tests killed then stay "
                             "killed when only tests were added since")
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help=f"seconds a mutant's tests may take before it counts as killed "
                             f"(a hang; default {TIMEOUT:.0f})")
    parser.add_argument("--report", action="store_true",
                        help="run nothing: the saved results, with survivors since found "
                             "equivalent moved over, as the table docs/testing.md quotes")
    args = parser.parse_args(argv)
    if args.report:
        return report()
    globals()["TIMEOUT"] = args.timeout  # read by mutate() and recheck()
    if args.recheck:
        return recheck(args.recheck, args.label)

    # What was mutated, for the results: a commit, or the working tree on top of one.
    made_from = None
    if not args.render:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "paved", "templates",
                                "tests"], cwd=ROOT, check=True, capture_output=True,
                               text=True).stdout
        made_from = f"{head}{' with changes' if dirty else ''}"
        if args.service:
            made_from = f"a render of {made_from}"
    python, import_path = sys.executable, "."
    if args.service:
        import service

        unknown = sorted(set(args.modules) - set(service.SCOPES))
        if unknown:
            parser.error(f"no tests are scoped for {', '.join(unknown)} (see service.SCOPES)")
        scopes = {m: service.SCOPES[m] for m in args.modules or service.SCOPES}
        if args.render:
            source, python = args.render.resolve(), str(args.render.resolve() / ".venv/bin/python")
        else:
            source, python = service.prepare(Path(tempfile.mkdtemp(prefix="paved-mutate-render-")))
        import_path = "src"
    else:
        unknown = sorted(set(args.modules) - set(SCOPES))
        if unknown:
            parser.error(f"no tests are scoped for {', '.join(unknown)} (see SCOPES)")
        scopes, source = {m: SCOPES[m] for m in args.modules or SCOPES}, ROOT
    if args.tests:
        if len(scopes) != 1:
            parser.error("--tests needs exactly one module")
        scopes = {module: tuple(shlex.split(args.tests)) for module in scopes}

    RESULTS.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="paved-mutate-"))

    def one(module: str) -> dict[str, object]:
        workdir = scratch / module.replace("/", "_")
        workdir.mkdir(parents=True)
        summary = mutate(module, scopes[module], workdir, sample=args.sample, seed=args.seed,
                         source=source, rev=args.rev, python=python,
                         import_path=import_path)
        summary.update(label=args.label, rev=args.rev or made_from, sample=args.sample,
                       seed=args.seed)
        name = ("service_" if args.service else "") + module.replace("/", "_") \
            + (f".{args.label}" if args.label else "")
        if args.sample is None or args.label:
            (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        summaries = list(pool.map(one, scopes))
    shutil.rmtree(scratch, ignore_errors=True)
    print(filters.table(summaries))
    failed = [s for s in summaries if args.sample is not None and s["survived"]]
    return 1 if failed else 0


def recheck(saved: Path, label: str) -> int:
    """The survivors of the run saved in `saved`, each put into a copy of the working tree
    in turn and tested by its module's tests (as they are now); killed when pytest fails."""
    before = json.loads(saved.read_text())
    module, tests = before["module"], SCOPES[before["module"]]
    workdir = Path(tempfile.mkdtemp(prefix="paved-recheck-"))
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    copy_tree(ROOT, workdir)  # the commit `head`, with any uncommitted change
    command = ["sh", "-c", test_command(tests)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if subprocess.run(command, cwd=workdir, capture_output=True, env=env).returncode != 0:
        raise SystemExit(f"{module}: its tests fail unmutated")
    killed, survivors, stale = [], [], []
    for entry in before["survivors"]:
        # After "--- mutation diff ---"; cosmic-ray's diff ends with a context line for the
        # "" after the file's last newline, which is no line: left out (hence --recount).
        lines = entry["diff"].split("\n")[1:]
        while lines and lines[-1].strip() == "":
            lines.pop()
        patch = "\n".join(lines) + "\n"
        if subprocess.run(["git", "apply", "--recount", "-"], cwd=workdir,
                          input=patch.encode(), capture_output=True).returncode != 0:
            stale.append(entry)  # the line changed since: still counted as a survivor
            survivors.append(entry)
            continue
        # A session of its own: a hung run is ended with everything it started.
        tests_run = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            (killed if tests_run.wait(timeout=TIMEOUT) == 1 else survivors).append(entry)
        except subprocess.TimeoutExpired:
            os.killpg(tests_run.pid, signal.SIGKILL)
            tests_run.wait()
            killed.append(entry)  # a hang counts as killed, as in cosmic-ray
        finally:
            subprocess.run(["git", "apply", "--recount", "-R", "-"], cwd=workdir,
                           input=patch.encode(), check=True)
    shutil.rmtree(workdir, ignore_errors=True)
    summary = filters.reclassify({
        **before, "tests": list(tests), "killed": int(before["killed"]) + len(killed),
        "survivors": survivors, "label": label, "rev": head,
        "note": f"the {len(before['survivors'])} survivors of the run at {before['rev']} "
                f"run again at {head}: {len(killed)} killed"
                + (f", {len(stale)} not run (their line has changed)" if stale else "")})
    name = module.replace("/", "_") + (f".{label}" if label else ".recheck")
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(filters.table([summary]))
    return 0


def report() -> int:
    summaries = []
    for path in sorted(RESULTS.glob("*.json")):
        summary = filters.reclassify(json.loads(path.read_text()))
        path.write_text(json.dumps(summary, indent=2) + "\n")
        summaries.append(summary)
    print(filters.table(summaries, runs=True))
    print()
    print(filters.equivalents_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
