"""Creating a service: render a golden path's layers into a new git repository.

Rendering is atomic: everything goes into a staging directory (in this
process's scratch area when it is on the destination's file system, else a
hidden one beside the destination; `paved.scratch` removes either if the
process is killed), which is moved into place only once every layer rendered,
the record was written and the first commit was made. The new directory's
mode follows the umask, as `git init` and copier do, or stays that of the
empty directory it replaces.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import paved
from paved import config, faults, git, render, scratch
from paved.catalog import Catalog, GoldenPath, open_catalog, recorded_source
from paved.errors import DestinationError, InputError, one_line
from paved.project import PRISTINE_REF, RECORD_FILE, Record, pristine_trailer, write_record
from paved.questions import Asker, recorded, resolve_answers

NAME_QUESTION = "service_name"


@dataclass(frozen=True)
class CreateResult:
    path: Path
    catalog: str
    version: str
    golden_path: str
    layers: tuple[str, ...]
    answers: Mapping[str, Any]
    file_count: int  # files written
    commit: str | None  # None with --no-git
    tasks: tuple[str, ...] = ()  # the template's tasks, run in the project once it was in place
    next_steps: str = ""  # the golden path's `next_steps`, shown after creating
    notes: tuple[str, ...] = ()  # what the user should know (a catalog CI cannot reach)


def create_service(
    name: str,
    *,
    dest: Path | None = None,
    golden_path: str | None = None,
    catalog_source: str | None = None,
    version: str | None = None,
    data: Mapping[str, Any] | None = None,
    ask: Asker | None = None,
    use_git: bool = True,
    trust: bool = False,
    with_layers: tuple[str, ...] = (),
) -> CreateResult:
    """Render the golden path for service `name` into `dest` (default `./name`), from the
    catalog's `version` (a release, a tag or a commit; default: the latest release), with
    the optional layers `with_layers`."""
    catalog = open_catalog(catalog_source, version=version)
    trust = trust or config.is_trusted(catalog.source)
    chosen = catalog.golden_path(golden_path).with_layers(with_layers)
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise InputError(f"the service name {one_line(repr(name), 60)} holds control "
                         f"characters")
    if dest is None and (Path(name).name != name or name in {".", ".."}):
        raise DestinationError(f"{name!r} cannot name a directory here; pass --dest")
    target = (dest if dest is not None else Path(name)).absolute()
    _check_destination(target)
    asks_name = any(question.name == NAME_QUESTION for question in catalog.questions)
    if asks_name and NAME_QUESTION in (data or {}) and str((data or {})[NAME_QUESTION]) != name:
        raise InputError(f"the answers give {NAME_QUESTION} {(data or {})[NAME_QUESTION]!r} but "
                         f"the NAME argument is {name!r}; drop one of them")
    given = {**({NAME_QUESTION: name} if asks_name else {}), **(data or {})}
    answers = resolve_answers(catalog.questions, given, catalog_root=catalog.root,
                              context=paved_context(catalog, chosen), ask=ask,
                              how=render.Render(origin=catalog.origin, trust=trust),
                              project=target)
    source, note = recorded_source(catalog)
    record = Record(catalog=source, version=catalog.version, golden_path=chosen.name,
                    layers=chosen.layers, answers=recorded(catalog.questions, answers),
                    paved_version=paved.__version__)
    with _staging(target) as staging:
        render_golden_path(catalog, chosen, answers, staging, trust=trust)
        write_record(staging, record)
        faults.checkpoint()
        files = sum(len(names) for _, _, names in os.walk(staging))
        commit = None
        if use_git:
            commit = git.init_and_commit(staging, commit_message(name, record))
            # The first commit is the pristine render: the merge base of the next update.
            git.Repository(staging).update_refs({PRISTINE_REF: (commit, None)})
        _move_into_place(staging, target)
    # Tasks run in the project, after the one visible step, as copier runs them after
    # its render: their output is the team's to review, never part of the pristine render.
    tasks = render.planned_tasks(catalog.root, target, {**paved_context(catalog, chosen),
                                                        **answers},
                                 render.Render(origin=catalog.origin, trust=trust))
    render.run_tasks(tasks)
    return CreateResult(path=target, catalog=source, version=catalog.version,
                        golden_path=chosen.name, layers=chosen.layers,
                        answers=recorded(catalog.questions, answers), file_count=files,
                        commit=commit, tasks=tuple(task.shown for task in tasks),
                        next_steps=chosen.next_steps, notes=(note,) if note else ())


def render_golden_path(catalog: Catalog, golden_path: GoldenPath, answers: Mapping[str, Any],
                       dest: Path, *, trust: bool, operation: Literal["copy", "update"] = "copy",
                       project: Path | None = None,
                       paved_version: str | None = None) -> render.Rendered:
    """Render every layer of `golden_path` into the existing directory `dest`, as copier
    would render it into `project` (default: `dest`; an update renders off to the side).

    `paved_version`: the paved that rendered it first, when rendering an old
    version again (its pin in the update workflow); default this one.
    """
    context = {**paved_context(catalog, golden_path, paved_version), **answers}
    layer_dirs = [layer.path for layer in catalog.layers_of(golden_path)]
    how = render.Render(origin=catalog.origin, trust=trust, operation=operation,
                        data_root=project)
    return render.render_layers(catalog.root, layer_dirs, dest, context, trust=trust, how=how)


def paved_context(catalog: Catalog, golden_path: GoldenPath,
                  paved_version: str | None = None) -> dict[str, Any]:
    """Variables paved adds to every render, beside the answers.

    `paved_requirement` is what a generated repo installs to update itself
    (the scheduled workflow): the catalog's `paved_requirement:`, else the
    paved that renders, pinned exactly. Never the bare PyPI name `paved`.
    """
    version = paved_version or paved.__version__
    return {
        "paved_catalog_version": catalog.version,
        "paved_golden_path": golden_path.name,
        "paved_layers": list(golden_path.layers),
        # The language layer's contract partial, which the shared layers import.
        "paved_contract": catalog.contract_partial(golden_path),
        "paved_requirement": catalog.paved_requirement or f"{paved.DISTRIBUTION}=={version}",
    }


def commit_message(name: str, record: Record) -> str:
    return (f"Generate {name} from golden path {record.golden_path} "
            f"(catalog {record.catalog} v{record.version})\n\n"
            f"Layers: {', '.join(record.layers)}. Rendered by paved {paved.__version__}; "
            f"{RECORD_FILE} records the answers.\n\n{pristine_trailer(record.version)}\n")


def _check_destination(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise DestinationError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()):
        raise DestinationError(f"{target} exists and is not empty")
    if not target.parent.is_dir():
        raise DestinationError(f"{target.parent} does not exist; create it first")
    if not os.access(target.parent, os.W_OK):
        raise DestinationError(f"cannot write to {target.parent}")


@contextmanager
def _staging(target: Path) -> Iterator[Path]:
    """An empty folder named as `target` (copier tells templates `_folder_name`), on
    `target`'s file system so that it can be renamed into place."""
    try:
        area: Path | None = scratch.area()
    except OSError:
        area = None  # an unwritable cache
    if area is not None and scratch.same_file_system(area, target.parent):
        holder = Path(tempfile.mkdtemp(dir=area, prefix="new-"))
        try:
            yield _named_as(target, holder)
        finally:
            shutil.rmtree(holder, ignore_errors=True)
    else:
        with scratch.beside(target) as holder:
            yield _named_as(target, holder)


def _named_as(target: Path, holder: Path) -> Path:
    staging = holder / target.name
    staging.mkdir(mode=0o700)
    return staging


def _move_into_place(staging: Path, target: Path) -> None:
    # mkdtemp made it private (0700); the project gets the mode git init would give it.
    mode = target.stat().st_mode & 0o7777 if target.is_dir() else 0o777 & ~_umask()
    staging.chmod(mode)
    try:
        # rename(2) replaces an empty directory atomically and refuses a non-empty one.
        staging.rename(target)
    except OSError as error:
        raise DestinationError(f"cannot move the new project to {target}: "
                               f"{error.strerror}") from error


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
