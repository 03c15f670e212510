"""paved on a real terminal (a pseudo-terminal driven by pexpect): colour only where it is
wanted, tables that fit, and paved's own prompts (issue 17)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import (
    CATALOG_MANIFEST,
    NO_CPR,
    QUESTION,
    build_file_tree,
    commit_all,
    expect_shown,
    git,
)

#: An SGR sequence (colour, bold, dim…); cursor movement is another kind of sequence.
STYLE = re.compile(r"\x1b\[[0-9;]*m")


def colours(screen: str) -> list[str]:
    """The SGR sequences on `screen` that set a colour (what NO_COLOR forbids; bold may
    stay)."""
    def sets_colour(sequence: str) -> bool:
        numbers = [int(part) for part in sequence[2:-1].split(";") if part]
        return any(30 <= n <= 49 or 90 <= n <= 107 for n in numbers)

    return [found for found in STYLE.findall(screen) if sets_colour(found)]


def terminal(args: list[str], cwd: Path, columns: int = 120,
             **env: str) -> pexpect.spawn:  # type: ignore[type-arg]
    return pexpect.spawn(sys.executable, ["-m", "paved", *args], cwd=str(cwd),
                         env={**os.environ, "TERM": "xterm", "COLUMNS": str(columns), **env},
                         encoding="utf-8", timeout=90, dimensions=(24, columns))


def finish(child: pexpect.spawn) -> str:  # type: ignore[type-arg]
    child.expect(pexpect.EOF)
    child.close()
    return str(child.before)


def test_an_error_is_red_on_a_terminal_and_plain_with_no_color(tmp_path: Path) -> None:
    coloured = finish(terminal(["status", str(tmp_path)], tmp_path))
    assert f"\x1b[31mpaved: error:\x1b[0m {tmp_path} is not a git repository" in coloured
    for way in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        assert finish(terminal(["status", str(tmp_path)], tmp_path, **way)) == (
            f"paved: error: {tmp_path} is not a git repository\r\n")
    assert finish(terminal(["--no-color", "status", str(tmp_path)], tmp_path)) == (
        f"paved: error: {tmp_path} is not a git repository\r\n")


def test_a_refused_answer_is_not_red_with_no_color(tmp_path: Path) -> None:
    """The defect: NO_COLOR=1 still printed the reason an answer was refused in red."""
    for way, args in (({"NO_COLOR": "1"}, []), ({}, ["--no-color"])):
        child = terminal([*args, "new", "service", "svc", "--dest", str(tmp_path / "svc")],
                         tmp_path, **way, **NO_CPR)
        child.expect_exact("The svc service.")  # pre-filled
        child.send("\r")
        child.expect_exact("team-svc")
        child.send("\x15Team X\r")
        child.expect_exact("must be a GitHub team")  # inline, under the answer
        child.sendintr()
        screen = finish(child)
        assert child.exitstatus == 130
        assert colours(screen) == []


def test_the_live_bar_has_no_colour_with_no_color(tmp_path: Path) -> None:
    """rich alone keeps bold and dim under NO_COLOR; paved asks it for no style at all."""
    fleet = tmp_path / "fleet.txt"
    fleet.write_text("")
    repos = [tmp_path / name for name in ("alpha", "beta")]
    for repo in repos:
        repo.mkdir()
        git(repo, "init", "--quiet")
        git(repo, "commit", "--quiet", "--allow-empty", "-m", "start")
    fleet.write_text("".join(f"{repo}\n" for repo in repos))
    coloured = finish(terminal(["fleet", "status", "--from", str(fleet)], tmp_path))
    assert STYLE.search(coloured)
    plain = finish(terminal(["fleet", "status", "--from", str(fleet)], tmp_path,
                            NO_COLOR="1"))
    assert "[2/2] beta: skipped" in plain.replace("\r", "")
    assert not STYLE.search(plain)


def test_a_table_fits_the_terminal(tmp_path: Path) -> None:
    def shown(columns: int) -> list[str]:
        screen = finish(terminal(["list"], tmp_path, columns=columns))
        return STYLE.sub("", screen).replace("\r", "").splitlines()

    def words(lines: list[str]) -> list[str]:
        return sorted(word for word in " ".join(lines).split() if set(word) != {"─"})

    wide, narrow = shown(200), shown(60)
    # catalog, header, rule, a row per golden path (2); then the optional layers: heading,
    # header, rule, a row per layer (2)
    assert len(wide) == 10 and len(max(wide, key=len)) > 60
    assert all(len(line) <= 60 for line in narrow)
    assert words(narrow) == words(wide)  # wrapped, nothing cut


def test_new_service_asks_for_its_name_on_a_terminal(tmp_path: Path) -> None:
    child = terminal(["new", "service", "--data", "owner=team-x"], tmp_path)
    child.expect_exact("Service name")
    child.send("a/b\r")
    child.expect_exact("a name, not a path (--dest chooses the directory)")  # inline
    child.send("\x15")  # Ctrl-U: clear the line
    child.send("payments-api\r")
    while child.expect([QUESTION, pexpect.EOF]) == 0:
        child.send("\r")  # every other question's default
    child.close()
    assert child.exitstatus == 0
    assert "service_name: payments-api\n" in (tmp_path / "payments-api" / ".paved.yml"
                                              ).read_text()
    plain = terminal(["new", "service"], tmp_path, NO_COLOR="1")
    plain.expect_exact("Service name")
    plain.send("a/b\r")
    plain.expect_exact("a name, not a path")
    plain.sendintr()  # Ctrl-C in a prompt interrupts the command
    screen = finish(plain)
    assert plain.exitstatus == 130
    assert screen.endswith("paved: error: interrupted; nothing was left half-written\r\n")
    assert colours(screen) == []


def test_without_a_terminal_a_missing_name_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "paved", "new", "service"], cwd=tmp_path,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=90, check=False)
    assert done.returncode == 2
    assert done.stderr.endswith("Error: Invalid value for 'NAME': give the service's name, "
                                "or run on a terminal to be asked for it\n")
    assert list(tmp_path.iterdir()) == []


def test_the_prompt_library_loads_only_when_a_prompt_is_shown(tmp_path: Path) -> None:
    script = ("import sys\nfrom paved.cli import main\n"
              f"sys.argv = ['paved', 'new', 'service', 'svc', '--defaults', '--dest', "
              f"{str(tmp_path / 'svc')!r}]\n"
              "try:\n    main()\nexcept SystemExit as end:\n    assert end.code in (0, None)\n"
              "print(sorted(name for name in sys.modules if name.split('.')[0] in "
              "('questionary', 'prompt_toolkit')))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_names_stay_whole_while_prose_wraps_and_nothing_is_cut(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from paved import output

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    rows = [("PASS", "observability/structured-logs", "JSON logs carrying trace ids"),
            ("PASS", "observability/metrics-endpoint", "every container has liveness and "
                                                       "readiness probes")]
    monkeypatch.setenv("COLUMNS", "70")
    lines = output.table(rows, ("STATUS", "RULE", "RESULT")).splitlines()
    assert max(map(len, lines)) <= 70
    assert [line.split()[1] for line in lines if line.startswith("PASS")] == [
        "observability/structured-logs", "observability/metrics-endpoint"]
    monkeypatch.setenv("COLUMNS", "30")  # too narrow for whole names: every column folds
    folded = output.table(rows, ("STATUS", "RULE", "RESULT")).splitlines()
    assert max(map(len, folded)) <= 30
    assert sorted("".join(folded[2:]).replace(" ", "")) == sorted(
        "".join("".join(row) for row in rows).replace(" ", ""))


QUESTIONS = """\
_subdirectory: "{{ paved_layer }}"
_templates_suffix: .jinja
paved_layer: {type: str, default: layers/core, when: false}
service_name: {type: str, default: svc}
greeting: {type: str, help: First words of the README., default: "hello {{ service_name }}"}
replicas:
  type: int
  default: 2
  validator: "{% if replicas < 1 %}must be at least 1 (a service that runs){% endif %}"
