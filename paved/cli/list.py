"""`paved list`: the golden paths a catalog offers."""

from __future__ import annotations

import typer

from paved import output
from paved.cli import options


def register(app: typer.Typer) -> None:
    app.command("list")(list_golden_paths)


def list_golden_paths(catalog: options.Catalog = None, json: options.Json = False) -> None:
    """List the golden paths in the catalog, with its version, their descriptions and the
    optional layers each offers.

    \b
    Examples:
      paved list
      paved list --catalog ../platform-catalog --json
    """
    from paved.catalog import open_catalog

    opened = open_catalog(catalog)
    golden_paths = [
        {"name": gp.name, "description": gp.description, "layers": list(gp.layers),
         "optional_layers": [{"name": name, "description": opened.layers[name].description}
                             for name in gp.optional_layers]}
        for gp in opened.golden_paths.values()
    ]
    if json:
        output.emit_json({"catalog": opened.source, "version": opened.version,
                          "golden_paths": golden_paths})
        return
    output.emit(f"Catalog {opened.source} v{opened.version}")
    rows = [(gp.name, gp.description, ", ".join(gp.layers))
            for gp in opened.golden_paths.values()]
    output.emit(output.table(rows, headers=("GOLDEN PATH", "DESCRIPTION", "LAYERS")))
    optional = [(gp.name, name, opened.layers[name].description)
                for gp in opened.golden_paths.values() for name in gp.optional_layers]
    if optional:
        output.emit("Optional layers (paved new service --with NAME, paved layer add NAME):")
        output.emit(output.table(optional, headers=("GOLDEN PATH", "LAYER", "DESCRIPTION")))
