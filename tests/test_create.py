"""`paved new service`: what a user sees, what is written, and what is never written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paved import render, scratch
from tests.helpers import ROOT, bundled_catalog_repo, git, run_cli


def new(tmp_path: Path, *args: str, name: str = "payments-api") -> tuple[int, str, str]:
    result = run_cli(["new", "service", "--dest", str(tmp_path / "svc"), *args, "--", name])
    return result.exit_code, result.stdout, result.stderr


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_renders_into_a_directory_named_after_the_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["new", "service", "payments-api"])
    assert result.exit_code == 0, result.stderr
    project = tmp_path / "payments-api"
    assert (project / "src" / "payments_api" / "main.py").is_file()
    assert "Created" in result.stdout and str(project) in result.stdout


def test_makes_one_commit_naming_the_golden_path_and_catalog_version(tmp_path: Path) -> None:
    code, _, stderr = new(tmp_path)
    assert code == 0, stderr
    project = tmp_path / "svc"
    log = git(project, "log", "--format=%s").splitlines()
    assert log == ["Generate payments-api from golden path python-service "
                   "(catalog bundled v0.1.0)"]
    assert git(project, "status", "--porcelain") == ""


def test_records_what_produced_the_repo(tmp_path: Path) -> None:
    new(tmp_path, "--data", "owner=team-payments", "--data", "http_port=9000")
    record = (tmp_path / "svc" / ".paved.yml").read_text()
    assert record.startswith("# Written by paved")
    assert "\n---\ncatalog: bundled\nversion: 0.1.0\ngolden_path: python-service\n" in record
    assert "  - base\n  - python-service\n  - ci-github\n  - deploy-k8s\n" in record
    assert "  owner: team-payments\n" in record
    assert "  http_port: 9000\n" in record


def test_answers_reach_the_rendered_files(tmp_path: Path) -> None:
    new(tmp_path, "--data", "owner=acme/team-payments", "--data", "lifecycle=production")
    catalog_info = (tmp_path / "svc" / "catalog-info.yaml").read_text()
    assert "  owner: team-payments\n" in catalog_info
    assert "  lifecycle: production\n" in catalog_info
    assert "paved.dev/catalog-version: \"0.1.0\"" in catalog_info
    assert (tmp_path / "svc" / "CODEOWNERS").read_text().endswith("* @acme/team-payments\n")


def test_no_git_leaves_a_plain_directory(tmp_path: Path) -> None:
    code, _, _ = new(tmp_path, "--no-git")
    assert code == 0
    assert not (tmp_path / "svc" / ".git").exists()
    assert (tmp_path / "svc" / ".paved.yml").is_file()


def test_json_result_is_machine_readable(tmp_path: Path) -> None:
    code, stdout, _ = new(tmp_path, "--json", "--no-git")
    assert code == 0
    result = json.loads(stdout)
    assert result["schema_version"] == 2
    assert result["golden_path"] == "python-service"
    assert result["version"] == "0.1.0"
    assert result["path"] == str(tmp_path / "svc")
    assert result["answers"]["service_name"] == "payments-api"
    assert result["commit"] is None
    assert result["file_count"] == sum(len(files) for _, _, files in os.walk(tmp_path / "svc"))


def test_answers_file_with_data_overriding_it(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("owner: team-a\ndescription: Takes payments.\nhttp_port: 9100\n")
    code, _, stderr = new(tmp_path, "--answers-file", str(answers), "--data", "owner=team-b")
    assert code == 0, stderr
    record = (tmp_path / "svc" / ".paved.yml").read_text()
    assert "owner: team-b" in record
    assert "description: Takes payments." in record
    assert "http_port: 9100" in record


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Payments", "must be a DNS-1123 label"),
        ("1payments", "must be a DNS-1123 label"),
        ("payments-", "must be a DNS-1123 label"),
        ("-payments", "must be a DNS-1123 label"),
        ("pay_ments", "must be a DNS-1123 label"),
        ("../escape", "must be a DNS-1123 label"),
        ("/tmp/abs", "must be a DNS-1123 label"),
        ("a" * 64, "must be a DNS-1123 label"),
        ("pay--ments", "must not contain two dashes in a row"),
        ("class", "would clash with a Python keyword"),
        ("json", "would clash with a Python keyword or a module"),
        ("fastapi", "would clash with a Python keyword or a module"),
        ("support", "would clash with a Python keyword or a module"),  # tests/support.py
    ],
)
def test_bad_service_names_are_refused_and_nothing_is_written(
    tmp_path: Path, name: str, reason: str
) -> None:
    code, stdout, stderr = new(tmp_path, name=name)
    assert code == 1
    assert stdout == ""
    assert stderr.startswith("paved: error: invalid answer for 'service_name': ")
    assert reason in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert leftovers(tmp_path) == []


def test_longest_valid_name_is_accepted(tmp_path: Path) -> None:
    code, _, stderr = new(tmp_path, "--no-git", name="a" * 63)
    assert code == 0, stderr
    assert f"  owner: team-{'a' * 58}\n" in (tmp_path / "svc" / ".paved.yml").read_text()


@pytest.mark.parametrize("name", ["../escape", "/tmp/abs", "a/b", ".."])
def test_a_name_that_is_not_one_directory_needs_an_explicit_dest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["new", "service", "--", name])
    assert result.exit_code == 1
    assert result.stderr == f"paved: error: {name!r} cannot name a directory here; pass --dest\n"
    assert leftovers(tmp_path) == []
    assert not (tmp_path.parent / "escape").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("http_port=80", "invalid answer for 'http_port': must be between 1024 and 65535"),
        ("http_port=eighty", "invalid answer for 'http_port': expected an integer, got 'eighty'"),
        ("lifecycle=retired", "invalid answer for 'lifecycle': 'retired' is not one of "
                              "experimental, production, deprecated"),
        ("owner=Team Payments", "invalid answer for 'owner': must be a GitHub team, org/team"),
        ("description=", "invalid answer for 'description': must not be empty"),
        ("slo_availability=100", "invalid answer for 'slo_availability': must be at least 90"),
        ("slo_latency_ms=0", "invalid answer for 'slo_latency_ms': must be between 1 and 60000"),
        ("python_version=2.7", "invalid answer for 'python_version': '2.7' is not one of"),
        ("shutdown_timeout_seconds=0", "invalid answer for 'shutdown_timeout_seconds': "
                                       "must be between 1 and 120 seconds"),
        ("colour=blue", "unknown question 'colour'; the catalog asks: "),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(
    tmp_path: Path, data: str, message: str
) -> None:
    code, _, stderr = new(tmp_path, "--data", data)
    assert code == 1
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert leftovers(tmp_path) == []


def test_malformed_data_option_is_a_usage_error(tmp_path: Path) -> None:
    code, _, stderr = new(tmp_path, "--data", "owner")
    assert code == 2
    assert "expected KEY=VALUE, got 'owner'" in stderr
    assert leftovers(tmp_path) == []


def test_malformed_answers_file_is_refused(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("owner: [unclosed\n")
    code, _, stderr = new(tmp_path, "--answers-file", str(answers))
    assert code == 1
    assert stderr.startswith(f"paved: error: {answers}:")
    assert "invalid YAML" in stderr
    assert leftovers(tmp_path) == ["answers.yml"]


def test_non_empty_destination_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "notes.txt").write_text("mine")
    code, _, stderr = new(tmp_path)
    assert code == 1
    assert stderr == f"paved: error: {tmp_path / 'svc'} exists and is not empty\n"
    assert leftovers(tmp_path / "svc") == ["notes.txt"]
    assert leftovers(tmp_path) == ["svc"]


def test_empty_destination_directory_is_filled(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    code, _, stderr = new(tmp_path)
    assert code == 0, stderr
    assert (tmp_path / "svc" / ".paved.yml").is_file()


def test_destination_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "svc").write_text("x")
    code, _, stderr = new(tmp_path)
    assert code == 1
    assert "exists and is not a directory" in stderr
    assert (tmp_path / "svc").read_text() == "x"


def test_missing_parent_directory_is_refused(tmp_path: Path) -> None:
    result = run_cli(["new", "service", "svc", "--dest", str(tmp_path / "a" / "b")])
    assert result.exit_code == 1
    assert result.stderr == f"paved: error: {tmp_path / 'a'} does not exist; create it first\n"
    assert leftovers(tmp_path) == []


def test_template_error_in_the_last_layer_leaves_nothing_behind(tmp_path: Path) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog")
    broken = catalog / "layers" / "deploy-k8s" / "broken.txt.jinja"
    broken.write_text("line one\n{% if %}\n")
    git(catalog, "add", "--all")
    git(catalog, "commit", "-qm", "broken")
    git(catalog, "tag", "v0.2.0")
    code, _, stderr = new(tmp_path, "--catalog", str(catalog))
    assert code == 1
    assert stderr.startswith("paved: error: rendering failed: ")
    assert "rendering failed: layers/deploy-k8s/broken.txt.jinja:2: " in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert leftovers(tmp_path) == ["catalog"]


def test_layers_writing_the_same_file_are_refused(tmp_path: Path) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog")
    (catalog / "layers" / "deploy-k8s" / "CODEOWNERS").write_text("* @someone-else\n")
    git(catalog, "add", "--all")
    git(catalog, "commit", "-qm", "collide")
    git(catalog, "tag", "v0.2.0")
    code, _, stderr = new(tmp_path, "--catalog", str(catalog))
    assert code == 1
    assert stderr == ("paved: error: layers 'layers/base' and 'layers/deploy-k8s' both write "
                      "CODEOWNERS; a file belongs to one layer\n")
    assert leftovers(tmp_path) == ["catalog"]


def test_ctrl_c_mid_render_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "_run_copier", interrupt)
    code, _, stderr = new(tmp_path)
    assert code == 130
    assert stderr == "paved: error: interrupted; nothing was left half-written\n"
    assert leftovers(tmp_path) == []


def test_renders_from_a_tagged_git_copy_of_the_bundled_catalog(tmp_path: Path) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog", tag="v3.1.4")
    code, _, stderr = new(tmp_path, "--catalog", str(catalog))
    assert code == 0, stderr
    record = (tmp_path / "svc" / ".paved.yml").read_text()
    assert f"catalog: {catalog}\nversion: 3.1.4\n" in record
    assert git(tmp_path / "svc", "log", "--format=%s") == (
        f"Generate payments-api from golden path python-service (catalog {catalog} v3.1.4)\n")


def test_renders_from_a_git_url_and_uses_the_latest_tag(tmp_path: Path) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog", tag="v1.0.0")
    readme = catalog / "layers" / "base" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nRelease two.\n")
    git(catalog, "commit", "-qam", "two")
    git(catalog, "tag", "v1.1.0")
    readme.write_text(readme.read_text() + "\nUnreleased work.\n")
    git(catalog, "commit", "-qam", "three")
    code, _, stderr = new(tmp_path, "--catalog", f"file://{catalog}")
    assert code == 0, stderr
    text = (tmp_path / "svc" / "README.md").read_text()
    assert "Release two." in text and "Unreleased work." not in text
    assert "version: 1.1.0\n" in (tmp_path / "svc" / ".paved.yml").read_text()


def test_catalog_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog", tag="v2.0.0")
    monkeypatch.setenv("PAVED_CATALOG", str(catalog))
    code, _, _ = new(tmp_path)
    assert code == 0
    assert "version: 2.0.0\n" in (tmp_path / "svc" / ".paved.yml").read_text()


def test_missing_catalog_is_refused(tmp_path: Path) -> None:
    code, _, stderr = new(tmp_path, "--catalog", str(tmp_path / "nowhere"))
    assert code == 1
    assert stderr == (f"paved: error: catalog {str(tmp_path / 'nowhere')!r} not found: "
                      "not a directory and not a git URL\n")
    assert leftovers(tmp_path) == []


def test_unknown_golden_path_is_refused(tmp_path: Path) -> None:
    code, _, stderr = new(tmp_path, "--template", "rust-service")
    assert code == 1
    assert stderr == ("paved: error: no golden path 'rust-service' in catalog bundled; "
                      "it has: node-service, python-service\n")


def test_catalog_link_to_a_file_outside_is_refused(tmp_path: Path) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me")
    (catalog / "layers" / "base" / "stolen.txt").symlink_to(secret)
    git(catalog, "add", "--all")
    git(catalog, "commit", "-qm", "link")
    git(catalog, "tag", "v0.2.0")
    for source in (str(catalog), f"file://{catalog}"):
        code, _, stderr = new(tmp_path, "--catalog", source)
        assert code == 1
        assert "stolen.txt" in stderr
        assert not (tmp_path / "svc").exists()
    # The same link in a catalog directory without git is refused as well.
    plain = tmp_path / "plain"
    git(catalog, "checkout", "-q", "v0.2.0")
    import shutil

    shutil.copytree(catalog, plain, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    code, _, stderr = new(tmp_path, "--catalog", str(plain))
    assert code == 1
    assert stderr == ("paved: error: the catalog links layers/base/stolen.txt to a file "
                      "outside it; refusing to render it\n")
    assert not (tmp_path / "svc").exists()


def test_plain_copier_template_works_as_a_catalog(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    (template / "{{ project }}").mkdir(parents=True)
    (template / "copier.yml").write_text(
        "project:\n  type: str\n  help: Project name\n  default: demo\n")
    (template / "{{ project }}" / "hello.txt.jinja").write_text("Hello {{ project }}\n")
    code, _, stderr = new(tmp_path, "--catalog", str(template), "--data", "project=acme",
                          "--no-git")
    assert code == 0, stderr
    assert (tmp_path / "svc" / "acme" / "hello.txt").read_text() == "Hello acme\n"
    assert "golden_path: tpl\n" in (tmp_path / "svc" / ".paved.yml").read_text()


def test_catalog_code_does_not_run_without_trust(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    template.mkdir()
    (template / "copier.yml").write_text(
        "_tasks:\n  - touch {{ _copier_conf.dst_path }}/../pwned\n"
        "project:\n  type: str\n  help: Project name\n  default: demo\n")
    (template / "README.md").write_text("hi\n")
    code, _, stderr = new(tmp_path, "--catalog", str(template), "--no-git")
    assert code == 1
    assert "the catalog wants to run code" in stderr
    assert "pass --trust only if you trust this catalog" in stderr
    assert not (tmp_path / "pwned").exists()
    assert leftovers(tmp_path) == ["tpl"]


def task_catalog(tmp_path: Path) -> Path:
    """A plain copier template whose one task leaves a file in the project it ran in."""
    template = tmp_path / "tpl"
    template.mkdir()
    (template / "copier.yml").write_text(
        "_tasks:\n  - echo \"{{ project }}\" > task-ran.txt\n"
        "project:\n  type: str\n  help: Project name\n  default: demo\n")
    (template / "README.md").write_text("hi\n")
    return template


def test_trust_runs_the_catalogs_task_in_the_new_project(tmp_path: Path) -> None:
    # The mutant that drops --trust in the CLI refuses the catalog here.
    template = task_catalog(tmp_path)
    code, _, stderr = new(tmp_path, "--catalog", str(template), "--no-git", "--trust")
    assert code == 0, stderr
    assert (tmp_path / "svc" / "task-ran.txt").read_text() == "demo\n"


def test_a_catalog_trusted_in_the_config_file_runs_its_task(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The mutant of `paved new` that ignores `trusted_catalogs` refuses it here.
    template = task_catalog(tmp_path)
    config_file = tmp_path / "config.yml"
    config_file.write_text(f"trusted_catalogs:\n  - {tmp_path}/*\n")
    monkeypatch.setenv("PAVED_CONFIG", str(config_file))
    code, _, stderr = new(tmp_path, "--catalog", str(template), "--no-git")
    assert code == 0, stderr
    assert (tmp_path / "svc" / "task-ran.txt").read_text() == "demo\n"
    # Trust is the config file's: another catalog beside it is not trusted.
    config_file.write_text(f"trusted_catalogs:\n  - {tmp_path}/other\n")
    second = run_cli(["new", "service", "--dest", str(tmp_path / "second"), "--catalog",
                      str(template), "--no-git", "--", "payments-api"])
    assert second.exit_code == 1
    assert "the catalog wants to run code" in second.stderr
    assert not (tmp_path / "second").exists()


def test_service_name_in_the_answers_must_agree_with_the_name(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("service_name: billing-api\nowner: team-payments\n")
    code, _, stderr = new(tmp_path, "--answers-file", str(answers))
    assert (code, stderr) == (1, "paved: error: the answers give service_name 'billing-api' "
                                 "but the NAME argument is 'payments-api'; drop one of them\n")
    assert leftovers(tmp_path) == ["answers.yml"]
    answers.write_text("service_name: payments-api\n")
    assert new(tmp_path, "--answers-file", str(answers))[0] == 0


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o027, 0o750)])
def test_a_new_repo_honours_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        code, _, stderr = new(tmp_path)
    finally:
        os.umask(previous)
    assert code == 0, stderr
    assert (tmp_path / "svc").stat().st_mode & 0o7777 == mode


def test_an_empty_destination_keeps_its_mode(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc").chmod(0o2775)  # a shared, group-writable folder made for the team
    code, _, stderr = new(tmp_path)
    assert code == 0, stderr
    assert (tmp_path / "svc").stat().st_mode & 0o7777 == 0o2775


def test_killed_paved_new_leaves_nothing_the_next_run_does_not_remove(tmp_path: Path) -> None:
    work, private_tmp = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    private_tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(private_tmp),
           "PAVED_TEST_KILL_AT": "1"}  # after the render, before the commit
    killed = subprocess.run([sys.executable, "-m", "paved", "new", "service", "payments-api"],
                            cwd=work, env=env, capture_output=True, text=True, check=False)
    assert killed.returncode == -9, killed.stderr
    assert leftovers(work) == []  # nothing beside the destination, not even hidden
    assert leftovers(private_tmp) == []  # nor in the system's temporary directory
    scratch_root = Path(os.environ["PAVED_CACHE_DIR"]) / "scratch"
    assert len(leftovers(scratch_root)) == 2  # the killed run's area and its lock
    del env["PAVED_TEST_KILL_AT"]
    again = subprocess.run([sys.executable, "-m", "paved", "list"], env=env,
                           capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert leftovers(scratch_root) == []  # swept at start; its own area removed at exit
    assert leftovers(private_tmp) == []


def test_when_the_cache_is_elsewhere_staging_beside_is_swept_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / ".svc.paved-999-dead"
    stale.mkdir()
    (stale / "half-rendered.txt").write_text("left by a killed paved new\n")
    (tmp_path / ".svc.paved-999-dead.lock").write_text("999\n")  # nobody holds it
    monkeypatch.setattr(scratch, "same_file_system", lambda first, second: False)
    code, _, stderr = new(tmp_path)
    assert code == 0, stderr
    assert leftovers(tmp_path) == ["svc"]


def recorded_catalog(project: Path) -> str:
    record = (project / ".paved.yml").read_text()
    (line,) = [line for line in record.splitlines() if line.startswith("catalog: ")]
    return line.removeprefix("catalog: ")


@pytest.mark.parametrize(("origin", "recorded"), [
    ("https://git.example.com/platform/catalog.git", "https://git.example.com/platform/catalog.git"),
    ("git@git.example.com:platform/catalog.git", "git@git.example.com:platform/catalog.git"),
    # A token in the clone's remote never reaches the generated repo.
    ("https://x-access-token:s3cr3t@git.example.com/platform/catalog.git",
     "https://git.example.com/platform/catalog.git"),
])
def test_a_local_clone_is_recorded_as_its_remote_url(
        tmp_path: Path, origin: str, recorded: str) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog")
    git(catalog, "remote", "add", "origin", origin)
    code, stdout, stderr = new(tmp_path, "--catalog", str(catalog))
    assert code == 0, stderr
    assert recorded_catalog(tmp_path / "svc") == recorded
    assert "Note:" not in stdout
    assert "s3cr3t" not in (tmp_path / "svc" / ".paved.yml").read_text()


def test_a_catalog_declares_the_url_to_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog")
    git(catalog, "remote", "add", "origin", "https://mirror.example.com/catalog.git")
    manifest = catalog / "paved-catalog.yml"
    manifest.write_text(manifest.read_text()
                        + "url: https://git.example.com/platform/catalog.git\n")
    git(catalog, "commit", "-qam", "canonical URL")
    git(catalog, "tag", "-a", "v0.2.0", "-m", "0.2.0")
    monkeypatch.chdir(tmp_path)
    code, _, stderr = new(tmp_path, "--catalog", "catalog")  # relative, as users type it
    assert code == 0, stderr
    assert recorded_catalog(tmp_path / "svc") == "https://git.example.com/platform/catalog.git"


def test_a_local_catalog_without_a_remote_is_recorded_with_a_note(tmp_path: Path) -> None:
    catalog = bundled_catalog_repo(tmp_path / "catalog")
    code, stdout, stderr = new(tmp_path, "--catalog", str(catalog))
    assert code == 0, stderr
    assert recorded_catalog(tmp_path / "svc") == str(catalog)
    assert (f"Note: the catalog is recorded as the local path {catalog}, which CI runners (the "
            "scheduled paved-update workflow) cannot reach: give --catalog a git URL, push the "
            "catalog and set its remote origin, or declare `url:` in its paved-catalog.yml.\n"
            ) in stdout
