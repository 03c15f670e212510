"""Help, argument names and shell completion, the same in every command (issue 17)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paved.cli import app
from tests.cli.test_app import _commands
from tests.helpers import evolving_catalog, run_cli

GROUPS = [[], ["new"], ["template"], ["fleet"]]


@pytest.mark.parametrize("command", [*GROUPS, *_commands()], ids=lambda c: " ".join(c) or "paved")
def test_h_is_help_and_every_help_ends_with_the_exit_codes(command: list[str]) -> None:
    short, long = run_cli([*command, "-h"]), run_cli([*command, "--help"])
    assert (short.exit_code, short.stdout) == (0, long.stdout)
    codes = long.stdout.split("Exit codes:\n", 1)[1]
    numbers = [int(line.split()[0]) for line in codes.splitlines() if line.strip()]
    assert {0, 1, 2, 70, 130, 141} <= set(numbers) and numbers == sorted(numbers)


def test_each_command_lists_its_own_outcome() -> None:
    def codes(command: str) -> str:
        return run_cli([*command.split(), "-h"]).stdout.split("Exit codes:\n", 1)[1]

    assert "  3    conflicts left in files: resolve them, git add, git commit\n" in codes(
        "update")
    assert "  4    a rule at or above --fail-on failed\n" in codes("check")
    assert "  4    a finding at or above --fail-on\n" in codes("template lint")
    assert "  4    a step failed\n" in codes("template test")
    assert "  5    with --check: behind the catalog, managed files changed or conflicts " \
           "left\n" in codes("status")
    for fleet in ("fleet status", "fleet update", "fleet check"):
        assert "  6    some repos need a person: listed with the reason\n" in codes(fleet)
    assert "\n  3 " not in codes("new service") and "\n  6 " not in codes("list")


def _parameters() -> list[tuple[str, Any]]:
    import typer.main

    found: list[tuple[str, Any]] = []
    root = typer.main.get_command(app)
    for path in _commands():
        command: Any = root
        for name in path:
            command = command.commands[name]
        found += [(" ".join(path), parameter) for parameter in command.params]
    return found


def test_the_same_option_has_the_same_metavar_everywhere() -> None:
    metavars: dict[str, set[str]] = {}
    for _, parameter in _parameters():
        if (parameter.param_type_name == "option" and not parameter.is_flag
                and "|" not in str(parameter.metavar)):  # choices may differ (--publish)
            metavars.setdefault(parameter.opts[0], set()).add(str(parameter.metavar))
    assert {name: shown for name, shown in metavars.items() if len(shown) > 1} == {}
    # Each value is named for what it is (TEAM, not typer's TEXT); --format shows its choices.
    assert {name for name, shown in metavars.items() if "None" in shown} == {"--format"}
    assert metavars["--owner"] == {"TEAM"}
    assert metavars["--golden-path"] == {"GOLDEN_PATH"}
    assert metavars["--fail-on"] == {"SEVERITY"}
    assert metavars["--to"] == {"VERSION"}


def test_one_name_per_idea() -> None:
    names = {name.lstrip("-") for _, parameter in _parameters()
             if parameter.param_type_name == "option" for name in parameter.opts}
    # A name and its plural (--skip-test, --skip-tests) are one option, never two.
    for _, parameter in _parameters():
        if parameter.param_type_name == "option":
            first = parameter.opts[0].lstrip("-")
            twin = first[:-1] if first.endswith("s") else first + "s"
            assert twin not in names or f"--{twin}" in parameter.opts, parameter.opts
    # The golden path is --golden-path wherever one is named (new service also takes
    # --template, its name in earlier releases).
    golden = {command for command, parameter in _parameters()
              if parameter.param_type_name == "option" and "--golden-path" in parameter.opts}
    assert golden == {"new service", "template init", "template test"}


def test_arguments_are_named_in_capitals_and_a_repo_is_dir() -> None:
    arguments = {(command, str(parameter.metavar)) for command, parameter in _parameters()
                 if parameter.param_type_name == "argument"}
    assert all(re.fullmatch(r"[A-Z_]+(\.\.\.)?", metavar) for _, metavar in arguments)
    assert {command for command, metavar in arguments if metavar == "DIR"} == {
        "check", "update", "status", "adopt", "layer add", "layer remove"}


def test_new_service_usage_names_its_argument() -> None:
    result = run_cli(["new", "service", "-h"])
    assert result.stdout.startswith("Usage: paved new service [OPTIONS] [NAME]\n")


# --- shell completion --------------------------------------------------------------------

def complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash completion offers after `words` (the last one being typed)."""
    typed = words.split(" ")
    result = CliRunner().invoke(app, [], prog_name="paved", env={
        "_PAVED_COMPLETE": "complete_bash", "COMP_WORDS": words,
        "COMP_CWORD": str(len(typed) - 1), **(env or {})})
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_completion_can_be_installed() -> None:
    result = run_cli(["--help"])
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout
    shown = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="paved")
    assert shown.exit_code == 0, (shown.output, repr(shown.exception))
    assert "complete -o default -F _paved_completion paved" in shown.stdout


