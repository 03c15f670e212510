"""The services of a repository: one, or several in a monorepo.

A service lives in a folder that holds a `.paved.yml` (paved made it), or a
`Dockerfile`/`Containerfile` and, among its own files, a Kubernetes workload
manifest (a deployable). A repository with one such folder at its root (or
none) is one service, checked as a whole. Otherwise each service is checked on
its own files (those under its folder and not under a deeper service), plus
what they share: files outside every service (when the root is not one), and
the repository-level CI and ownership files (`.github/`, `CODEOWNERS`…),
which GitHub and GitLab read only at the root. A workflow that names service
folders (a `paths:` filter, a `working-directory:`…) belongs to those services
only; one that names none is shared by all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from paved.check.repo import POD_KINDS, Reading
from paved.project import RECORD_FILE

REPOSITORY_LEVEL = (".github/", ".gitlab/", ".circleci/")
REPOSITORY_FILES = frozenset({"CODEOWNERS", ".gitlab-ci.yml", "Jenkinsfile",
                              "azure-pipelines.yml"})
IMAGE_FILES = ("Dockerfile", "Containerfile")
WORKFLOWS = ".github/workflows/"


@dataclass(frozen=True)
class Service:
    folder: str  # relative to the repository root; "" for the root itself
    files: tuple[str, ...]  # what its rules read, in walk order


def find_services(reading: Reading) -> tuple[Service, ...]:
    """The services of the repository; one service "" holding every file when it is not a
    monorepo."""
    files = reading.listing.files
    recorded = {_folder(path) for path in files if path.rsplit("/", 1)[-1] == RECORD_FILE}
    images = {_folder(path) for path in files
              if path.rsplit("/", 1)[-1].startswith(IMAGE_FILES)} - recorded
    if not (recorded | images) - {""}:
        return (Service("", files),)
    owner = _owners(files, recorded | images)
    deployables = {folder for folder in images
                   if any(_is_workload(reading, path)
                          for path in files if owner[path] == folder)}
    folders = recorded | deployables
    if not folders - {""}:
        return (Service("", files),)
    owner = _owners(files, folders)
    chosen: dict[str, list[str]] = {folder: [] for folder in sorted(folders)}
    for path in files:  # in walk order, so each service's files are too
        mine = owner[path]
        if mine is None or _repository_level(path):
            named = _named_services(reading, path, folders) if path.startswith(WORKFLOWS) \
                else set()
            for folder, own in chosen.items():
                if not named or folder in named:
                    own.append(path)
        else:
            chosen[mine].append(path)
    return tuple(Service(folder, tuple(own)) for folder, own in chosen.items())


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _owners(files: Sequence[str], folders: set[str]) -> Mapping[str, str | None]:
    """Each file's nearest service folder (None outside all of them)."""
    found: dict[str, str | None] = {}
    for path in files:
        folder = _folder(path)
        while True:
            if folder in folders:
                found[path] = folder
                break
            if not folder:
                found[path] = None
                break
            folder = _folder(folder)
    return found


def _named_services(reading: Reading, path: str, folders: set[str]) -> set[str]:
    """The service folders a workflow names (`services/ledger/**`, `working-directory:
    services/ledger`), matched as whole path segments."""
    text = reading.text(path) or ""
    return {folder for folder in folders
            if folder and re.search(rf"(^|[^\w./-]){re.escape(folder)}(/|[^\w.-]|$)", text,
                                    re.MULTILINE)}


def _repository_level(path: str) -> bool:
    return path.startswith(REPOSITORY_LEVEL) or path in REPOSITORY_FILES


def _is_workload(reading: Reading, path: str) -> bool:
    if not path.endswith((".yml", ".yaml")) or path.startswith(".github/"):
        return False
    text = reading.text(path)
    if text is None or "apiVersion" not in text:
        return False
    return any(isinstance(document, Mapping) and document.get("kind") in POD_KINDS
               for document in reading.yaml_documents(path))
