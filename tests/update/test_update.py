from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import paved
from paved import catalog as catalog_module
from paved.create import create_service
from paved.git import Repository
from paved.update import journal
from paved.update.update import update_project
from tests.helpers import (
    ROOT,
    build_file_tree,
    bundled_catalog_repo,
    commit_all,
    edit_like_a_team,
    evolving_catalog,
    git,
    release_v2,
    release_v3,
    run_cli,
    snapshot,
)

EXPECTED_V1_TO_V3 = {
    ".paved.yml": "updated",
    "README.md": "updated",
    "added.txt": "added",
    "app/main.py": "left alone",
    "config.txt": "merged",
    "docs/guide.md": "removed",
    "docs/handbook.md": "renamed",
    "dropped.txt": "left deleted",
    "legacy.txt": "kept",
    "notes.txt": "conflict",
    "old.txt": "removed",
    "region.txt": "added",
}
NOTES_CONFLICT = ("one\n<<<<<<< HEAD\ntwo from the team\n=======\nTWO from the template\n"
                  ">>>>>>> paved v3.0.0\n")


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return evolving_catalog(tmp_path / "catalog", versions=1)


@pytest.fixture
def project(tmp_path: Path, catalog: Path) -> Path:
    """A repo generated at v1.0.0, then edited by its team; the catalog is at v3.0.0."""
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    edit_like_a_team(repo)
    release_v2(catalog)
    release_v3(catalog)
    return repo


def test_update_merges_the_template_and_keeps_local_edits(project: Path) -> None:
    team_head = git(project, "rev-parse", "HEAD").strip()
    result = run_cli(["update", str(project)])
    assert result.exit_code == 3
    assert result.stdout.splitlines()[-2:] == [
        f"Updated {project} from v1.0.0 to v3.0.0 with 1 conflict(s): notes.txt.",
        "Resolve them, then git add and git commit (the message is prepared).",
    ]
    actions = {line[14:].split("  (")[0]: line[:12].strip()
               for line in result.stdout.splitlines()[:-2]}
    assert actions == EXPECTED_V1_TO_V3
    assert "        kept  legacy.txt  (the template removed it; kept because you changed it)" \
        in result.stdout.splitlines()
    assert (project / "notes.txt").read_text() == NOTES_CONFLICT
    assert (project / "config.txt").read_text() == "ALPHA\nbeta\nGAMMA by the team\n"
    assert (project / "legacy.txt").read_text() == "legacy, kept by the team\n"
    assert (project / "app/main.py").read_text() == "print('hello')\n"
    assert (project / "region.txt").read_text() == "eu hello\n"  # recorded answer kept
    assert (project / "added.txt").read_text() == "port=8000\n"  # new question: default
    assert (project / "TEAM.md").read_text() == "our own notes\n"
    assert (project / "docs/handbook.md").read_text() == "the guide, with the team's advice\n"
    for gone in ("dropped.txt", "old.txt", "docs/guide.md"):
        assert not (project / gone).exists()
    # A real git conflict: three index stages, `git status` and `git diff` see it.
    stages = git(project, "ls-files", "-u").splitlines()
    assert [line.split()[2] + " " + line.split("\t")[1] for line in stages] == [
        "1 notes.txt", "2 notes.txt", "3 notes.txt"]
    assert "UU notes.txt" in git(project, "status", "--porcelain")
    assert git(project, "rev-parse", "HEAD").strip() == team_head
    # Resolving and committing makes the update commit, merging the pristine line.
    (project / "notes.txt").write_text("one\nTWO, agreed\n")
    git(project, "add", "notes.txt")
    git(project, "commit", "--no-edit", "--quiet")
    parents = git(project, "log", "-1", "--format=%P").split()
    assert parents[0] == team_head
    assert parents[1] == git(project, "rev-parse", "refs/paved/pristine").strip()
    message = git(project, "log", "-1", "--format=%B")
    assert message.startswith("Update svc from paved catalog v1.0.0 to v3.0.0\n")
    assert "## 3.0.0\n\n- Region question.\n\n## 2.0.0\n\n- Port question." in message
    assert "1.0.0\n\n- First release" not in message
    assert git(project, "status", "--porcelain") == ""


