"""The upgrade test of `paved template test`: rehearse rolling the working tree out.

What no other template tool checks before a release: a service generated from
the previous release, carrying the edits a team typically makes (the golden
path's `upgrade_edits` folder, copied over the render and committed), is updated
with `paved update` to the catalog's working tree. Any error or conflict fails.

The working tree becomes a version `paved update` can reach by committing it,
in a throwaway clone of the catalog, under the tag `vLATEST+worktree` (a local
version sorts above LATEST).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paved import git, sandbox
from paved.catalog import Catalog, GoldenPath, open_catalog
from paved.errors import PavedError

#: `paved.update.update.update_project(path, *, to=..., data=..., trust=...)`; its result has
#: `conflicts` (paths left with conflicts) and `files` (what changed).
Updater = Callable[..., Any]
WORKTREE_LOCAL = "worktree"


@dataclass(frozen=True)
class Rehearsal:
    status: str  # passed | failed | skipped
    detail: str


def rehearse(root: Path, catalog: Catalog, golden_path: GoldenPath, given: Mapping[str, Any],
             dest: Path, *, fresh: Path, update: Updater, render: Callable[..., Any],
             trust: bool) -> Rehearsal:
    """Generate `golden_path` at the previous release into `dest`, edit it, update it.

    `fresh` is a render of the working tree with the same answers: every file it
    committed, the updated project must have committed too (a layer added to the
    golden path, for one). Commits, so that what the test step built is ignored.
    """
    if not catalog.versions:
        return Rehearsal("skipped", "no released version to upgrade from")
    if not git.is_repo_root(root):
        return Rehearsal("skipped", "the catalog is not the root of a git repository, "
                                    "so its releases cannot be rendered")
    previous = catalog.versions[-1]
    target = f"{previous}+{WORKTREE_LOCAL}"
    with tempfile.TemporaryDirectory(prefix="paved-rehearsal-") as scratch:
        # A plain copier template's golden path is named after its folder: the same here.
        candidate = Path(scratch) / (catalog.name if catalog.plain else "catalog")
        try:
            _commit_working_tree(root, catalog.root, candidate, target)
            old = open_catalog(str(candidate), version=previous)
        except PavedError as error:
            return Rehearsal("failed", f"preparing the catalog: {error}")
        if golden_path.name not in old.golden_paths:
            return Rehearsal("skipped", f"golden path {golden_path.name} is new since "
                                        f"{previous}")
        offered = old.golden_paths[golden_path.name]
        chosen = [layer for layer in golden_path.layers if layer in golden_path.optional_layers]
        new_layers = [layer for layer in chosen if layer not in offered.optional_layers]
        if new_layers:
            return Rehearsal("skipped", f"optional layer {new_layers[0]} is new since "
                                        f"{previous}")
        known = {question.name for question in old.questions}
        try:
            render(old, offered.with_layers(chosen),
                   {key: value for key, value in given.items() if key in known}, dest,
                   trust=trust)
        except PavedError as error:
            return Rehearsal("failed", f"rendering {previous}: {error}")
        try:
            edited = _apply_edits(catalog.root, golden_path, dest)
        except PavedError as error:
            return Rehearsal("failed", f"applying the upgrade edits: {error}")
        try:
            result = update(dest, to=target, data=dict(given), trust=trust)
        except PavedError as error:
            return Rehearsal("failed", f"paved update {previous} → working tree: {error}")
    conflicts = tuple(getattr(result, "conflicts", ()))
    if conflicts:
        return Rehearsal("failed", f"paved update {previous} → working tree left conflicts "
                                   f"in: {', '.join(conflicts)}")
    try:
        missing = sorted(git.tracked_files(fresh) - git.tracked_files(dest))
    except PavedError as error:
        return Rehearsal("failed", f"reading the updated project: {error}")
    if missing:
        return Rehearsal("failed", f"after paved update {previous} → working tree, "
                                   f"{len(missing)} file(s) of a fresh render are missing: "
                                   f"{', '.join(missing[:5])}{', …' if len(missing) > 5 else ''}")
    changed = len(getattr(result, "files", ()))
    return Rehearsal("passed", f"{previous} → working tree with {edited} team edit(s): "
                               f"{changed} file(s) updated, no conflict")


def _commit_working_tree(root: Path, snapshot: Path, candidate: Path, target: str) -> None:
    git.clone_local(root, candidate)
    for entry in candidate.iterdir():
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    shutil.copytree(snapshot, candidate, symlinks=True, dirs_exist_ok=True)
    git.commit_everything(candidate, "The working tree under test")
    git.tag_annotated(candidate, f"v{target}", "The working tree under test")


def _apply_edits(catalog_root: Path, golden_path: GoldenPath, dest: Path) -> int:
    if not golden_path.upgrade_edits:
        return 0
    edits = catalog_root / golden_path.upgrade_edits
    files = [path for path in edits.rglob("*") if path.is_file()]
    for path in files:
        sandbox.refuse_git_path(path.relative_to(edits))  # a hook would run at the commit
    for path in files:
        target = dest / path.relative_to(edits)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    git.commit_everything(dest, "Typical team edits (paved template test)")
    return len(files)
