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
TrustTests = Annotated[
    bool,
    typer.Option("--trust", help="Allow the catalog to run code: its test_command (through "
                                 "the shell, as you), copier tasks, migrations, extensions. "
                                 "Only for catalogs you trust."),
]
ProjectDir = Annotated[
    Path, typer.Argument(metavar="DIR", help="The generated repo. Default: the current "
                                               "directory.", show_default=False),
]
Data = Annotated[
    list[str] | None,
    typer.Option("--data", metavar="KEY=VALUE", help="Answer a question; repeatable."),
]


def parse_data(values: list[str] | None) -> dict[str, str]:
    """`--data KEY=VALUE` items as a mapping; a malformed item is a usage error."""
    data = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--data")
        data[key.strip()] = value
    return data
CatalogDir = Annotated[
    Path,
    typer.Argument(metavar="CATALOG", help="The catalog's directory (its working tree, not a tag). "
                        "Default: the current directory.", show_default=False),
]

# --- paved check ---
CheckJobs = Annotated[
    int | None, typer.Option("--jobs", "-j", min=1, metavar="N", show_default=False,
                             help="Processes reading Python at once. Default: the machine's "
                                  "cores (1: everything in this process).")]

# --- paved fleet ---
FleetFrom = Annotated[
    str, typer.Option("--from", metavar="FILE|DIR", show_default=False,
                      help="The fleet: a file listing repo paths or git URLs (one a line), "
                           "a directory scanned for generated repos, github:ORG or "
                           "gitlab:GROUP.")]
FleetTopic = Annotated[
    str | None, typer.Option("--topic", metavar="TOPIC",
                             help="With --from github:ORG or gitlab:GROUP: the repos with this "
                                  "topic. Default: the repos with a .paved.yml.")]
FleetRepos = Annotated[
    str | None, typer.Option("--repos", metavar="NAME,...",
                             help="Only these repos (names as the summary shows them).")]
FleetLimit = Annotated[
    int | None, typer.Option("--limit", min=1, metavar="N", help="Only the first N repos.")]
FleetJobs = Annotated[
    int, typer.Option("--jobs", "-j", min=1, metavar="N",
                      help="Repos handled at once; 1 runs in this process (for debugging), "
                           "more use processes.")]
