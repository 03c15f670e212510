"""Updating a generated project to another catalog version, as one reviewable change.

The new version is rendered once; the merge base is the pristine render kept
in the repo (`paved.update.pristine`), rendered again only when it is missing; the
merge is decided in memory (`paved.update.merge`); commits, trees and the new index
are prepared off to the side; and `paved.update.journal` makes the one visible step
recoverable. See "Updates" in docs/architecture.md.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

import paved
from paved import config, render
from paved.catalog import Catalog, GoldenPath, changelog_between, open_catalog
from paved.create import paved_context, render_golden_path
from paved.errors import CatalogError, ExitCode, InputError, ProjectError, one_line
from paved.git import Entry, Repository, blob_sha
from paved.project import RECORD_FILE, Record, read_record, record_from_copier_answers
from paved.questions import Asker, name_shown, recorded, resolve_answers
from paved.update import journal, merge, pristine, worktree
from paved.update.merge import Action

_SHOWN = 5  # paths named in a refusal


@dataclass(frozen=True)
class FileOutcome:
    path: str
    action: str  # a `merge.Action` value
    diff: str = ""  # with --dry-run


@dataclass(frozen=True)
class LayerChange:
    """Optional layers to add to or remove from a repo (`paved layer add / remove`)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpdateResult:
    path: Path
    catalog: str
    golden_path: str
    old_version: str
    new_version: str
    files: tuple[FileOutcome, ...]
    conflicts: tuple[str, ...]
    base: str  # "stored" or "re-rendered"
    dry_run: bool
    commit: str | None = None  # None: dry run, conflicts to resolve, or nothing to do
    branch: str | None = None
    up_to_date: bool = False
    layers: tuple[str, ...] = ()  # the repo's layers after the change
    layer_change: LayerChange | None = None
    # Commands the template runs in the project (copier `_migrations` before and after,
    # `_tasks`): run, or with --dry-run, what would run.
    commands: tuple[str, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.CONFLICTS if self.conflicts else ExitCode.OK


def update_project(path: Path, *, to: str | None = None, data: Mapping[str, Any] | None = None,
                   dry_run: bool = False, branch: str | None = None,
                   trust: bool = False, allow_downgrade: bool = False,
                   layers: LayerChange | None = None, ask: Asker | None = None) -> UpdateResult:
    """Bring the project at `path` to catalog version `to` (default: the latest).

    With `layers`, the repo stays at its version and gains or loses those optional
    layers instead (`paved layer add / remove`); `ask` answers their new questions.
    """
    repo = Repository(path)
    if dry_run:
        if journal.interrupted(repo):
            raise ProjectError("an interrupted paved update must be rolled back first; "
                               "run paved update without --dry-run")
        return _update(repo, to=to, data=data or {}, dry_run=True, branch=None, trust=trust,
                       allow_downgrade=allow_downgrade, layers=layers, ask=ask)
    with journal.locked(repo):
        return _update(repo, to=to, data=data or {}, dry_run=False, branch=branch, trust=trust,
                       allow_downgrade=allow_downgrade, layers=layers, ask=ask)


def _update(repo: Repository, *, to: str | None, data: Mapping[str, Any], dry_run: bool,
            branch: str | None, trust: bool, allow_downgrade: bool,
            layers: LayerChange | None, ask: Asker | None) -> UpdateResult:
    head = check_ready(repo, branch)
    record = _record(repo)
    if layers is not None:
        _check_layer_change(record, layers)
        to = record.version  # a layer comes as the catalog version the repo is at has it
    catalog = open_catalog(record.catalog, version=to)
    _check_direction(record, catalog.version, to, allow_downgrade)
    # Trust is decided on the source as opened (absolute, canonical): `.paved.yml` is
    # the team's to edit, and may name any catalog.
    trust = trust or config.is_trusted(catalog.source)
    golden_path = _target_golden_path(catalog, record, layers or LayerChange())
    how = render.Render(origin=catalog.origin, trust=trust, operation="update")
    render.refuse_untrusted_code(catalog.root, how, from_version=record.version)
    answers = _answers(repo, catalog, golden_path, record, data, trust, ask=ask)
    new_record = Record(catalog=record.catalog, version=catalog.version,
                        golden_path=record.golden_path, layers=golden_path.layers,
                        answers=recorded(catalog.questions, answers),
                        paved_version=paved.__version__, check=record.check)
    result = _Outcome(repo, record, new_record, catalog, dry_run, branch, layers)
    if (catalog.version == record.version and new_record.answers == dict(record.answers)
            and golden_path.layers == record.layers):
        return result.up_to_date()
    data_for_tasks = {**paved_context(catalog, golden_path), **answers}
    before, after, tasks = _commands(repo, catalog, record, data_for_tasks, how)
    result.commands = tuple(f"{kind} {task.shown}" for kind, group in
                            (("migration", before), ("task", tasks), ("migration", after))
                            for task in group)
    start = head
    if before and not dry_run:
        # copier runs them in the project before it merges; paved commits what they
        # changed (never the team's untracked files), so that the merge starts from a
        # commit. The commit joins the branch in the one visible step (`_apply`).
        theirs_already = repo.untracked_files()
        render.run_tasks(before)
        start = repo.commit_work_tree(
            head, f"Run the migrations before v{catalog.version}\n\n"
                  f"Paved-Migration: {record.version} -> {catalog.version}\n",
            leave=theirs_already) or head
    with tempfile.TemporaryDirectory(prefix="paved-update-") as scratch:
        base = pristine.stored_base(repo, record.version, record.layers)
        if base is None:
            base = render_base(repo, record, Path(scratch) / "base", trust)
        journal.checkpoint()
        # Rendered under the project's own name: copier tells templates `_folder_name`.
        theirs_dir = Path(scratch) / "theirs" / repo.root.name
        theirs_dir.mkdir(parents=True)
        rendered = render_golden_path(catalog, golden_path, answers, theirs_dir, trust=trust,
                                      operation="update", project=repo.root)
        theirs = _with_record(merge.read_directory(theirs_dir, repo), new_record)
        journal.checkpoint()
    ours = merge.Snapshot(entries=repo.entries(start))
    labels = merge.Labels(ours="HEAD", base=f"paved v{record.version}",
                          theirs=f"paved v{catalog.version}")
    once = tuple(glob for name in golden_path.layers for glob in catalog.layers[name].once)
    excluded = render.exclusion_matcher(rendered.exclude)
    # As copier, which renders the old version with the new one's exclusions: a file the
    # new version excludes (`_exclude`, often only when `_copier_operation` is "update")
    # is not the template's any more, and stays as the team has it.
    base_snapshot = merge.Snapshot(
        entries={path: entry for path, entry in base.snapshot.entries.items()
                 if path in theirs.entries or not excluded(path)},
        blobs=base.snapshot.blobs)
    changes = merge.plan(repo, base_snapshot, ours, theirs, once=once, labels=labels,
                         overwrite=(RECORD_FILE,), with_diffs=dry_run,
                         skip_if_exists=render.exclusion_matcher(rendered.skip_if_exists))
    if dry_run:
        return result.report(changes, base.source)
    written = {change.path: change.new for change in changes if change.action in merge.WRITES}
    worktree.check(repo, written, {path: ours.entries.get(path) for path in written})
    journal.checkpoint()
    commit = _apply(repo, (head, start), base, ours, theirs, changes, branch,
                    message=result.message(), pristine_message=pristine.message(new_record))
    # After the one visible step, as copier: the tasks (its render of the project runs
    # them), then the migrations after. What they change is left for the team to review.
    render.run_tasks((*tasks, *after))
    return result.report(changes, base.source, commit=commit)


def _commands(repo: Repository, catalog: Catalog, record: Record, data: Mapping[str, Any],
              how: render.Render) -> tuple[tuple[render.Task, ...], ...]:
    """The migrations before and after, and the tasks, that this update runs."""
    from_commit = _recorded_commit(repo)
    before, after = (render.planned_tasks(catalog.root, repo.root, data, how, stage=stage,
                                          from_version=record.version,
                                          from_commit=from_commit)
                     for stage in ("before", "after"))
    return before, after, render.planned_tasks(catalog.root, repo.root, data, how)


def _recorded_commit(repo: Repository) -> str | None:
    """The `_commit` copier's answers file records (`_version_from` of migrations)."""
    from paved import yaml

    for path in sorted(repo.root.glob(".copier-answers*.yml")):
        try:
            data = yaml.plain(yaml.load(path))
        except InputError:
            continue
        if isinstance(data, dict) and data.get("_commit"):
            return str(data["_commit"])
    return None


def _record(repo: Repository) -> Record:
    """`.paved.yml`, or a project copier made: taken over from its answers file (the
    first update renders the applied version again as the merge base, once)."""
    try:
        return read_record(repo.root)
    except ProjectError:
        record = record_from_copier_answers(repo.root)
        if record is None:
            raise
        return record


def check_ready(repo: Repository, branch: str | None) -> str:
    head = repo.resolve("HEAD")
    if head is None:
        raise ProjectError(f"{repo.root} has no commits yet")
    operation = repo.operation_in_progress()
    if operation is not None:
        raise ProjectError(_IN_PROGRESS.get(operation, f"a git {operation} is in progress; "
                                            f"finish it (git {operation} --continue) or run "
                                            f"git {operation} --abort first"))
    changed = repo.changed_tracked_files()
    if changed:
        shown = ", ".join(changed[:_SHOWN]) + (" …" if len(changed) > _SHOWN else "")
        raise ProjectError(f"{repo.root} has uncommitted changes to tracked files "
                           f"({shown}); commit or stash them first")
    if branch is not None and repo.resolve_ref(f"refs/heads/{branch}") is not None:
        raise InputError(f"branch {branch!r} already exists; choose another --branch")
    if branch is not None and not repo.is_valid_branch_name(branch):
        raise InputError(f"{branch!r} is not a valid branch name")
    return head


_IN_PROGRESS = {
    "merge": "a merge is in progress (an earlier paved update left conflicts?); commit it or "
             "run git merge --abort first",
    "bisect": "a git bisect is in progress; end it with git bisect reset first",
}


def _check_direction(record: Record, target: str, to: str | None,
                     allow_downgrade: bool) -> None:
    """Never to an older version unless asked twice: `--to` it, and `--allow-downgrade`."""
    if to is not None and allow_downgrade:
        return
    try:
        older = Version(target) < Version(record.version)
    except InvalidVersion:
        return  # untagged catalogs (0.0.0+local…) have no order to go by
    if older:
        raise ProjectError(f"catalog {record.catalog} v{target} is older than this repo's "
                           f"v{record.version}; paved update never goes back unless asked: "
                           f"--to {target} --allow-downgrade")


def _check_layer_change(record: Record, change: LayerChange) -> None:
    present = [name for name in change.added if name in record.layers]
    if present:
        raise InputError(f"this repo already has layer {present[0]!r}")
    absent = [name for name in change.removed if name not in record.layers]
    if absent:
        raise InputError(f"this repo has no layer {one_line(repr(absent[0]), 60)}; it has: "
                         f"{', '.join(record.layers)}")


def _answers(repo: Repository, catalog: Catalog, golden_path: GoldenPath, record: Record,
             data: Mapping[str, Any], trust: bool, *, ask: Asker | None = None) -> dict[str, Any]:
    known = {question.name for question in catalog.questions}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"unknown question {name_shown(unknown[0])}; catalog "
                         f"v{catalog.version} asks: {', '.join(sorted(known))}")
    # Recorded answers stay (a changed default does not change them); new questions take
    # --data or their default; answers to questions the catalog dropped are forgotten.
    # With a person to ask (`paved layer add`), only the new questions are asked: the
    # recorded answers count as given, where copier's update would ask each one again.
    given = {**record.answers, **data} if ask is not None else data
    return resolve_answers(catalog.questions, given, strict=False, last=record.answers,
                           catalog_root=catalog.root, ask=ask,
                           context=paved_context(catalog, golden_path),
                           how=render.Render(origin=catalog.origin, trust=trust,
                                             operation="update"),
                           project=repo.root)


