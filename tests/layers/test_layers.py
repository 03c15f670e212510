"""Optional layers: `paved new service --with`, `paved layer add / remove`, kept by updates."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paved.create import create_service
from paved.git import Repository
from paved.project import read_record
from paved.update import journal
from paved.update.update import LayerChange, update_project
from tests.helpers import (
    CORE_COPIER,
    NO_CPR,
    QUESTION,
    ROOT,
    build_file_tree,
    commit_all,
    expect_shown,
    git,
    run_cli,
    snapshot,
    tree,
)

COPIER = CORE_COPIER + """\
db_name:
  type: str
  help: Database name
  default: "{{ service_name }}_db"
  when: "{{ 'db' in paved_layers }}"
"""
MANIFEST = """\
name: layered
golden_paths:
  svc:
    description: a small service
    layers: [core]
    optional_layers: [db, alerts]
layers:
  core:
    description: the service
    path: layers/core
  db:
    description: a database
    path: layers/db
    once: ["db/migrations/*"]
  alerts:
    description: alerting rules
    path: layers/alerts
"""
CATALOG = {
    "copier.yml": COPIER,
    "paved-catalog.yml": MANIFEST,
    "layers/core/README.md": "# svc\n",
    "layers/core/deps.txt.jinja": "fastapi\n{% if 'db' in paved_layers %}psycopg\n{% endif %}"
                                  "uvicorn\n",
    "layers/db/db/settings.txt.jinja": "name={{ db_name }}\n",
    "layers/db/db/pool.py": "POOL = 4\n",
    "layers/db/db/migrations/0001.sql": "create table t (id int);\n",
    "layers/alerts/alerts/rules.yml": "groups: []\n",
}


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = build_file_tree(tmp_path / "catalog", CATALOG)
    commit_all(root, "v1", tag="v1.0.0")
    return root


@pytest.fixture
def project(tmp_path: Path, catalog: Path) -> Path:
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    (repo / "README.md").write_text("# demo, by the team\n")
    (repo / "deps.txt").write_text("fastapi\nuvicorn\nhttpx\n")
    commit_all(repo, "team edits")
    return repo


def test_new_service_with_an_optional_layer_records_it(tmp_path: Path, catalog: Path) -> None:
    made = run_cli(["new", "service", "demo", "--dest", str(tmp_path / "demo"), "--catalog",
                    str(catalog), "--with", "db", "--defaults"])
    assert made.exit_code == 0, made.stderr
    assert "Layers: core, db.\n" in made.stdout
    files = tree(tmp_path / "demo")
    assert files["db/settings.txt"] == "name=demo_db\n"
    assert files["deps.txt"] == "fastapi\npsycopg\nuvicorn\n"
    record = read_record(tmp_path / "demo")
    assert (record.layers, record.answers) == (("core", "db"),
                                               {"service_name": "demo", "db_name": "demo_db"})


def test_new_service_refuses_a_layer_the_golden_path_does_not_offer(
        tmp_path: Path, catalog: Path) -> None:
    made = run_cli(["new", "service", "demo", "--dest", str(tmp_path / "demo"), "--catalog",
                    str(catalog), "--with", "db,cache"])
    assert (made.exit_code, made.stderr) == (1, "paved: error: golden path 'svc' has no "
                                                "optional layer 'cache'; it offers: db, alerts\n")
    assert not (tmp_path / "demo").exists()


def test_list_shows_the_optional_layers(catalog: Path) -> None:
    listed = run_cli(["list", "--catalog", str(catalog)])
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[-4:] == [
        "Optional layers (paved new service --with, paved layer add):",
        "GOLDEN PATH  LAYER   DESCRIPTION",
        "svc          db      a database",
        "svc          alerts  alerting rules"]


def test_add_then_remove_a_layer_with_team_edits_in_between(project: Path) -> None:
    added = run_cli(["layer", "add", "db", str(project), "--data", "db_name=orders"])
    assert added.exit_code == 0, added.stderr
    assert added.stdout.splitlines() == [
        "     updated  .paved.yml",
        "       added  db/migrations/0001.sql",
        "       added  db/pool.py",
        "       added  db/settings.txt",
        "      merged  deps.txt",
        f"Added layer db in {project}: commit {git(project, 'rev-parse', 'HEAD')[:12]}. "
        "Layers: core, db."]
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "log", "-1", "--format=%B").startswith(
        "Add layer db to svc (paved catalog v1.0.0)\n")
    assert "Paved-Layers: +db\n" in git(project, "log", "-1", "--format=%B")
    assert (project / "deps.txt").read_text() == "fastapi\npsycopg\nuvicorn\nhttpx\n"
    assert (project / "db/settings.txt").read_text() == "name=orders\n"
    assert read_record(project).answers == {"service_name": "demo", "db_name": "orders"}
    assert run_cli(["status", str(project), "--check"]).exit_code == 0

    # The team edits one of the layer's files and writes a migration of its own.
    (project / "db/pool.py").write_text("POOL = 16  # measured\n")
    (project / "db/migrations/0002.sql").write_text("alter table t add column x int;\n")
    commit_all(project, "tune the pool")

    dry = run_cli(["layer", "remove", "db", str(project), "--dry-run"])
    assert dry.exit_code == 0
    assert [line for line in dry.stdout.splitlines() if not line.startswith(("+", "-", " ",
                                                                              "@@"))] == [
        f"Dry run: paved would remove layer db in {project}; nothing was changed."]
    removed = run_cli(["layer", "remove", "db", str(project)])
    assert removed.exit_code == 0, removed.stderr
    assert removed.stdout.splitlines()[:5] == [
        "     updated  .paved.yml",
        "     removed  db/migrations/0001.sql",
        "        kept  db/pool.py  (the template removed it; kept because you changed it)",
        "     removed  db/settings.txt",
        "      merged  deps.txt"]
    assert sorted(path for path in tree(project) if path.startswith("db/")) == [
        "db/migrations/0002.sql", "db/pool.py"]
    assert (project / "deps.txt").read_text() == "fastapi\nuvicorn\nhttpx\n"
    record = read_record(project)
    assert (record.layers, record.answers) == (("core",), {"service_name": "demo"})
    assert "Paved-Layers: -db\n" in git(project, "log", "-1", "--format=%B")


def test_an_update_keeps_the_optional_layers(project: Path, catalog: Path) -> None:
    update_project(project, layers=LayerChange(added=("alerts",)))
    build_file_tree(catalog, {"layers/alerts/alerts/rules.yml": "groups: [{name: svc}]\n",
                              "layers/core/README.md": "# svc\n\nv2\n"})
    commit_all(catalog, "v2", tag="v2.0.0")
    result = update_project(project)
    assert {file.path: file.action for file in result.files} == {
        ".paved.yml": "updated", "README.md": "conflict", "alerts/rules.yml": "updated"}
    assert read_record(project).layers == ("core", "alerts")


def test_layer_refusals(project: Path) -> None:
    for args, message in [
        (["add", "cache"], "golden path 'svc' has no optional layer 'cache'; it offers: db, "
                          "alerts"),
        (["remove", "core"], "layer 'core' is part of golden path 'svc', not an optional "
                             "layer; it cannot be removed"),
        (["remove", "db"], "this repo has no layer 'db'; it has: core"),
    ]:
        done = run_cli(["layer", *args, str(project)])
        assert (done.exit_code, done.stderr) == (1, f"paved: error: {message}\n")
    update_project(project, layers=LayerChange(added=("db",)))
    done = run_cli(["layer", "add", "db", str(project)])
    assert (done.exit_code, done.stderr) == (1, "paved: error: this repo already has layer "
                                                "'db'\n")


def test_a_layer_added_on_an_unmerged_branch_is_not_the_next_base(project: Path) -> None:
    update_project(project, layers=LayerChange(added=("db",)), branch="with-db")
    git(project, "checkout", "--quiet", "main")
    result = update_project(project, layers=LayerChange(added=("alerts",)))
    assert {file.path: file.action for file in result.files} == {
        ".paved.yml": "updated", "alerts/rules.yml": "added"}


def test_killed_at_any_point_a_layer_change_is_rolled_back(project: Path) -> None:
    before = snapshot(project)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    step = 0
    while True:
        step += 1
        env["PAVED_TEST_KILL_AT"] = str(step)
        done = subprocess.run([sys.executable, "-m", "paved", "layer", "add", "db",
                               str(project)], env=env, capture_output=True, text=True,
                              check=False)
        if done.returncode != -9:
            break
        with journal.locked(Repository(project)):  # what the next paved update does first
            pass
        assert snapshot(project) == before, f"killed at step {step}"
    assert done.returncode == 0, done.stderr
    assert step > 8
    assert read_record(project).layers == ("core", "db")


def test_on_a_terminal_only_the_layers_questions_are_asked(project: Path) -> None:
    import pexpect

    terminal = pexpect.spawn(sys.executable, ["-m", "paved", "layer", "add", "db", str(project)],
                             env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm",
                                  **NO_CPR}, encoding="utf-8", timeout=60)
    terminal.logfile_read = io.StringIO()
    expect_shown(terminal, "db_name: Database name demo_db")  # the default, to edit
    terminal.send("\x15ledger\r")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0, terminal.before
    asked = {found.group().split()[-1] for found in
             QUESTION.finditer(terminal.logfile_read.getvalue())}
    assert asked == {"db_name:"}
    assert read_record(project).answers == {"service_name": "demo", "db_name": "ledger"}
