"""A catalog: golden paths made of layers, with their questions, at one version.

A catalog is a directory (usually a git repository whose `vX.Y.Z` tags are its
versions) holding a copier.yml with every question, a `paved-catalog.yml`
manifest naming golden paths and layers, shared `partials/` and one folder per
layer. A plain copier template without a manifest is a catalog of one golden
path with one layer. See docs/architecture.md.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.version import Version

import paved
from paved import config, git, origin, paths, sandbox, scratch, yaml
from paved.errors import CatalogError, InputError, UnknownGoldenPath, one_line
from paved.project import MAX_VERSION_LENGTH
from paved.questions import Question, parse_questions
from paved.render import Origin

MANIFEST = "paved-catalog.yml"
CHANGELOG = "CHANGELOG.md"
COPIER_FILES = ("copier.yml", "copier.yaml")
BUNDLED = "bundled"
DEFAULT_GOLDEN_PATH = "python-service"
PLAIN_DESCRIPTION = "a plain copier template"
#: A plain template's answer sets for `paved template lint` and `test` (a manifest's
#: `test_matrix`): name -> answers. Its authors keep it out of renders with `_exclude`.
ANSWER_SETS = "paved-answer-sets.yml"
# copier's shortcuts for hosted repositories (copier `_vcs.get_repo`).
_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


@dataclass(frozen=True)
class Layer:
    name: str
    description: str
    path: str  # folder inside the catalog, relative to its root
    owner: str = ""
    # Path patterns with gitignore semantics (paved.paths): files created once for the
    # team and never overwritten, and files the platform owns (local edits are drift).
    once: tuple[str, ...] = ()
    managed: tuple[str, ...] = ()
    # A language layer names its side of the contract: a partial (catalog-relative) that
    # the shared layers import as `paved_contract` (docs/authoring.md).
    contract: str = ""


@dataclass(frozen=True)
class Contract:
    """What every language layer provides, so the shared layers name no language: the
    Makefile targets they run and the names its contract partial defines."""

    make_targets: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()


@dataclass(frozen=True)
class GoldenPath:
    name: str
    description: str
    layers: tuple[str, ...]
    owner: str = ""
    # `paved template test`: answer sets to render (name -> answers; {} takes every
    # default) and the command each render must pass.
    test_matrix: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    test_command: str = ""
    # A GitHub workflow of the render (`.github/workflows/ci.yml`) whose `run:` steps each
    # render must pass, run as the workflow defines them (paved.delivery.workflow_run).
    test_workflow: str = ""
    # Folder (catalog-relative) of files a typical team changes in a service; the upgrade
    # test copies them over a render of the previous release before updating it.
    upgrade_edits: str = ""
    # What to do first in a new project, shown after `paved new service` (nothing when empty).
    next_steps: str = ""
    # Layers the golden path offers but does not include by default: `paved new service
    # --with NAME`, `paved layer add NAME`. Recorded in `.paved.yml` once chosen.
    optional_layers: tuple[str, ...] = ()

    def with_layers(self, chosen: tuple[str, ...] | list[str]) -> GoldenPath:
        """This golden path with the optional layers `chosen` (in the order it offers them)."""
        unknown = [name for name in chosen if name not in self.optional_layers]
        if unknown:
            offered = ", ".join(self.optional_layers) or "none"
            raise InputError(f"golden path {self.name!r} has no optional layer "
                             f"{one_line(repr(unknown[0]), 60)}; it offers: {offered}")
        return replace(self, layers=self.layers + tuple(
            name for name in self.optional_layers if name in chosen))

    def chosen_layers(self, layers: tuple[str, ...]) -> tuple[str, ...]:
        """The optional layers among `layers` (a record's) that this golden path still offers."""
        return tuple(name for name in self.optional_layers if name in layers)


@dataclass(frozen=True)
class Catalog:
    source: str  # as recorded in generated repos: "bundled", an absolute path or a URL
    version: str
    root: Path  # a local directory holding this version's files
    golden_paths: Mapping[str, GoldenPath]
    layers: Mapping[str, Layer]
    questions: tuple[Question, ...]
    name: str = ""
    description: str = ""
    versions: tuple[str, ...] = field(default=())  # every released version, oldest first
    origin: Origin | None = None  # what copier tells templates of where they come from
    plain: bool = False  # a plain copier template: no manifest, one golden path, one layer
    url: str = ""  # the manifest's `url:`: where everyone (CI runners too) fetches it from
    # The manifest's `paved_requirement:`: the paved that generated repos install to update
    # themselves (an exact pin or a direct URL); empty: this paved, pinned.
    paved_requirement: str = ""
    contract: Contract = field(default_factory=Contract)

    def golden_path(self, name: str | None) -> GoldenPath:
        """The golden path called `name`; with None, the default or the only one."""
        if name is None:
            if DEFAULT_GOLDEN_PATH in self.golden_paths:
                name = DEFAULT_GOLDEN_PATH
            elif len(self.golden_paths) == 1:
                name = next(iter(self.golden_paths))
            else:
                raise UnknownGoldenPath(f"choose a golden path with --template: "
                                        f"{', '.join(sorted(self.golden_paths))}")
        if name not in self.golden_paths:
            raise UnknownGoldenPath(f"no golden path {name!r} in catalog {self.source}; "
                                    f"it has: {', '.join(sorted(self.golden_paths))}")
        return self.golden_paths[name]

    def layers_of(self, golden_path: GoldenPath) -> tuple[Layer, ...]:
        """The layers of `golden_path`, which may come from a `.paved.yml` (anything)."""
        missing = [name for name in golden_path.layers if name not in self.layers]
        if missing:
            raise CatalogError(f"catalog {self.source} v{self.version} has no layer "
                               f"{one_line(repr(missing[0]), 60)}, which golden path "
                               f"{golden_path.name!r} uses")
        return tuple(self.layers[name] for name in golden_path.layers)

    def contract_partial(self, golden_path: GoldenPath) -> str:
        """The contract partial of `golden_path`'s language layer; "" when it has none."""
        partials = [layer.contract for layer in self.layers_of(golden_path) if layer.contract]
        if len(partials) > 1:
            raise CatalogError(f"catalog {self.source} v{self.version}: golden path "
                               f"{golden_path.name!r} has more than one language layer")
        return partials[0] if partials else ""



@dataclass(frozen=True)
class OptionalLayer:
    name: str
    description: str


@dataclass(frozen=True)
class GoldenPathSummary:
    name: str
    description: str
    layers: tuple[str, ...]
    optional_layers: tuple[OptionalLayer, ...] = ()


@dataclass(frozen=True)
class CatalogListing:
    """What `paved list` shows: the catalog, its version and its golden paths."""

    catalog: str
    version: str
    golden_paths: tuple[GoldenPathSummary, ...]


def listing(catalog: Catalog) -> CatalogListing:
    return CatalogListing(catalog=catalog.source, version=catalog.version, golden_paths=tuple(
        GoldenPathSummary(gp.name, gp.description, tuple(gp.layers), tuple(
            OptionalLayer(name, catalog.layers[name].description) for name in gp.optional_layers))
        for gp in catalog.golden_paths.values()))

def bundled_root() -> Path:
    """The catalog shipped with paved: inside the wheel, or `templates/` in a checkout."""
    installed = Path(__file__).with_name("templates")
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "templates"


# Catalogs opened in this process, while a fleet run asks for it (`session`).
_opened: dict[tuple[str, str | None], Catalog] | None = None


@contextmanager
def session() -> Iterator[None]:
    """Open each (source, version) once in this process while inside.

    A fleet run updates hundreds of repos from the same catalog: its mirror is
    fetched, its tags read and its manifest parsed once per process, not once
    per repo. Outside a session every call looks again (the catalog may have
    gained a release since).
    """
    global _opened
    previous = _opened
    _opened = {} if previous is None else previous
    try:
        yield
    finally:
        _opened = previous


def start_session() -> None:
    """Begin a session for the rest of this process (a fleet worker process)."""
    global _opened
    if _opened is None:
        _opened = {}


def open_catalog(source: str | None = None, *, version: str | None = None) -> Catalog:
    """Open `source` ("bundled", a local path or a git URL) at `version` (default: latest)."""
    source = source or config.default_catalog_source()
    if _opened is None:
        return _open(source, version)
    key = (source, version)
    if key not in _opened:
        _opened[key] = _open(source, version)
    return _opened[key]


def _open(source: str, version: str | None) -> Catalog:
    if source != BUNDLED:
        sandbox.check_source(source)
    if source == BUNDLED:
        if version is not None and _normalise(version) != paved.__version__:
            raise CatalogError(f"the bundled catalog is version {paved.__version__}, "
                               f"not {version}; use --catalog with a git copy for others")
        return load(bundled_root(), source=BUNDLED, version=paved.__version__,
                    versions=(paved.__version__,))
    url = git_url(source)
    path = Path(source).expanduser()
    if url is None and path.exists():
        path = path.resolve()
        if git.is_repo_root(path) or git.is_git_dir(path):
            return _open_git(path, str(path), version)
        if version is not None:
            raise CatalogError(f"{path} is not a git repository, so it has no version {version}")
        sandbox.refuse_escaping_links(path)  # a git tag's files are checked as extracted
        return load(path, source=str(path), version=_manifest_version(path),
                    told=Origin(src_path=str(path)))
    if url is not None:
        mirror = config.cache_dir() / "mirrors" / _digest(url)
        mirror.parent.mkdir(parents=True, exist_ok=True)
        git.mirror(url, mirror)
        return _open_git(mirror, source, version)
    raise CatalogError(f"catalog {source!r} not found: not a directory and not a git URL")


def git_url(source: str) -> str | None:
    """The URL git fetches for `source`, in every form copier accepts (`gh:` and `gl:`
    shortcuts, `git+` prefixes, `file://`, ssh and https), or None for a local path."""
    for shortcut, prefix in _SHORTCUTS.items():
        if source.startswith(shortcut):
            name = source.removeprefix(shortcut).lstrip("/")
            return prefix + (name if name.endswith(".git") else f"{name}.git")
    if source.startswith("git+"):
        return source.removeprefix("git+")
    if "://" in source or source.startswith("git@"):
        return source
    return None


@contextmanager
def working_tree(root: Path) -> Iterator[Catalog]:
    """The catalog as its files are now, not at a tag: what authors test and release.

    Copier renders a git repository from its latest tag (or HEAD), never from
    uncommitted files, so the files are copied to a temporary directory first.
    The version is the latest release plus `+dev` (`0.0.0+dev` before the first).
    """
    root = root.resolve()
    if not root.is_dir():
        raise CatalogError(f"catalog {root} not found: not a directory")
    if not any((root / name).is_file() for name in COPIER_FILES):
        raise CatalogError(f"{root} is not a catalog: it has no copier.yml")  # before copying
    top = git.work_tree_root(root)
    versions = tuple(release_tags(top)) if top is not None else ()
    latest = versions[-1] if versions else "0.0.0"
    with tempfile.TemporaryDirectory(prefix="paved-catalog-") as temporary:
        # Named as the catalog's folder: copier's `_src_path` is the catalog, not the copy.
        snapshot = Path(temporary) / (root.name or "catalog")
        # Bounded, and never into itself (a catalog holding the temporary directory).
        sandbox.copy_bounded(root, snapshot, skip_names=(".git", "__pycache__"),
                             skip=Path(temporary))
        sandbox.refuse_escaping_links(snapshot)
        yield load(snapshot, source=str(root), version=f"{latest}+dev", versions=versions,
                   told=Origin(src_path=str(root)))


def load(root: Path, *, source: str, version: str, versions: tuple[str, ...] = (),
         told: Origin | None = None) -> Catalog:
    """Read the catalog whose files are in `root`; `told`: where copier is to be told it
    comes from (`render.Origin`)."""
    copier_file = next((root / name for name in COPIER_FILES if (root / name).is_file()), None)
    if copier_file is None:
        raise CatalogError(f"{source} is not a catalog: it has no copier.yml")
    try:
        copier_config = yaml.plain(yaml.load(copier_file)) or {}
        manifest_file = root / MANIFEST
        manifest = yaml.plain(yaml.load(manifest_file)) if manifest_file.is_file() else None
    except InputError as error:
        raise CatalogError(str(error)) from error
    if not isinstance(copier_config, dict):
        raise CatalogError(f"{copier_file}: expected a mapping of settings and questions")
    sandbox.check_settings(copier_config, source=str(copier_file))
    questions = parse_questions(copier_config, source=str(copier_file))
    if manifest is None:
        return _plain_copier_template(root, source, version, versions, questions, told)
    try:
        where = f"catalog {source}, {MANIFEST}"  # the source: the root may be a cache folder
        layers = {str(name): _layer(root, str(name), spec, where)
                  for name, spec in (manifest.get("layers") or {}).items()}
        golden_paths = {str(name): _golden_path(root, str(name), spec, where)
                        for name, spec in (manifest.get("golden_paths") or {}).items()}
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise CatalogError(f"{manifest_file}: malformed manifest ({error})") from error
    for golden_path in golden_paths.values():
        for layer in golden_path.layers + golden_path.optional_layers:
            if layer not in layers:
                raise CatalogError(f"{manifest_file}: golden path {golden_path.name!r} "
                                   f"uses undeclared layer {layer!r}")
        both = set(golden_path.layers) & set(golden_path.optional_layers)
        if both:
            raise CatalogError(f"{manifest_file}: golden path {golden_path.name!r} lists "
                               f"layer {sorted(both)[0]!r} as both included and optional")
    return Catalog(source=source, version=version, root=root, golden_paths=golden_paths,
                   layers=layers, questions=questions, name=str(manifest.get("name", "")),
                   description=str(manifest.get("description", "")), versions=versions,
                   origin=told, url=_declared_url(manifest, manifest_file),
                   paved_requirement=_declared_requirement(manifest, manifest_file),
                   contract=_contract(manifest.get("contract"), manifest_file))


def _contract(spec: Any, manifest_file: Path) -> Contract:
    if spec is None:
        return Contract()
    if not isinstance(spec, Mapping):
        raise CatalogError(f"{manifest_file}: contract must be a mapping "
                           "(make_targets:, provides:)")
    try:
        return Contract(make_targets=_strings(spec.get("make_targets") or []),
                        provides=_strings(spec.get("provides") or []))
    except TypeError as error:
        raise CatalogError(f"{manifest_file}: contract: {error}") from error


def _patterns(spec: Mapping[str, Any], key: str, layer: str, manifest: str) -> tuple[str, ...]:
    """A layer's `once:` or `managed:` list: path patterns git would accept (paved.paths)."""
    value = spec.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CatalogError(f"{manifest}: layer {layer!r}: {key} must be a list of path patterns")
    bad = paths.invalid(value)
    if bad is not None:
        raise CatalogError(f"{manifest}: layer {layer!r}: {key} pattern {bad!r} is not a "
                           "valid gitignore-style pattern")
    return tuple(value)


def _declared_url(manifest: Mapping[str, Any], manifest_file: Path) -> str:
    value = manifest.get("url")
    if value is None:
        return ""
    problem = origin.url_problem(value)
    if problem:
        raise CatalogError(f"{manifest_file}: url {problem}")
    return str(value)


def _declared_requirement(manifest: Mapping[str, Any], manifest_file: Path) -> str:
    value = manifest.get("paved_requirement")
    if value is None:
        return ""
    problem = origin.requirement_problem(value)
    if problem:
        raise CatalogError(f"{manifest_file}: paved_requirement {problem}")
    return str(value)


def recorded_source(catalog: Catalog) -> tuple[str, str]:
    """The catalog source to record in a generated repo, and a note when it is local only
    (see paved.origin)."""
    if catalog.source == BUNDLED or git_url(catalog.source) is not None:
        return catalog.source, ""
    return origin.reachable(catalog.source, declared=catalog.url,
                            remote=git.remote_url(Path(catalog.source)))


def _layer(root: Path, name: str, spec: Mapping[str, Any], manifest: str) -> Layer:
    """A layer of the manifest; its folder must be inside the catalog (`sandbox.inside`)."""
    return Layer(name=sandbox.check_name(name, what=f"{manifest}: layer"),
                 description=str(spec.get("description", "")),
                 path=sandbox.inside(root, str(spec.get("path", f"layers/{name}")),
                                     what=f"{manifest}: layer {name!r} path"),
                 owner=str(spec.get("owner", "")), once=_patterns(spec, "once", name, manifest),
                 managed=_patterns(spec, "managed", name, manifest),
                 contract=sandbox.inside(root, str(spec.get("contract") or ""),
                                         what=f"{manifest}: layer {name!r} contract"))


def _golden_path(root: Path, name: str, spec: Mapping[str, Any], manifest: str) -> GoldenPath:
    """A golden path of the manifest; paved names folders after it and its answer sets."""
    matrix = spec.get("test_matrix") or {}
    return GoldenPath(
        name=sandbox.check_name(name, what=f"{manifest}: golden path"),
        description=str(spec.get("description", "")), layers=_strings(spec["layers"]),
        owner=str(spec.get("owner", "")),
        test_matrix={sandbox.check_name(str(key), what=f"{manifest}: answer set"):
                     dict(value or {})
                     for key, value in matrix.items()},
        test_command=str(spec.get("test_command") or ""),
        test_workflow=str(spec.get("test_workflow") or ""),
        upgrade_edits=sandbox.inside(root, str(spec.get("upgrade_edits") or ""),
                                     what=f"{manifest}: golden path {name!r} upgrade_edits"),
        next_steps=str(spec.get("next_steps") or "").strip(),
        optional_layers=_strings(spec.get("optional_layers") or []))


def _strings(value: Any) -> tuple[str, ...]:
    """A manifest's list of names or globs; anything else is a malformed manifest."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"expected a list of names, got {type(value).__name__}")
    return tuple(value)


def _plain_copier_template(root: Path, source: str, version: str, versions: tuple[str, ...],
                           questions: tuple[Question, ...], told: Origin | None) -> Catalog:
    name = origin.plain_name(source)
    layer = Layer(name=name, description=PLAIN_DESCRIPTION, path="")
    golden_path = GoldenPath(name=name, description=PLAIN_DESCRIPTION, layers=(name,),
                             test_matrix=_answer_sets(root / ANSWER_SETS, source))
    return Catalog(source=source, version=version, root=root,
                   golden_paths={name: golden_path}, layers={name: layer},
                   questions=questions, name=name, versions=versions, origin=told,
                   plain=True)




def _answer_sets(path: Path, source: str) -> dict[str, dict[str, Any]]:
    """The answer sets of a plain template's `ANSWER_SETS` file; none when it has none."""
    if not path.is_file():
        return {}
    where = f"catalog {source}, {ANSWER_SETS}"
    try:
        sets = yaml.plain(yaml.load(path)) or {}
    except InputError as error:
        raise CatalogError(str(error)) from error
    if not isinstance(sets, dict) or not all(isinstance(answers, dict) or answers is None
                                             for answers in sets.values()):
        raise CatalogError(f"{where}: expected answer-set names mapped to mappings of "
                           "answers")
    return {sandbox.check_name(str(key), what=f"{where}: answer set"): dict(value or {})
            for key, value in sets.items()}


def _open_git(repo: Path, source: str, version: str | None) -> Catalog:
    released = release_tags(repo)
    versions = tuple(released)
    if version is not None:
        ref, label = _pick(repo, source, released, version)
    elif released:
        label = versions[-1]
        ref = released[label]
    else:
        # An untagged repository is used at its HEAD, as copier does.
        ref = "HEAD"
        label = ""
    commit = git.resolve(repo, ref)
    described = git.describe(repo, commit)
    label = label or pep440(described)
    told = Origin(src_path=source, commit=described, commit_hash=commit, ref=version,
                    version=label)
    return load(_materialise(repo, commit), source=source, version=label,
                versions=versions, told=told)


def _pick(repo: Path, source: str, released: Mapping[str, str],
          version: str) -> tuple[str, str]:
    """The ref and version label of `version`: a released version (`1.2.0`, `v1.2.0`), or
    anything else git names there (a tag, a commit), as copier's `--vcs-ref` takes it."""
    try:
        wanted = _normalise(version)
    except InputError:
        if re.fullmatch(r"v?[\d.]+", version):
            raise  # meant as a version number, and none (5,000 digits)
        wanted = ""
    if wanted in released:
        return released[wanted], wanted
    named = re.fullmatch(r"[\w./+@{}^~-]{1,200}", version) and not version.startswith("-")
    commit = git.Repository(repo).resolve(version) if named else None
    if commit is None:
        known = ", ".join(released) or "none"
        shown = version if named else one_line(repr(version), 60)
        raise CatalogError(f"catalog {source} has no version {shown} "
                           f"(versions: {known})")
    return commit, pep440(git.describe(repo, commit))


def pep440(described: str) -> str:
    """A version for `git describe` output, as copier derives one: `v1.2.0` is 1.2.0,
    `v1.2.0-3-gabc1234` is 1.2.0.post3+gabc1234, a bare hash is 0.0.0+gHASH."""
    match = re.fullmatch(r"(.+)-(\d+)-g([0-9a-f]+)", described)
    base = parse_version(match.group(1) if match else described)
    if base is not None and match:
        after = parse_version(f"{base.base_version}.post{match.group(2)}+g{match.group(3)}")
        return str(after or base)
    if base is not None:
        return str(base)
    return f"0.0.0+g{described[:7]}" if re.fullmatch(r"[0-9a-f]+", described) else "0.0.0"


def release_tags(repo: Path) -> dict[str, str]:
    """Map each released version ("1.2.0") to its tag ("v1.2.0"), oldest first."""
    found: dict[Version, str] = {}
    for tag in git.tags(repo):
        parsed = parse_version(tag)
        if parsed is not None and not parsed.is_prerelease:
            found[parsed] = tag
    return {str(number): found[number] for number in sorted(found)}


def _materialise(repo: Path, commit: str) -> Path:
    """The files of `commit`, extracted once into the cache (keyed by commit) and reused."""
    # "-checkout": trees exported as a checkout holds them (git.export_tree); older
    # paved exported with `git archive`'s export-subst, under the bare commit.
    target = config.cache_dir() / "trees" / f"{commit}-checkout"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=scratch.area(), prefix=f"tree-{commit[:12]}-"))
    try:
        git.export_tree(repo, commit, staging, max_files=sandbox.MAX_FILES,
                        max_bytes=sandbox.MAX_BYTES)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # another paved process may have won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def changelog_between(catalog: Catalog, old: str, new: str) -> str:
    """The `## X.Y.Z` sections of the catalog's CHANGELOG.md after `old`, up to `new`."""
    path = catalog.root / CHANGELOG
    if not path.is_file():
        return ""
    low, high = parse_version(old), parse_version(new)
    if low is None or high is None:
        return ""
    kept = []
    for section in re.split(r"^(?=## )", path.read_text(encoding="utf-8", errors="replace"),
                            flags=re.MULTILINE):
        heading = section.partition("\n")[0].removeprefix("## ").strip()
        number = parse_version(heading.split()[0]) if heading else None
        if number is not None and section.startswith("## ") and low < number <= high:
            kept.append(section.strip())
    return "\n\n".join(kept)


