"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from paved.cli import complete

Json = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON result.")]
Catalog = Annotated[
    str | None,
    typer.Option("--catalog", metavar="SRC", envvar="PAVED_CATALOG", show_envvar=True,
                 help="Catalog to use: a local path or git URL. Default: the bundled one."),
]
GoldenPath = Annotated[
    str | None,
    typer.Option("--golden-path", "--template", metavar="GOLDEN_PATH",
                 autocompletion=complete.golden_paths,
                 help="Golden path to render. Default: python-service (or the catalog's "
                      "only one)."),
]
ToVersion = Annotated[
    str | None,
    typer.Option("--to", metavar="VERSION", autocompletion=complete.versions,
                 help="Catalog version to go to. Default: the latest."),
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
RepoDir = Annotated[
    Path, typer.Argument(metavar="DIR", help="The repository to check (any, paved or not). "
                                               "Default: the current directory.",
                         show_default=False),
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
def parse_names(value: str | None) -> tuple[str, ...]:
    """A comma-separated list of names (`--with a,b`), without blanks or repeats."""
    names = [name.strip() for name in (value or "").split(",")]
    return tuple(dict.fromkeys(name for name in names if name))


CatalogDir = Annotated[
    Path,
    typer.Argument(metavar="CATALOG", help="The catalog's directory (its working tree, not a tag). "
                        "Default: the current directory.", show_default=False),
]
CatalogGoldenPath = Annotated[
    str | None,
    typer.Option("--golden-path", metavar="GOLDEN_PATH", autocompletion=complete.golden_paths,
                 help="Only this golden path."),
]
SkipTests = Annotated[
    bool, typer.Option("--skip-tests", "--skip-test",
                       help="Do not run the catalog's tests (the renders' own CI workflow "
                            "and test_command).")]

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
FleetTo = Annotated[
    str | None,
    typer.Option("--to", metavar="VERSION", autocompletion=complete.versions,
                 help="Catalog version to go to. Default: the latest of each repo's catalog."),
]


# --- exit codes, listed at the end of every command's help ---
_MEANINGS = {
    0: "success",
    1: "error: the reason in one line on stderr, nothing half-written",
    2: "usage error (unknown option, missing argument)",
    3: "conflicts left to resolve",
    4: "findings at or above --fail-on",
    5: "behind the catalog, managed files drifted or conflicts left (--check)",
    6: "some repos need a person (listed with the reason)",
    70: "internal error: a bug in paved (a crash log is written)",
    130: "interrupted (Ctrl-C, SIGTERM): nothing half-written",
    141: "stdout closed by its reader",
}
#: `paved fleet …`'s own outcome.
FLEET_ATTENTION = (6, "some repos need a person: listed with the reason")
#: Every command's own outcome, for `paved --help`.
OUTCOMES = ((3, "paved update: conflicts left to resolve"),
            (4, "paved check, template lint: findings at or above --fail-on; "
                "template test: a step failed"),
            (5, "paved status --check: behind the catalog, managed files changed or "
                "conflicts left"),
            (6, "paved fleet …: some repos need a person (listed with the reason)"))


def exit_codes(*outcomes: int | tuple[int, str]) -> str:
    """The epilog of a command's help: the codes every command has (0, 1, 2, 70, 130, 141)
    and the `outcomes` of its own (a code, or a code and what it means for this command),
    with their meaning (docs/commands.md)."""
    meanings = dict(_MEANINGS)
    for outcome in outcomes:
        if isinstance(outcome, tuple):
            meanings[outcome[0]] = outcome[1]
    codes = sorted({0, 1, 2, 70, 130, 141,
                    *(item[0] if isinstance(item, tuple) else item for item in outcomes)})
    lines = [f"  {code:<4} {meanings[code]}" for code in codes]
    return "\b\nExit codes:\n" + "\n".join(lines)
