"""copier as the oracle: paved must render and update copier templates as copier does.

The comparison rules live here (`snapshot`, `compare_projects`) and are shared by
the differential suite (tests/copier_compat/) and by this script, which runs them
on local clones of public copier templates:

    python bench/compat.py --answers bench/compat-answers.yml CLONE [CLONE …]

For each template and each pair of consecutive release tags among the last
`--pairs` + 1, it renders the old tag with `copier copy` and `paved new service`
(same answers), commits, makes the same team edits, updates both to the new tag
(`copier update`, `paved update`) and compares the work trees. It prints a table
(template, tags, new identical?, update identical?, paved and copier seconds)
and, with `--doc`, writes it into docs/copier.md between the COMPAT markers.

What may differ, and only that (docs/copier.md, "Deliberate differences"):
`.paved.yml` exists only in paved's project; paved's answers file holds at
least what copier's does; conflict markers carry other labels.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAVED_ONLY = (".paved.yml",)
_MARKER = re.compile(rb"^(<<<<<<<|\|\|\|\|\|\|\||>>>>>>>)( .*)?$", re.MULTILINE)
_BEGIN, _END = "<!-- COMPAT:BEGIN -->", "<!-- COMPAT:END -->"


# --- the oracle: what "the same output" means ---

def snapshot(root: Path) -> dict[str, tuple[str, bytes]]:
    """Every entry under `root` outside `.git`: path -> (kind, content), kind being
    "file", "executable" or "link" (content: the link's target)."""
    entries: dict[str, tuple[str, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if name != ".git"]
        for name in (*filenames, *(d for d in dirnames if Path(dirpath, d).is_symlink())):
            path = Path(dirpath, name)
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                entries[relative] = ("link", os.readlink(path).encode())
            else:
                kind = "executable" if os.access(path, os.X_OK) else "file"
                entries[relative] = (kind, _MARKER.sub(rb"\1", path.read_bytes()))
    return dict(sorted(entries.items()))


def conflicted(tree: Mapping[str, tuple[str, bytes]]) -> list[str]:
    """Files holding conflict markers (markers are normalised by `snapshot`)."""
    return sorted(path for path, (_, data) in tree.items()
                  if re.search(rb"^<<<<<<<$", data, re.MULTILINE))


def compare_projects(copier_root: Path, paved_root: Path, answers_file: str) -> list[str]:
    """How paved's project differs from copier's, beyond the documented differences."""
    ours, theirs = snapshot(copier_root), snapshot(paved_root)
    for name in PAVED_ONLY:
        theirs.pop(name, None)
    problems = []
    copier_answers, paved_answers = ours.pop(answers_file, None), theirs.pop(answers_file, None)
    if copier_answers is not None or paved_answers is not None:
        problems += _compare_answers(answers_file, copier_answers, paved_answers)
    for path in sorted(set(ours) | set(theirs)):
        if path not in theirs:
            problems.append(f"{path}: only in copier's project")
        elif path not in ours:
            problems.append(f"{path}: only in paved's project")
        elif ours[path][0] != theirs[path][0]:
            problems.append(f"{path}: {ours[path][0]} in copier's, {theirs[path][0]} in paved's")
        elif ours[path][1] != theirs[path][1]:
            problems.append(f"{path}: content differs")
    return problems


def _compare_answers(name: str, copier_side: tuple[str, bytes] | None,
                     paved_side: tuple[str, bytes] | None) -> list[str]:
    """paved's answers file must hold every key of copier's, with the same value."""
    import yaml

    if copier_side is None or paved_side is None:
        return [f"{name}: only in {'copier' if paved_side is None else 'paved'}'s project"]
    if copier_side[1] == paved_side[1]:
        return []
    ours, theirs = yaml.safe_load(copier_side[1]) or {}, yaml.safe_load(paved_side[1]) or {}
    return [f"{name}: {key} is {theirs.get(key)!r} in paved's, {value!r} in copier's"
            for key, value in ours.items() if theirs.get(key) != value]


# --- the script: public templates, tag pairs, times ---

@dataclass(frozen=True)
class Timing:
    """Seconds of one command: wall clock, and CPU (user + system, children included):
    on a busy machine the wall clock counts the waits of each process started."""

    wall: float = 0.0
    cpu: float = 0.0

    def __str__(self) -> str:
        return f"{self.wall:.2f} ({self.cpu:.2f})"


def _median(timings: Sequence[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in timings),
                  statistics.median(t.cpu for t in timings))


@dataclass(frozen=True)
class Row:
    template: str
    tags: str
    new_identical: str
    update_identical: str
    paved_new: Timing
    copier_new: Timing
    paved_update: Timing
    copier_update: Timing
    notes: str = ""


def release_tags(repo: Path) -> list[str]:
    """Tags copier would consider releases (PEP 440, no pre-releases), oldest first."""
    from packaging.version import InvalidVersion, Version

    found = []
    for tag in _git(repo, "tag").split():
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            found.append((version, tag))
    return [tag for _, tag in sorted(found)]


def compare_template(clone: Path, answers: Mapping[str, Any], pairs: int,
                     work: Path, repeat: int = 1) -> list[Row]:
    """One row per tag pair: each pair compared `repeat` times from an empty paved cache
    (copier clones every time), identical only when every run was, times the medians."""
    tags = release_tags(clone)[-(pairs + 1):]
    rows = []
    for old, new in itertools.pairwise(tags):
        runs = []
        for attempt in range(repeat):
            shutil.rmtree(os.environ.get("PAVED_CACHE_DIR", work / "no-cache"),
                          ignore_errors=True)
            runs.append(_compare_pair(clone, answers, old, new,
                                      work / f"{clone.name}-{old}-{attempt}"))
        rows.append(_median_row(runs))
    return rows


def _median_row(runs: Sequence[Row]) -> Row:
    def same(values: Sequence[str]) -> str:
        return values[0] if len(set(values)) == 1 else "no"

    return Row(template=runs[0].template, tags=runs[0].tags,
               new_identical=same([run.new_identical for run in runs]),
               update_identical=same([run.update_identical for run in runs]),
               paved_new=_median([run.paved_new for run in runs]),
               copier_new=_median([run.copier_new for run in runs]),
               paved_update=_median([run.paved_update for run in runs]),
               copier_update=_median([run.copier_update for run in runs]),
               notes="; ".join(dict.fromkeys(run.notes for run in runs if run.notes)))


def _compare_pair(clone: Path, answers: Mapping[str, Any], old: str, new: str,
                  work: Path) -> Row:
    import yaml

    work.mkdir(parents=True)
    answers_path = work / "answers.yml"
    answers_path.write_text(yaml.safe_dump(dict(answers)), encoding="utf-8")
    projects = {side: work / side / "project" for side in ("copier", "paved")}
    for project in projects.values():
        project.parent.mkdir()
    source = str(clone)
    times: dict[str, Timing] = {}
    notes = []
    copier_bin = Path(sys.executable).with_name("copier")
    paved_bin = Path(sys.executable).with_name("paved")
    times["copier new"], copier_ok = _timed(
        [copier_bin, "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", old,
         "--data-file", answers_path, source, projects["copier"]])
    times["paved new"], paved_ok = _timed(
        [paved_bin, "new", "service", "project", "--dest", projects["paved"], "--catalog",
         source, "--version", old, "--defaults", "--answers-file", answers_path, "--trust"])
    new_same = "—"
    if copier_ok and paved_ok:
        problems = compare_projects(projects["copier"], projects["paved"],
                                    answers_file_in(projects["copier"]))
        new_same = "yes" if not problems else "no"
        notes += problems[:3]
    else:
        notes.append("copier failed" if not copier_ok else "paved failed")
    update_same = "—"
    if copier_ok and paved_ok:
        _commit(projects["copier"], "generated")
        for project in projects.values():
            _team_edit(project)
        times["copier update"], copier_ok = _timed(
            [copier_bin, "update", "--trust", "--defaults", "--quiet", "--vcs-ref", new,
             "--answers-file", answers_file_in(projects["copier"])],
            cwd=projects["copier"], codes=(0,))
        times["paved update"], paved_ok = _timed(
            [paved_bin, "update", "--to", new, "--trust"], cwd=projects["paved"],
            codes=(0, 3))
        if copier_ok and paved_ok:
            problems = compare_projects(projects["copier"], projects["paved"],
                                        answers_file_in(projects["copier"]))
            update_same = "yes" if not problems else "no"
            notes += problems[:3]
        else:
            notes.append("copier update failed" if not copier_ok else "paved update failed")
    return Row(template=clone.name, tags=f"{old} → {new}", new_identical=new_same,
               update_identical=update_same, paved_new=times.get("paved new", Timing()),
               copier_new=times.get("copier new", Timing()),
               paved_update=times.get("paved update", Timing()),
               copier_update=times.get("copier update", Timing()), notes="; ".join(notes))


def answers_file_in(project: Path) -> str:
    """The answers file copier wrote in `project`: a YAML file naming `_src_path`."""
    for candidate in sorted(project.rglob("*.yml")) + sorted(project.rglob("*.yaml")):
        if ".git" in candidate.parts:
            continue
        head = candidate.read_text(encoding="utf-8", errors="replace")[:2000]
        if "_src_path:" in head and "_commit:" in head:
            return candidate.relative_to(project).as_posix()
    return ".copier-answers.yml"


def _team_edit(project: Path) -> None:
    """The same small edits on both sides: a file of the team's, and a line appended to
    the README when there is one."""
    (project / "TEAM-NOTES.md").write_text("the team's notes\n", encoding="utf-8")
    for name in ("README.md", "README.rst", "README"):
        readme = project / name
        if readme.is_file() and not readme.is_symlink():
            with readme.open("a", encoding="utf-8") as handle:
                handle.write("\nA line the team added.\n")
            break
    _commit(project, "team edits")


def _commit(project: Path, message: str) -> None:
    if not (project / ".git").exists():
        _git(project, "init", "--quiet")
    _git(project, "add", "--all")
    _git(project, "commit", "--quiet", "--no-verify", "--allow-empty", "-m", message)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def _timed(command: Sequence[str | Path], cwd: Path | None = None,
           codes: tuple[int, ...] = (0,)) -> tuple[Timing, bool]:
    """The command's wall time and CPU time (user + system, its child processes too)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = Timing(time.perf_counter() - started,
                     after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode not in codes:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        print(f"  {Path(str(command[0])).name} {command[1]} exited {done.returncode}: {last}",
              file=sys.stderr)
    return elapsed, done.returncode in codes


def table(rows: Sequence[Row]) -> str:
    lines = ["| template | tags | new identical? | update identical? | paved new s | "
             "copier new s | paved update s | copier update s |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row.template} | {row.tags} | {row.new_identical} | "
                     f"{row.update_identical} | {row.paved_new} | {row.copier_new} | "
                     f"{row.paved_update} | {row.copier_update} |")
    return "\n".join(lines)


def _isolate(home: Path) -> None:
    """No user settings of copier, paved or git reach the runs."""
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Compat\n\temail = compat@example.com\n"
                         "[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    os.environ.update({"HOME": str(home), "GIT_CONFIG_GLOBAL": str(gitconfig),
                       "GIT_CONFIG_NOSYSTEM": "1", "PAVED_CACHE_DIR": str(home / "cache"),
                       "COPIER_SETTINGS_PATH": str(home / "copier-settings.yml"),
                       "XDG_CONFIG_HOME": str(home / ".config")})
    for name in ("PAVED_CATALOG", "PAVED_CONFIG"):
        os.environ.pop(name, None)


def main(argv: Sequence[str] | None = None) -> None:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clones", nargs="+", type=Path, help="local clones of copier templates")
    parser.add_argument("--answers", type=Path, help="YAML: template name -> answers")
    parser.add_argument("--pairs", type=int, default=2, help="tag pairs per template")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per tag pair; the table shows the median times")
    parser.add_argument("--doc", action="store_true", help="write the table to docs/copier.md")
    options = parser.parse_args(argv)
    all_answers = yaml.safe_load(options.answers.read_text()) if options.answers else {}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="paved-compat-") as scratch:
        _isolate(Path(scratch) / "home")
        for clone in options.clones:
            print(f"{clone.name} …", file=sys.stderr)
            rows += compare_template(clone.resolve(), (all_answers or {}).get(clone.name) or {},
                                     options.pairs, Path(scratch) / "work", options.repeat)
    print(table(rows))
    for row in rows:
        if row.notes:
            print(f"- {row.template} {row.tags}: {row.notes}")
    if options.doc:
        doc = ROOT / "docs" / "copier.md"
        text = doc.read_text(encoding="utf-8")
        before, _, rest = text.partition(_BEGIN)
        _, _, after = rest.partition(_END)
        notes = "".join(f"\n- {row.template} {row.tags}: {row.notes}" for row in rows
                        if row.notes)
        command = " ".join(["python bench/compat.py", "--answers bench/compat-answers.yml",
                            f"--pairs {options.pairs}", f"--repeat {options.repeat}",
                            *(clone.resolve().name for clone in options.clones)])
        from importlib.metadata import version

        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        intro = (f"Measured with `{command}` on clones of the public repositories, with "
                 f"copier {version('copier')}; seconds are medians of {options.repeat} runs, "
                 f"each from an empty paved cache: wall clock, and in brackets CPU time "
                 f"(user + system, child processes included), which the machine's load "
                 f"(here {load} at the end) changes less.\n\n")
        doc.write_text(f"{before}{_BEGIN}\n{intro}{table(rows)}\n{notes}\n{_END}{after}",
                       encoding="utf-8")


if __name__ == "__main__":
    main()