def is_older(applied: str, latest: str) -> bool:
    """True when version `applied` comes before `latest` (unparsable ones: when they differ)."""
    mine, theirs = parse_version(applied), parse_version(latest)
    if mine is None or theirs is None:
        return applied != latest
    return mine < theirs


def versions_behind(catalog: Catalog, applied: str) -> int:
    """How many released versions of `catalog` come after `applied`, up to its version."""
    released = [v for v in catalog.versions if is_older(applied, v)
                and not is_older(catalog.version, v)]
    if released or not is_older(applied, catalog.version):
        return len(released)
    return 1  # an unreleased or unlisted version is still one step ahead


def _manifest_version(root: Path) -> str:
    manifest = root / MANIFEST
    if manifest.is_file():
        data = yaml.plain(yaml.load(manifest)) or {}
        if isinstance(data, dict) and data.get("version"):
            version = str(data["version"])
            if len(version) > MAX_VERSION_LENGTH:
                raise CatalogError(f"catalog {root}, {MANIFEST}: version is {len(version):,} "
                                   f"characters long; no catalog version is")
            return version
    return "0.0.0+local"


def parse_version(text: str) -> Version | None:
    """`text` ("1.2.3" or "v1.2.3") as a version; None when it is none, or longer than any
    real one (Python refuses to read an integer of 5,000 digits: ValueError)."""
    if len(text) > MAX_VERSION_LENGTH:
        return None
    try:
        return Version(text.removeprefix("v"))
    except ValueError:  # InvalidVersion is one
        return None



def _normalise(version: str) -> str:
    parsed = parse_version(version)
    if parsed is None:
        raise InputError(f"{one_line(repr(version), 40)} is not a version like 1.2.3")
    return str(parsed)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]

