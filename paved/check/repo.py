"""The repository under check: its files, read once, defensively.

Any repository may be checked, so nothing here trusts its input: binary files,
files over `MAX_BYTES`, invalid YAML and Python that does not parse are
skipped (and listed in `skipped`), links are not followed, and vendored or
generated directories are never walked.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from paved import yaml
from paved.catalog import Catalog, open_catalog
from paved.check.options import CheckOptions
from paved.errors import InputError, PavedError, ProjectError
from paved.project import Record, read_record

MAX_BYTES = 1_000_000
MAX_FILES = 20_000
PRUNED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "build", "dist", "site-packages", ".eggs",
})
TEST_DIRS = frozenset({"tests", "test", "testing"})
WORKFLOW_DIR = ".github/workflows/"
POD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                       "CronJob", "Pod"})


@dataclass(frozen=True)
class YamlDocument:
    path: str
    data: Any  # ruamel containers: positions available through `yaml.line_of`


@dataclass(frozen=True)
class PythonModule:
    path: str
    tree: ast.Module


@dataclass(frozen=True)
class PodSpec:
    """The pod template of a workload manifest, with the object that holds it."""
    path: str
    kind: str
    name: str
    spec: Any  # the pod spec mapping (ruamel)
    obj: Any  # the whole object


class Repo:
    def __init__(self, root: Path, options: CheckOptions | None = None) -> None:
        self.root = root
        self.options = options or CheckOptions()
        self.skipped: list[str] = []
        self._texts: dict[str, str | None] = {}
        self._documents: dict[str, tuple[Any, ...]] = {}
        self._catalogs: dict[str, Catalog | PavedError] = {}

    # -- files -------------------------------------------------------------------------------

    @cached_property
    def files(self) -> tuple[str, ...]:
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(name for name in dirnames if name not in PRUNED_DIRS
                                 and not Path(dirpath, name).is_symlink())
            for name in sorted(filenames):
                path = Path(dirpath, name)
                if path.is_symlink() or not path.is_file():
                    continue
                found.append(path.relative_to(self.root).as_posix())
                if len(found) >= MAX_FILES:
                    self.skipped.append(f"stopped after {MAX_FILES} files")
                    return tuple(found)
        return tuple(found)

    def matching(self, pattern: str) -> tuple[str, ...]:
        """Files whose relative path matches the regular expression `pattern` (case-blind)."""
        compiled = re.compile(pattern, re.IGNORECASE)
        return tuple(path for path in self.files if compiled.search(path))

    def text(self, path: str) -> str | None:
        """The text of `path`, or None when it is missing, huge, binary or unreadable."""
        return self._texts[path] if path in self._texts else self._read(path)

    def _read(self, path: str) -> str | None:
        full = self.root / path
        text: str | None = None
        if not full.is_file() or full.is_symlink():
            return None
        try:
            if full.stat().st_size > MAX_BYTES:
                self.skipped.append(f"{path}: larger than {MAX_BYTES} bytes")
            else:
                raw = full.read_bytes()
                if b"\0" in raw[:8192]:
                    self.skipped.append(f"{path}: binary")
                else:
                    text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            self.skipped.append(f"{path}: unreadable or not UTF-8")
        self._texts[path] = text
        return text

    # -- YAML ----------------------------------------------------------------------------------

    def yaml_documents(self, path: str) -> tuple[Any, ...]:
        """The documents of a YAML file; none when it is unreadable or invalid."""
        if path not in self._documents:
            self._documents[path] = self._parse_yaml(path)
        return self._documents[path]

    def _parse_yaml(self, path: str) -> tuple[Any, ...]:
        text = self.text(path)
        if text is None:
            return ()
        try:
            return tuple(yaml.loads_all_with_lines(text, source=path))
        except InputError as error:
            self.skipped.append(str(error))
        except Exception as error:  # ruamel raises more than YAMLError on hostile input
            self.skipped.append(f"{path}: unreadable YAML ({type(error).__name__})")
        return ()

    @cached_property
    def workflows(self) -> tuple[YamlDocument, ...]:
        """GitHub Actions workflows (`.github/workflows/*.yml`) that parse to a mapping."""
        found = []
        for path in self.files:
            if path.startswith(WORKFLOW_DIR) and path.endswith((".yml", ".yaml")):
                documents = self.yaml_documents(path)
                if documents and isinstance(documents[0], Mapping):
                    found.append(YamlDocument(path, documents[0]))
        return tuple(found)

    @cached_property
    def manifests(self) -> tuple[YamlDocument, ...]:
        """Every YAML document outside `.github/` that looks like a Kubernetes object."""
        found = []
        for path in self.files:
            if path.startswith(".github/") or not path.endswith((".yml", ".yaml")):
                continue
            for document in self.yaml_documents(path):
                if isinstance(document, Mapping) and "kind" in document \
                        and "apiVersion" in document:
                    found.append(YamlDocument(path, document))
        return tuple(found)

    @cached_property
    def kustomizations(self) -> tuple[YamlDocument, ...]:
        found = []
        for path in self.files:
            if Path(path).name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
                documents = self.yaml_documents(path)
                if documents and isinstance(documents[0], Mapping):
                    found.append(YamlDocument(path, documents[0]))
        return tuple(found)

    def objects(self, *kinds: str) -> Iterator[YamlDocument]:
        for document in self.manifests:
            if str(document.data.get("kind")) in kinds:
                yield document

    @cached_property
    def pod_specs(self) -> tuple[PodSpec, ...]:
        """Pod templates of workloads that carry containers (kustomize patches without
        containers are not pod specs of their own)."""
        found = []
        for document in self.objects(*POD_KINDS):
            obj = document.data
            spec = _pod_spec(obj)
            if isinstance(spec, Mapping) and isinstance(spec.get("containers"), list):
                name = str(as_map(obj.get("metadata")).get("name", "?"))
                found.append(PodSpec(document.path, str(obj["kind"]), name, spec, obj))
        return tuple(found)

    # -- Python --------------------------------------------------------------------------------

    @cached_property
    def python_modules(self) -> tuple[PythonModule, ...]:
        """Parsed Python files outside test directories (tests may call anything)."""
        found = []
        for path in self.files:
            parts = Path(path).parts
            if not path.endswith(".py") or TEST_DIRS.intersection(parts[:-1]) \
                    or parts[-1].startswith("test_") or parts[-1] == "conftest.py":
                continue
            text = self.text(path)
            if text is None:
                continue
            try:
                found.append(PythonModule(path, ast.parse(text, filename=path)))
            except (SyntaxError, ValueError, RecursionError):
                self.skipped.append(f"{path}: not valid Python")
        return tuple(found)

    # -- paved ---------------------------------------------------------------------------------

    @cached_property
    def record(self) -> Record | None:
        """The paved record (`.paved.yml`), or None for a repository paved never saw."""
        try:
            return read_record(self.root)
        except ProjectError as error:
            if (self.root / ".paved.yml").exists():
                self.skipped.append(str(error))
            return None

    def catalog(self, source: str) -> Catalog:
        """The catalog at `source`, opened (and fetched) once per check; `PavedError` when it
        cannot be opened."""
        if source not in self._catalogs:
            try:
                self._catalogs[source] = open_catalog(source)
            except PavedError as error:
                self._catalogs[source] = error
        found = self._catalogs[source]
        if isinstance(found, PavedError):
            raise found
        return found

    def line_of_text(self, path: str, pattern: str) -> int | None:
        """The first line of `path` matching the regular expression `pattern`."""
        compiled = re.compile(pattern)
        for number, line in enumerate((self.text(path) or "").splitlines(), start=1):
            if compiled.search(line):
                return number
        return None


def _pod_spec(obj: Mapping[str, Any]) -> Any:
    kind = obj.get("kind")
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return None
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = as_map(as_map(spec.get("jobTemplate")).get("spec"))
    template = spec.get("template") if isinstance(spec, Mapping) else None
    return template.get("spec") if isinstance(template, Mapping) else None


def containers(spec: Mapping[str, Any]) -> list[Any]:
    """Every container of a pod spec, init containers included."""
    found: list[Any] = []
    for key in ("initContainers", "containers"):
        items = spec.get(key)
        if isinstance(items, list):
            found.extend(item for item in items if isinstance(item, Mapping))
    return found


def as_map(value: Any) -> Mapping[str, Any]:
    """`value` when it is a mapping, else an empty one: manifests may hold anything."""
    return value if isinstance(value, Mapping) else {}