def _target_golden_path(catalog: Catalog, record: Record, change: LayerChange) -> GoldenPath:
    """The golden path as the new version defines it, so that a layer the platform team
    added to it reaches every repo, with the optional layers the repo chose (those the
    new version still offers) and `change`; the recorded layers when the catalog dropped
    the golden path. A plain copier template has one golden path, whatever it was called
    when recorded."""
    if catalog.plain:
        return next(iter(catalog.golden_paths.values()))
    if record.golden_path in catalog.golden_paths:
        offered = catalog.golden_paths[record.golden_path]
        fixed = [name for name in change.removed if name in offered.layers]
        if fixed:
            raise InputError(f"layer {fixed[0]!r} is part of golden path {offered.name!r}, "
                             f"not an optional layer; it cannot be removed")
        chosen = [*offered.chosen_layers(record.layers), *change.added]
        return offered.with_layers([name for name in chosen if name not in change.removed])
    if change.added or change.removed:
        raise CatalogError(f"catalog {catalog.source} v{catalog.version} no longer has golden "
                           f"path {record.golden_path!r}, so it offers no optional layers")
    missing = [layer for layer in record.layers if layer not in catalog.layers]
    if missing:
        raise CatalogError(f"catalog {catalog.source} v{catalog.version} has no layer "
                           f"{missing[0]!r}, which this repo uses")
    return GoldenPath(name=record.golden_path, description="", layers=record.layers)


