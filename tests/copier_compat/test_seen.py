"""What was seen when public copier templates were tried as catalogs (issue 15), one
test each: each failed before paved treated copier templates as copier does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paved.origin import plain_name
from tests.copier_compat import fixtures
from tests.copier_compat.drive import (
    PROJECT,
    copier_new,
    copier_update,
    differences,
    paved_new,
    paved_update,
)
from tests.helpers import build_file_tree, commit_all, git, run_cli


def test_extensions_need_trust_and_the_error_says_so(tmp_path: Path) -> None:
    template = fixtures.build(fixtures.EXTENSIONS, tmp_path / "template")
    done = paved_new(template, tmp_path / "paved", None, {"project": "shop", "banner": "B",
                                                          "items": "[x]"}, trust=False)
    assert done.exit_code == 1
    assert done.stderr == ("paved: error: the catalog wants to run code (jinja_extensions); "
                           "pass --trust only if you trust this catalog\n")
    assert not (tmp_path / "paved" / PROJECT).exists()


def test_migrations_need_trust_and_the_error_names_them(tmp_path: Path) -> None:
    fixture = fixtures.TASKS
    template = fixtures.build(fixture, tmp_path / "template")
    done = paved_new(template, tmp_path / "paved", "v1.0.0", fixture.answers, trust=True)
    assert done.exit_code == 0, done.stderr
    project = tmp_path / "paved" / PROJECT
    fixtures.edit(project, fixture.edits)
    head = git(project, "rev-parse", "HEAD")
    done = paved_update(project, "v2.0.0", trust=False)
    assert done.exit_code == 1
    assert done.stderr == ("paved: error: the catalog wants to run code (migrations, tasks); "
                           "pass --trust only if you trust this catalog\n")
    assert git(project, "rev-parse", "HEAD") == head
    assert not (project / "migrated.txt").exists()


def test_dry_run_lists_the_migrations_and_tasks_and_runs_none(tmp_path: Path) -> None:
    fixture = fixtures.TASKS
    template = fixtures.build(fixture, tmp_path / "template")
    assert paved_new(template, tmp_path / "paved", "v1.0.0", fixture.answers,
                     trust=True).exit_code == 0
    project = tmp_path / "paved" / PROJECT
    fixtures.edit(project, fixture.edits)
    done = paved_update(project, "v2.0.0", trust=True, extra=("--dry-run",))
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines()[-5:-1] == [
        "would run migration: cat README.md > before-migration.txt",
        "would run task: echo shop > task-output.txt",
        "would run task: sh -c test -f README.md && echo rendered > seen-by-task.txt",
        "would run migration: echo v1.0.0 v2.0.0 > migrated.txt",
    ]
    assert not (project / "migrated.txt").exists()
    assert not (project / "before-migration.txt").exists()


def test_tasks_run_in_the_project_after_the_render_and_are_not_counted(
        tmp_path: Path) -> None:
    template = tmp_path / "template"
    build_file_tree(template, {
        "copier.yml": "_tasks:\n  - git init --quiet nested && echo done > nested/made\n",
        "README.md": "hi\n",
    })
    commit_all(template, "v1", tag="v1.0.0")
    done = run_cli(["new", "service", "svc", "--dest", str(tmp_path / "svc"), "--catalog",
                    str(template), "--trust", "--json"])
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["file_count"] == 2  # README.md and .paved.yml: what the template rendered
    assert result["tasks"] == ["git init --quiet nested && echo done > nested/made"]
    assert (tmp_path / "svc" / "nested" / "made").read_text() == "done\n"
    assert "nested" not in git(tmp_path / "svc", "ls-files")


def test_skip_if_exists_files_are_left_alone_by_an_update(tmp_path: Path) -> None:
    fixture = fixtures.LAYOUT
    template = fixtures.build(fixture, tmp_path / "template")
    assert paved_new(template, tmp_path / "paved", "1.0.0", fixture.answers,
                     trust=False).exit_code == 0
    project = tmp_path / "paved" / PROJECT
    fixtures.edit(project, fixture.edits)
    done = paved_update(project, "1.1.0", trust=False)
    assert done.exit_code == 0, done.stdout
    assert (project / "settings.ini").read_text() == "[app]\nname = inventory\ncolour = blue\n"
    assert "left alone  settings.ini" in done.stdout


def test_the_answers_file_records_commit_and_source_and_copier_updates_it(
        tmp_path: Path) -> None:
    fixture = fixtures.CONTEXT
    template = fixtures.build(fixture, tmp_path / "template")
    assert paved_new(template, tmp_path / "paved", "v1.0.0", fixture.answers,
                     trust=False).exit_code == 0
    project = tmp_path / "paved" / PROJECT
    assert (project / ".copier-answers.yml").read_text() == (
        "# Changes here will be overwritten by Copier\n"
        f"_commit: v1.0.0\n_src_path: {template}\nproject: shop\nwith_docs: true\n")
    # A dry run to the next version changes the answers file's _commit, not its source.
    done = paved_update(project, "v2.0.0", trust=False, extra=("--dry-run",))
    assert "-_commit: v1.0.0\n+_commit: v2.0.0\n" in done.stdout
    assert "_src_path" not in "".join(line for line in done.stdout.splitlines(True)
                                      if line.startswith(("-", "+")))
    # copier itself updates the project paved made, as it updates one it made.
    copier_project = copier_new(template, tmp_path / "copier", "v1.0.0", fixture.answers,
                                trust=False)
    for each in (project, copier_project):
        fixtures.edit(each, fixture.edits)
        copier_update(each, "v2.0.0", trust=False)
    # folder.txt conflicts in both, on copier's own temporary folder names.
    assert differences(copier_project, project) == ["folder.txt: content differs"]


@pytest.mark.parametrize("form", ["git+file://{path}", "file://{path}", "{path}/.git",
                                  "git+{path}"])
def test_every_source_form_copier_accepts(tmp_path: Path, form: str) -> None:
    template = fixtures.build(fixtures.CONTEXT, tmp_path / "template")
    source = form.format(path=template)
    done = run_cli(["new", "service", "svc", "--dest", str(tmp_path / "svc"), "--catalog",
                    source, "--version", "v1.0.0", "--data", "project=shop", "--no-git"])
    assert done.exit_code == 0, done.stderr
    answers = (tmp_path / "svc" / ".copier-answers.yml").read_text()
    assert f"_src_path: {source}\n" in answers
    assert "golden_path: template\n" in (tmp_path / "svc" / ".paved.yml").read_text()


def test_github_shortcut_is_fetched_where_git_says(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`gh:acme/template` is https://github.com/acme/template.git, as for copier; git's
    own URL rewriting points it at a local repository here (no network in tests)."""
    fixtures.build(fixtures.CONTEXT, tmp_path / "hub" / "acme" / "template.git")
    config = Path(git(tmp_path, "config", "--global", "--list", "--show-origin")
                  .split("\t")[0].removeprefix("file:"))
    with config.open("a") as handle:
        handle.write(f'[url "{tmp_path}/hub/"]\n\tinsteadOf = https://github.com/\n')
    done = run_cli(["new", "service", "svc", "--dest", str(tmp_path / "svc"), "--catalog",
                    "gh:acme/template", "--data", "project=shop", "--no-git"])
    assert done.exit_code == 0, done.stderr
    assert "_src_path: gh:acme/template\n" in (tmp_path / "svc" / ".copier-answers.yml"
                                               ).read_text()


