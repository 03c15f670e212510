"""Errors are errors, not crashes (issue 21, items 15 and 16).

Ordinary conditions (a full disk, a file where a folder belongs, a binary file, a
5,000-digit version, a git transport that runs a program, a template dividing by
zero) exit 1 with one line naming the file or source, never 70 ("a bug in
paved") with a crash log; and every error of a `--json` run is also JSON on stdout.
"""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest

from paved import config
from paved.cli.schema import RESULTS
from tests.helpers import commit_all, run_cli
from tests.hostile import COPIER, MANIFEST, SENTINEL, hostile_catalog

CRASH = "internal error"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return hostile_catalog(tmp_path / "catalog")


@pytest.fixture
def project(tmp_path: Path, catalog: Path) -> Path:
    result = run_cli(["new", "service", "svc", "--defaults", "--catalog", str(catalog),
                      "--dest", str(tmp_path / "svc")])
    assert result.exit_code == 0, result.stderr
    return tmp_path / "svc"


def new(catalog: Path | str, dest: Path, *args: str) -> tuple[int, str]:
    result = run_cli(["new", "service", "svc", "--defaults", "--catalog", str(catalog),
                      "--dest", str(dest), *args])
    return result.exit_code, result.stderr


def no_crash_log() -> bool:
    return not (config.cache_dir() / "crash").exists()


# --- the machine says no --------------------------------------------------------------

def test_a_full_disk_is_one_line_naming_the_file(tmp_path: Path, catalog: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from paved import create

    def full(root: Path, record: object) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(root / ".paved.yml"))

    monkeypatch.setattr(create, "write_record", full)
    (tmp_path / "out").mkdir()
    code, stderr = new(catalog, tmp_path / "out" / "svc")
    assert code == 1
    # The staging folder is in the cache's scratch space (or beside the destination).
    assert re.fullmatch(r"paved: error: /\S+/\.paved\.yml: No space left on device\n",
                        stderr), stderr
    assert list((tmp_path / "out").iterdir()) == []
    assert list(config.cache_dir().glob("scratch/*/new-*")) == []  # the staging went too
    assert no_crash_log()


