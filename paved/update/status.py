"""Where a generated project stands: its catalog version and its drift from the template.

Drift is measured against the pristine render kept in the repo (one `git diff`,
no rendering); only when that is missing is the applied version rendered again.
"""

from __future__ import annotations

import fnmatch
import tempfile
from dataclasses import dataclass
from pathlib import Path

from paved.catalog import GoldenPath, is_older, open_catalog
from paved.create import render_golden_path
from paved.errors import CatalogError, ExitCode, ProjectError
from paved.git import Repository, blob_sha
from paved.project import RECORD_FILE, Record, read_record
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
    behind: bool
    drift: tuple[DriftedFile, ...]
    base: str  # "stored", "re-rendered" or "missing"
    check: bool  # --check: behind or managed drift is a failing outcome

    @property
    def failing(self) -> bool:
        return self.behind or any(file.managed for file in self.drift)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.DRIFT if self.check and self.failing else ExitCode.OK


def project_status(path: Path, *, check: bool = False) -> StatusResult:
    """The status of the project at `path`. Read-only, even after an interrupted update."""
    repo = Repository(path)
    if journal.interrupted(repo):
        if journal.at_work(repo):
            raise ProjectError(f"a paved update is changing {repo.root} right now; run paved "
                               "status when it has finished")
        raise ProjectError(f"an interrupted paved update left {repo.root} half-changed; run "
                           "paved update to roll it back (paved status never writes)")
    record = read_record(repo.root)
    catalog = open_catalog(record.catalog)
    managed = tuple(glob for name in record.layers if name in catalog.layers
                    for glob in catalog.layers[name].managed)
    commit = pristine.find(repo, record.version)
    if commit is not None:
        changed, base = repo.changed_since(commit), "stored"
    else:
        rerendered = _changed_since_render(repo, record)
        changed = rerendered or {}
        base = "re-rendered" if rerendered is not None else "missing"
    drift = tuple(
        DriftedFile(path=name, change="deleted" if code == "D" else "modified",
                    managed=any(fnmatch.fnmatchcase(name, glob) for glob in managed))
        for name, code in sorted(changed.items()) if code in "MD" and name != RECORD_FILE)
    return StatusResult(path=repo.root, catalog=record.catalog, golden_path=record.golden_path,
                        layers=record.layers, applied_version=record.version,
                        latest_version=catalog.version,
                        behind=is_older(record.version, catalog.version), drift=drift, base=base,
                        check=check)


def _changed_since_render(repo: Repository, record: Record) -> dict[str, str] | None:
    try:
        old = open_catalog(record.catalog, version=record.version)
    except CatalogError:
        return None  # neither stored nor renderable: drift cannot be measured
    golden_path = GoldenPath(name=record.golden_path, description="", layers=record.layers)
    with tempfile.TemporaryDirectory(prefix="paved-status-") as scratch:
        render_golden_path(old, golden_path, record.answers, Path(scratch), trust=False)
        rendered = merge.read_directory(Path(scratch))
    changed = {}
    for name, (_, sha) in rendered.entries.items():
        local = repo.root / name
        if not local.is_file():
            changed[name] = "D"
        elif blob_sha(local.read_bytes()) != sha:
            changed[name] = "M"
    return changed