@pytest.mark.parametrize("source", ["/srv/tpl", "/srv/tpl/", "/srv/tpl/.git", "git+file:///srv/tpl",
                                    "file:///srv/tpl.git", "gh:acme/tpl", "gl:acme/tpl.git",
                                    "git@github.com:acme/tpl.git",
                                    "https://github.com/acme/tpl.git"])
def test_a_plain_template_has_one_name_however_its_source_is_spelled(source: str) -> None:
    assert plain_name(source) == "tpl"


def test_no_next_steps_hint_for_a_plain_template(tmp_path: Path) -> None:
    template = fixtures.build(fixtures.CONTEXT, tmp_path / "template")
    done = run_cli(["new", "service", "svc", "--dest", str(tmp_path / "svc"), "--catalog",
                    str(template), "--defaults"])
    assert done.exit_code == 0, done.stderr
    assert "Next:" not in done.stdout
    assert "make install" not in done.stdout


def test_a_project_copier_made_is_taken_over_by_paved_update(tmp_path: Path) -> None:
    """No `.paved.yml`: paved reads copier's answers file, renders the applied version
    once as the merge base, and merges as copier would; the next update needs no
    re-render."""
    fixture = fixtures.CONTEXT
    template = fixtures.build(fixture, tmp_path / "template")
    projects = [copier_new(template, tmp_path / side, "v1.0.0", fixture.answers, trust=False)
                for side in ("copier", "paved")]
    for project in projects:
        fixtures.edit(project, fixture.edits)
    copier_update(projects[0], "v2.0.0", trust=False)
    done = paved_update(projects[1], "v2.0.0", trust=False, extra=("--json",))
    assert done.exit_code == 3, done.stderr
    result = json.loads(done.stdout)
    assert (result["base"], result["old_version"], result["new_version"]) == (
        "re-rendered", "1.0.0", "2.0.0")
    assert {"path": ".paved.yml", "action": "added", "diff": ""} in result["files"]
    # Only copier's own conflict on its temporary folder names differs (docs/copier.md).
    assert differences(projects[0], projects[1]) == ["folder.txt: content differs"]
    git(projects[1], "commit", "--quiet", "--all", "--no-edit")
    (template / "notes.txt").write_text("one\ntwo\nTHREE\nfour\n")
    commit_all(template, "v3", tag="v3.0.0")
    done = paved_update(projects[1], "v3.0.0", trust=False, extra=("--json",))
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["base"] == "stored"
    assert (projects[1] / "notes.txt").read_text() == "ONE\ntwo\nTHREE\nfour\n"


