"""Which files `paved check` reads, listed once and cheaply.

In a git work tree the list is git's: tracked files still present plus untracked
ones, never what `.gitignore`, `.git/info/exclude` or the global excludes ignore
(one `git ls-files`, no walk). A plain directory is walked, honouring its
`.gitignore` files the same way. Then, as linters do, trees that hold someone
else's code or build output are left out (`config.DEFAULT_EXCLUDE`, or the
team's `exclude` / `extend-exclude`), and so is what `.gitattributes` marks
`linguist-generated` or `linguist-vendored` (GitHub's convention). Symbolic
links and submodules are never followed. Every file left out for any reason
but `.gitignore` is counted in `Listing.excluded`, which the reports show.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from paved import git, paths
from paved.check.settings import DEFAULT_EXCLUDE, CheckConfig

GITATTRIBUTES = (".gitattributes",)
GENERATED_ATTRIBUTES = ("linguist-generated", "linguist-vendored")
# "name/" with no glob: matched against directory names, without a regular expression.
_PLAIN_DIRECTORY = re.compile(r"^[^/*?\[\]!\\]+/$")


@dataclass(frozen=True)
class Excluded:
    """Files left out for one reason."""
    why: str  # "default exclude node_modules/", "extend-exclude *_pb2.py", "linguist-generated"…
    files: int
    first: str  # one of them (the first in walk order)


@dataclass(frozen=True)
class Listing:
    files: tuple[str, ...]  # relative, forward slashes, in `walk_order`
    excluded: tuple[Excluded, ...]
    by_git: bool  # listed by git (else walked)


def walk_order(path: str) -> str:
    """A sort key giving the order of a top-down walk with sorted names: in each directory
    its files first, then its subdirectories (as `os.walk` with sorted lists yields them).
    Rules report the first evidence they meet, so the order is part of their output."""
    *folders, name = path.split("/")
    return "".join(f"\x01{folder}\x00" for folder in folders) + "\x00" + name


def list_files(root: Path, config: CheckConfig, *, generated: bool = True) -> Listing:
    """The files of the repository at `root` that `paved check` may read."""
    listed = git.work_tree_files(root, ignored=not config.respect_gitignore)
    if listed is not None:
        files, links = list(listed.files), list(listed.links)
    else:
        files, links = _walk(root, respect_gitignore=config.respect_gitignore)
    counts: dict[str, list[str]] = {}
    kept = list(_without_excluded(files, config, counts))
    if generated and listed is not None and any(
            path.rsplit("/", 1)[-1] in GITATTRIBUTES for path in files):
        marked = git.attributes(root, kept, GENERATED_ATTRIBUTES)
        for path, names in marked.items():
            counts.setdefault(sorted(names)[0], []).append(path)
        kept = [path for path in kept if path not in marked]
    for path in links:
        counts.setdefault("symbolic link or submodule (not followed)", []).append(path)
    kept.sort(key=walk_order)
    excluded = tuple(Excluded(why, len(paths), min(paths, key=walk_order))
                     for why, paths in counts.items())
    return Listing(files=tuple(kept), excluded=excluded, by_git=listed is not None)


def _without_excluded(files: Iterable[str], config: CheckConfig,
                      counts: dict[str, list[str]]) -> Iterable[str]:
    kind = "default exclude" if config.exclude == DEFAULT_EXCLUDE else "exclude"
    labelled = [(pattern, f"{kind} {pattern}") for pattern in config.exclude]
    labelled += [(pattern, f"extend-exclude {pattern}") for pattern in config.extend_exclude]
    patterns = [pattern for pattern, _ in labelled]
    negated = any(pattern.startswith("!") for pattern in patterns)
    # Plain directory names are the common case and the defaults: a set lookup per folder.
    folders = {} if negated else {pattern[:-1]: label for pattern, label in labelled
                                  if _PLAIN_DIRECTORY.match(pattern)}
    rest = [(pattern, label) for pattern, label in labelled
            if negated or not _PLAIN_DIRECTORY.match(pattern)]
    decide = paths.decider(pattern for pattern, _ in rest) if rest else None
    for path in files:
        parts = path.split("/")[:-1]
        folder = next((part for part in parts if part in folders), None) if folders else None
        if folder is not None:
            counts.setdefault(folders[folder], []).append(path)
            continue
        if decide is not None:
            include, index = decide(path)
            if include and index is not None:
                counts.setdefault(rest[index][1], []).append(path)
                continue
        yield path


def _walk(root: Path, *, respect_gitignore: bool) -> tuple[list[str], list[str]]:
    """Files and links under `root` (not a git work tree), `.gitignore` files honoured."""
    files: list[str] = []
    links: list[str] = []
    specs: dict[str, Callable[[str], paths.Decision]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath).relative_to(root).as_posix()
        folder = "" if folder == "." else folder
        if respect_gitignore and ".gitignore" in filenames:
            specs[folder] = _read_gitignore(Path(dirpath, ".gitignore"))
        dirnames[:] = [name for name in dirnames if name != ".git"
                       and not Path(dirpath, name).is_symlink()
                       and not _ignored(_join(folder, name), True, specs)]
        for name in filenames:
            path = _join(folder, name)
            if _ignored(path, False, specs):
                continue
            if Path(dirpath, name).is_symlink():
                links.append(path)
            elif Path(dirpath, name).is_file():
                files.append(path)
    return files, links


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _read_gitignore(path: Path) -> Callable[[str], paths.Decision]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    return paths.decider(lines)


def _ignored(path: str, is_dir: bool,
             specs: dict[str, Callable[[str], paths.Decision]]) -> bool:
    """Whether the `.gitignore` files above `path` ignore it (the deepest decision wins)."""
    decision = False
    for folder in _ancestors(path):
        decide = specs.get(folder)
        if decide is None:
            continue
        relative = path[len(folder) + 1:] if folder else path
        include, _ = decide(relative + ("/" if is_dir else ""))
        if include is not None:
            decision = include
    return decision


def _ancestors(path: str) -> Sequence[str]:
    parts = path.split("/")[:-1]
    return ["", *("/".join(parts[:index]) for index in range(1, len(parts) + 1))]