def render_base(repo: Repository, record: Record, scratch: Path,
                trust: bool) -> pristine.Base:
    try:
        old = open_catalog(record.catalog, version=record.version)
    except CatalogError as error:
        raise CatalogError(f"this repo keeps no pristine render of v{record.version} and the "
                           f"catalog cannot render it again: {error}") from error
    dest = scratch / repo.root.name
    dest.mkdir(parents=True)
    golden_path = (next(iter(old.golden_paths.values())) if old.plain else
                   GoldenPath(name=record.golden_path, description="", layers=record.layers))
    render_golden_path(old, golden_path, record.answers, dest, trust=trust,
                       operation="update", project=repo.root,
                       paved_version=record.paved_version or None)
    base = pristine.rendered_base(repo, dest)
    return pristine.Base(snapshot=_with_record(base.snapshot, record), commit=None,
                         source=base.source)


def _with_record(snapshot: merge.Snapshot, record: Record) -> merge.Snapshot:
    data = record.to_yaml().encode()
    sha = blob_sha(data)
    return dataclasses.replace(snapshot, blobs={**snapshot.blobs, sha: data},
                               entries={**snapshot.entries, RECORD_FILE: ("100644", sha)})


def commit_change(repo: Repository, head: str, base: pristine.Base, ours: merge.Snapshot,
                  theirs: merge.Snapshot, changes: tuple[merge.FileChange, ...],
                  branch: str | None, *, message: str, pristine_message: str) -> str | None:
    """Commit `theirs` as the next pristine commit and `changes` over HEAD as the change
    whose second parent it is, in the one recoverable step (`paved adopt` too)."""
    return _apply(repo, (head, head), base, ours, theirs, changes, branch, message=message,
                  pristine_message=pristine_message)