@pytest.mark.parametrize("branch", [None, "paved/update"])
def test_migrations_before_are_committed_without_the_teams_untracked_files(
        tmp_path: Path, branch: str | None) -> None:
    fixture = fixtures.TASKS
    template = fixtures.build(fixture, tmp_path / "template")
    assert paved_new(template, tmp_path / "paved", "v1.0.0", fixture.answers,
                     trust=True).exit_code == 0
    project = tmp_path / "paved" / PROJECT
    fixtures.edit(project, fixture.edits)
    (project / "scratch-notes.txt").write_text("the team's, not committed\n")
    head = git(project, "rev-parse", "HEAD").strip()
    current = git(project, "symbolic-ref", "--short", "HEAD").strip()
    done = paved_update(project, "v2.0.0", trust=True,
                        extra=("--branch", branch) if branch else ())
    assert done.exit_code == 0, done.stderr
    update = git(project, "rev-parse", "HEAD").strip()
    migration = git(project, "rev-parse", f"{update}^1").strip()
    assert git(project, "rev-parse", f"{migration}^").strip() == head
    assert git(project, "show", "--name-only", "--format=%s", migration).splitlines() == [
        "Run the migrations before v2.0.0", "", "before-migration.txt"]
    assert "scratch-notes.txt" not in git(project, "ls-files")
    assert (project / "scratch-notes.txt").read_text() == "the team's, not committed\n"
    if branch:  # the team's branch stays where it was; the update is on its own branch
        assert git(project, "rev-parse", current).strip() == head
        assert git(project, "symbolic-ref", "--short", "HEAD").strip() == branch


@pytest.mark.parametrize("fixture", fixtures.IDENTICAL, ids=lambda fixture: fixture.name)
def test_template_lint_finds_nothing_in_what_copier_accepts(fixture: fixtures.Fixture,
                                                            tmp_path: Path) -> None:
    """Each fixture renders under copier (test_differential): no findings, among them
    none for questions without help or default, `when: false` internals, copier's
    context variables or a template's own delimiters (`_envops`)."""
    template = fixtures.build(fixture, tmp_path / "template")
    done = run_cli(["template", "lint", str(template), *(["--trust"] if fixture.trust else [])])
    assert (done.exit_code, done.stdout) == (0, f"No findings in {template}.\n"), done.stderr


def test_template_lint_says_extensions_need_trust_and_never_crashes(tmp_path: Path) -> None:
    template = fixtures.build(fixtures.EXTENSIONS, tmp_path / "template")
    done = run_cli(["template", "lint", str(template)])
    assert (done.exit_code, done.stdout) == (4, (
        "copier.yml:1: error: the template loads Jinja extensions, which run code: pass "
        "--trust if you trust it (copier renders it only with --trust too) [needs-trust]\n"
        f"1 error(s), 0 warning(s) in {template}\n"))
    (template / "copier.yml").write_text(
        "project: demo\n_jinja_extensions:\n"
        "  - copier_template_extensions.TemplateExtensionLoader\n"
        "  - extensions.py:Missing\n")
    done = run_cli(["template", "lint", str(template), "--trust", "--json"])
    assert done.exit_code == 4, done.stderr
    [found] = json.loads(done.stdout)["findings"]
    assert (found["file"], found["line"], found["rule"]) == ("copier.yml", 2, "jinja-extension")
    assert "Missing" in found["message"]


