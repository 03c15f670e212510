"""`paved.fleet.proposal`: the title and body a reviewer reads, and who is asked to review."""

from __future__ import annotations

from pathlib import Path

import pytest

from paved.fleet import proposal
from paved.update.update import FileOutcome, UpdateResult
from tests.helpers import build_file_tree

CHANGELOG = "## 2.0.0\n\n- Port question.\n\n### Notes\n\nMore.\n"


def result(files: dict[str, str], conflicts: tuple[str, ...] = ()) -> UpdateResult:
    return UpdateResult(path=Path("/repos/svc"), catalog="/catalogs/paved", golden_path="svc",
                        old_version="1.0.0", new_version="2.0.0",
                        files=tuple(FileOutcome(path, action) for path, action in files.items()),
                        conflicts=conflicts, base="stored", dry_run=False)


EVERY_ACTION = {"added.txt": "added", "config.txt": "updated", "old.txt": "removed",
                "new/place.txt": "renamed", "notes.txt": "merged", "app/main.py": "conflict",
                "a|b`c.txt": "conflict", "mine.txt": "kept", "gone.txt": "left deleted",
                "TEAM.md": "left alone"}


def test_a_merge_request_with_conflicts_says_what_changed_and_how_to_resolve() -> None:
    update = result(EVERY_ACTION, conflicts=("app/main.py", "a|b`c.txt"))
    text = proposal.describe(update, CHANGELOG, "paved/update", "trunk", noun="merge request")
    assert text.title == "Update svc from paved catalog v1.0.0 to v2.0.0"
    assert text.body == (
        "<!-- paved:update -->\n"
        "This merge request brings the golden path `svc` from catalog **v1.0.0** to **v2.0.0** "
        "(catalog `/catalogs/paved`). paved merged the template's changes with this "
        "repository's own edits.\n\n"
        "### What changed in the catalog\n\n"
        "##### 2.0.0\n\n- Port question.\n\n###### Notes\n\nMore.\n\n"
        "### Files\n\n"
        "4 updated · 1 merged · 2 conflicts · 3 kept\n\n"
        "| file | change | what paved did |\n|---|---|---|\n"
        "| `added.txt` | updated | added |\n"
        "| `config.txt` | updated | updated |\n"
        "| `old.txt` | updated | removed |\n"
        "| `new/place.txt` | updated | renamed |\n"
        "| `notes.txt` | merged | merged |\n"
        "| `app/main.py` | conflicts | conflict |\n"
        "| `a\\|b'c.txt` | conflicts | conflict |\n"
        "| `mine.txt` | kept | kept |\n"
        "| `gone.txt` | kept | left deleted |\n"
        "| `TEAM.md` | kept | left alone |\n\n"
        "### Conflicts to resolve\n\n"
        "The template and this repository changed the same lines of 2 file(s). They are "
        "committed with conflict markers, so this proposal is a draft and its checks fail "
        "until they are resolved:\n\n"
        "```sh\n"
        "git fetch origin && git switch paved/update\n"
        "git grep -n -e '^<<<<<<< ' -e '^>>>>>>> ' -- app/main.py a|b`c.txt\n"
        "# keep what you need between <<<<<<< HEAD and >>>>>>> paved v2.0.0, drop the markers\n"
        "git commit -am 'Resolve the paved v2.0.0 update' && git push\n"
        "```\n\n"
        "Then mark it ready for review.\n\n"
        "### Merging\n\n"
        "Merge with a **merge commit** (not squash or rebase): the update commit's second "
        "parent is the template's pristine render, which the next update merges from.\n\n"
        "paved keeps this merge request up to date: a newer catalog version replaces its "
        "branch `paved/update` as long as only paved has committed to it. Once you push to "
        "`paved/update`, paved leaves it to you. If `trunk` moved on and this merge request "
        "conflicts with it, merge `trunk` into `paved/update` and resolve as usual.\n")
    assert proposal.count(update) == {"updated": 4, "merged": 1, "conflict": 2, "kept": 3}


def test_without_a_changelog_or_files_the_body_says_so() -> None:
    body = proposal.describe(result({}), "  \n", "paved/update", "main").body
    assert body[body.index("### What changed"):body.index("### Merging")] == (
        "### What changed in the catalog\n\n"
        "The catalog has no changelog entry between v1.0.0 and v2.0.0.\n\n"
        "### Files\n\n"
        "0 updated · 0 merged · 0 conflicts · 0 kept\n\n")
    assert "This pull request brings" in body


@pytest.mark.parametrize("where", proposal.CODEOWNERS)
def test_reviewers_are_the_owners_of_the_files_the_last_matching_rule_wins(
        tmp_path: Path, where: str) -> None:
    build_file_tree(tmp_path, {where: (
        "# the platform team owns everything\n"
        "*          @acme/platform   # a comment\n"
        "[Docs][2]  @acme/writers\n"
        "docs/      @alice @acme/writers\n"
        "*.md       @bob writers@acme.example  # was @carol\n"
        "*@2x.png   @acme/design\n"
        "app/       nobody\n"
        "!          @mallory\n"
        "\\\n"
        "lonely.txt\n")})
    assert proposal.reviewers(tmp_path, ["README.md"]) == ("@bob", "writers@acme.example")
    assert proposal.reviewers(tmp_path, ["docs/guide.txt", "src/x.py", "docs/x.md"]) == (
        "@alice", "@acme/writers", "@acme/platform", "@bob", "writers@acme.example")
    assert proposal.reviewers(tmp_path, ["app/main.py", "lonely.txt"]) == ("@acme/platform",)
    assert proposal.reviewers(tmp_path, ["logo@2x.png"]) == ("@acme/design",)
    # A GitLab section header is no rule, though `[Docs][2]` would match a file named `s2`.
    assert proposal.reviewers(tmp_path, ["s2"]) == ("@acme/platform",)


def test_the_first_codeowners_file_in_the_hosts_order_is_read(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".gitlab/CODEOWNERS": "* @gitlab-owner\n",
                               "CODEOWNERS": "* @root-owner\n",
                               "docs/CODEOWNERS": "* @docs-owner\n"})
    assert proposal.reviewers(tmp_path, ["x.py"]) == ("@gitlab-owner",)
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/CODEOWNERS").write_text("* @github-owner\n")
    assert proposal.reviewers(tmp_path, ["x.py"]) == ("@github-owner",)
    assert proposal.reviewers(tmp_path / "elsewhere", ["x.py"]) == ()
