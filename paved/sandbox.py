"""What a catalog can reach on this machine: the confinement every catalog gets.

A catalog is someone else's code and data (docs/security.md). Whether trusted
or not:

- every path its manifest names resolves inside it (`inside`, when it is loaded),
  and no link in its files leaves it (`refuse_escaping_links` for a folder,
  `git.export_tree` for a tag);
- nothing it renders lands in git's own folder (`refuse_git_path`): a rendered
  `.git/hooks/post-commit` would run at paved's own first commit;
- a copy of it is bounded (`copy_bounded`): `MAX_FILES` files, `MAX_BYTES` bytes;
- its git source names a transport that runs no program (`check_source`).

Unless it is trusted (`--trust`, or `trusted_catalogs:`, see `config.is_trusted`),
its Jinja also runs without the filters that read the host (`confine`): copier
adds jinja2-ansible-filters, whose `expandvars` reads the environment (a
`GITHUB_TOKEN`), `expanduser` HOME, and `fileglob`, `realpath` and `relpath` the
file system. Only the filters, tests and globals known to be pure stay (`PURE_*`,
an allow-list, so a filter a new library version adds is refused until reviewed);
the others refuse when called. Time of day and randomness (`strftime`,
`ans_random`) count as pure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from paved.errors import CatalogError, RenderError, one_line

if TYPE_CHECKING:
    from jinja2 import Environment

    _Environment = TypeVar("_Environment", bound=Environment)

#: Jinja's own filters, tests and globals, and those of jinja2-ansible-filters and
#: copier that compute from their arguments alone.
PURE_FILTERS = frozenset({
    # Jinja 3.1
    "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort",
    "e", "escape", "filesizeformat", "first", "float", "forceescape", "format", "groupby",
    "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min",
    "pprint", "random", "reject", "rejectattr", "replace", "reverse", "round", "safe",
    "select", "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "tojson",
    "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount", "wordwrap",
    "xmlattr",
    # jinja2-ansible-filters 1.3 (copier's default extension), less the five below
    "ans_groupby", "b64decode", "b64encode", "to_uuid", "to_json", "to_nice_json",
    "from_json", "to_yaml", "to_nice_yaml", "from_yaml", "from_yaml_all", "basename",
    "dirname", "splitext", "win_basename", "win_dirname", "win_splitdrive", "bool",
    "to_datetime", "strftime", "quote", "md5", "sha1", "checksum", "hash", "regex_replace",
    "regex_escape", "regex_search", "regex_findall", "ternary", "ans_random", "shuffle",
    "mandatory", "comment", "type_debug", "combine", "extract", "flatten", "subelements",
    "random_mac",
})
#: The filters of jinja2-ansible-filters that read this machine (named in refusals).
HOST_FILTERS = frozenset({"expanduser", "expandvars", "fileglob", "realpath", "relpath"})
PURE_TESTS = frozenset({
    "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even",
    "false", "filter", "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le",
    "lessthan", "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas",
    "sequence", "string", "test", "true", "undefined", "upper",
    "==", "!=", "<", "<=", ">", ">=",
})
PURE_GLOBALS = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace",
                          "pathjoin"})

MAX_FILES = 10_000
MAX_BYTES = 100 * 1024 * 1024


def confine(env: _Environment, *, trust: bool) -> _Environment:
    """`env` without any filter, test or global that could read the host, unless trusted.

    Each one removed is replaced by one that refuses when called, naming itself,
    so that a template using it fails with a reason rather than "no such filter".
    """
    if trust:
        return env
    for kind, table, pure in (("filter", env.filters, PURE_FILTERS),
                              ("test", env.tests, PURE_TESTS),
                              ("global", env.globals, PURE_GLOBALS)):
        for name in [name for name in table if name not in pure]:
            table[name] = _refusal(kind, name)
    return env


def _refusal(kind: str, name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        from jinja2.exceptions import SecurityError

        raise SecurityError(f"the Jinja {kind} {name!r} can read this machine (its "
                            f"environment or files); only a trusted catalog may use it "
                            f"(--trust)")

    return refuse


# --- paths ---

#: Code points HFS+ ignores in names, so that `.g\u200cit` is `.git` there (as git's
#: `is_hfs_dotgit` knows).
_IGNORED = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f\ufeff]")


def is_git_name(name: str) -> bool:
    """Whether a path component is `.git` on some file system: any case, with code points
    HFS+ ignores, with the trailing dots and spaces NTFS drops, or as NTFS's `GIT~1`."""
    folded = _IGNORED.sub("", name).rstrip(" .").casefold()
    return folded in (".git", "git~1")


def refuse_git_path(relative: PurePath | str, *, target: str | None = None) -> None:
    """Refuse to render `relative` (a path inside the project) when any of its components,
    or of the link target `target`, is git's own folder: a file there (a hook, a
    `core.fsmonitor` in `.git/config`) would run code at the next git command."""
    if any(is_git_name(part) for part in re.split(r"[/\\]", str(relative))):
        raise RenderError(f"the template renders {relative}, in git's own .git folder, where "
                          f"a file can make git run code (a hook, core.fsmonitor); refusing "
                          f"to write it")
    if target is not None and any(is_git_name(part) for part in re.split(r"[/\\]", target)):
        raise RenderError(f"the template renders {relative} as a link to {target}, into "
                          f"git's own .git folder; refusing to write it")