def test_template_lint_finds_the_real_problem_of_a_plain_template(tmp_path: Path) -> None:
    template = tmp_path / "template"
    build_file_tree(template, {
        "copier.yml": "name:\n  type: str\nport:\n  type: int\n  default: 8000\n",
        "paved-answer-sets.yml": "small:\n  name: shop\n  port: 1\n",
        "app.txt.jinja": "{{ name }}\n{{ 1000 // (port - 1) }}\n",
        "typo.txt.jinja": "{{ nmae }}\n",
    })
    commit_all(template, "v1", tag="v1.0.0")
    done = run_cli(["template", "lint", str(template)])
    assert (done.exit_code, done.stdout) == (4, (
        "app.txt.jinja:2: error: ZeroDivisionError: integer division or modulo by zero "
        "(answers 'small') [render-error]\n"
        "typo.txt.jinja:1: warning: 'nmae' is not a question of the catalog nor a variable "
        "copier or paved provides; copier renders it empty [unknown-variable]\n"
        f"1 error(s), 1 warning(s) in {template}\n"))


def test_template_test_of_a_plain_template_takes_data_and_an_answers_file(
        tmp_path: Path) -> None:
    """A required question (no default) is answered by --data or --answers-file, as
    the hint says; the previous tag is updated to the working tree; copier's answers
    file is not yamllinted as the template author's YAML."""
    template = tmp_path / "template"
    build_file_tree(template, {
        "copier.yml": "name:\n  type: str\nport:\n  type: int\n  default: 8000\n",
        "{{ _copier_conf.answers_file }}.jinja": fixtures.ANSWERS_TEMPLATE,
        "app.txt.jinja": "{{ name }}:{{ port }}\n",
    })
    commit_all(template, "v1", tag="v1.0.0")
    (template / "app.txt.jinja").write_text("{{ name }} on {{ port }}\n")
    done = run_cli(["template", "test", str(template), "--json"])
    assert done.exit_code == 4
    [failed] = json.loads(done.stdout)["renders"]
    assert failed["answer_set"] == "defaults"
    assert failed["steps"][0]["detail"] == ("no answer for 'name' and it has no default; "
                                            "pass --data name=VALUE")
    answers = tmp_path / "answers.yml"
    answers.write_text("name: from-file\nport: 1\n")
    keep = tmp_path / "renders"
    done = run_cli(["template", "test", str(template), "--data", "name=shop",
                    "--answers-file", str(answers), "--keep", str(keep), "--json"])
    assert done.exit_code == 0, done.stdout
    [run] = json.loads(done.stdout)["renders"]
    assert (run["answer_set"], run["answers"]) == ("given", {"name": "shop", "port": 1})
    assert [(step["name"], step["status"]) for step in run["steps"]] == [
        ("render", "passed"), ("validators", "passed"), ("test", "skipped"),
        ("upgrade", "passed")]
    assert (keep / "template-given" / "app.txt").read_text() == "shop on 1\n"


def test_template_test_reads_the_answer_sets_of_a_plain_template(tmp_path: Path) -> None:
    template = tmp_path / "template"
    build_file_tree(template, {
        "copier.yml": "_exclude: [paved-answer-sets.yml, copier.yml]\nname:\n  type: str\n",
        "paved-answer-sets.yml": "one:\n  name: first\ntwo:\n  name: second\n",
        "app.txt.jinja": "{{ name }}\n",
    })
    commit_all(template, "v1", tag="v1.0.0")
    done = run_cli(["template", "test", str(template), "--data", "extra=ignored", "--json"])
    assert done.exit_code == 4  # --data on top of each set: an unknown question
    done = run_cli(["template", "test", str(template), "--json"])
    assert done.exit_code == 0, done.stdout
    assert [(run["answer_set"], run["answers"]) for run in json.loads(done.stdout)["renders"]
            ] == [("one", {"name": "first"}), ("two", {"name": "second"})]