tier:
  type: str
  help: How critical the service is.
  default: silver
  choices: {"Gold (paged at night)": gold, "Silver (paged by day)": silver, "Bronze": bronze}
regions: {type: str, multiselect: true, choices: [eu, us, ap], default: [eu]}
public: {type: bool, help: Reachable from the internet., default: false}
api_token: {type: str, secret: true, default: ""}
"""
ANSWERS = ("greeting={{ greeting }}\nreplicas={{ replicas }}\ntier={{ tier }}\n"
           "regions={{ regions | join(',') }}\npublic={{ public }}\ntoken={{ api_token }}\n")


def asking(tmp_path: Path, **env: str) -> pexpect.spawn:  # type: ignore[type-arg]
    """`paved new service svc` from a small catalog asking one question of each kind."""
    catalog = build_file_tree(tmp_path / "catalog", {
        "copier.yml": QUESTIONS, "paved-catalog.yml": CATALOG_MANIFEST,
        "layers/core/answers.txt.jinja": ANSWERS})
    commit_all(catalog, "catalog", tag="v1.0.0")
    child = terminal(["new", "service", "svc", "--catalog", str(catalog),
                      "--dest", str(tmp_path / "svc")], tmp_path, **NO_CPR, **env)
    child.logfile_read = io.StringIO()  # the whole screen, for what `finish` does not return
    return child


def test_a_default_is_pre_filled_and_a_refused_answer_is_asked_again_inline(
        tmp_path: Path) -> None:
    child = asking(tmp_path)
    expect_shown(child, "greeting: First words of the README. hello svc")
    child.send("\x7f" * 3 + "team\r")  # Backspace edits the default in place
    expect_shown(child, "replicas 2")
    child.send("\x15" + "0\r")
    expect_shown(child, "must be at least 1 (a service that runs)")  # under the answer
    child.send("\x7f" + "3\r")  # the same question, the refused answer kept to edit
    expect_shown(child, "(Use arrow keys)")
    child.send("\r")  # tier: the default, silver
    expect_shown(child, "regions")
    child.send("\r")  # the default, [eu]
    expect_shown(child, "[y/N]")
    child.send("\r")
    expect_shown(child, "api_token")
    child.send("\r")
    screen = finish(child)
    assert child.exitstatus == 0, screen
    assert (tmp_path / "svc" / "answers.txt").read_text() == (
        "greeting=hello team\nreplicas=3\ntier=silver\nregions=eu\npublic=False\ntoken=\n")


def test_choices_by_label_with_the_arrow_keys_and_yes_no_as_a_confirm(tmp_path: Path) -> None:
    child = asking(tmp_path, NO_COLOR="1")
    expect_shown(child, "hello svc")
    child.send("\r")
    expect_shown(child, "replicas 2")
    child.send("\r")
    expect_shown(child, "Gold (paged at night)")  # the labels, not the values
    child.send("\x1b[A\r")  # up from the default, silver
    expect_shown(child, "regions")
    child.send("\x1b[B \r")  # eu is ticked; tick us too
    expect_shown(child, "public: Reachable from the internet. [y/N]")
    child.send("y")  # no Enter needed
    expect_shown(child, "api_token")
    child.send("s3cret\r")
    screen = finish(child)
    assert child.exitstatus == 0, screen
    whole = child.logfile_read.getvalue()
    assert "s3cret" not in whole  # a secret's answer is never shown
    assert colours(whole) == []  # no colour in a list, a checkbox or a confirm either
    assert "Silver (paged by day)" in STYLE.sub("", whole)
    assert (tmp_path / "svc" / "answers.txt").read_text() == (
        "greeting=hello svc\nreplicas=2\ntier=gold\nregions=eu,us\npublic=True\n"
        "token=s3cret\n")
