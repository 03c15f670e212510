"""`paved adopt`: link an existing repository to a golden path, as one reviewable change.

The golden path is rendered once with the answers (guessed from the repo,
confirmed on a terminal, or given). Each file it renders is then either
already in the repo as rendered, missing (the golden path would add it), or
the team's own version (kept, and shown with a diff; `--take` replaces it).
The dry run also names the `paved check` rules the change would fix: the
repo and the repo as adopted are checked, and each rule that fails before and
passes after is named, with the added files its evidence points at.

`--apply` commits the render, untouched, as the first pristine commit and
the change over HEAD as a commit whose second parent it is, exactly the shape
of a `paved update`: the next update merges from that pristine render, so it
brings only what the template changes. The step is `paved.update.journal`'s:
one lock, the same refusals, and an interruption anywhere rolls back.
"""

from __future__ import annotations

import dataclasses
import difflib
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paved
from paved import config, render
from paved.adopt.guess import guess_answers
from paved.catalog import Catalog, GoldenPath, open_catalog, recorded_source
from paved.check import run_check
from paved.check.options import CheckOptions
from paved.check.rule import Status
from paved.create import paved_context, render_golden_path
from paved.errors import InputError, ProjectError
from paved.git import Entry, Repository, blob_sha
from paved.project import RECORD_FILE, Record
from paved.questions import Asker, Question, resolve_answers
from paved.update import journal, merge, pristine, worktree
from paved.update.merge import Action
from paved.update.update import check_ready, commit_change

SAME = "already as the golden path"
ADD = "the golden path would add it"
YOURS = "you have your own version"
TAKE = "taken from the golden path"


@dataclass(frozen=True)
class AdoptFile:
    path: str
    status: str  # SAME, ADD, YOURS or TAKE
    diff: str = ""  # yours → the golden path's (YOURS and TAKE)
    fixes: tuple[str, ...] = ()  # check rules this file's arrival would fix


@dataclass(frozen=True)
class RuleFixed:
    id: str
    title: str


@dataclass(frozen=True)
class AdoptResult:
    path: Path
    catalog: str
    version: str
    golden_path: str
    layers: tuple[str, ...]
    answers: Mapping[str, Any]
    guessed: Mapping[str, Any]  # what the repo told, before --data and the person
    files: tuple[AdoptFile, ...]
    fixes: tuple[RuleFixed, ...]  # check rules failing now that pass once adopted
    applied: bool
    commit: str | None = None
    branch: str | None = None


def adopt_project(path: Path, *, catalog_source: str | None = None,
                  golden_path: str | None = None, with_layers: tuple[str, ...] = (),
                  data: Mapping[str, Any] | None = None, ask: Asker | None = None,
                  apply: bool = False, take: tuple[str, ...] = (), branch: str | None = None,
                  trust: bool = False) -> AdoptResult:
    """Report what adopting the repo at `path` would change; with `apply`, commit it."""
    repo = Repository(path)
    if (repo.root / RECORD_FILE).exists():
        raise ProjectError(f"{repo.root} is on the paved road already (it has {RECORD_FILE}); "
                           f"use paved update")
    if not apply:
        if journal.interrupted(repo):
            raise ProjectError("an interrupted paved change must be rolled back first; run "
                               "paved update or paved adopt --apply")
        return _adopt(repo, catalog_source, golden_path, with_layers, data or {}, ask, False,
                      take, None, trust)
    with journal.locked(repo):
        return _adopt(repo, catalog_source, golden_path, with_layers, data or {}, ask, True,
                      take, branch, trust)


def _adopt(repo: Repository, source: str | None, name: str | None, with_layers: tuple[str, ...],
           data: Mapping[str, Any], ask: Asker | None, apply: bool, take: tuple[str, ...],
           branch: str | None, trust: bool) -> AdoptResult:
    head = check_ready(repo, branch)
    catalog = open_catalog(source)
    trust = trust or config.is_trusted(catalog.source)
    chosen = catalog.golden_path(name).with_layers(with_layers)
    guessed = guess_answers(repo.root, catalog.questions)
    answers = _answers(catalog, chosen, guessed, data, ask, trust)
    recorded, _ = recorded_source(catalog)
    record = Record(catalog=recorded, version=catalog.version, golden_path=chosen.name,
                    layers=chosen.layers, answers=answers, paved_version=paved.__version__)
    with tempfile.TemporaryDirectory(prefix="paved-adopt-") as scratch:
        rendered = Path(scratch) / "render"
        rendered.mkdir()
        render_golden_path(catalog, chosen, answers, rendered, trust=trust)
        journal.checkpoint()
        theirs = _with_record(merge.read_directory(rendered, repo), record)
        ours = merge.Snapshot(entries=repo.entries(head))
        unknown = sorted(set(take) - set(theirs.entries))
        if unknown:
            raise InputError(f"--take {unknown[0]}: the golden path renders no such file")
        files = _files(repo, ours, theirs, take)
        changes = tuple(_change(file.path, file.status, theirs, ours) for file in files
                        if file.status in (ADD, TAKE))
        fixes, by_file = _fixes(repo, Path(scratch), ours, theirs, changes)
    files = tuple(AdoptFile(file.path, file.status, file.diff, by_file.get(file.path, ()))
                  for file in files)
    result = AdoptResult(path=repo.root, catalog=recorded, version=catalog.version,
                         golden_path=chosen.name, layers=chosen.layers, answers=answers,
                         guessed=guessed, files=files, fixes=fixes, applied=apply)
    if not apply:
        return result
    written = {change.path: change.new for change in changes}
    worktree.check(repo, written, {path: ours.entries.get(path) for path in written})
    journal.checkpoint()
    base = pristine.Base(snapshot=merge.Snapshot(entries={}), commit=None, source="adopted")
    commit = commit_change(repo, head, base, ours, theirs, changes, branch,
                           message=_message(repo, record, catalog, files),
                           pristine_message=pristine.message(record))
    return dataclasses.replace(result, commit=commit, branch=branch)


