"""The repository under check: its files, read once, defensively, and only as rules need.

A `Reading` belongs to one run over one directory: the file list (`files.py`),
every text, YAML document and Python fact read so far, and what could not be
read (`scan.Unread`). A `Repo` is what a rule sees: the files of one service
(the whole repository, or one service of a monorepo; see `services.py`) over
the shared `Reading`, so that a file several services share is read once.

Nothing here trusts its input: binary files, files over `max-file-bytes`,
invalid YAML and Python that does not parse are not read and are reported;
links are not followed; vendored and generated trees are never listed. Each
rule's access to something unreadable is recorded (`begin_rule`/`unread_seen`):
a rule whose verdict could depend on it is reported "not checked".
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from paved import yaml
from paved.catalog import Catalog, open_catalog
from paved.check import pycode, scan, tscode
from paved.check.files import Listing, list_files
from paved.check.options import CheckOptions
from paved.check.scan import Unread
from paved.check.settings import CheckConfig
from paved.errors import InputError, PavedError, ProjectError
from paved.project import RECORD_FILE, Record, read_record

TEST_DIRS = frozenset({"tests", "test", "testing"})
WORKFLOW_DIR = ".github/workflows/"
POD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                       "CronJob", "Pod"})
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
BINARY_PROBE = 8192


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


def is_python_source(path: str) -> bool:
    """A `.py` file outside test directories (tests may call anything)."""
    parts = path.split("/")
    return path.endswith(".py") and not TEST_DIRS.intersection(parts[:-1]) \
        and not parts[-1].startswith("test_") and parts[-1] != "conftest.py"


@dataclass(frozen=True)
class Zizmor:
    """One zizmor run over the repository's workflows."""
    tool: str | None  # "zizmor 1.32.0"; None when it did not run
    findings: Mapping[str, tuple[Any, ...]]  # workflow path -> `zizmor.ZizmorFinding`s
    why_not: str  # when it did not run


class Reading:
    """Everything read from one directory in one run, shared by its services' views."""

    def __init__(self, root: Path, options: CheckOptions, config: CheckConfig) -> None:
        self.root = root
        self.options = options
        self.config = config
        self.listing: Listing = list_files(root, config)
        self.unread: dict[str, Unread] = {}
        self._texts: dict[str, str | None] = {}
        self._documents: dict[str, tuple[Any, ...]] = {}
        self.catalogs: dict[str, Catalog | PavedError] = {}

    @cached_property
    def python(self) -> scan.Scan:
        """Facts of every Python source file of the repository, read once (`scan.py`)."""
        sources = [path for path in self.listing.files if is_python_source(path)]
        jobs = self.options.jobs
        chosen, prefiltered = scan.candidates(self.root, sources, jobs=jobs,
                                              by_git=self.listing.by_git,
                                              ignored=not self.config.respect_gitignore)
        found = scan.scan(self.root, chosen, max_bytes=self.config.max_file_bytes, jobs=jobs,
                          prefiltered=prefiltered)
        for item in found.unread:
            self.unread[item.path] = item
        return found

    @cached_property
    def typescript(self) -> dict[str, pycode.ModuleFacts]:
        """Facts of every TypeScript/JavaScript source of the repository (`tscode.py`), read
        once; when the compiler cannot run (no node), each is reported as not read."""
        from paved.config import cache_dir

        texts = {path: text for path in self.listing.files if tscode.is_source(path)
                 if (text := self.text(path)) is not None}
        try:
            return tscode.extract(texts, tools_dir=(cache_dir() / "tools").resolve())
        except PavedError as error:
            for path in texts:
                self.unread[path] = Unread(path, f"TypeScript not read: {error}",
                                           frozenset(pycode.NEEDS))
            return {}

    @cached_property
    def zizmor(self) -> Zizmor:
        """zizmor's findings over every workflow listed, from one run for all services
        (`paved.delivery.zizmor`), or why there are none."""
        from paved.delivery import zizmor

        tool = zizmor.find()
        if tool is None:
            return Zizmor(None, {}, "zizmor is not installed (next to paved or on PATH)")
        inputs = [path for path in self.listing.files
                  if path.startswith(WORKFLOW_DIR) and path.endswith((".yml", ".yaml"))]
        try:
            found = zizmor.audit(self.root, inputs, persona="pedantic", tool=tool)
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            return Zizmor(None, {}, f"zizmor failed: {error}")
        by_path: dict[str, list[Any]] = {}
        for item in found:
            by_path.setdefault(item.path, []).append(item)
        return Zizmor(f"zizmor {zizmor.version(tool)}",
                      {path: tuple(items) for path, items in by_path.items()}, "")

    def text(self, path: str) -> str | None:
        if path not in self._texts:
            self._texts[path] = self._read(path)
        return self._texts[path]

    def _read(self, path: str) -> str | None:
        full = self.root / path
        if full.is_symlink() or not full.is_file():
            return None
        limit = self.config.max_file_bytes
        try:
            if full.stat().st_size > limit:
                self._note(path, f"larger than {limit} bytes (max-file-bytes)")
                return None
            raw = full.read_bytes()
            if b"\0" in raw[:BINARY_PROBE]:
                self.unread[path] = Unread(path, "binary")
                return None
            return raw.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            self._note(path, "unreadable or not UTF-8")
        return None

    def _note(self, path: str, reason: str) -> None:
        self.unread[path] = Unread(path, reason, _needs_of_file(path))

    def yaml_documents(self, path: str) -> tuple[Any, ...]:
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
            reason = _yaml_reason(str(error), path)
        except Exception as error:  # ruamel raises more than YAMLError on hostile input
            reason = f"unreadable YAML ({type(error).__name__})"
        self.unread[path] = Unread(path, reason, _needs_of_file(path, text))
        return ()


