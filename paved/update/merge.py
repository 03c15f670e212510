"""The three-way merge of an update, decided file by file, in memory.

Three snapshots of the project: the pristine render of the applied version
(base), the repo's HEAD (ours) and the render of the new version (theirs).
Most files are decided by comparing blob ids alone; only files changed on both
sides are read and merged with `git merge-file`. Policies on top of git's:

- a file the template creates once for the team (`once:`) is added when new
  and never changed afterwards;
- a file the team deleted stays deleted;
- a file the template removed is removed, unless the team changed it: kept;
- a file the template moved unchanged takes the team's edits (or deletion) along.

Nothing here writes to the repository: `plan` returns what would happen.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from paved import paths
from paved.git import Entry, Repository, blob_sha


class Action(enum.Enum):
    ADDED = "added"  # new in the template, written
    UPDATED = "updated"  # changed by the template only, taken as is
    MERGED = "merged"  # changed on both sides, merged cleanly
    CONFLICT = "conflict"  # changed on both sides, overlapping: markers and index stages
    REMOVED = "removed"  # removed by the template, unchanged locally
    KEPT = "kept"  # removed by the template but changed locally: kept
    LEFT_DELETED = "left deleted"  # changed by the template but deleted locally
    ONCE = "left alone"  # changed by the template but created once for the team
    RENAMED = "renamed"  # moved by the template, edited locally: the edits move along


#: Actions that change the work tree.
WRITES = frozenset({Action.ADDED, Action.UPDATED, Action.MERGED, Action.CONFLICT,
                    Action.REMOVED, Action.RENAMED})


@dataclass(frozen=True)
class Snapshot:
    """A project's files as path -> (mode, blob sha), with the bytes of unstored blobs."""

    entries: Mapping[str, Entry]
    blobs: Mapping[str, bytes] = field(default_factory=dict)
    # The bytes on disk of files git stores converted (`.gitattributes`: `eol=crlf`…):
    # path -> what was rendered, written as such where the update takes the file as is.
    worktree: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class FileChange:
    path: str
    action: Action
    new: Entry | None = None  # the work tree's new content (None: absent)
    stages: tuple[Entry | None, Entry | None, Entry | None] | None = None  # conflicts
    data: bytes | None = None  # the bytes of `new` when a merge produced them
    diff: str = ""


@dataclass(frozen=True)
class Labels:
    ours: str
    base: str
    theirs: str


def read_directory(root: Path, repo: Repository, *, store: bool = True) -> Snapshot:
    """Snapshot of a rendered directory as `git add` in `repo` would store it: blobs
    hashed in memory, and by git too for its conversions (one process); with `store`,
    those it converts are stored in `repo` (their bytes are not the file's)."""
    entries: dict[str, Entry] = {}
    blobs: dict[str, bytes] = {}
    files: dict[str, tuple[str, bytes]] = {}  # regular files: path -> (mode, bytes)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if name != ".git"]
        for name in filenames:
            path = Path(dirpath, name)
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                data = os.readlink(path).encode()
                entries[relative] = ("120000", blob_sha(data))
                blobs[blob_sha(data)] = data
            else:
                files[relative] = ("100755" if path.stat().st_mode & 0o100 else "100644",
                                   path.read_bytes())
    converted: dict[str, str] = {}
    for (name, (mode, data)), stored in zip(files.items(), repo.stored_shas(root, list(files)),
                                            strict=True):
        entries[name] = (mode, stored)
        if stored == blob_sha(data):
            blobs[stored] = data
        else:
            converted[name] = stored
    if converted and store:
        repo.stored_shas(root, list(converted), write=True)
    return Snapshot(entries=entries, blobs=blobs,
                    worktree={name: files[name][1] for name in converted})


def plan(repo: Repository, base: Snapshot, ours: Snapshot, theirs: Snapshot, *,
         once: Sequence[str], labels: Labels, overwrite: Sequence[str] = (),
         with_diffs: bool = False,
         skip_if_exists: Callable[[str], bool] | None = None) -> tuple[FileChange, ...]:
    """What an update does to each file, sorted by path (unchanged files are left out).

    Files in `once` (gitignore-style patterns, paved.paths) are created once for the
    team; files in `overwrite` always take the new version (`.paved.yml`). Files
    `skip_if_exists` matches (copier's `_skip_if_exists`) are left alone while they
    exist and created again when missing.
    """
    def read(sha: str) -> bytes:
        for snapshot in (theirs, base, ours):
            if sha in snapshot.blobs:
                return snapshot.blobs[sha]
        return repo.read_blob(sha)

    # Moves to a path the repo does not use: the team's edits follow the file.
    moved = {new: old for new, old in _renames(base.entries, theirs.entries).items()
             if new not in ours.entries}
    changes = []
    with tempfile.TemporaryDirectory(prefix="paved-merge-") as scratch:
        for path in sorted(set(base.entries) | set(ours.entries) | set(theirs.entries)):
            b, o, t = base.entries.get(path), ours.entries.get(path), theirs.entries.get(path)
            change: FileChange | None
            if path in moved.values() and o is not None and t is None and b != o \
                    and not _is_once(path, once):
                change = FileChange(path, Action.REMOVED)  # moved, with its edits: see above
            elif path in overwrite:  # paved's own files: always the new version
                change = None if t == o else FileChange(
                    path, Action.UPDATED if o else Action.ADDED, new=t)
            elif path in moved:
                change = _follow_rename(path, moved[path], ours.entries.get(moved[path]),
                                        base.entries[moved[path]], t)
            elif skip_if_exists is not None and t is not None and skip_if_exists(path):
                change = _skip_if_exists(path, b, o, t)
            else:
                change = _decide(path, b, o, t, once)
            if change is None:
                continue
            if change.action is Action.MERGED:
                change = _merge(repo, path, (b, o, t), read, Path(scratch), labels)
            if with_diffs:
                change = dataclasses.replace(change, diff=_diff(path, o, change, read))
            changes.append(change)
    return tuple(changes)


