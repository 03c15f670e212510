"""Time `paved update` against `copier update` of the same change (see issue 9).

One plain copier template (also a paved catalog: one golden path, one layer)
of N files, tagged v1.0.0 and v2.0.0, in two copies that differ only in each
tool's bookkeeping (copier's needs a `.copier-answers.yml` template, paved
records `.paved.yml` itself); the change edits, adds, deletes and
renames files and adds a question. A project is generated from v1.0.0 by each
tool, given the same local edits (one of them overlapping the template's, so
one conflict) and committed. Each run copies the project afresh and updates it;
paved and copier runs alternate. Outcomes are compared before any time is
reported.

    .venv/bin/python bench/update_vs_copier.py [--files 46] [--runs 5]

Also times `paved status --check` on the paved project (target <= 0.5 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def sh(*args: str | Path, cwd: Path | None = None, check: bool = True) -> int:
    done = subprocess.run([str(arg) for arg in args], cwd=cwd, capture_output=True, text=True,
                          check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"{args} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.returncode


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def commit(repo: Path, message: str, tag: str | None = None) -> None:
    if not (repo / ".git").exists():
        sh("git", "init", "--quiet", cwd=repo)
    sh("git", "add", "--all", cwd=repo)
    sh("git", "commit", "--quiet", "-m", message, cwd=repo)
    if tag:
        sh("git", "tag", tag, cwd=repo)


def build_template(root: Path, files: int, answers_file: bool) -> None:
    body = "".join(f"line {i} of {{{{ service_name }}}}\n" for i in range(30))
    tree = {f"src/module_{i}.txt.jinja": body for i in range(files - 3)}
    tree["copier.yml"] = "service_name:\n  type: str\n  default: svc\n"
    if answers_file:
        tree["{{ _copier_conf.answers_file }}.jinja"] = "{{ _copier_answers|to_nice_yaml }}"
    tree["README.md.jinja"] = "# {{ service_name }}\n\nintro\nusage\n"
    write(root, tree)
    commit(root, "v1", tag="v1.0.0")
    changed = {f"src/module_{i}.txt.jinja": body.replace("line 3 ", "line three ")
               for i in range(0, files - 3, 5)}
    changed["README.md.jinja"] = "# {{ service_name }}\n\nintro\nusage, by the template\n"
    changed["src/added.txt.jinja"] = "port {{ port }}\n"
    changed["copier.yml"] = (tree["copier.yml"] + "port:\n  type: int\n  default: 8000\n")
    write(root, changed)
    (root / "src/module_1.txt.jinja").unlink()
    (root / "src/module_2.txt.jinja").rename(root / "src/renamed_2.txt.jinja")
    commit(root, "v2", tag="v2.0.0")


def edit_locally(project: Path) -> None:
    (project / "README.md").write_text("# demo\n\nintro\nusage, by the team\n")  # conflict
    text = (project / "src/module_0.txt").read_text()
    (project / "src/module_0.txt").write_text(text.replace("line 20 ", "line twenty "))
    (project / "TEAM.md").write_text("ours\n")
    commit(project, "team edits")


def outcome(project: Path) -> tuple[list[str], list[str]]:
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*")
                   if p.is_file() and ".git" not in p.parts
                   and p.name not in (".copier-answers.yml", ".paved.yml"))
    conflicted = sorted(str(p.relative_to(project)) for p in project.rglob("*")
                        if p.is_file() and ".git" not in p.parts
                        and "<<<<<<<" in p.read_text(errors="replace"))
    return files, conflicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=46)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the fixtures (profiling)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="paved-bench-"))
    home = work / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n"
                                     "[init]\n\tdefaultBranch = main\n")
    os.environ.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
                      PAVED_CACHE_DIR=str(work / "cache"), GIT_CONFIG_NOSYSTEM="1")
    os.environ.pop("PAVED_CATALOG", None)
    catalog, template = work / "catalog", work / "template"
    for root in (catalog, template):
        root.mkdir()
        build_template(root, args.files, answers_file=root == template)
        # Both projects are generated from v1.0.0 (paved new takes the latest tag).
        sh("git", "checkout", "--quiet", "v1.0.0", cwd=root)
        sh("git", "tag", "-d", "v2.0.0", cwd=root)
    paved_src, copier_src = work / "paved-project", work / "copier-project"
    sh(BIN / "paved", "new", "service", "demo", "--catalog", catalog, "--dest", paved_src)
    sh(BIN / "copier", "copy", "--quiet", "--defaults", "--data", "service_name=demo",
       "--vcs-ref", "v1.0.0", template, copier_src)
    commit(copier_src, "generated")
    for project in (paved_src, copier_src):
        edit_locally(project)
    for root in (catalog, template):
        sh("git", "checkout", "--quiet", "main", cwd=root)
        sh("git", "tag", "v2.0.0", "main", cwd=root)
    # warm both sides (imports, paved's extracted-tree cache) once
    commands = {
        "paved": lambda p: [BIN / "paved", "update", p],
        "copier": lambda p: [BIN / "copier", "update", "--quiet", "--defaults", "--trust",
                             "--conflict", "inline", p],
    }
    sources = {"paved": paved_src, "copier": copier_src}
    times: dict[str, list[float]] = {"paved": [], "copier": []}
    cpu_times: dict[str, list[float]] = {"paved": [], "copier": []}  # noisy shared machines
    results = {}
    for run in range(args.runs + 1):
        for tool in ("paved", "copier") if run % 2 else ("copier", "paved"):
            target = work / f"{tool}-{run}"
            shutil.copytree(sources[tool], target, symlinks=True)
            start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            code = sh(*commands[tool](target), check=False)
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_used = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
            if code not in (0, 3):
                raise SystemExit(f"{tool} update failed with {code}")
            results[tool] = outcome(target)
            if run:  # run 0 is the warm-up
                times[tool].append(elapsed)
                cpu_times[tool].append(cpu_used)
    if results["paved"] != results["copier"]:
        raise SystemExit(f"outcomes differ:\npaved  {results['paved']}\n"
                         f"copier {results['copier']}")
    paved_median = statistics.median(times["paved"])
    copier_median = statistics.median(times["copier"])
    print(f"template files: {args.files}, runs: {args.runs} (after 1 warm-up), "
          f"same outcome: {len(results['paved'][0])} files, conflicts "
          f"{results['paved'][1]}")
    for tool in ("paved", "copier"):
        print(f"{tool:>6} update: wall median {statistics.median(times[tool]):.3f} s "
              f"(min {min(times[tool]):.3f}, max {max(times[tool]):.3f}); CPU median "
              f"{statistics.median(cpu_times[tool]):.3f} s")
    status_times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        sh(BIN / "paved", "status", "--check", paved_src, check=False)
        status_times.append(time.perf_counter() - start)
    print(f"paved status --check: wall median {statistics.median(status_times):.3f} s "
          f"(max {max(status_times):.3f})")
    cpu_ratio = statistics.median(cpu_times["paved"]) / statistics.median(cpu_times["copier"])
    print(f"ratio paved/copier: wall {paved_median / copier_median:.2f}, CPU {cpu_ratio:.2f}")
    if args.keep:
        print(f"kept fixtures in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
