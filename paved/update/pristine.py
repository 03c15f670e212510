"""The pristine render: what the catalog produced for this repo, kept in its own git data.

Every generated repo keeps, for the catalog version it is at, a *pristine
commit*: the untouched render (plus `.paved.yml`). It is the merge base of the
next update, so an update needs only the new version of the catalog. Pristine
commits form a line (each one's parent is the previous one) and are found by
the `Paved-Pristine: VERSION` line of their message:

- `paved new`'s first commit is itself pristine (same tree);
- an update commits the new render as the next pristine commit and makes it
  the second parent of its own commit (JHipster's side branch, merged), so the
  line travels with the branch through every clone, push and fetch;
- `refs/paved/pristine` points at the newest one, so it is found without
  walking the history.

See "Updates" in docs/architecture.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from paved import yaml
from paved.errors import InputError, ProjectError
from paved.git import Repository
from paved.project import (
    PRISTINE_REF,
    PRISTINE_TRAILER,
    RECORD_FILE,
    Record,
    parse_record,
    pristine_trailer,
)
from paved.update import merge

REF = PRISTINE_REF
TRAILER = PRISTINE_TRAILER
_TRAILER_LINE = re.compile(rf"^{TRAILER}: (\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class Base:
    """The merge base of an update: the pristine render of the applied version."""

    snapshot: merge.Snapshot
    commit: str | None  # the pristine commit; None when it had to be rendered again
    source: str  # "stored" or "re-rendered", for the user


def message(record: Record) -> str:
    return (f"paved pristine render: {record.golden_path} v{record.version}\n\n"
            f"The untouched render that the next paved update merges from.\n\n"
            f"{pristine_trailer(record.version)}\n")


def find(repo: Repository, version: str, layers: tuple[str, ...] | None = None) -> str | None:
    """The pristine commit of catalog `version` in `repo`, or None when there is none.

    `refs/paved/pristine` first (one file read); else the newest pristine commit
    for that version reachable from HEAD (after a fresh clone, say). With `layers`,
    only one that rendered those layers: adding an optional layer on a branch that
    was never merged leaves the pointer at a pristine commit of the same version.
    """
    pointed = repo.resolve_ref(REF)
    if (pointed is not None and _version_of(repo.message(pointed)) == version
            and _has_layers(repo, pointed, layers)):
        return pointed
    for sha, text in repo.commits_mentioning(f"^{TRAILER}: "):
        if _version_of(text) == version and _has_layers(repo, sha, layers):
            return sha
    return None


def _has_layers(repo: Repository, commit: str, layers: tuple[str, ...] | None) -> bool:
    if layers is None:
        return True
    data = repo.file_at(commit, RECORD_FILE)
    if data is None:
        return False
    try:
        recorded = parse_record(yaml.loads(data.decode("utf-8", "replace")), RECORD_FILE)
    except (InputError, ProjectError):
        return False
    return recorded.layers == layers


def update_in_progress(repo: Repository) -> str | None:
    """The version an update left unfinished (conflicts to resolve), or None.

    A conflicted `paved update` leaves MERGE_HEAD at the new pristine commit, so
    that `git commit` makes the update commit; its trailer names the version.
    """
    merging = repo.merge_head()
    return _version_of(repo.message(merging)) if merging else None


def stored_base(repo: Repository, version: str,
                layers: tuple[str, ...] | None = None) -> Base | None:
    commit = find(repo, version, layers)
    if commit is None:
        return None
    return Base(snapshot=merge.Snapshot(entries=repo.entries(commit)), commit=commit,
                source="stored")


def rendered_base(repo: Repository, rendered: Path) -> Base:
    return Base(snapshot=merge.read_directory(rendered, repo), commit=None,
                source="re-rendered")


def _version_of(text: str) -> str | None:
    found = _TRAILER_LINE.findall(text)
    return found[-1] if found else None
