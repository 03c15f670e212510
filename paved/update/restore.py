"""`paved restore`: put back the template's version of files, at the applied version.

The template's version is the pristine render of the version in `.paved.yml`
(`paved.update.pristine`: stored in the repo, else rendered again from the
catalog). The restored files become one commit on the current branch, made
visible by the update's own journaled step (`journal.apply`): under the same
lock, after the same checks (`update.check_ready`, `worktree.check`), rolled
back the same way if interrupted. Nothing else in the repo changes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from paved.errors import InputError
from paved.git import Entry, Repository
from paved.project import RECORD_FILE, read_record
from paved.update import journal, pristine, worktree
from paved.update.update import check_ready, render_base

RESTORED, UNCHANGED = "restored", "unchanged"


@dataclass(frozen=True)
class RestoredFile:
    path: str  # relative to the repository root
    action: str  # "restored", or "unchanged" (it already was the template's)


@dataclass(frozen=True)
class RestoreResult:
    path: Path  # the repository
    catalog: str
    golden_path: str
    version: str  # the applied version whose files were taken
    files: tuple[RestoredFile, ...]
    base: str  # "stored" or "re-rendered"
    commit: str | None  # None when every file already was the template's


def restore_files(paths: Sequence[Path], *, cwd: Path | None = None,
                  trust: bool = False) -> RestoreResult:
    """Restore `paths` (files or folders, relative to `cwd`) to the template's version."""
    cwd = cwd or Path.cwd()
    repo = Repository(cwd)
    wanted = [_in_repo(repo, cwd, path) for path in paths]
    with journal.locked(repo):
        head = check_ready(repo, None)
        record = read_record(repo.root)
        with tempfile.TemporaryDirectory(prefix="paved-restore-") as scratch:
            base = pristine.stored_base(repo, record.version)
            if base is None:
                base = render_base(repo, record, Path(scratch) / "base", trust)
        template = {path: entry for path, entry in base.snapshot.entries.items()
                    if path != RECORD_FILE}
        chosen = _chosen(wanted, template, record.version)
        ours = repo.entries(head)
        files = {path: template[path] for path in chosen if ours.get(path) != template[path]}
        outcomes = tuple(RestoredFile(path, RESTORED if path in files else UNCHANGED)
                         for path in chosen)
        result = RestoreResult(path=repo.root, catalog=record.catalog,
                               golden_path=record.golden_path, version=record.version,
                               files=outcomes, base=base.source, commit=None)
        if not files:
            return result
        before: dict[str, Entry | None] = {path: ours.get(path) for path in files}
        worktree.check(repo, dict(files), before)
        journal.checkpoint()
        for path in files:
            if base.commit is None:  # re-rendered: its blobs are not in the repo yet
                repo.store_blob(base.snapshot.blobs[files[path][1]])
        tree = repo.store_tree({**ours, **files})
        commit = repo.commit_tree(tree, [head], _message(record.version, sorted(files)))
        index = journal.work_dir(repo) / "index.new"
        index.parent.mkdir(parents=True, exist_ok=True)
        repo.build_index(index, tree, {})
        journal.checkpoint()
        head_file = repo.head_file()
        current = head_file.removeprefix("ref: ") if head_file.startswith("ref: ") else "HEAD"
        journal.apply(repo, journal.Change(files=dict(files), before=before, index=index,
                                           refs={current: (commit, head)},
                                           contents=_contents(repo, tree, base, files,
                                                              {**ours, **files})))
    return RestoreResult(path=result.path, catalog=result.catalog,
                         golden_path=result.golden_path, version=result.version,
                         files=outcomes, base=result.base, commit=commit)


def _contents(repo: Repository, tree: str, base: pristine.Base, files: dict[str, Entry],
              paths: dict[str, Entry]) -> dict[str, bytes]:
    """The bytes to write where `.gitattributes` converts files: as rendered when the
    render is at hand, else as `git checkout` of the new tree writes them."""
    contents = {path: base.snapshot.worktree[path] for path in files
                if path in base.snapshot.worktree}
    rest = {path: entry for path, entry in files.items()
            if path not in contents and entry[0] != "120000"}
    if rest and repo.may_convert(paths):
        contents.update(repo.checkout_data(tree, rest))
    return contents


def _in_repo(repo: Repository, cwd: Path, path: Path) -> str:
    """`path` relative to the repository root, with forward slashes ("" for the root).
    Its folders are resolved (links included), never the file itself."""
    absolute = Path(os.path.normpath(cwd / path))
    located = absolute if absolute == absolute.parent else \
        Path(os.path.realpath(absolute.parent)) / absolute.name
    try:
        relative = located.relative_to(repo.root.resolve())
    except ValueError:
        raise InputError(f"{path} is outside the repository {repo.root}") from None
    return "" if str(relative) == "." else relative.as_posix()


def _chosen(wanted: Sequence[str], template: dict[str, Entry], version: str) -> list[str]:
    """The template's files that `wanted` names: a file, or every file under a folder."""
    chosen: dict[str, None] = {}
    for name in wanted:
        if name == RECORD_FILE:
            raise InputError(f"{RECORD_FILE} is paved's record, not a template file; "
                             "paved update rewrites it")
        under = [path for path in template if not name or path.startswith(name + "/")]
        if name in template:
            chosen[name] = None
        elif under:
            chosen.update(dict.fromkeys(sorted(under)))
        else:
            raise InputError(f"{name or '.'} is not a file of the golden path at "
                             f"v{version}: nothing to restore it from")
    return list(chosen)


def _message(version: str, paths: list[str]) -> str:
    shown = paths[0] if len(paths) == 1 else f"{len(paths)} files"
    listing = "".join(f"- {path}\n" for path in paths)
    return (f"Restore {shown} from paved catalog v{version}\n\n"
            f"The template's version of these files at v{version}, the applied version:\n\n"
            f"{listing}\nPaved-Restore: {version}\n")
