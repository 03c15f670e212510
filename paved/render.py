"""The one module that touches copier and Jinja: turns a layer plus answers into files.

Copier is imported lazily: it costs ~0.2 s to import and most commands never render.
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


def render_layer(catalog_root: Path, layer_dir: str, dest: Path, context: Mapping[str, Any],
                 *, trust: bool) -> None:
    """Render one layer of the catalog at `catalog_root` into `dest`.

    The catalog's copier.yml selects the layer with
    `_subdirectory: "{{ paved_layer }}"`, so every layer shares the catalog root as
    its Jinja search path and can include the shared partials kept there once.
    Copier tasks, migrations and extensions run only when `trust` is set.
    """
    import copier
    from copier.errors import CopierError, UnsafeTemplateError

    data = {**context, LAYER_VARIABLE: layer_dir}
    try:
        copier.run_copy(str(catalog_root), str(dest), data=data, defaults=True, overwrite=True,
                        quiet=True, unsafe=trust, cleanup_on_error=False)
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
