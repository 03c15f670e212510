"""`paved list`: the golden paths a catalog offers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from paved import output
from paved.cli import options

if TYPE_CHECKING:
    from paved.catalog import CatalogListing


def register(app: typer.Typer) -> None:
    app.command("list", epilog=options.exit_codes())(list_golden_paths)


def list_golden_paths(catalog: options.Catalog = None, json: options.Json = False) -> None:
    """List the golden paths in the catalog, with its version, their descriptions and the
    optional layers each offers.

    \b
    Examples:
      paved list
      paved list --catalog ../platform-catalog --json
    """
    from paved.catalog import listing, open_catalog

    output.emit_result(listing(open_catalog(catalog)), as_json=json, describe=describe)


def describe(result: CatalogListing) -> str:
    rows = [(gp.name, gp.description, ", ".join(gp.layers)) for gp in result.golden_paths]
    text = (f"Catalog {result.catalog} v{result.version}\n"
            + output.table(rows, headers=("GOLDEN PATH", "DESCRIPTION", "LAYERS")))
    optional = [(gp.name, layer.name, layer.description)
                for gp in result.golden_paths for layer in gp.optional_layers]
    if optional:
        text += ("\nOptional layers (paved new service --with, paved layer add):\n"
                 + output.table(optional, headers=("GOLDEN PATH", "LAYER", "DESCRIPTION")))
    return text