def test_a_permission_refused_is_one_line_naming_the_file(
        project: Path, catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (The tests run as root here, where chmod refuses nothing: the refusal is simulated
    # where the update writes its journal.)
    from paved.update import journal

    def read_only(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EROFS, "Read-only file system",
                              str(project / ".git/paved/journal.json"))

    monkeypatch.setattr(journal, "apply", read_only)
    (catalog / "layers/core/new.txt").write_text("new\n")
    commit_all(catalog, "v2", tag="v2.0.0")
    result = run_cli(["update", str(project)])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: {project}/.git/paved/journal.json: Read-only file system\n")
    assert no_crash_log()


def test_a_cache_path_that_is_a_file(tmp_path: Path, catalog: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cache").write_text("not a folder\n")
    monkeypatch.setenv("PAVED_CACHE_DIR", str(tmp_path / "cache"))
    assert new(catalog, tmp_path / "svc") == (
        1, f"paved: error: {tmp_path}/cache/trees: Not a directory\n")


def test_a_home_that_is_a_file(tmp_path: Path, catalog: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "home").write_text("not a folder\n")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PAVED_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert new(catalog, tmp_path / "svc") == (
        1, f"paved: error: {tmp_path}/home/.cache/paved/trees: Not a directory\n")


# --- files that are no YAML, or too much of it -----------------------------------------

BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"


def test_a_binary_answers_file(tmp_path: Path, catalog: Path) -> None:
    (tmp_path / "answers.yml").write_bytes(BINARY)
    assert new(catalog, tmp_path / "svc", "--answers-file", str(tmp_path / "answers.yml")) == (
        1, f"paved: error: {tmp_path}/answers.yml is not UTF-8 text (byte 0); expected YAML\n")


def test_a_binary_config_file(tmp_path: Path, catalog: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.yml").write_bytes(BINARY)
    monkeypatch.setenv("PAVED_CONFIG", str(tmp_path / "config.yml"))
    assert new(catalog, tmp_path / "svc") == (
        1, f"paved: error: {tmp_path}/config.yml is not UTF-8 text (byte 0); expected YAML\n")


@pytest.mark.parametrize("command", [["status"], ["update"], ["update", "--dry-run"]])
def test_a_binary_record(project: Path, command: list[str]) -> None:
    (project / ".paved.yml").write_bytes(BINARY)
    commit_all(project, "binary record")
    result = run_cli([*command, str(project)])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: {project}/.paved.yml is not UTF-8 text (byte 0); expected YAML\n")


# --- versions ------------------------------------------------------------------------

HUGE = "1" * 5000


def test_a_5000_digit_version_asked_for(project: Path) -> None:
    result = run_cli(["update", str(project), "--to", HUGE])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: '{'1' * 38}… is not a version like 1.2.3\n")


@pytest.mark.parametrize("written", [HUGE, f"'{HUGE}'"], ids=["number", "string"])
@pytest.mark.parametrize("command", ["status", "update"])
def test_a_5000_digit_version_in_the_record(project: Path, written: str, command: str) -> None:
    record = project / ".paved.yml"
    record.write_text(record.read_text().replace("version: 1.0.0", f"version: {written}"))
    commit_all(project, "a long version")
    result = run_cli([command, str(project)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"paved: error: {record}")
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 300


def test_a_5000_digit_release(catalog: Path) -> None:
    result = run_cli(["template", "release", str(catalog), "--version", f"{HUGE}.0.0"])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: '{'1' * 38}… is not a version like 1.2.3\n")


def test_a_5000_digit_catalog_version(tmp_path: Path) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", {
        "paved-catalog.yml": f"version: '{HUGE}'\n" + MANIFEST}, git=False)
    assert new(catalog, tmp_path / "svc") == (
        1, f"paved: error: catalog {catalog}, paved-catalog.yml: version is 5,000 characters "
           f"long; no catalog version is\n")


# --- git transports that run a program --------------------------------------------------

EXT = "ext::sh -c touch% {sentinel}"


def test_an_ext_catalog_is_refused(tmp_path: Path) -> None:
    source = EXT.format(sentinel=tmp_path / SENTINEL)
    assert new(source + "% .git", tmp_path / "svc") == (
        1, f"paved: error: catalog '{source}% .git' uses git's ext:: transport, which runs a "
           f"program; use a path or an https, ssh or git URL\n")
    assert not (tmp_path / SENTINEL).exists()


def _point_at_ext(project: Path, catalog: Path, tmp_path: Path) -> str:
    source = EXT.format(sentinel=tmp_path / SENTINEL) + "% .git"
    record = project / ".paved.yml"
    record.write_text(record.read_text().replace(f"catalog: {catalog}", f"catalog: '{source}'"))
    commit_all(project, "a catalog that runs a program")
    return source


@pytest.mark.parametrize("command", ["update", "status"])
def test_an_ext_catalog_in_the_record_is_refused(tmp_path: Path, project: Path, catalog: Path,
                                                 command: str) -> None:
    source = _point_at_ext(project, catalog, tmp_path)
    result = run_cli([command, str(project)])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: catalog '{source}' uses git's ext:: transport, which runs a "
           f"program; use a path or an https, ssh or git URL\n")
    assert not (tmp_path / SENTINEL).exists()


def test_check_json_reports_an_ext_catalog_without_running_it(tmp_path: Path, project: Path,
                                                              catalog: Path) -> None:
    source = _point_at_ext(project, catalog, tmp_path)
    result = run_cli(["check", str(project), "--json"])
    assert result.exit_code in (0, 4), result.stderr
    currency = next(rule for rule in json.loads(result.stdout)["results"]
                    if rule["id"] == "currency/golden-path-version")
    assert currency["status"] == "not applicable"
    assert currency["message"] == (f"cannot compare with catalog {source}: catalog '{source}' "
                                   f"uses git's ext:: transport, which runs a program; use a "
                                   f"path or an https, ssh or git URL")
    assert not (tmp_path / SENTINEL).exists()


def test_a_fleet_repo_behind_an_ext_url_fails_alone(tmp_path: Path) -> None:
    from paved import git

    with pytest.raises(git.GitError, match=r"^cloning ext::sh -c touch% \S+ refused: "):
        git.clone(EXT.format(sentinel=tmp_path / SENTINEL), tmp_path / "clone")
    assert not (tmp_path / SENTINEL).exists()


# --- a template's own code fails -------------------------------------------------------

@pytest.mark.parametrize(("expression", "problem"), [
    ("1/0", "ZeroDivisionError: division by zero"),
    ("range(10**9) | list", "OverflowError: Range too big. The sandbox blocks ranges "
                            "larger than MAX_RANGE (100000)."),
    ("{}['missing'].x", "'dict object' has no attribute 'missing'"),
])
@pytest.mark.parametrize("where", ["file", "default", "validator"])
def test_a_failing_expression_is_a_render_error(tmp_path: Path, expression: str,
                                                problem: str, where: str) -> None:
    files = {
        "file": {"layers/core/x.txt.jinja": f"line 1\n{{{{ {expression} }}}}\n"},
        "default": {"copier.yml": COPIER + f'bad:\n  default: "{{{{ {expression} }}}}"\n'},
        "validator": {"copier.yml": COPIER + f'bad:\n  default: x\n'
                                             f'  validator: "{{{{ {expression} }}}}"\n'},
    }[where]
    catalog = hostile_catalog(tmp_path / "catalog", files)
    code, stderr = new(catalog, tmp_path / "svc")
    expected = (f"paved: error: rendering failed: layers/core/x.txt.jinja:2: {problem}\n"
                if where == "file" else
                f"paved: error: cannot evaluate {f'{{{{ {expression} }}}}'!r}: {problem}\n")
    assert (code, stderr) == (1, expected)
    assert not (tmp_path / "svc").exists()


def test_envops_extensions_are_refused(tmp_path: Path) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", {
        "copier.yml": "_envops:\n  extensions: [jinja2.ext.debug]\n" + COPIER}, git=False)
    assert new(catalog, tmp_path / "svc") == (
        1, f"paved: error: {catalog}/copier.yml: _envops.extensions is not a Jinja option a "
           f"catalog may set; Jinja extensions go in _jinja_extensions, and load only from a "
           f"trusted catalog\n")


