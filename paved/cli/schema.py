"""`paved schema COMMAND`: the JSON Schema of a command's `--json` output.

Each command's result is a frozen dataclass of its room (`CreateResult`,
`StatusResult`…); pydantic serializes it for `--json` (`output.document`) and
derives its JSON Schema here, so the published schema (docs/schemas/) and the
output come from the same model. A document is either the result or the error
object, each with `schema_version`.
"""

from __future__ import annotations

import copy
import importlib
import json as jsonlib
from pathlib import Path
from typing import Annotated, Any

import typer

from paved import output
from paved.cli import options
from paved.errors import InputError

#: Every command with `--json`, and the type of its result ("module:name").
RESULTS = {
    "new service": "paved.create:CreateResult",
    "list": "paved.catalog:CatalogListing",
    "check": "paved.check:CheckReport",
    "update": "paved.update.update:UpdateResult",
    "status": "paved.update.status:StatusResult",
    "restore": "paved.update.restore:RestoreResult",
    "layer add": "paved.update.update:UpdateResult",
    "layer remove": "paved.update.update:UpdateResult",
    "adopt": "paved.adopt.adopt:AdoptResult",
    "fleet status": "paved.fleet.status:FleetStatus",
    "fleet update": "paved.fleet.update:FleetUpdate",
    "fleet check": "paved.fleet.check:FleetCheck",
    "fleet adopt": "paved.fleet.adopt:FleetAdopt",
    "template init": "paved.authoring.scaffold:ScaffoldResult",
    "template lint": "paved.authoring.lint:LintResult",
    "template test": "paved.authoring.trial:TrialResult",
    "template release": "paved.authoring.release:ReleaseResult",
}
BASE_URI = "https://github.com/paved-dev/paved/blob/main/docs/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _commands(incomplete: str) -> list[str]:
    """Completion: the commands with --json (one word at a time)."""
    return sorted({name.split()[0] for name in RESULTS if name.startswith(incomplete)})


def register(app: typer.Typer) -> None:
    app.command("schema", epilog=options.exit_codes())(schema)


def schema(
    command: Annotated[list[str] | None, typer.Argument(
        metavar="COMMAND", show_default=False, autocompletion=_commands,
        help="A command with --json, such as status or fleet update.")] = None,
    write: Annotated[Path | None, typer.Option(
        "--write", metavar="DIR", help="Write every command's schema into DIR "
                                       "(COMMAND.json, as in docs/schemas/).")] = None,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a command's --json output.

    Every document has schema_version; it is the command's result or, when the
    command failed, {"error": {"code", "message"}}. Without COMMAND, list the
    commands.

    \b
    Examples:
      paved schema status
      paved schema fleet update > fleet-update.schema.json
      paved schema --write docs/schemas
    """
    if write is not None:
        for name in RESULTS:
            output.write_file(write / file_name(name), render(name))
        return
    if not command:
        output.emit("\n".join(RESULTS))
        return
    output.emit(render(" ".join(command)).rstrip("\n"))


def file_name(command: str) -> str:
    return command.replace(" ", "-") + ".json"


def render(command: str) -> str:
    return jsonlib.dumps(json_schema(command), indent=2, ensure_ascii=False) + "\n"


def json_schema(command: str) -> dict[str, Any]:
    """The schema of `paved COMMAND --json`: the result or the error, each versioned."""
    from pydantic import TypeAdapter

    from paved.errors import ErrorReport

    if command not in RESULTS:
        raise InputError(f"no command {command!r} prints JSON; these do: "
                         f"{', '.join(RESULTS)}")
    module, name = RESULTS[command].split(":")
    result = getattr(importlib.import_module(module), name)
    generated = TypeAdapter(result | ErrorReport).json_schema(mode="serialization")
    defs = generated.pop("$defs", {})
    for definition in defs.values():
        _close(definition)
    return {"$schema": DRAFT, "$id": BASE_URI + file_name(command),
            "title": f"paved {command} --json",
            "oneOf": [_versioned(defs[result.__name__]), _versioned(defs["ErrorReport"])],
            "$defs": defs}


def _close(definition: dict[str, Any]) -> None:
    """Objects with declared properties allow no others: a new field is a schema change."""
    if definition.get("type") == "object" and "properties" in definition:
        definition["additionalProperties"] = False


def _versioned(definition: dict[str, Any]) -> dict[str, Any]:
    """The top-level document: the definition plus `schema_version` (nested uses of the same
    definition, a monorepo's services say, have none)."""
    top = copy.deepcopy(definition)
    top["properties"] = {"schema_version": {"const": output.JSON_SCHEMA_VERSION},
                         **top["properties"]}
    top["required"] = ["schema_version", *top.get("required", [])]
    return top
