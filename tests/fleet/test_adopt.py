"""`paved fleet adopt`: `paved adopt` across a fleet of local repos, published as branches or
as pull requests on the fake GitHub."""

from __future__ import annotations

from pathlib import Path

from tests.fleet.conftest import publish
from tests.fleet.fake_api import BareRepo
from tests.fleet.fake_github import FakeGitHub
from tests.helpers import CORE_COPIER, CORE_MANIFEST, build_file_tree, commit_all, git, run_cli


def fleet(root: Path) -> tuple[Path, Path]:
    """A catalog, and a list of three remotes: two hand-written repos and one paved already."""
    catalog = build_file_tree(root / "catalog", {
        "copier.yml": CORE_COPIER, "paved-catalog.yml": CORE_MANIFEST,
        "layers/core/README.md.jinja": "# {{ service_name }}\n",
        "layers/core/docs/runbook.md": "# Runbook\n"})
    commit_all(catalog, "v1", tag="v1.0.0")
    remotes = root / "remotes"
    remotes.mkdir()
    for name, files in (("billing", {"README.md": "# billing, ours\n"}),
                        ("search", {"pyproject.toml": '[project]\nname = "search"\n'}),
                        ("paved", {".paved.yml": "catalog: x\n"})):
        repo = build_file_tree(root / "checkouts" / name, files)
        commit_all(repo, "by hand")
        publish(repo, remotes)
    listed = root / "repos.txt"
    listed.write_text("".join(f"remotes/{name}.git\n" for name in ("billing", "search", "paved")))
    return catalog, listed


def test_fleet_adopt_pushes_one_branch_per_repo_and_a_rerun_skips_them(tmp_path: Path) -> None:
    catalog, listed = fleet(tmp_path)
    dry = run_cli(["fleet", "adopt", "--from", str(listed), "--catalog", str(catalog),
                   "--dry-run"])
    assert dry.exit_code == 0, dry.stdout
    assert dry.stdout.splitlines() == [
        "would adopt (2):",
        "  billing: would adopt svc v1.0.0: 2 file(s) to add, 1 of its own kept, "
        "0 check rule(s) fixed",
        "  search: would adopt svc v1.0.0: 3 file(s) to add, 0 of its own kept, "
        "0 check rule(s) fixed",
        "paved already (1):",
        "  paved: has .paved.yml on main: paved fleet update keeps it in step",
        "3 repos: 2 would adopt, 1 paved already."]
    assert git(tmp_path / "remotes/billing.git", "branch", "--list", "paved/adopt") == ""

    done = run_cli(["fleet", "adopt", "--from", str(listed), "--catalog", str(catalog),
                    "--push"])
    assert done.exit_code == 0, done.stdout
    assert done.stdout.splitlines()[:3] == [
        "adopted (2):",
        f"  billing: published: {tmp_path / 'remotes/billing.git'} branch paved/adopt",
        f"  search: published: {tmp_path / 'remotes/search.git'} branch paved/adopt"]
    billing = tmp_path / "remotes/billing.git"
    assert git(billing, "show", "paved/adopt:README.md") == "# billing, ours\n"
    assert git(billing, "show", "paved/adopt:docs/runbook.md") == "# Runbook\n"
    assert "service_name: billing" in git(billing, "show", "paved/adopt:.paved.yml")
    assert len(git(billing, "log", "-1", "--format=%P", "paved/adopt").split()) == 2

    again = run_cli(["fleet", "adopt", "--from", str(listed), "--catalog", str(catalog),
                     "--push"])
    assert again.stdout.splitlines()[-1] == "3 repos: 1 paved already, 2 proposed."


def test_fleet_adopt_opens_a_pull_request(tmp_path: Path, github: FakeGitHub) -> None:
    catalog, _ = fleet(tmp_path)
    remote = tmp_path / "acme" / "billing.git"  # the slug acme/billing, as on the host
    remote.parent.mkdir()
    (tmp_path / "remotes/billing.git").rename(remote)
    github.add_repo("acme/billing", BareRepo(remote))
    listed = tmp_path / "one.txt"
    listed.write_text(f"{remote}\n")
    done = run_cli(["fleet", "adopt", "--from", str(listed), "--catalog", str(catalog),
                    "--push", "--publish", "github"])
    assert done.exit_code == 0, done.stdout
    pull = github.pull("acme/billing", 1)
    assert pull["title"] == "Adopt golden path svc (paved catalog v1.0.0)"
    assert (pull["head"]["ref"], pull["base"]["ref"]) == ("paved/adopt", "main")
    assert "### Added (2)\n\n- `.paved.yml`\n- `docs/runbook.md`\n" in pull["body"]
    assert "### Kept (your own version) (1)\n\n- `README.md`\n" in pull["body"]