def test_golden_paths_and_versions_are_completed_from_the_catalog(tmp_path: Path) -> None:
    catalog = evolving_catalog(tmp_path / "catalog")
    assert complete("paved new service svc --golden-path ") == ["node-service", "python-service"]
    assert complete(f"paved new service svc --catalog {catalog} --template s") == ["svc"]
    assert complete("paved new service svc --golden-path s",
                    {"PAVED_CATALOG": str(catalog)}) == ["svc"]
    assert complete(f"paved template test {catalog} --golden-path ") == ["svc"]
    assert complete(f"paved template init x --catalog-dir {catalog} --golden-path ") == ["svc"]
    assert complete("paved fleet update --to ", {"PAVED_CATALOG": str(catalog)}) == [
        "3.0.0", "2.0.0", "1.0.0"]


def test_update_completes_the_versions_of_the_repos_own_catalog(tmp_path: Path) -> None:
    catalog = evolving_catalog(tmp_path / "catalog")
    repo = tmp_path / "svc"
    created = run_cli(["new", "service", "svc", "--catalog", str(catalog), "--defaults",
                       "--dest", str(repo)])
    assert created.exit_code == 0, created.stderr
    assert complete(f"paved update {repo} --to ") == ["3.0.0", "2.0.0", "1.0.0"]
    assert complete(f"paved update {repo} --to 2") == ["2.0.0"]


def test_completion_of_a_catalog_that_cannot_be_opened_offers_nothing(tmp_path: Path) -> None:
    assert complete(f"paved new service svc --catalog {tmp_path / 'none'} --golden-path ") == []


def test_schema_completes_the_commands_with_json() -> None:
    assert complete("paved schema fl") == ["fleet"]
    assert complete("paved schema ") == ["adopt", "check", "fleet", "layer", "list", "new",
                                         "restore", "status", "template", "update"]


def test_optional_layers_are_completed(tmp_path: Path) -> None:
    """`--with` offers the golden path's optional layers (after the ones typed, commas kept);
    `layer add` those the repo lacks, `layer remove` those it has."""
    assert complete("paved new service svc --with ") == ["monitoring", "postgres"]
    assert complete("paved new service svc --golden-path node-service --with ") == []
    assert complete("paved new service svc --with postgres,") == ["postgres,monitoring"]
    assert complete("paved new service svc --with mon") == ["monitoring"]
    repo = tmp_path / "svc"
    created = run_cli(["new", "service", "svc", "--defaults", "--with", "postgres",
                       "--dest", str(repo)])
    assert created.exit_code == 0, created.stderr
    assert complete(f"paved layer add {repo}") == []  # LAYER comes first; DIR not typed yet
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(repo)
        assert complete("paved layer add ") == ["monitoring"]
        assert complete("paved layer remove ") == ["postgres"]
    assert complete("paved layer remove ") == []  # not in a generated repo: nothing