def test_tasks_run_once_in_the_project_during_an_update(tmp_path: Path) -> None:
    """Not in paved's scratch render: each task runs once per `new` and per `update`,
    in the project (`pwd` says where), and prints nothing into paved's output."""
    template = tmp_path / "template"
    build_file_tree(template, {
        "copier.yml": "_tasks:\n  - pwd >> where.txt\n  - git init --quiet nested\n",
        "README.md": "v1\n",
    })
    commit_all(template, "v1", tag="v1.0.0")
    project = tmp_path / "svc"
    done = run_cli(["new", "service", "svc", "--dest", str(project), "--catalog",
                    str(template), "--trust"])
    assert done.exit_code == 0, done.stderr
    (template / "README.md").write_text("v2\n")
    commit_all(template, "v2", tag="v2.0.0")
    done = run_cli(["update", str(project), "--trust"])
    assert done.exit_code == 0, done.stderr
    assert "Initialized" not in done.stdout + done.stderr
    assert (project / "where.txt").read_text() == f"{project}\n{project}\n"
    assert (project / "README.md").read_text() == "v2\n"


def test_copiers_warnings_are_one_line_warnings_of_paved(tmp_path: Path) -> None:
    """copier warns of a missing `_external_data` file (`MissingFileWarning`); paved says
    so in one line of its own, not as Python's two-line warning with copier's source."""
    template = fixtures.build(fixtures.FILES, tmp_path / "template")
    done = paved_new(template, tmp_path / "paved", "v1.0.0", {"project": "shop"}, trust=False)
    assert done.exit_code == 0, done.stderr
    assert done.stderr == ("paved: warning: File not found; returning empty dict: "
                           ".parent-answers.yml (MissingFileWarning)\n")
    project = tmp_path / "paved" / PROJECT
    done = paved_update(project, "v2.0.0", trust=False)
    assert done.exit_code == 0, done.stderr
    assert done.stderr == ("paved: warning: File not found; returning empty dict: "
                           ".parent-answers.yml (MissingFileWarning)\n")


def test_a_template_converting_line_endings_updates_with_git_status_clean(tmp_path: Path) -> None:
    """`.gitattributes` says `* text eol=crlf`: the render holds CRLF files, which git
    stores with LF. `paved update` used to refuse ("differ from HEAD although git status
    does not show it"); it merges, and git status is clean, paved status shows the
    team's edit alone."""
    fixture = fixtures.EOL
    template = fixtures.build(fixture, tmp_path / "template")
    assert paved_new(template, tmp_path / "paved", "v1.0.0", fixture.answers,
                     trust=False).exit_code == 0
    project = tmp_path / "paved" / PROJECT
    fixtures.edit(project, {"notes.txt": "ONE\r\ntwo\r\nthree\r\n"})
    done = paved_update(project, "v2.0.0", trust=False)
    assert done.exit_code == 0, done.stderr
    assert git(project, "status", "--porcelain") == ""
    assert (project / "notes.txt").read_bytes() == b"ONE\r\ntwo\r\nTHREE\r\n"
    assert (project / "added.txt").read_bytes() == b"new in v2\r\n"
    assert git(project, "show", "HEAD:notes.txt") == "ONE\ntwo\nTHREE\n"
    status = run_cli(["status", str(project), "--json"])
    assert status.exit_code == 0, status.stderr
    # The team's edit alone differs from the pristine render (no file for its line ends).
    assert json.loads(status.stdout)["drift"] == [
        {"change": "modified", "managed": False, "path": "notes.txt"}]


def test_restore_writes_a_converted_file_as_git_checkout_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`paved restore` in a project whose `.gitattributes` says `eol=crlf`: the file comes
    back with CRLF, as checked out, and git sees no change."""
    fixture = fixtures.EOL
    template = fixtures.build(fixture, tmp_path / "template")
    assert paved_new(template, tmp_path / "paved", "v1.0.0", fixture.answers,
                     trust=False).exit_code == 0
    project = tmp_path / "paved" / PROJECT
    fixtures.edit(project, {"notes.txt": "mine\r\n"})
    monkeypatch.chdir(project)
    done = run_cli(["restore", "notes.txt"])
    assert done.exit_code == 0, done.stderr
    assert (project / "notes.txt").read_bytes() == b"one\r\ntwo\r\nthree\r\n"
    assert git(project, "status", "--porcelain") == ""