def _apply(repo: Repository, heads: tuple[str, str], base: pristine.Base, ours: merge.Snapshot,
           theirs: merge.Snapshot, changes: tuple[merge.FileChange, ...], branch: str | None,
           *, message: str, pristine_message: str) -> str | None:
    """Prepare every object and the new index off to the side, then make them visible.

    `heads`: HEAD as the update found it, and the commit it starts from (the commit of
    the migrations run before, or HEAD itself): the branch moves from the one to what
    the update makes of the other.
    """
    head, start = heads
    # Blobs HEAD or the stored pristine commit hold are in the repo already: typically
    # most of the new render, which need not be compressed and written again.
    stored = {sha for _, sha in ours.entries.values()}
    if base.commit is not None:
        stored.update(sha for _, sha in base.snapshot.entries.values())
    for sha, data in theirs.blobs.items():
        if sha not in stored:
            repo.store_blob(data)
    for change in changes:
        if change.data is not None:
            repo.store_blob(change.data)
    journal.checkpoint()
    pristine_tree = repo.store_tree(theirs.entries)
    parents = [base.commit] if base.commit else []
    new_pristine = repo.commit_tree(pristine_tree, parents, pristine_message)
    journal.checkpoint()
    conflicts = {c.path: c.stages for c in changes if c.action is Action.CONFLICT and c.stages}
    result = dict(ours.entries)
    for change in changes:
        if change.action in merge.WRITES and change.action is not Action.CONFLICT:
            if change.new is None:
                result.pop(change.path, None)
            else:
                result[change.path] = change.new
    tree = repo.store_tree(result)
    commit = None if conflicts else repo.commit_tree(tree, [start, new_pristine], message)
    index = journal.work_dir(repo) / "index.new"
    index.parent.mkdir(parents=True, exist_ok=True)
    repo.build_index(index, tree, conflicts)
    journal.checkpoint()
    files = {c.path: c.new for c in changes if c.action in merge.WRITES}
    contents = worktree_contents(repo, tree, result, theirs, files)
    head_file = repo.head_file()
    refs: dict[str, tuple[str | None, str | None]] = {
        pristine.REF: (new_pristine, repo.resolve_ref(pristine.REF))}
    new_head = None
    if branch is not None:
        refs[f"refs/heads/{branch}"] = (commit or start, None)
        new_head = f"ref: refs/heads/{branch}"
    elif commit is not None or start != head:
        current = head_file.removeprefix("ref: ") if head_file.startswith("ref: ") else "HEAD"
        refs[current] = (commit or start, head)
    git_files = {} if commit else {"MERGE_HEAD": f"{new_pristine}\n", "MERGE_MSG": message,
                                   "MERGE_MODE": "no-ff"}
    journal.apply(repo, journal.Change(
        files=files, before={path: ours.entries.get(path) for path in files}, index=index,
        refs=refs, head=new_head, git_files=git_files, contents=contents))
    return commit