def test_update_step_by_step_commits_and_uses_the_stored_base(
        tmp_path: Path, catalog: Path) -> None:
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    (repo / "config.txt").write_text("alpha\nbeta\nGAMMA by the team\n")
    commit_all(repo, "team edit")
    release_v2(catalog)
    release_v3(catalog)

    first = update_project(repo, to="2.0.0")
    assert (first.old_version, first.new_version, first.base) == ("1.0.0", "2.0.0", "stored")
    assert first.conflicts == ()
    assert first.commit == git(repo, "rev-parse", "HEAD").strip()
    message = git(repo, "log", "-1", "--format=%B")
    assert message == (
        "Update svc from paved catalog v1.0.0 to v2.0.0\n\n"
        f"Catalog: {catalog}. Template changes merged by paved {paved.__version__}; "
        "local edits kept.\n\n## 2.0.0\n\n- Port question.\n\n"
        "Paved-Update: 1.0.0 -> 2.0.0\n\n")
    assert git(repo, "status", "--porcelain") == ""

    second = update_project(repo)
    assert (second.old_version, second.new_version, second.base) == ("2.0.0", "3.0.0", "stored")
    assert {file.path: file.action for file in second.files} == {
        ".paved.yml": "updated", "region.txt": "added"}
    assert (repo / "config.txt").read_text() == "ALPHA\nbeta\nGAMMA by the team\n"
    assert "region: eu" in (repo / ".paved.yml").read_text()
    # the pristine line: v3 render <- v2 render <- the first commit
    line = git(repo, "log", "--format=%s", "refs/paved/pristine").splitlines()
    assert line == ["paved pristine render: svc v3.0.0", "paved pristine render: svc v2.0.0",
                    "Generate demo from golden path svc (catalog " + str(catalog) + " v1.0.0)"]
    third = run_cli(["update", str(repo)])
    assert (third.exit_code, third.stdout) == (0, f"{repo} is already at v3.0.0; nothing to do.\n")


def test_new_questions_take_data_and_unknown_ones_are_refused(project: Path) -> None:
    git(project, "checkout", "--quiet", "HEAD~1", "--", "notes.txt")  # no conflict here
    commit_all(project, "undo notes edit")
    result = update_project(project, data={"region": "us"})
    assert result.conflicts == ()
    assert (project / "region.txt").read_text() == "us hello\n"
    refused = run_cli(["update", str(project), "--data", "colour=red"])
    assert refused.exit_code == 1
    assert refused.stderr == (
        "paved: error: unknown question 'colour'; catalog v3.0.0 asks: greeting, "
        "paved_layer, port, region, service_name\n")


def test_dry_run_shows_diffs_and_touches_nothing(project: Path) -> None:
    before = snapshot(project)
    result = run_cli(["update", str(project), "--dry-run"])
    assert result.exit_code == 3
    assert snapshot(project) == before
    assert result.stdout.splitlines()[-1] == (
        f"Dry run: {project} would go from v1.0.0 to v3.0.0; nothing was changed.")
    assert ("      merged  config.txt\n--- a/config.txt\n+++ b/config.txt\n@@ -1,3 +1,3 @@\n"
            "-alpha\n+ALPHA\n beta\n GAMMA by the team\n") in result.stdout
    assert "     removed  old.txt\n--- a/old.txt\n+++ /dev/null\n" in result.stdout
    as_json = run_cli(["update", str(project), "--dry-run", "--json"])
    assert '"conflicts": [\n    "notes.txt"\n  ]' in as_json.stdout
    assert snapshot(project) == before