def inside(root: Path, relative: str, *, what: str) -> str:
    """`relative`, a path a catalog names, when it stays inside the catalog at `root`.

    Refused: absolute paths, `..` components, and paths whose folders are links
    that leave the catalog. Returns it as a clean POSIX path ("" for the root).
    """
    if "\\" in relative or "\0" in relative:
        raise CatalogError(f"{what} {relative!r} is not a plain relative path")
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts:
        raise CatalogError(f"{what} {relative!r} leaves the catalog; a catalog may only "
                           f"name its own files")
    top = root.resolve()
    if not (top / path).resolve().is_relative_to(top):
        raise CatalogError(f"{what} {relative!r} is a link out of the catalog; a catalog "
                           f"may only name its own files")
    clean = path.as_posix()
    return "" if clean == "." else clean


_NAME = re.compile(r"\w[\w.-]*")


def check_name(name: str, *, what: str) -> str:
    """A name a catalog gives (golden path, layer, answer set) that paved also uses in
    folder names: letters, digits, `.`, `_` and `-`, never `..`."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise CatalogError(f"{what} {one_line(repr(name), 60)} is not a plain name (letters, "
                           f"digits, '.', '_', '-')")
    return name


def refuse_escaping_links(root: Path) -> None:
    """A link out of the catalog would copy a file of this machine into the new repo."""
    top = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            if path.is_symlink() and not path.resolve().is_relative_to(top):
                raise CatalogError(f"the catalog links {path.relative_to(root)} to a file "
                                   f"outside it; refusing to render it")


def copy_bounded(source: Path, dest: Path, *, skip_names: Iterable[str] = (),
                 skip: Path | None = None) -> None:
    """Copy the tree `source` to `dest` (links as links), refusing past MAX_FILES files or
    MAX_BYTES bytes; the folder `skip` (where the copy goes, if it is inside `source`)
    and names in `skip_names` are left out."""
    skipped, files, size = set(skip_names), 0, 0
    avoid = skip.resolve() if skip is not None else None
    for dirpath, dirnames, filenames in os.walk(source):
        here = Path(dirpath)
        target = dest / here.relative_to(source)
        target.mkdir(parents=True, exist_ok=True)
        dirnames[:] = [name for name in dirnames if name not in skipped
                       and (avoid is None or (here / name).resolve() != avoid)]
        for name in [*filenames, *(name for name in dirnames if (here / name).is_symlink())]:
            if name in skipped:
                continue
            files += 1
            size += (here / name).lstat().st_size
            if files > MAX_FILES or size > MAX_BYTES:
                raise CatalogError(f"{source} holds more than {MAX_FILES:,} files or "
                                   f"{MAX_BYTES // 1024 // 1024} MiB; is it really a "
                                   f"catalog? refusing to copy it")
            shutil.copy2(here / name, target / name, follow_symlinks=False)
        dirnames[:] = [name for name in dirnames if not (here / name).is_symlink()]


# --- settings ---

#: Jinja options a catalog's `_envops` may set: syntax, whitespace, escaping. Not
#: `extensions` (code: `_jinja_extensions`, for trusted catalogs only; copier itself
#: crashes on it), nor `loader`, `finalize`, `bytecode_cache` or `enable_async`.
ENVOPS = frozenset({
    "block_start_string", "block_end_string", "variable_start_string",
    "variable_end_string", "comment_start_string", "comment_end_string",
    "line_statement_prefix", "line_comment_prefix", "trim_blocks", "lstrip_blocks",
    "newline_sequence", "keep_trailing_newline", "autoescape", "undefined", "optimized",
    "cache_size", "auto_reload",
})
UNDEFINED = (None, "jinja2.Undefined", "jinja2.StrictUndefined")  # what copier accepts


def check_settings(settings: Mapping[str, Any], *, source: str) -> None:
    """Refuse a copier.yml whose Jinja settings copier or Jinja would crash on, or that
    would load code outside `_jinja_extensions` (where trust decides)."""
    envops = settings.get("_envops") or {}
    if not isinstance(envops, Mapping):
        raise CatalogError(f"{source}: _envops must be a mapping of Jinja options")
    for key in envops:
        if key not in ENVOPS:
            hint = ("; Jinja extensions go in _jinja_extensions, and load only from a "
                    "trusted catalog") if key == "extensions" else ""
            raise CatalogError(f"{source}: _envops.{key} is not a Jinja option a catalog "
                               f"may set{hint}")
    if envops.get("undefined") not in UNDEFINED:
        raise CatalogError(f"{source}: _envops.undefined must be jinja2.Undefined or "
                           "jinja2.StrictUndefined")
    if set(envops) - {"undefined"}:
        from jinja2 import Environment

        try:
            Environment(**{key: value for key, value in envops.items() if key != "undefined"})
        except (AssertionError, TypeError, ValueError) as error:
            raise CatalogError(f"{source}: _envops is not a Jinja configuration "
                               f"({one_line(str(error), 120)})") from error
    extensions = settings.get("_jinja_extensions") or []
    if not isinstance(extensions, list) or not all(isinstance(x, str) for x in extensions):
        raise CatalogError(f"{source}: _jinja_extensions must be a list of import names")


# --- sources ---

def check_source(source: str) -> None:
    """Refuse a git source that would make git run a program: a remote helper
    (`ext::sh -c …`, any `transport::address`) or an option (`--upload-pack=…`)."""
    if source.startswith("-"):
        raise CatalogError(f"catalog {source!r} looks like an option, not a source")
    transport, sep, _ = source.partition("::")
    if sep and "/" not in transport:
        raise CatalogError(f"catalog {source!r} uses git's {transport}:: transport, which "
                           f"runs a program; use a path or an https, ssh or git URL")
