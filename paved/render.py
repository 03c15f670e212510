"""The one module that touches copier and Jinja: turns a layer plus answers into files.

Copier is imported lazily: it costs ~0.2 s to import and most commands never render.

Most catalogs use only copier's file rendering (`_subdirectory`,
`_templates_suffix`, `_exclude`, templated paths). For those, `render_layer`
renders with one shared, compiled-once Jinja environment configured exactly as
copier's (issue 9: copier compiles ~5 templates per file and costs 0.2 s to
import). Anything else (tasks, migrations, extensions, envops, yield tags,
`_copier_*` variables, symlinks) or any error on that path falls back to copier
itself, which then renders or reports the error. tests/test_render.py renders
the bundled catalog both ways and compares the trees. `PAVED_RENDERER=copier`
forces copier.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paved.errors import RenderError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

LAYER_VARIABLE = "paved_layer"
RENDERER_ENV = "PAVED_RENDERER"
# copier.yml settings the plain renderer implements; any other one means copier renders.
_PLAIN_SETTINGS = frozenset({"_subdirectory", "_templates_suffix", "_exclude",
                             "_min_copier_version", "_secret_questions", "_answers_file",
                             "_message_before_copy", "_message_after_copy",
                             "_message_before_update", "_message_after_update"})
# Template text needing copier's own context or extensions.
_COPIER_ONLY = ("_copier_", "_folder_name", "_external_data", "yield")
_DEFAULT_EXCLUDE = ("copier.yaml", "copier.yml", "~*", "*.py[co]", "__pycache__", ".git",
                    ".DS_Store", ".svn")


def render_layer(catalog_root: Path, layer_dir: str, dest: Path, context: Mapping[str, Any],
                 *, trust: bool) -> None:
    """Render one layer of the catalog at `catalog_root` into `dest`.

    The catalog's copier.yml selects the layer with
    `_subdirectory: "{{ paved_layer }}"`, so every layer shares the catalog root as
    its Jinja search path and can include the shared partials kept there once.
    Copier tasks, migrations and extensions run only when `trust` is set.
    """
    data = {**context, LAYER_VARIABLE: layer_dir}
    if os.environ.get(RENDERER_ENV) != "copier":
        try:
            files = _render_plain(catalog_root, data)
        except Exception:  # copier renders it instead, or reports the error its way
            files = None
        if files is not None:
            _write(files, dest)
            ensure_contained(dest)
            return
    _render_with_copier(catalog_root, layer_dir, dest, data, trust=trust)


def _render_with_copier(catalog_root: Path, layer_dir: str, dest: Path,
                        data: Mapping[str, Any], *, trust: bool) -> None:
    import copier
    from copier.errors import CopierError, UnsafeTemplateError

    try:
        copier.run_copy(str(catalog_root), str(dest), data=dict(data), defaults=True,
                        overwrite=True, quiet=True, unsafe=trust, cleanup_on_error=False)
    except UnsafeTemplateError as error:
        reason = " ".join(str(error).split())
        raise RenderError(f"the catalog wants to run code ({reason}); "
                          "pass --trust only if you trust this catalog") from error
    except (CopierError, ValueError) as error:
        raise RenderError(f"rendering layer {layer_dir!r} failed: {_one_line(error)}") from error
    except Exception as error:
        # Jinja raises its own errors (TemplateSyntaxError, UndefinedError…) through copier.
        if type(error).__module__.startswith("jinja2"):
            raise RenderError(f"rendering layer {layer_dir!r} failed: "
                              f"{_one_line(error)}") from error
        raise
    ensure_contained(dest)


def ensure_contained(root: Path) -> None:
    """Refuse a render that holds a symlink resolving outside `root`."""
    top = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            if path.is_symlink() and not path.resolve().is_relative_to(top):
                relative = path.relative_to(root)
                raise RenderError(f"the template made {relative} a link to "
                                  f"{os.readlink(path)}, outside the project")


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    location = ""
    filename, lineno = getattr(error, "filename", None), getattr(error, "lineno", None)
    if filename and lineno:
        location = f"{filename}:{lineno}: "
    return f"{location}{text or type(error).__name__}"


def environment(catalog_root: Path) -> SandboxedEnvironment:
    """A Jinja environment that evaluates questions as copier does.

    Same sandbox, same default filters (copier's Ansible filters), same search
    path (the catalog root, so validators may import shared partials).
    """
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader(str(catalog_root)),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_string(env: SandboxedEnvironment, template: str, context: Mapping[str, Any]) -> str:
    """Render one Jinja string (a default, a validator, a `when`) with `context`."""
    from jinja2 import TemplateError

    try:
        return env.from_string(template).render(**context)
    except TemplateError as error:
        raise RenderError(f"cannot evaluate {template!r}: {_one_line(error)}") from error


def _render_plain(root: Path, data: Mapping[str, Any]) -> dict[str, tuple[bytes, bool]] | None:
    """Render a layer as copier would, in memory: relative path -> (bytes, executable).

    None when the catalog needs copier itself. Nothing is written here.
    """
    from pathspec import PathSpec

    settings = _settings(root)
    if settings is None or set(settings) - _PLAIN_SETTINGS:
        return None
    env = _file_environment(root)

    def text(template: str) -> str:
        if not any(mark in template for mark in ("{{", "{%", "{#")):
            return template  # plain text renders to itself: skip compiling it
        if any(marker in template for marker in _COPIER_ONLY):
            raise LookupError(template)  # needs copier's context: let copier render
        return str(env.from_string(template).render(**data))

    suffix = str(settings.get("_templates_suffix", ".jinja"))
    subdirectory = text(str(settings.get("_subdirectory", ""))).strip().strip("/")
    patterns = settings.get("_exclude", [] if subdirectory else list(_DEFAULT_EXCLUDE))
    if not suffix or not isinstance(patterns, list):
        return None
    exclude = PathSpec.from_lines("gitignore", [line for pattern in patterns
                                                for line in text(str(pattern)).splitlines()])
    top = root / subdirectory
    files: dict[str, tuple[bytes, bool]] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if Path(dirpath, d).is_symlink()]):
            source = Path(dirpath, name)
            if source.is_symlink():
                return None
            relative = source.relative_to(top).as_posix()
            if not relative.endswith(suffix) and (top / (relative + suffix)).exists():
                continue  # copier prefers the templated sibling
            is_template = relative.endswith(suffix)
            parts = [text(part) for part in relative.removesuffix(suffix).split("/")] \
                if is_template else [text(part) for part in relative.split("/")]
            if not all(parts):
                continue  # a part rendered empty: copier skips the file
            target = "/".join(parts)
            if exclude.match_file(target):
                continue
            if is_template:
                source_text = source.read_text(encoding="utf-8")
                if any(marker in source_text for marker in _COPIER_ONLY):
                    return None
                template = env.get_template(source.relative_to(root).as_posix())
                content = template.render(**data).encode()
            else:
                content = source.read_bytes()
            files[target] = (content, bool(source.stat().st_mode & 0o100))
    return files


def _write(files: Mapping[str, tuple[bytes, bool]], dest: Path) -> None:
    for relative, (content, executable) in files.items():
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        target.write_bytes(content)
        if executable:
            target.chmod(target.stat().st_mode | 0o111)


_settings_cache: dict[Path, dict[str, Any] | None] = {}
_environments: dict[Path, SandboxedEnvironment] = {}


def _settings(root: Path) -> dict[str, Any] | None:
    """The `_`-settings of the catalog's copier.yml (read once per process)."""
    if root not in _settings_cache:
        from paved import yaml

        found = next((root / name for name in ("copier.yml", "copier.yaml")
                      if (root / name).is_file()), None)
        data = yaml.plain(yaml.load(found)) if found else None
        _settings_cache[root] = ({key: value for key, value in data.items()
                                  if str(key).startswith("_")}
                                 if isinstance(data, dict) else None)
    return _settings_cache[root]


def _file_environment(root: Path) -> SandboxedEnvironment:
    """Copier's environment for files: its filters, lenient undefined, trailing newlines."""
    if root not in _environments:
        from pathlib import PurePosixPath

        from jinja2 import FileSystemBytecodeCache, FileSystemLoader
        from jinja2.sandbox import SandboxedEnvironment

        from paved import config

        # Compiled templates are kept on disk, keyed by their source: a fleet update
        # compiles each template file once, not once per repo.
        compiled = config.cache_dir() / "jinja"
        compiled.mkdir(parents=True, exist_ok=True)
        env = SandboxedEnvironment(
            loader=FileSystemLoader(str(root.resolve())),
            bytecode_cache=FileSystemBytecodeCache(str(compiled)),
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
            keep_trailing_newline=True,
        )
        env.globals["pathjoin"] = lambda *parts, mode="posix": str(PurePosixPath(*parts))
        _environments[root] = env
    return _environments[root]