def worktree_contents(repo: Repository, tree: str, paths: Mapping[str, Entry],
                      theirs: merge.Snapshot, files: Mapping[str, Entry | None]
                      ) -> dict[str, bytes]:
    """The bytes to write for `files` where they are not the blob's, when `.gitattributes`
    (or the user's git configuration) converts files: a file taken from the render as
    is holds what was rendered (as copier writes it, and `paved new`); one the merge
    made, what `git checkout` of the new `tree` (holding `paths`) writes."""
    contents = {path: theirs.worktree[path] for path, entry in files.items()
                if path in theirs.worktree and entry == theirs.entries[path]}
    made = {path: entry for path, entry in files.items()
            if entry is not None and entry[0] != "120000" and entry != theirs.entries.get(path)}
    if made and (theirs.worktree or repo.may_convert(paths)):
        contents.update(repo.checkout_data(tree, made))
    return contents


class _Outcome:
    """Builds the result and the commit message of one update."""

    def __init__(self, repo: Repository, old: Record, new: Record, catalog: Catalog,
                 dry_run: bool, branch: str | None, layers: LayerChange | None) -> None:
        self.repo, self.old, self.new, self.catalog = repo, old, new, catalog
        self.dry_run, self.branch, self.layers = dry_run, branch, layers
        self.commands: tuple[str, ...] = ()

    def message(self) -> str:
        if self.layers is not None:
            return self._layer_message(self.layers)
        old, new = self.old.version, self.new.version
        text = (f"Update {self.old.golden_path} from paved catalog v{old} to v{new}\n\n"
                f"Catalog: {self.catalog.source}. Template changes merged by paved "
                f"{paved.__version__}; local edits kept.\n")
        notes = changelog_between(self.catalog, old, new)
        if notes:
            text += f"\n{notes}\n"
        return text + f"\nPaved-Update: {old} -> {new}\n"

    def _layer_message(self, change: LayerChange) -> str:
        verb, names = ("Add", change.added) if change.added else ("Remove", change.removed)
        plural = "s" if len(names) > 1 else ""
        where = "to" if change.added else "from"
        text = (f"{verb} layer{plural} {', '.join(names)} {where} {self.old.golden_path} "
                f"(paved catalog v{self.new.version})\n\n"
                f"Catalog: {self.catalog.source}. Rendered and merged by paved "
                f"{paved.__version__}; local edits kept.\n")
        trailer = " ".join([*(f"+{name}" for name in change.added),
                            *(f"-{name}" for name in change.removed)])
        return text + f"\nPaved-Layers: {trailer}\n"

    def up_to_date(self) -> UpdateResult:
        return self.report((), "stored", up_to_date=True)

    def report(self, changes: tuple[merge.FileChange, ...], base: str, *,
               commit: str | None = None, up_to_date: bool = False) -> UpdateResult:
        return UpdateResult(
            path=self.repo.root, catalog=self.catalog.source, golden_path=self.old.golden_path,
            old_version=self.old.version, new_version=self.new.version,
            files=tuple(FileOutcome(c.path, c.action.value, c.diff) for c in changes),
            conflicts=tuple(c.path for c in changes if c.action is Action.CONFLICT),
            base=base, dry_run=self.dry_run, commit=commit,
            branch=self.branch if not self.dry_run and not up_to_date else None,
            up_to_date=up_to_date, layers=self.new.layers, layer_change=self.layers,
            commands=self.commands)

