"""The one module that touches copier and Jinja: turns a layer plus answers into files.

Copier is imported lazily: it costs ~0.2 s to import and most commands never render.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paved.errors import RenderError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

LAYER_VARIABLE = "paved_layer"
COMPOSED_DIR = ".paved-golden-path"
COPIER_FILES = ("copier.yml", "copier.yaml")


def render_layers(catalog_root: Path, layer_dirs: Sequence[str], dest: Path,
                  context: Mapping[str, Any], *, trust: bool) -> None:
    """Render the layers (folders of the catalog at `catalog_root`) into `dest`, in one pass.

    The layers are composed into one copier template first: a scratch copy of
    the catalog root (so the shared partials resolve as usual) whose
    `_subdirectory` is the union of the layers' folders. Copier then asks and
    validates its questions once and compiles each template once, so a golden
    path of four layers costs what one template costs. Layers must not write
    the same file; a collision is refused here (and reported by the linter).
    A plain copier template (one layer at the root, `""`) is rendered as it is.
    Copier tasks, migrations and extensions run only when `trust` is set.
    """
    if list(layer_dirs) == [""]:
        _run_copier(catalog_root, dest, {**context, LAYER_VARIABLE: ""}, trust=trust)
        return
    with tempfile.TemporaryDirectory(prefix="paved-compose-") as scratch:
        composed = _compose(catalog_root, layer_dirs, Path(scratch) / "catalog")
        _run_copier(composed, dest, {**context, LAYER_VARIABLE: COMPOSED_DIR}, trust=trust)


def _compose(catalog_root: Path, layer_dirs: Sequence[str], composed: Path) -> Path:
    from paved import yaml

    layer_tops = {Path(layer).parts[0] for layer in layer_dirs}
    composed.mkdir()
    for entry in catalog_root.iterdir():
        if entry.name in layer_tops or entry.name == ".git":
            continue
        if entry.is_dir():
            shutil.copytree(entry, composed / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, composed / entry.name, follow_symlinks=False)
    config_file = next(composed / name for name in COPIER_FILES if (composed / name).is_file())
    config = yaml.load(config_file)
    suffix = str(config.get("_templates_suffix", ".jinja"))
    union = composed / COMPOSED_DIR
    owners: dict[str, str] = {}  # rendered name -> layer
    for layer in layer_dirs:
        source = catalog_root / layer
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            target = union / relative
            if path.is_dir() and not path.is_symlink():
                target.mkdir(parents=True, exist_ok=True)
                continue
            rendered = str(relative).removesuffix(suffix) if suffix else str(relative)
            if rendered in owners:
                raise RenderError(f"layers {owners[rendered]!r} and {layer!r} both write "
                                  f"{rendered}; a file belongs to one layer")
            owners[rendered] = layer
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target, follow_symlinks=False)
    config["_subdirectory"] = COMPOSED_DIR
    yaml.dump(config, config_file)
    return composed


def _run_copier(template: Path, dest: Path, data: Mapping[str, Any], *, trust: bool) -> None:
    import copier
    from copier.errors import CopierError, UnsafeTemplateError

    try:
        copier.run_copy(str(template), str(dest), data=dict(data), defaults=True,
                        overwrite=True, quiet=True, unsafe=trust, cleanup_on_error=False)
    except UnsafeTemplateError as error:
        reason = " ".join(str(error).split())
        raise RenderError(f"the catalog wants to run code ({reason}); "
                          "pass --trust only if you trust this catalog") from error
    except (CopierError, ValueError) as error:
        raise RenderError(f"rendering failed: {_one_line(error)}") from error
    except Exception as error:
        # Jinja raises its own errors (TemplateSyntaxError, UndefinedError…) through copier.
        if type(error).__module__.startswith("jinja2"):
            raise RenderError(f"rendering failed: {_one_line(error)}") from error
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
