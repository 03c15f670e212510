"""The command line as a whole: help, version, exit codes, interruption, crashes."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import paved
from paved import create
from paved.cli import app, main
from paved.cli.prompt import terminal_asker
from tests.helpers import NO_CPR, QUESTION, run_cli, start_paved, wait_until_reached


def test_version() -> None:
    result = run_cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"paved {paved.__version__}\n"


def test_main_leaves_what_the_run_built_out_of_the_exit_collections(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Python's last collections would walk every object copier and pydantic made
    # (~60 ms per run, docs/benchmarks.md); main freezes them on the way out.
    monkeypatch.setattr(sys, "argv", ["paved", "--version"])
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(SystemExit):
            main()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        signal.signal(signal.SIGTERM, sigterm)  # main installs paved's own handler


def test_help_lists_every_command_with_an_example() -> None:
    result = run_cli(["--help"])
    assert result.exit_code == 0
    assert "paved new service payments-api --defaults" in result.stdout
    for command in ("new", "list"):
        assert f"  {command} " in result.stdout


def _commands() -> list[list[str]]:
    """Every leaf command of the CLI, found by walking it (a new command is covered too)."""
    import typer.main

    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if not children:
            found.append(path)
            return
        for name, child in children.items():
            walk(child, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_the_walk_finds_every_command() -> None:
    assert {" ".join(command) for command in _commands()} == {
        "new service", "list", "check", "update", "status", "restore", "schema", "template init",
        "template lint", "template test", "template release", "fleet status",
        "fleet update", "fleet check", "layer add", "layer remove", "adopt", "fleet adopt"}


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_each_command_help_shows_an_example(command: list[str]) -> None:
    result = run_cli([*command, "--help"])
    assert result.exit_code == 0
    examples = result.stdout.split("Examples:\n", 1)[1].split("\n\n")[0]
    assert f"  paved {' '.join(command)}" in examples


def test_list_shows_golden_paths_with_version_and_description() -> None:
    result = run_cli(["list"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"Catalog bundled v{paved.__version__}"
    assert lines[1].split() == ["GOLDEN", "PATH", "DESCRIPTION", "LAYERS"]
    assert lines[2].startswith("python-service  HTTP service on FastAPI")
    assert lines[2].endswith("base, python-service, ci-github, deploy-k8s")


def test_list_json() -> None:
    result = run_cli(["list", "--json"])
    data = json.loads(result.stdout)
    assert data["schema_version"] == 2
    assert data["catalog"] == "bundled"
    assert data["version"] == paved.__version__
    assert [gp["name"] for gp in data["golden_paths"]] == ["python-service", "node-service"]
    assert data["golden_paths"][0]["layers"] == ["base", "python-service", "ci-github",
                                                 "deploy-k8s"]


def test_unknown_option_is_a_usage_error() -> None:
    result = run_cli(["list", "--colour"])
    assert result.exit_code == 2
    assert "No such option: --colour" in result.stderr


def test_unexpected_exception_gives_one_line_a_crash_log_and_code_70(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(create, "create_service", explode)
    result = run_cli(["new", "service", "svc", "--dest", str(tmp_path / "svc")])
    assert result.exit_code == 70
    assert result.stderr.startswith("paved: error: internal error: ZeroDivisionError: boom. "
                                    "This is a bug in paved; the traceback is in ")
    log = Path(result.stderr.strip().rsplit(" ", 1)[1])
    assert "ZeroDivisionError: boom" in log.read_text()
    assert len(result.stderr.strip().splitlines()) == 1


def test_no_prompts_without_a_terminal_or_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert terminal_asker(defaults=False) is None
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert terminal_asker(defaults=True) is None
    assert terminal_asker(defaults=False) is not None


def test_sigterm_mid_render_exits_130_and_leaves_nothing(tmp_path: Path) -> None:
    """A real process, killed politely while a slow template renders."""
    template = tmp_path / "slow"
    template.mkdir()
    (template / "copier.yml").write_text("project:\n  type: str\n  help: Name\n  default: x\n")
    (template / "big.txt.jinja").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n")
    work = tmp_path / "work"
    work.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "paved", "new", "service", "svc", "--catalog", str(template)],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ},
    )
    staging = Path(os.environ["PAVED_CACHE_DIR"]) / "scratch"  # renders in its scratch area
    deadline = time.monotonic() + 60
    while not any(staging.glob("run-*/new-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(staging.glob("run-*/new-*")), "paved never started rendering"
    time.sleep(0.3)  # into the render itself (the slow template takes seconds)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == "paved: error: interrupted; nothing was left half-written\n"
    assert list(work.iterdir()) == []
    assert list(staging.iterdir()) == []


def test_closed_stdout_stops_quietly_without_a_crash_log() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before paved writes a byte
    try:
        process = subprocess.run([sys.executable, "-m", "paved", "list"], stdout=write_end,
                                 stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert process.returncode == 141
    assert process.stderr == ""


def test_without_a_terminal_nothing_waits_for_input(tmp_path: Path) -> None:
    """stdin left open but not a terminal (CI): defaults are taken, nothing hangs."""
    process = subprocess.Popen([sys.executable, "-m", "paved", "new", "service", "svc"],
                               cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.wait(timeout=120) == 0
    finally:
        process.kill()
        process.communicate()
    assert "owner: team-svc\n" in (tmp_path / "svc" / ".paved.yml").read_text()


def test_on_a_terminal_each_question_is_asked_and_a_bad_answer_asked_again(
    tmp_path: Path,
) -> None:
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "paved", "new", "service", "svc"],
                          cwd=str(tmp_path), encoding="utf-8", timeout=60,
                          env={**os.environ, "TERM": "xterm", **NO_CPR})
    child.expect_exact("The svc service.")  # the default, to accept or edit
    child.send("\x15Takes payments.\r")  # Ctrl-U clears it
    child.expect_exact("team-svc")
    child.send("\x15Team X\r")
    child.expect_exact("must be a GitHub team, org/team")  # inline, the prompt still open
    child.send("\x15team-x\r")
    while child.expect([QUESTION, pexpect.EOF]) == 0:
        child.send("\r")  # every other default
    child.close()
    assert child.exitstatus == 0
    record = (tmp_path / "svc" / ".paved.yml").read_text()
    assert "  description: Takes payments.\n  owner: team-x\n" in record


def test_sigterm_during_start_up_exits_130_quietly(tmp_path: Path) -> None:
    faults = tmp_path / "faults"
    process = start_paved(["list"], faults, pause=["start-up"])
    wait_until_reached(faults, "start-up", process)  # before the command line is imported
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (130, "paved: error: interrupted; nothing was left "
                                                 "half-written\n")