def test_refuses_uncommitted_changes_and_untracked_files_in_the_way(project: Path) -> None:
    (project / "config.txt").write_text("changed\n")
    (project / "scratch.txt").write_text("untracked, not in the way\n")
    refused = run_cli(["update", str(project)])
    assert refused.exit_code == 1
    assert refused.stderr == (f"paved: error: {project} has uncommitted changes to tracked "
                              "files (config.txt); commit or stash them first\n")
    git(project, "checkout", "--", "config.txt")
    (project / "region.txt").write_text("mine\n")
    before = snapshot(project)
    blocked = run_cli(["update", str(project)])
    assert blocked.stderr == ("paved: error: untracked files are in the way of files the "
                              "update adds (region.txt); move them away first\n")
    assert snapshot(project) == before


def test_without_a_stored_base_the_old_version_is_rendered_again(
        tmp_path: Path, project: Path) -> None:
    # A copy with no paved history (as after a squash), and no pristine ref.
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".git"))
    commit_all(copy, "imported")
    result = update_project(copy)
    assert result.base == "re-rendered"
    assert {file.path: file.action for file in result.files} == EXPECTED_V1_TO_V3


def test_branch_option_commits_on_a_new_branch(tmp_path: Path, catalog: Path) -> None:
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    release_v2(catalog)
    result = run_cli(["update", str(repo), "--branch", "paved/v2"])
    assert result.exit_code == 0, result.stderr
    commit = git(repo, "rev-parse", "paved/v2").strip()
    assert result.stdout.splitlines()[-1] == (
        f"Updated {repo} from v1.0.0 to v2.0.0 on branch paved/v2: commit {commit[:12]}.")
    assert git(repo, "branch", "--show-current").strip() == "paved/v2"
    assert git(repo, "log", "-1", "--format=%s", "main").startswith("Generate demo")
    again = run_cli(["update", str(repo), "--branch", "paved/v2"])
    assert again.stderr == ("paved: error: branch 'paved/v2' already exists; "
                            "choose another --branch\n")


@pytest.mark.parametrize(("options", "conflicts"), [
    (["--branch", "paved/update"], True),  # a new branch, HEAD moved, merge state written
    ([], False),  # the current branch moved to the update commit
])
def test_killed_at_any_point_the_repo_is_left_as_it_was(
        project: Path, options: list[str], conflicts: bool) -> None:
    if not conflicts:
        git(project, "checkout", "--quiet", "HEAD~1", "--", "notes.txt")
        commit_all(project, "undo notes edit")
    before = snapshot(project)
    private_tmp = project.parent / "tmp"
    private_tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(private_tmp)}
    step = 0
    while True:
        step += 1
        env["PAVED_TEST_KILL_AT"] = str(step)
        done = subprocess.run([sys.executable, "-m", "paved", "update", str(project), *options],
                              env=env, capture_output=True, text=True, check=False)
        assert list(private_tmp.iterdir()) == []  # scratch lives in paved's cache
        if done.returncode != -9:
            break
        killed = snapshot(project)
        status = run_cli(["status", str(project)])
        if (project / ".git/paved/journal.json").exists():
            assert (status.exit_code, status.stderr) == (1, (
                f"paved: error: an interrupted paved update left {project} half-changed; run "
                "paved update to roll it back (paved status never writes)\n"))
        else:
            assert status.exit_code == 0, status.stderr
        assert snapshot(project) == killed, f"paved status wrote, killed at step {step}"
        with journal.locked(Repository(project)):  # what paved update does first
            pass
        assert snapshot(project) == before, f"killed at step {step}"
        assert not (project / ".git" / "paved").exists()
    assert done.returncode == (3 if conflicts else 0), done.stderr
    assert step > 15  # every file write, the index, the refs and HEAD were a kill point
    # The last run swept what the killed ones left in the cache, and removed its own.
    scratch_root = Path(os.environ["PAVED_CACHE_DIR"]) / "scratch"
    assert {name.split("-")[1] for name in os.listdir(scratch_root)} <= {str(os.getpid())}
    if not conflicts:
        assert git(project, "status", "--porcelain") == ""
        assert git(project, "log", "-1", "--format=%s").startswith("Update svc")


