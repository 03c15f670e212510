"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Json = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON result.")]
Catalog = Annotated[
    str | None,
    typer.Option("--catalog", metavar="SRC", envvar="PAVED_CATALOG", show_envvar=True,
                 help="Catalog to use: a local path or git URL. Default: the bundled one."),
]
Trust = Annotated[
    bool,
    typer.Option("--trust", help="Allow the catalog to run code (copier tasks, migrations, "
                                 "extensions). Only for catalogs you trust."),
]
CatalogDir = Annotated[
    Path,
    typer.Argument(metavar="CATALOG", help="The catalog's directory (its working tree, not a tag). "
                        "Default: the current directory.", show_default=False),
]
