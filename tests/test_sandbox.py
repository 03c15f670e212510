"""What an untrusted catalog can reach (paved/sandbox.py), attacked through the CLI.

Each test builds a malicious catalog as a small local git repository
(tests/hostile.py) and checks what a user relies on: the exit code and the one
line that says why, that nothing ran (the sentinel a hook or task would create
is absent) and that nothing was written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from paved import render, sandbox
from tests.helpers import commit_all, git, run_cli
from tests.hostile import COPIER, SENTINEL, hook, hostile_catalog

GIT_REFUSAL = ("paved: error: the template renders {path}, in git's own .git folder, where a "
               "file can make git run code (a hook, core.fsmonitor); refusing to write it\n")


def new(catalog: Path, dest: Path, *args: str) -> tuple[int, str, str]:
    result = run_cli(["new", "service", "svc", "--catalog", str(catalog), "--defaults",
                      "--dest", str(dest), *args])
    return result.exit_code, result.stdout, result.stderr


# --- 1. nothing is rendered into .git -------------------------------------------------

HOOK = 'layers/core/{{ "." ~ "git" }}/hooks/post-commit'


@pytest.mark.parametrize("no_git", [False, True], ids=["git", "no-git"])
def test_new_refuses_a_catalog_that_renders_a_git_hook(tmp_path: Path, no_git: bool) -> None:
    sentinel = tmp_path / SENTINEL
    catalog = hostile_catalog(tmp_path / "catalog", {HOOK: hook(sentinel)}, executable=(HOOK,))
    (tmp_path / "out").mkdir()
    code, stdout, stderr = new(catalog, tmp_path / "out" / "svc",
                               *(["--no-git"] if no_git else []))
    assert (code, stdout, stderr) == (1, "", GIT_REFUSAL.format(path=".git"))
    assert not sentinel.exists()  # paved's own `git commit` never ran the hook
    assert list((tmp_path / "out").iterdir()) == []  # no project, no staging folder


@pytest.mark.parametrize("name", ['{{ "." }}GIT', '{{ "." }}Git', '{{ ".g" }}it.',
                                  '{{ "git~1" }}', '{{ ".g\u200cit" }}'])
def test_every_spelling_of_git_is_refused(tmp_path: Path, name: str) -> None:
    catalog = hostile_catalog(tmp_path / "catalog",
                              {f"layers/core/{name}/config": "[core]\n\tfsmonitor = evil\n"})
    code, _, stderr = new(catalog, tmp_path / "svc")
    assert code == 1
    assert "in git's own .git folder" in stderr
    assert not (tmp_path / "svc").exists()


def test_a_rendered_link_into_git_is_refused(tmp_path: Path) -> None:
    catalog = hostile_catalog(tmp_path / "catalog",
                              {"copier.yml": "_preserve_symlinks: true\n" + COPIER}, git=False)
    (catalog / "layers/core/hooks").symlink_to(".git/hooks")
    commit_all(catalog, "catalog", tag="v1.0.0")
    code, _, stderr = new(catalog, tmp_path / "svc")
    assert (code, stderr) == (1, "paved: error: the template renders hooks as a link to "
                                 ".git/hooks, into git's own .git folder; refusing to write "
                                 "it\n")


def test_template_test_skip_tests_never_runs_a_rendered_hook(tmp_path: Path) -> None:
    sentinel = tmp_path / SENTINEL
    catalog = hostile_catalog(tmp_path / "catalog", {HOOK: hook(sentinel)}, executable=(HOOK,))
    result = run_cli(["template", "test", str(catalog), "--skip-tests", "--json"])
    assert result.exit_code == 4
    render_step = json.loads(result.stdout)["renders"][0]["steps"][0]
    assert render_step["status"] == "failed"
    assert render_step["detail"] == GIT_REFUSAL.format(path=".git").removeprefix(
        "paved: error: ").strip()
    assert not sentinel.exists()


def test_update_refuses_a_release_that_renders_a_git_hook(tmp_path: Path) -> None:
    sentinel = tmp_path / SENTINEL
    catalog = hostile_catalog(tmp_path / "catalog")
    assert new(catalog, tmp_path / "svc")[0] == 0
    head = git(tmp_path / "svc", "rev-parse", "HEAD")
    (catalog / HOOK).parent.mkdir(parents=True)
    (catalog / HOOK).write_text(hook(sentinel))
    (catalog / HOOK).chmod(0o755)
    commit_all(catalog, "a hook", tag="v2.0.0")
    result = run_cli(["update", str(tmp_path / "svc")])
    assert (result.exit_code, result.stderr) == (1, GIT_REFUSAL.format(path=".git"))
    assert not sentinel.exists()
    assert git(tmp_path / "svc", "rev-parse", "HEAD") == head
    assert git(tmp_path / "svc", "status", "--porcelain", "--ignored") == ""


def test_upgrade_edits_may_not_reach_into_git(tmp_path: Path) -> None:
    from paved.authoring.rehearsal import _apply_edits
    from paved.catalog import GoldenPath
    from paved.errors import RenderError

    (tmp_path / "edits/.GIT/hooks").mkdir(parents=True)
    (tmp_path / "edits/.GIT/hooks/post-commit").write_text("#!/bin/sh\n")
    (tmp_path / "project").mkdir()
    path = GoldenPath(name="svc", description="", layers=(), upgrade_edits="edits")
    with pytest.raises(RenderError, match=r"renders \.GIT/hooks/post-commit, in git's own"):
        _apply_edits(tmp_path, path, tmp_path / "project")
    assert list((tmp_path / "project").iterdir()) == []


@pytest.mark.parametrize(("name", "refused"), [
    (".git", True), (".GIT", True), (".Git ", True), (".git...", True), ("GIT~1", True),
    (".g\u200dit", True), ("\ufeff.git", True), (".gitignore", False), ("git", False),
    (".github", False), ("x.git", False),
])
def test_git_names(name: str, refused: bool) -> None:
    assert sandbox.is_git_name(name) is refused


# --- 2. every path a catalog names stays inside it ------------------------------------

@pytest.mark.parametrize("path", ["/etc", "../outside", "layers/../../outside"])
def test_a_layer_path_outside_the_catalog_is_refused(tmp_path: Path, path: str) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/id_rsa").write_text("PRIVATE KEY\n")
    catalog = hostile_catalog(tmp_path / "catalog", {
        "paved-catalog.yml": f"golden_paths:\n  svc:\n    layers: [core]\n"
                             f"layers:\n  core:\n    path: {path}\n"})
    code, _, stderr = new(catalog, tmp_path / "svc")
    assert (code, stderr) == (1, f"paved: error: catalog {catalog}, paved-catalog.yml: layer "
                                 f"'core' path {path!r} leaves the catalog; a catalog may only "
                                 f"name its own files\n")
    assert not (tmp_path / "svc").exists()


def test_a_path_through_a_link_out_of_the_catalog_is_refused(tmp_path: Path) -> None:
    from paved.errors import CatalogError

    (tmp_path / "outside").mkdir()
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog/linked").symlink_to(tmp_path / "outside")
    with pytest.raises(CatalogError, match=r"^layer 'linked/x' is a link out of the catalog"):
        sandbox.inside(tmp_path / "catalog", "linked/x", what="layer")
    assert sandbox.inside(tmp_path / "catalog", "./layers//core/", what="layer") == "layers/core"


def test_upgrade_edits_outside_the_catalog_are_refused(tmp_path: Path) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", {
        "paved-catalog.yml": "golden_paths:\n  svc:\n    layers: [core]\n"
                             "    upgrade_edits: ../../home\nlayers:\n  core: {}\n"}, git=False)
    result = run_cli(["template", "test", str(catalog), "--skip-tests"])
    assert (result.exit_code, result.stderr) == (
        1, f"paved: error: catalog {catalog}, paved-catalog.yml: golden path 'svc' "
           f"upgrade_edits '../../home' leaves the catalog; a catalog may only name its own "
           f"files\n")


@pytest.mark.parametrize("manifest", [
    "golden_paths:\n  ../../x:\n    layers: [core]\nlayers:\n  core: {}\n",
    "golden_paths:\n  svc:\n    layers: [core]\n    test_matrix:\n      ../../../victim: {}\n"
    "layers:\n  core: {}\n",
    "golden_paths:\n  svc:\n    layers: [a/b]\nlayers:\n  a/b: {path: layers/core}\n",
])
def test_names_paved_puts_in_folder_names_are_plain(tmp_path: Path, manifest: str) -> None:
    # `paved template test` renders into `<work>/<golden path>-<answer set>` and removes
    # it first: a name with `..` would have it remove a folder elsewhere.
    victim = tmp_path / "victim"
    victim.mkdir()
    catalog = hostile_catalog(tmp_path / "catalog", {"paved-catalog.yml": manifest}, git=False)
    result = run_cli(["template", "test", str(catalog), "--skip-tests"])
    assert result.exit_code == 1
    assert "is not a plain name (letters, digits, '.', '_', '-')" in result.stderr
    assert victim.is_dir()


def test_a_link_out_of_a_catalog_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("host secret\n")
    catalog = hostile_catalog(tmp_path / "catalog", git=False)
    (catalog / "layers/core/stolen.txt").symlink_to(tmp_path / "secret.txt")
    result = run_cli(["template", "test", str(catalog), "--skip-tests"])
    assert (result.exit_code, result.stderr) == (
        1, "paved: error: the catalog links layers/core/stolen.txt to a file outside it; "
           "refusing to render it\n")


# --- 4. no Jinja filter or global that reads the host, unless trusted -----------------

SECRET = "ghp_not-a-real-token-0123456789"


@pytest.mark.parametrize(("expression", "name"), [
    ("'$GITHUB_TOKEN' | expandvars", "expandvars"),
    ("'~' | expanduser", "expanduser"),
    ("'/etc/*' | fileglob", "fileglob"),
    ("'.' | realpath", "realpath"),
    ("'/' | relpath", "relpath"),
])
@pytest.mark.parametrize("where", ["file", "default", "validator"])
def test_host_filters_are_refused_without_trust(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                expression: str, name: str, where: str) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    files = {
        "file": {"layers/core/leak.txt.jinja": f"{{{{ {expression} }}}}\n"},
        "default": {"copier.yml": COPIER
                    + f'leak:\n  type: str\n  default: "{{{{ {expression} }}}}"\n'},
        "validator": {"copier.yml": COPIER
                      + f'leak:\n  type: str\n  default: x\n'
                      f'  validator: "{{{{ {expression} }}}}"\n'},
    }[where]
    catalog = hostile_catalog(tmp_path / "catalog", files)
    code, stdout, stderr = new(catalog, tmp_path / "svc")
    assert code == 1
    assert f"the Jinja filter {name!r} can read this machine (its environment or files); " \
           f"only a trusted catalog may use it (--trust)\n" in stderr
    assert SECRET not in stdout + stderr
    assert not (tmp_path / "svc").exists()


def test_a_trusted_catalog_keeps_every_filter(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    catalog = hostile_catalog(tmp_path / "catalog", {
        "layers/core/env.txt.jinja": "{{ '$GITHUB_TOKEN' | expandvars }}\n"})
    code, _, stderr = new(catalog, tmp_path / "svc", "--trust")
    assert code == 0, stderr
    assert (tmp_path / "svc/env.txt").read_text() == f"{SECRET}\n"


def _worker_environment(template: Path, *, trust: bool) -> object:
    worker = render._worker_class()(src_path=str(template), dst_path=template / "out",
                                    defaults=True, quiet=True, unsafe=trust)
    return worker.jinja_env


@pytest.mark.parametrize("which", ["questions", "render"])
def test_untrusted_environments_hold_nothing_but_pure_functions(tmp_path: Path,
                                                                 which: str) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", git=False)
    env = (render.environment(catalog) if which == "questions"
           else _worker_environment(catalog, trust=False))
    impure = {(kind, name) for kind, table, pure in (
        ("filter", env.filters, sandbox.PURE_FILTERS),  # type: ignore[attr-defined]
        ("test", env.tests, sandbox.PURE_TESTS),  # type: ignore[attr-defined]
        ("global", env.globals, sandbox.PURE_GLOBALS))  # type: ignore[attr-defined]
        for name, function in table.items()
        if name not in pure and function.__name__ != "refuse"}
    assert impure == set()
    assert set(env.filters) >= sandbox.HOST_FILTERS  # type: ignore[attr-defined]
    assert not sandbox.HOST_FILTERS & sandbox.PURE_FILTERS


def test_the_render_environment_is_copiers_when_trusted(tmp_path: Path) -> None:
    catalog = hostile_catalog(tmp_path / "catalog", git=False)
    env = _worker_environment(catalog, trust=True)
    assert env.filters["expandvars"]("$HOME") == os.environ["HOME"]  # type: ignore[attr-defined]