def test_a_failure_midway_rolls_back(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from paved import git as git_module

    before = snapshot(project)

    def broken(*args: object, **kwargs: object) -> None:
        raise git_module.GitError("moving HEAD failed: disk full")

    # The last step fails: files, index and refs (a new branch) were already changed.
    monkeypatch.setattr(git_module.Repository, "set_head", broken, raising=True)
    with pytest.raises(git_module.GitError, match="disk full"):
        update_project(project, branch="paved/update")
    assert snapshot(project) == before
    assert not (project / ".git" / "paved").exists()


def test_offline_with_a_git_url_whose_remote_is_gone(tmp_path: Path) -> None:
    remote = evolving_catalog(tmp_path / "remote", versions=1)
    url = remote.as_uri()
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=url).path
    release_v2(remote)
    assert run_cli(["status", str(repo)]).stdout.splitlines()[0].endswith("(v2.0.0 available)")
    shutil.rmtree(remote)
    result = run_cli(["update", str(repo)])
    assert result.exit_code == 0, result.stderr
    assert "version: 2.0.0" in (repo / ".paved.yml").read_text()


def test_update_between_two_tagged_copies_of_the_bundled_templates(tmp_path: Path) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog", tag="v0.1.0")
    repo = create_service("payments-api", dest=tmp_path / "svc", catalog_source=str(catalog),
                          data={"owner": "team-payments"}).path
    runbook = repo / "docs/runbook.md"
    runbook.write_text(runbook.read_text() + "\n## Our own failure mode\n")
    commit_all(repo, "team runbook entry")
    readme = catalog / "layers/base/README.md.jinja"
    readme.write_text(readme.read_text() + "\nA line added in 0.2.0.\n")
    (catalog / "layers/base/SECURITY.md").write_text("Report issues to the platform team.\n")
    # A platform default changes: `once: src/*/settings.py` (the team's settings) must not
    # match the platform's src/<pkg>/platform/settings.py (fnmatch's `*` crossed `/`).
    platform_settings = (catalog / "layers/python-service/src/{{ package_name }}/platform"
                         / "settings.py.jinja")
    platform_settings.write_text(platform_settings.read_text().replace(
        "default=10_000,", "default=8_000,"))
    commit_all(catalog, "0.2.0", tag="v0.2.0")
    result = update_project(repo)
    assert result.conflicts == ()
    assert {file.path: file.action for file in result.files} == {
        ".paved.yml": "updated", "README.md": "updated", "SECURITY.md": "added",
        "catalog-info.yaml": "updated", "src/payments_api/platform/settings.py": "updated"}
    assert runbook.read_text().endswith("## Our own failure mode\n")
    assert (repo / "README.md").read_text().endswith("A line added in 0.2.0.\n")
    assert "default=8_000," in (repo / "src/payments_api/platform/settings.py").read_text()
    status = run_cli(["status", str(repo), "--check"])
    assert (status.exit_code, status.stdout.splitlines()[-2:]) == (
        0, ["Drift from the pristine render (1 file(s)):", "  modified  docs/runbook.md"])