def _yaml_reason(message: str, source: str) -> str:
    """`invalid YAML: … (line 2)` from `paved.yaml`'s `SOURCE:2: invalid YAML: …`."""
    line, _, problem = message.removeprefix(f"{source}:").partition(": ")
    return f"{problem} (line {line.strip()})" if line.strip().isdigit() else message


def _needs_of_file(path: str, text: str | None = None) -> frozenset[str]:
    """What a file that could not be read may hold, from its name (and text, if any)."""
    if path.startswith(WORKFLOW_DIR):
        return frozenset({"workflows"})
    if path.endswith((".yml", ".yaml")) or path.rsplit("/", 1)[-1] in KUSTOMIZATIONS:
        if text is None or "apiVersion" in text or "resources" in text:
            return frozenset({"manifests"})
        return frozenset()
    if is_python_source(path):
        return pycode.needs_of(text) if text is not None else frozenset(pycode.NEEDS)
    return frozenset({"text"})


class Repo:
    """One service's view of the repository: what every rule reads."""

    def __init__(self, reading: Reading, *, service: str = "",
                 files: tuple[str, ...] | None = None) -> None:
        self.reading = reading
        self.root = reading.root
        self.options = reading.options
        self.service = service  # "" for the whole repository, else its folder
        self.files: tuple[str, ...] = reading.listing.files if files is None else files
        self._members = frozenset(self.files) if files is not None else None
        self._seen: dict[str, Unread] = {}

    # -- what could not be read ---------------------------------------------------------------

    def begin_rule(self) -> None:
        self._seen = {}

    def unread_seen(self) -> tuple[Unread, ...]:
        """What the rule running now needed and could not read."""
        return tuple(self._seen.values())

    def _touch(self, *needs: str) -> None:
        wanted = set(needs)
        for item in self.reading.unread.values():
            if item.needs & wanted and self._has(item.path):
                self._seen.setdefault(item.path, item)

    def _touch_path(self, path: str) -> None:
        item = self.reading.unread.get(path)
        if item is not None and item.needs:
            self._seen.setdefault(path, item)

    def _has(self, path: str) -> bool:
        return self._members is None or path in self._members

    def at(self, path: str) -> str:
        """`path` inside this service's folder, relative to the repository root."""
        return f"{self.service}/{path}" if self.service else path

    # -- files -------------------------------------------------------------------------------

    def matching(self, pattern: str) -> tuple[str, ...]:
        """Files whose relative path matches the regular expression `pattern` (case-blind)."""
        compiled = re.compile(pattern, re.IGNORECASE)
        return tuple(path for path in self.files if compiled.search(path))

    def text(self, path: str) -> str | None:
        """The text of `path`, or None when it is missing, huge, binary or unreadable."""
        text = self.reading.text(path)
        if text is None:
            self._touch_path(path)
        return text

    def line_of_text(self, path: str, pattern: str) -> int | None:
        """The first line of `path` matching the regular expression `pattern`."""
        compiled = re.compile(pattern)
        for number, line in enumerate((self.text(path) or "").splitlines(), start=1):
            if compiled.search(line):
                return number
        return None

    # -- YAML ----------------------------------------------------------------------------------

    def yaml_documents(self, path: str) -> tuple[Any, ...]:
        """The documents of a YAML file; none when it is unreadable or invalid."""
        documents = self.reading.yaml_documents(path)
        if not documents:
            self._touch_path(path)
        return documents

    @property
    def workflows(self) -> tuple[YamlDocument, ...]:
        """GitHub Actions workflows (`.github/workflows/*.yml`) that parse to a mapping."""
        found = self._workflows
        self._touch("workflows")
        return found

    @cached_property
    def _workflows(self) -> tuple[YamlDocument, ...]:
        found = []
        for path in self.files:
            if path.startswith(WORKFLOW_DIR) and path.endswith((".yml", ".yaml")):
                documents = self.reading.yaml_documents(path)
                if documents and isinstance(documents[0], Mapping):
                    found.append(YamlDocument(path, documents[0]))
        return tuple(found)

    @property
    def manifests(self) -> tuple[YamlDocument, ...]:
        """Every YAML document outside `.github/` that looks like a Kubernetes object."""
        found = self._manifests
        self._touch("manifests")
        return found

    @cached_property
    def _manifests(self) -> tuple[YamlDocument, ...]:
        found = []
        for path in self.files:
            if path.startswith(".github/") or not path.endswith((".yml", ".yaml")):
                continue
            text = self.reading.text(path)
            if text is None or "apiVersion" not in text:
                continue  # no Kubernetes object can be in there: not worth parsing
            for document in self.reading.yaml_documents(path):
                if isinstance(document, Mapping) and "kind" in document \
                        and "apiVersion" in document:
                    found.append(YamlDocument(path, document))
        return tuple(found)

    @property
    def kustomizations(self) -> tuple[YamlDocument, ...]:
        found = self._kustomizations
        self._touch("manifests")
        return found

    @cached_property
    def _kustomizations(self) -> tuple[YamlDocument, ...]:
        found = []
        for path in self.files:
            if path.rsplit("/", 1)[-1] in KUSTOMIZATIONS:
                documents = self.reading.yaml_documents(path)
                if documents and isinstance(documents[0], Mapping):
                    found.append(YamlDocument(path, documents[0]))
        return tuple(found)

    def objects(self, *kinds: str) -> Iterator[YamlDocument]:
        for document in self.manifests:
            if str(document.data.get("kind")) in kinds:
                yield document

    @property
    def pod_specs(self) -> tuple[PodSpec, ...]:
        """Pod templates of workloads that carry containers (kustomize patches without
        containers are not pod specs of their own)."""
        found = self._pod_specs
        self._touch("manifests")
        return found

    @cached_property
    def _pod_specs(self) -> tuple[PodSpec, ...]:
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
    def python_files(self) -> tuple[str, ...]:
        """Python source files outside test directories, in walk order (none read)."""
        return tuple(path for path in self.files if is_python_source(path))

    @cached_property
    def typescript_files(self) -> tuple[str, ...]:
        """TypeScript and JavaScript sources outside tests and build output (none read)."""
        return tuple(path for path in self.files if tscode.is_source(path))

    @property
    def source_files(self) -> tuple[str, ...]:
        """The code the rules read: Python, then TypeScript and JavaScript."""
        return self.python_files + self.typescript_files

    @cached_property
    def _facts(self) -> tuple[pycode.ModuleFacts, ...]:
        facts = self.reading.python.facts
        found = tuple(facts[path] for path in self.python_files if path in facts)
        if not self.typescript_files:
            return found
        typescript = self.reading.typescript
        return found + tuple(typescript[path] for path in self.typescript_files
                             if path in typescript)

    def python_facts(self, *needs: str) -> tuple[pycode.ModuleFacts, ...]:
        """What the built-in rules read from Python (`pycode.ModuleFacts`), for a rule that
        needs the kinds of fact `needs` (keys of `pycode.NEEDS`)."""
        found = self._facts
        self._touch(*needs)
        return found

    def calls(self) -> Iterator[tuple[str, pycode.Call]]:
        """(path, call) for every call of interest (`pycode.interesting`), in walk order."""
        for module in self.python_facts("calls"):
            for call in module.calls:
                yield module.path, call

    def mentions(self, name: str) -> Iterator[tuple[str, int]]:
        """(path, line) where the `pycode.MENTIONS` pattern `name` matches, in walk order."""
        for module in self.python_facts(f"mention:{name}"):
            for line in module.mentions.get(name, ()):
                yield module.path, line

    def routes(self) -> dict[str, tuple[str, int]]:
        """Paths the application serves, each with where it is first declared."""
        return pycode.routes(self.python_facts("routes"))

    def settings(self) -> list[pycode.Setting]:
        return [setting for module in self.python_facts("settings")
                for setting in module.settings]

    @cached_property
    def python_modules(self) -> tuple[PythonModule, ...]:
        """Parsed Python files outside test directories, for catalog rules that walk syntax
        trees themselves. The built-in rules read `python_facts`, which is far cheaper: this
        parses every Python file of the service and keeps its tree."""
        found = []
        for path in self.python_files:
            text = self.text(path)
            if text is None:
                continue
            try:
                found.append(PythonModule(path, ast.parse(text, filename=path)))
            except (SyntaxError, ValueError, RecursionError):
                self.reading.unread[path] = Unread(path, "not valid Python",
                                                   pycode.needs_of(text))
        return tuple(found)

    # -- paved ---------------------------------------------------------------------------------

    @property
    def record_path(self) -> str:
        return self.at(RECORD_FILE)

    @cached_property
    def record(self) -> Record | None:
        """The paved record (`.paved.yml`), or None for a repository paved never saw."""
        folder = self.root / self.service if self.service else self.root
        try:
            return read_record(folder)
        except ProjectError as error:
            if (folder / RECORD_FILE).exists():
                self.reading.unread[self.record_path] = Unread(
                    self.record_path, _yaml_reason(str(error), str(folder / RECORD_FILE)))
            return None

    def catalog(self, source: str) -> Catalog:
        """The catalog at `source`, opened (and fetched) once per check; `PavedError` when it
        cannot be opened."""
        catalogs = self.reading.catalogs
        if source not in catalogs:
            try:
                catalogs[source] = open_catalog(source)
            except PavedError as error:
                catalogs[source] = error
        found = catalogs[source]
        if isinstance(found, PavedError):
            raise found
        return found


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
