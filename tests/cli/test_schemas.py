"""Every command's `--json` output validates against its published JSON Schema (issue 17):
the schemas come from the results' own types (`paved schema`), are committed in
docs/schemas/, and cover the error object too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from paved.cli.schema import RESULTS, file_name, json_schema, render
from tests.fleet.conftest import build_fleet
from tests.helpers import ROOT, build_file_tree, commit_all, git, run_cli
from tests.layers.test_layers import CATALOG as LAYERED_CATALOG
from tests.template_catalogs import small_catalog

SCHEMAS = ROOT / "docs" / "schemas"


def validate(command: str, document: Any) -> None:
    schema = json.loads((SCHEMAS / file_name(command)).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, format_checker=None).validate(document)


@pytest.mark.parametrize("command", list(RESULTS))
def test_the_committed_schema_is_up_to_date(command: str) -> None:
    committed = (SCHEMAS / file_name(command)).read_text(encoding="utf-8")
    assert committed == render(command), "run: paved schema --write docs/schemas"


@pytest.mark.parametrize("command", list(RESULTS))
def test_each_schema_is_a_valid_draft_2020_12_schema(command: str) -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema(command))


def test_paved_schema_prints_a_commands_schema_and_lists_them() -> None:
    result = run_cli(["schema", "fleet", "update"])
    assert (result.exit_code, result.stdout) == (
        0, (SCHEMAS / "fleet-update.json").read_text(encoding="utf-8"))
    assert run_cli(["schema"]).stdout.splitlines() == list(RESULTS)
    unknown = run_cli(["schema", "nope"])
    assert (unknown.exit_code, unknown.stderr.split(";")[0]) == (
        1, "paved: error: no command 'nope' prints JSON")


def test_schemas_refuse_a_field_the_result_does_not_have() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate("status", {"schema_version": 2, "error": {"code": "input", "message": "x"},
                            "extra": 1})


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[int, Any]]]:
    """Every command with --json, run once (or more) as a user would: command -> [(exit
    code, parsed stdout)], error documents included."""
    root = tmp_path_factory.mktemp("schemas")
    fleet = build_fleet(root)
    checkouts = root / "checkouts"
    found: dict[str, list[tuple[int, Any]]] = {}

    def run(command: str, *args: str, cwd: Path | None = None) -> None:
        with pytest.MonkeyPatch.context() as patch:
            if cwd is not None:
                patch.chdir(cwd)
            result = run_cli([*command.split(), *args, "--json"])
        found.setdefault(command, []).append((result.exit_code, json.loads(result.stdout)))

    catalog = str(fleet.catalog)
    run("new service", "svc", "--catalog", catalog, "--dest", str(root / "svc"), "--defaults")
    run("list", "--catalog", catalog)
    run("check", str(root / "svc"), "--fail-on", "never")
    run("status", str(checkouts / "alpha"))
    run("status", str(checkouts / "delta"))
    run("update", str(checkouts / "alpha"), "--dry-run")
    run("update", str(checkouts / "delta"))
    (root / "svc" / "config.txt").write_text("changed\n")
    commit_all(root / "svc", "edit")
    run("restore", "config.txt", "ci.yml", cwd=root / "svc")
    run("fleet status", "--from", str(fleet.list_file))
    run("fleet check", "--from", str(fleet.list_file))
    run("fleet update", "--from", str(fleet.list_file), "--dry-run")
    run("fleet update", "--from", str(fleet.list_file), "--push")
    layered = build_file_tree(root / "layered", LAYERED_CATALOG)
    commit_all(layered, "v1", tag="v1.0.0")
    run("new service", "db-svc", "--catalog", str(layered), "--dest", str(root / "db-svc"),
        "--defaults")
    run("layer add", "db", str(root / "db-svc"))
    run("layer remove", "db", str(root / "db-svc"), "--dry-run")
    run("adopt", str(checkouts / "plain"), "--catalog", catalog)
    run("fleet adopt", "--from", str(fleet.list_file), "--catalog", catalog, "--dry-run")
    authoring = small_catalog(root / "authoring")
    commit_all(authoring, "Start", tag="v1.0.0")
    run("template init", "extra", "--layer", "--golden-path", "svc", "--catalog-dir",
        str(authoring))
    run("template lint", str(authoring))
    run("template test", str(authoring), "--skip-tests")
    commit_all(authoring, "Add a layer")
    run("template release", str(authoring), "--bump", "minor", "--skip-tests")
    git(authoring, "status")  # the release left a clean tree (asserted by its own tests)
    # Errors: a usage error and a refusal, as each command reports them with --json.
    for command in RESULTS:
        run(command, "--no-such-option")
    run("status", str(root / "authoring"))  # not a paved repo
    run("restore", "nowhere.txt", cwd=root / "svc")
    return found


def test_every_commands_json_validates_against_its_schema(
        outputs: dict[str, list[tuple[int, Any]]]) -> None:
    assert set(outputs) == set(RESULTS)
    for command, documents in outputs.items():
        for _, document in documents:
            validate(command, document)
        results = [document for _, document in documents if "error" not in document]
        assert results, f"{command}: no result was validated, only errors"


def test_error_documents_validate_too(outputs: dict[str, list[tuple[int, Any]]]) -> None:
    codes = {document["error"]["code"] for documents in outputs.values()
             for _, document in documents if "error" in document}
    assert codes == {"usage", "project", "input"}


def test_timings_are_left_out_with_source_date_epoch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fleet = build_fleet(tmp_path)
    args = ["fleet", "status", "--from", str(fleet.list_file), "--json"]
    timed = json.loads(run_cli(args).stdout)
    assert isinstance(timed["seconds"], float)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first, second = run_cli(args).stdout, run_cli(args).stdout
    assert first == second
    assert "seconds" not in json.loads(first)
    validate("fleet status", json.loads(first))