def test_bundled_catalog_of_an_older_paved_release(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = create_service("payments-api", dest=tmp_path / "svc").path
    newer = tmp_path / "templates-0.2.0"
    shutil.copytree(catalog_module.bundled_root(), newer)
    readme = newer / "layers/base/README.md.jinja"
    readme.write_text(readme.read_text() + "\nNew in paved 0.2.0.\n")
    monkeypatch.setattr(catalog_module, "bundled_root", lambda: newer)
    monkeypatch.setattr(paved, "__version__", "0.2.0")
    result = update_project(repo)
    assert (result.old_version, result.new_version, result.base) == ("0.1.0", "0.2.0", "stored")
    assert (repo / "README.md").read_text().endswith("New in paved 0.2.0.\n")


def test_catalog_code_runs_only_when_trusted(tmp_path: Path, catalog: Path) -> None:
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    copier_yml = catalog / "copier.yml"
    copier_yml.write_text(copier_yml.read_text() + "_tasks:\n  - touch ran-a-task\n")
    commit_all(catalog, "v2 with a task", tag="v2.0.0")
    refused = run_cli(["update", str(repo)])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("paved: error: the catalog wants to run code (")
    assert refused.stderr.endswith("pass --trust only if you trust this catalog\n")
    config = tmp_path / "config.yml"
    config.write_text(f"trusted_catalogs:\n  - {catalog}\n")
    os.environ["PAVED_CONFIG"] = str(config)
    try:
        assert run_cli(["update", str(repo), "--dry-run"]).exit_code == 0
    finally:
        del os.environ["PAVED_CONFIG"]


def test_a_lock_its_holder_let_go_of_is_stale(project: Path) -> None:
    other = subprocess.Popen(["sleep", "30"])
    try:
        lock = project / ".git" / "paved" / "lock"
        lock.parent.mkdir()
        lock.write_text(str(other.pid))  # a live process, but not one that holds the lock
        assert run_cli(["update", str(project)]).exit_code == 3
    finally:
        other.kill()
        other.wait()
    assert not (project / ".git" / "paved").exists()


def test_a_file_may_become_a_folder(tmp_path: Path, catalog: Path) -> None:
    repo = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    (catalog / "layers/core/old.txt").unlink()
    (catalog / "layers/core/old.txt").mkdir()
    (catalog / "layers/core/old.txt/inside.md").write_text("now a folder\n")
    commit_all(catalog, "v2", tag="v2.0.0")
    result = update_project(repo)
    assert {file.path: file.action for file in result.files} == {
        ".paved.yml": "updated", "old.txt": "removed", "old.txt/inside.md": "added"}
    assert (repo / "old.txt/inside.md").read_text() == "now a folder\n"
    assert git(repo, "status", "--porcelain") == ""


def test_the_base_travels_with_a_clone(tmp_path: Path, catalog: Path) -> None:
    origin = create_service("demo", dest=tmp_path / "demo", catalog_source=str(catalog)).path
    release_v2(catalog)
    update_project(origin)
    release_v3(catalog)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    assert git(clone, "for-each-ref", "refs/paved") == ""  # clones do not copy the pointer
    result = update_project(clone)
    assert (result.base, result.old_version, result.conflicts) == ("stored", "2.0.0", ())
    assert {file.path: file.action for file in result.files} == {
        ".paved.yml": "updated", "region.txt": "added"}


def test_a_plain_copier_template_updates_like_a_catalog(tmp_path: Path) -> None:
    template = build_file_tree(tmp_path / "tpl", {
        "copier.yml": "project:\n  type: str\n  help: Project name\n  default: demo\n",
        "README.md.jinja": "# {{ project }}\n\nFirst.\n",
        "notes.txt": "a\nb\nc\n",
    })
    commit_all(template, "v1", tag="v1.0.0")
    repo = create_service("svc", dest=tmp_path / "svc", catalog_source=str(template),
                          data={"project": "acme"}).path
    (repo / "notes.txt").write_text("a\nb\nc\nteam line\n")
    git(repo, "commit", "-qam", "team edit")
    (template / "README.md.jinja").write_text("# {{ project }}\n\nFirst.\n\nSecond.\n")
    (template / "notes.txt").write_text("template line\na\nb\nc\n")
    commit_all(template, "v2", tag="v2.0.0")
    result = update_project(repo)
    assert result.exit_code == 0
    assert (repo / "README.md").read_text() == "# acme\n\nFirst.\n\nSecond.\n"
    assert (repo / "notes.txt").read_text() == "template line\na\nb\nc\nteam line\n"
    assert "version: 2.0.0\n" in (repo / ".paved.yml").read_text()


def test_the_teams_check_settings_in_the_record_survive_an_update(project: Path) -> None:
    record = project / ".paved.yml"
    record.write_text(record.read_text() + "check:\n  extend-exclude:\n  - legacy/\n")
    commit_all(project, "check settings")
    assert run_cli(["update", str(project)]).exit_code == 3  # the expected conflict
    assert record.read_text().endswith("check:\n  extend-exclude:\n    - legacy/\n")
