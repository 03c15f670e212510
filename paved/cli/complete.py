"""Shell completion of the catalog's names: golden paths, optional layers and catalog
versions (`paved schema` completes its own commands).

Each function takes what is typed so far and the command line parsed up to
there (`--catalog`, a catalog's directory, the repo's DIR), opens the catalog as
the command would (the bundled one by default, `$PAVED_CATALOG`, or the repo's
recorded one) and returns the matching names. Completion never fails loudly: a
catalog that cannot be opened completes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer


def _folder(ctx: typer.Context, name: str) -> Any:
    """The value of the command's argument `name`. While an option waits for the value
    being completed, click leaves the arguments typed before it unparsed in `ctx.args`."""
    value = ctx.params.get(name)
    typed = [arg for arg in ctx.args if not arg.startswith("-")]
    if isinstance(value, Path) and typed:
        return Path(typed[0])
    return value


def _catalog(ctx: typer.Context) -> Any:
    from paved.catalog import load, open_catalog

    folder = ctx.params.get("catalog_dir") or _folder(ctx, "catalog")
    if isinstance(folder, Path):  # `paved template …`: the catalog's working tree
        return load(folder.resolve(), source=str(folder), version="")
    return open_catalog(folder or os.environ.get("PAVED_CATALOG") or None)


def _matching(names: Callable[[], list[str]], incomplete: str) -> list[str]:
    try:
        return [name for name in names() if name.startswith(incomplete)]
    except Exception:  # a catalog that cannot be opened: nothing to offer, no traceback
        return []


def golden_paths(ctx: typer.Context, incomplete: str) -> list[str]:
    return _matching(lambda: sorted(_catalog(ctx).golden_paths), incomplete)


def versions(ctx: typer.Context, incomplete: str) -> list[str]:
    """Catalog versions, newest first: of the repo's recorded catalog (`paved update DIR
    --to`), else of the catalog the command would open."""

    def names() -> list[str]:
        from paved.catalog import open_catalog
        from paved.project import read_record

        folder = _folder(ctx, "path")
        if isinstance(folder, Path) and (folder / ".paved.yml").is_file():
            catalog = open_catalog(read_record(folder).catalog)
        else:
            catalog = _catalog(ctx)
        return list(reversed(catalog.versions or (catalog.version,)))

    return _matching(names, incomplete)


def optional_layers(ctx: typer.Context, incomplete: str) -> list[str]:
    """`paved new service --with LAYER,...`: the optional layers of the chosen golden path
    (of every golden path when none is chosen yet), the comma-separated ones typed kept."""
    typed, _, last = incomplete.rpartition(",")
    prefix = f"{typed}," if typed else ""
    chosen = set(typed.split(",")) if typed else set()

    def names() -> list[str]:
        catalog = _catalog(ctx)
        wanted = ctx.params.get("template")
        paths = [catalog.golden_paths[wanted]] if wanted in catalog.golden_paths else \
            list(catalog.golden_paths.values())
        offered = sorted({name for path in paths for name in path.optional_layers})
        return [f"{prefix}{name}" for name in offered if name not in chosen]

    return _matching(names, f"{prefix}{last}")


def _repo_layers(ctx: typer.Context) -> tuple[list[str], list[str]]:
    """The optional layers of the repo at DIR (the current directory when not typed yet):
    (offered and not added, added)."""
    from paved.catalog import open_catalog
    from paved.project import read_record

    folder = _folder(ctx, "path")
    record = read_record(folder if isinstance(folder, Path) else Path("."))
    offered = open_catalog(record.catalog).golden_paths[record.golden_path].optional_layers
    return ([name for name in offered if name not in record.layers],
            [name for name in offered if name in record.layers])


def layers_to_add(ctx: typer.Context, incomplete: str) -> list[str]:
    """`paved layer add LAYER`: the repo's golden path's optional layers it lacks."""
    return _matching(lambda: _repo_layers(ctx)[0], incomplete)


def layers_to_remove(ctx: typer.Context, incomplete: str) -> list[str]:
    """`paved layer remove LAYER`: the optional layers the repo has."""
    return _matching(lambda: _repo_layers(ctx)[1], incomplete)
