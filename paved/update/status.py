"""Where a generated project stands: its catalog version and its drift from the template.

Drift is measured against the pristine render kept in the repo (one `git diff`,
no rendering); only when that is missing is the applied version rendered again.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from paved import paths, yaml
from paved.catalog import GoldenPath, open_catalog, versions_behind
from paved.create import render_golden_path
from paved.errors import CatalogError, ExitCode, ProjectError
from paved.git import Repository, blob_sha
from paved.project import RECORD_FILE, Record, parse_record, read_record
from paved.update import journal, merge, pristine


@dataclass(frozen=True)
class DriftedFile:
    path: str
    change: str  # "modified" or "deleted"
    managed: bool  # owned by the platform: local edits fail `paved status --check`


@dataclass(frozen=True)
class StatusResult:
    path: Path
    catalog: str
    golden_path: str
    layers: tuple[str, ...]
    applied_version: str
    latest_version: str
    behind_by: int  # released versions between applied and latest (0: up to date)
    drift: tuple[DriftedFile, ...]
    base: str  # "stored", "re-rendered" or "missing"
    check: bool  # --check: behind, managed drift or conflicts left is a failing outcome
    update_in_progress: str | None = None  # the version a conflicted update is bringing in
    conflicts: tuple[str, ...] = ()  # paths still unmerged by that update

    allow_behind: bool = False  # --allow-behind: only drift and conflicts fail --check

    @property
    def behind(self) -> bool:
        return self.behind_by > 0

    @property
    def failing(self) -> bool:
        return ((self.behind and not self.allow_behind) or bool(self.conflicts)
                or any(file.managed for file in self.drift))

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.DRIFT if self.check and self.failing else ExitCode.OK


def project_status(path: Path, *, check: bool = False,
                   allow_behind: bool = False) -> StatusResult:
    """The status of the project at `path`. Read-only, even after an interrupted update."""
    repo = Repository(path)
    if journal.interrupted(repo):
        if journal.at_work(repo):
            raise ProjectError(f"a paved update is changing {repo.root} right now; run paved "
                               "status when it has finished")
        raise ProjectError(f"an interrupted paved update left {repo.root} half-changed; run "
                           "paved update to roll it back (paved status never writes)")
    record = read_record(repo.root)
    updating = pristine.update_in_progress(repo)
    applied = record.version
    conflicts: tuple[str, ...] = ()
    if updating is not None:
        # The work tree already holds the new record: the applied version is HEAD's,
        # and drift is measured from the render being merged in (MERGE_HEAD).
        committed = repo.file_at("HEAD", RECORD_FILE)
        if committed is not None:
            where = f"HEAD:{RECORD_FILE}"
            applied = parse_record(yaml.loads(committed.decode("utf-8", "replace"), source=where),
                                   where).version
        conflicts = tuple(repo.unmerged_paths())
    catalog = open_catalog(record.catalog)
    managed = paths.matcher(pattern for name in record.layers if name in catalog.layers
                            for pattern in catalog.layers[name].managed)
    commit = repo.merge_head() if updating is not None else pristine.find(repo, record.version,
                                                                         record.layers)
    if commit is not None:
        changed, base = repo.changed_since(commit), "stored"
    else:
        rerendered = _changed_since_render(repo, record)
        changed = rerendered or {}
        base = "re-rendered" if rerendered is not None else "missing"
    drift = tuple(
        DriftedFile(path=name, change="deleted" if code == "D" else "modified",
                    managed=managed(name))
        for name, code in sorted(changed.items())
        if code in "MD" and name != RECORD_FILE and name not in conflicts)
    return StatusResult(path=repo.root, catalog=record.catalog, golden_path=record.golden_path,
                        layers=record.layers, applied_version=applied,
                        latest_version=catalog.version,
                        behind_by=versions_behind(catalog, applied), drift=drift, base=base,
                        check=check, update_in_progress=updating, conflicts=conflicts,
                        allow_behind=allow_behind)


def _changed_since_render(repo: Repository, record: Record) -> dict[str, str] | None:
    try:
        old = open_catalog(record.catalog, version=record.version)
    except CatalogError:
        return None  # neither stored nor renderable: drift cannot be measured
    golden_path = GoldenPath(name=record.golden_path, description="", layers=record.layers)
    with tempfile.TemporaryDirectory(prefix="paved-status-") as scratch:
        render_golden_path(old, golden_path, record.answers, Path(scratch), trust=False,
                           paved_version=record.paved_version or None)
        rendered = merge.read_directory(Path(scratch), repo, store=False)
    changed = {}
    for name, (_, sha) in rendered.entries.items():
        local = repo.root / name
        if not local.is_file():
            changed[name] = "D"
        elif blob_sha(local.read_bytes()) != sha and repo.stored_sha(local, name) != sha:
            changed[name] = "M"
    return changed