def _is_once(path: str, once: Sequence[str]) -> bool:
    return paths.matches(once, path)


def _renames(base: Mapping[str, Entry], theirs: Mapping[str, Entry]) -> dict[str, str]:
    """Files the template moved without changing them: new path -> old path.

    Only unambiguous moves: content found once among the removed and once among the
    added files (many files are alike, empty `__init__.py` files say).
    """
    gone: dict[Entry, list[str]] = {}
    for path, entry in base.items():
        if path not in theirs:
            gone.setdefault(entry, []).append(path)
    came: dict[Entry, list[str]] = {}
    for path, entry in theirs.items():
        if path not in base:
            came.setdefault(entry, []).append(path)
    return {paths[0]: gone[entry][0] for entry, paths in came.items()
            if len(paths) == 1 and len(gone.get(entry, ())) == 1}


def _follow_rename(path: str, old: str, o: Entry | None, b: Entry,
                   t: Entry | None) -> FileChange | None:
    """The new path of a moved file: the team's edits (or deletion) of the old one follow."""
    if o is None:
        return FileChange(path, Action.LEFT_DELETED)
    if o == b:
        return FileChange(path, Action.ADDED, new=t)
    return FileChange(path, Action.RENAMED, new=o)  # the old path is removed: see _decide


def _skip_if_exists(path: str, b: Entry | None, o: Entry | None, t: Entry) -> FileChange | None:
    """copier's `_skip_if_exists`: never rewritten while it exists, rendered when missing."""
    if o is None:
        return FileChange(path, Action.ADDED, new=t)
    return None if t in (b, o) else FileChange(path, Action.ONCE)


def _decide(path: str, b: Entry | None, o: Entry | None, t: Entry | None,
            once: Sequence[str]) -> FileChange | None:
    if t in (b, o):
        return None  # the template did not change it, or the repo already has it
    if _is_once(path, once):
        if o is None and b is None:
            return FileChange(path, Action.ADDED, new=t)
        return FileChange(path, Action.ONCE)
    if o == b:
        if t is None:
            return FileChange(path, Action.REMOVED)
        return FileChange(path, Action.ADDED if o is None else Action.UPDATED, new=t)
    if o is None:
        return FileChange(path, Action.LEFT_DELETED)
    if t is None:
        return FileChange(path, Action.KEPT)
    return FileChange(path, Action.MERGED)  # both sides changed it: merged in `_merge`


def _merge(repo: Repository, path: str, sides: tuple[Entry | None, Entry | None, Entry | None],
           read: Callable[[str], bytes], scratch: Path, labels: Labels) -> FileChange:
    b, o, t = sides
    assert o is not None and t is not None
    mode = t[0] if b is not None and o[0] == b[0] else o[0]
    texts = [read(side[1]) if side else b"" for side in (o, b, t)]
    if any(b"\0" in text for text in texts) or "120000" in (o[0], t[0]):
        return FileChange(path, Action.CONFLICT, new=o, stages=sides)  # binary: ours stays
    files = []
    for name, text in zip(("ours", "base", "theirs"), texts, strict=True):
        file = scratch / name
        file.write_bytes(text)
        files.append(file)
    merged, conflicted = repo.merge_file(files[0], files[1], files[2],
                                         (labels.ours, labels.base, labels.theirs))
    new = (mode, blob_sha(merged))
    if conflicted:
        return FileChange(path, Action.CONFLICT, new=new, stages=sides, data=merged)
    return FileChange(path, Action.MERGED, new=new, data=merged)


def _diff(path: str, o: Entry | None, change: FileChange,
          read: Callable[[str], bytes]) -> str:
    if change.action not in WRITES:
        return ""
    new = change.new if change.action is not Action.REMOVED else None
    before = read(o[1]) if o else b""
    after = (change.data if change.data is not None else read(new[1])) if new else b""
    if b"\0" in before or b"\0" in after:
        return f"Binary files a/{path} and b/{path} differ\n"
    lines = difflib.unified_diff(
        before.decode("utf-8", "replace").splitlines(keepends=True),
        after.decode("utf-8", "replace").splitlines(keepends=True),
        fromfile=f"a/{path}" if o else "/dev/null", tofile=f"b/{path}" if new else "/dev/null")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)