def _answers(catalog: Catalog, chosen: GoldenPath, guessed: Mapping[str, Any],
             data: Mapping[str, Any], ask: Asker | None, trust: bool) -> dict[str, Any]:
    context = paved_context(catalog, chosen)
    how = render.Render(origin=catalog.origin, trust=trust)
    if ask is None:
        return resolve_answers(catalog.questions, {**guessed, **data}, catalog_root=catalog.root,
                               context=context, how=how)

    def confirm(question: Question, default: Any, problem: str) -> Any:
        # On a terminal the guesses are offered as the defaults, to confirm or change.
        return ask(question, guessed.get(question.name, default), problem)

    return resolve_answers(catalog.questions, data, catalog_root=catalog.root, context=context,
                           ask=confirm, how=how)


def _with_record(snapshot: merge.Snapshot, record: Record) -> merge.Snapshot:
    data = record.to_yaml().encode()
    sha = blob_sha(data)
    return dataclasses.replace(snapshot, blobs={**snapshot.blobs, sha: data},
                               entries={**snapshot.entries, RECORD_FILE: ("100644", sha)})


def _files(repo: Repository, ours: merge.Snapshot, theirs: merge.Snapshot,
           take: tuple[str, ...]) -> tuple[AdoptFile, ...]:
    files = []
    for path in sorted(theirs.entries):
        mine, template = ours.entries.get(path), theirs.entries[path]
        if mine is None:
            files.append(AdoptFile(path, ADD))
        elif mine[1] == template[1]:
            files.append(AdoptFile(path, SAME))
        else:
            before = repo.read_blob(mine[1])
            status = TAKE if path in take else YOURS
            files.append(AdoptFile(path, status, _diff(path, before, _rendered(theirs, path))))
    return tuple(files)


def _rendered(theirs: merge.Snapshot, path: str) -> bytes:
    """The bytes the golden path rendered at `path` (not converted as git stores them)."""
    if path in theirs.worktree:
        return theirs.worktree[path]
    return theirs.blobs[theirs.entries[path][1]]


def _change(path: str, status: str, theirs: merge.Snapshot,
            ours: merge.Snapshot) -> merge.FileChange:
    new: Entry = theirs.entries[path]
    return merge.FileChange(path, Action.ADDED if status == ADD else Action.UPDATED, new=new)


def _fixes(repo: Repository, scratch: Path, ours: merge.Snapshot, theirs: merge.Snapshot,
           changes: tuple[merge.FileChange, ...]
           ) -> tuple[tuple[RuleFixed, ...], dict[str, tuple[str, ...]]]:
    """The check rules failing on the repo that pass on the repo as adopted."""
    before_dir, after_dir = scratch / "before", scratch / "after"
    _write_tree(repo, ours, before_dir)
    shutil.copytree(before_dir, after_dir, symlinks=True)
    for change in changes:
        assert change.new is not None
        target = after_dir / change.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        target.write_bytes(_rendered(theirs, change.path))
    before = {r.id: r for r in run_check(before_dir, CheckOptions()).all_results()}
    after = run_check(after_dir, CheckOptions()).all_results()
    changed = {change.path for change in changes}
    fixed: list[RuleFixed] = []
    by_file: dict[str, list[str]] = {}
    for result in after:
        was = before.get(result.id)
        if was is None or was.status is not Status.FAIL or result.status is not Status.PASS:
            continue
        fixed.append(RuleFixed(result.id, result.title))
        for evidence in result.evidence:
            if evidence.path in changed and result.id not in by_file.get(evidence.path, []):
                by_file.setdefault(evidence.path, []).append(result.id)
    return tuple(fixed), {path: tuple(ids) for path, ids in by_file.items()}


def _write_tree(repo: Repository, snapshot: merge.Snapshot, dest: Path) -> None:
    """HEAD's files (the work tree holds them: no uncommitted changes to tracked files)."""
    dest.mkdir()
    for path, (mode, _) in snapshot.entries.items():
        source, target = repo.root / path, dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000" or mode == "160000" or not source.is_file():
            continue  # links and submodules: nothing a rule reads through them here
        target.write_bytes(source.read_bytes())


def _diff(path: str, before: bytes, after: bytes) -> str:
    if b"\0" in before or b"\0" in after:
        return f"Binary files a/{path} and b/{path} differ\n"
    lines = difflib.unified_diff(before.decode("utf-8", "replace").splitlines(keepends=True),
                                 after.decode("utf-8", "replace").splitlines(keepends=True),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def _message(repo: Repository, record: Record, catalog: Catalog,
             files: tuple[AdoptFile, ...]) -> str:
    counts = {status: sum(1 for file in files if file.status == status)
              for status in (ADD, TAKE, YOURS, SAME)}
    return (f"Adopt golden path {record.golden_path} (paved catalog v{record.version})\n\n"
            f"Catalog: {catalog.source}. Linked by paved {paved.__version__}: "
            f"{counts[ADD]} file(s) added, {counts[TAKE]} taken from the golden path, "
            f"{counts[YOURS]} of your own kept, {counts[SAME]} already as the golden path.\n"
            f"From now on paved update merges only what the template changes.\n\n"
            f"Paved-Adopt: {record.version}\n")