@pytest.mark.parametrize("envops", ["newline_sequence: x", "block_start_string: '{{'",
                                    "undefined: os.system", "[1, 2]"])
def test_envops_jinja_would_refuse_are_refused(tmp_path: Path, envops: str) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", {
        "copier.yml": f"_envops:\n  {envops}\n" if envops.startswith("[") else
        f"_envops:\n  {envops}\n" + COPIER}, git=False)
    if envops.startswith("["):
        (catalog / "copier.yml").write_text(f"_envops: {envops}\n" + COPIER)
    code, stderr = new(catalog, tmp_path / "svc")
    assert code == 1
    assert stderr.startswith(f"paved: error: {catalog}/copier.yml: _envops")


# --- 16. --json errors are JSON on stdout ---------------------------------------------

def _failing(tmp_path: Path) -> dict[str, list[str]]:
    """Per command, arguments that make it fail (a folder that is nothing paved knows)."""
    nothing = str(tmp_path / "nothing")
    return {
        "new service": ["svc", "--catalog", nothing, "--dest", str(tmp_path / "svc")],
        "list": ["--catalog", nothing],
        "check": [nothing],
        "update": [nothing],
        "status": [nothing],
        "layer add": ["db", nothing],
        "adopt": [nothing],
        "layer remove": ["db", nothing],
        "restore": [nothing],  # outside the current directory's repo
        "template init": ["x", "--catalog-dir", nothing],
        "template lint": [nothing],
        "template test": [nothing],
        "template release": [nothing, "--bump", "patch"],
        "fleet status": ["--from", nothing],
        "fleet update": ["--from", nothing],
        "fleet check": ["--from", nothing],
        "fleet adopt": ["--from", nothing],
    }


def test_every_command_is_covered() -> None:
    assert set(_failing(Path("/x"))) == set(RESULTS)  # every command with --json


@pytest.mark.parametrize("command", [name.split() for name in RESULTS], ids=" ".join)
def test_every_error_of_a_json_run_is_json(tmp_path: Path, command: list[str]) -> None:
    args = _failing(tmp_path)[" ".join(command)]
    plain = run_cli([*command, *args])
    result = run_cli([*command, *args, "--json"])
    assert result.exit_code == plain.exit_code and result.exit_code in (1, 2)
    payload = json.loads(result.stdout)
    assert set(payload) == {"schema_version", "error"}
    assert payload["schema_version"] == 2
    assert set(payload["error"]) == {"code", "message"}
    assert payload["error"]["message"] in plain.stderr + result.stderr
    assert result.stderr.startswith("paved: error: ") or result.exit_code == 2


def test_a_usage_error_of_a_json_run_is_json() -> None:
    result = run_cli(["new", "service", "svc", "--json", "--no-such-option"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"schema_version": 2, "error": {
        "code": "usage", "message": "No such option: --no-such-option"}}


def test_json_error_codes_name_the_kind_of_error(tmp_path: Path, catalog: Path) -> None:
    result = run_cli(["new", "service", "svc", "--catalog", str(catalog), "--defaults",
                      "--dest", str(tmp_path / "svc"), "--template", "nope", "--json"])
    assert json.loads(result.stdout) == {"schema_version": 2, "error": {
        "code": "unknown_golden_path",
        "message": f"no golden path 'nope' in catalog {catalog}; it has: svc"}}


def test_an_interrupted_json_run_says_so(tmp_path: Path, catalog: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from paved import create

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(create, "render_golden_path", interrupt)
    result = run_cli(["new", "service", "svc", "--catalog", str(catalog), "--defaults",
                      "--dest", str(tmp_path / "svc"), "--json"])
    assert result.exit_code == 130
    assert json.loads(result.stdout)["error"] == {
        "code": "interrupted", "message": "interrupted; nothing was left half-written"}


def test_a_crash_of_a_json_run_is_json_too(tmp_path: Path, catalog: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from paved import create

    def bug(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(create, "render_golden_path", bug)
    result = run_cli(["new", "service", "svc", "--catalog", str(catalog), "--defaults",
                      "--dest", str(tmp_path / "svc"), "--json"])
    assert result.exit_code == 70
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "internal"
    assert error["message"].startswith("internal error: RuntimeError: a bug. This is a bug")
    assert os.path.isdir(config.cache_dir() / "crash")


# --- found by tests/test_fuzz.py -------------------------------------------------------

def test_a_service_name_with_control_characters(tmp_path: Path, catalog: Path) -> None:
    result = run_cli(["new", "service", "--catalog", str(catalog), "--defaults", "--dest",
                      str(tmp_path / "svc"), "--", "svc\x00"])
    assert (result.exit_code, result.stderr) == (
        1, "paved: error: the service name 'svc\\x00' holds control characters\n")


def test_a_record_naming_a_layer_the_catalog_lacks(project: Path, catalog: Path) -> None:
    # A version with no pristine render in the repo: status renders it again.
    commit_all(catalog, "v2", tag="v2.0.0")
    record = project / ".paved.yml"
    record.write_text(record.read_text().replace("golden_path: svc", "golden_path: gone")
                      .replace("  - core", "  - ''").replace("version: 1.0.0", "version: 2.0.0"))
    commit_all(project, "a layer nobody has")
    result = run_cli(["status", str(project)])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: catalog {catalog} v2.0.0 has no layer '', which golden path "
           f"'gone' uses\n")


def test_a_question_whose_choices_are_no_list(tmp_path: Path) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", {
        "copier.yml": COPIER + "tier:\n  default: a\n  choices: true\n"}, git=False)
    assert new(catalog, tmp_path / "svc") == (
        1, f"paved: error: {catalog}/copier.yml: question 'tier' has choices that are no "
           f"list (bool)\n")


def test_a_yaml_answer_json_has_no_type_for(tmp_path: Path) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", {
        "copier.yml": COPIER + "extra:\n  type: yaml\n  default: '{}'\n"}, git=False)
    seen = []
    for number, answer in enumerate(["2020-01-01", "!!binary aGVsbG8="]):
        result = run_cli(["new", "service", "svc", "--catalog", str(catalog), "--defaults",
                          "--dest", str(tmp_path / f"svc{number}"), "--data", f"extra={answer}",
                          "--json"])
        seen.append(result.exit_code)
        assert result.exit_code == 0, result.stderr
        seen.append(json.loads(result.stdout)["answers"]["extra"])
    assert seen == [0, "2020-01-01", 0, "hello"]  # pydantic's bytes: the text (copier
    # refuses bytes that are no UTF-8 before)
