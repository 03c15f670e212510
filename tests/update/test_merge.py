"""The per-file decisions of an update's three-way merge, on in-memory snapshots.

These are `make mutate`'s tests for paved/update/merge.py (docs/testing.md):
each decision of the module's docstring is pinned here with its exact result;
test_update.py shows the same decisions through `paved update`.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from paved.git import Entry, Repository, blob_sha
from paved.update.merge import Action, FileChange, Labels, Snapshot, plan, read_directory

LABELS = Labels(ours="HEAD", base="base", theirs="paved v2")
FILE, EXEC, LINK = "100644", "100755", "120000"


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    return Repository(tmp_path / "repo")


def side(files: dict[str, bytes | tuple[str, bytes]]) -> Snapshot:
    """A snapshot from path -> bytes (a regular file) or (mode, bytes)."""
    entries: dict[str, Entry] = {}
    blobs: dict[str, bytes] = {}
    for path, value in files.items():
        mode, data = value if isinstance(value, tuple) else (FILE, value)
        entries[path] = (mode, blob_sha(data))
        blobs[blob_sha(data)] = data
    return Snapshot(entries, blobs)


def entry(data: bytes, mode: str = FILE) -> Entry:
    return (mode, blob_sha(data))


def decide(repo: Repository, base: dict[str, bytes | tuple[str, bytes]],
           ours: dict[str, bytes | tuple[str, bytes]],
           theirs: dict[str, bytes | tuple[str, bytes]], *, once: tuple[str, ...] = (),
           overwrite: tuple[str, ...] = (), with_diffs: bool = False) -> dict[str, FileChange]:
    asked = {"with_diffs": True} if with_diffs else {}  # the default: no diffs
    changes = plan(repo, side(base), side(ours), side(theirs), once=once, labels=LABELS,
                   overwrite=overwrite, **asked)
    assert [change.path for change in changes] == sorted(change.path for change in changes)
    return {change.path: change for change in changes}


def test_unchanged_by_the_template_or_already_in_the_repo_is_left_out(repo: Repository) -> None:
    assert decide(repo, {"a": b"1\n", "b": b"1\n"}, {"a": b"team\n", "b": b"2\n"},
                  {"a": b"1\n", "b": b"2\n"}) == {}


def test_changed_by_the_template_only_is_taken_as_is(repo: Repository) -> None:
    changes = decide(repo, {"a": b"1\n"}, {"a": b"1\n"}, {"a": b"2\n"})
    assert changes == {"a": FileChange("a", Action.UPDATED, new=entry(b"2\n"))}


def test_new_in_the_template_is_added(repo: Repository) -> None:
    changes = decide(repo, {}, {}, {"new": b"n\n"})
    assert changes == {"new": FileChange("new", Action.ADDED, new=entry(b"n\n"))}


def test_removed_by_the_template_and_unchanged_is_removed(repo: Repository) -> None:
    changes = decide(repo, {"old": b"o\n"}, {"old": b"o\n"}, {})
    assert changes == {"old": FileChange("old", Action.REMOVED)}


def test_removed_by_the_template_but_changed_by_the_team_is_kept(repo: Repository) -> None:
    changes = decide(repo, {"old": b"o\n"}, {"old": b"team\n"}, {})
    assert changes == {"old": FileChange("old", Action.KEPT)}


def test_deleted_by_the_team_stays_deleted(repo: Repository) -> None:
    changes = decide(repo, {"gone": b"1\n"}, {}, {"gone": b"2\n"})
    assert changes == {"gone": FileChange("gone", Action.LEFT_DELETED)}


def test_a_once_file_is_added_when_new(repo: Repository) -> None:
    changes = decide(repo, {}, {}, {"app/main.py": b"v2\n"}, once=("app/**",))
    assert changes == {"app/main.py": FileChange("app/main.py", Action.ADDED,
                                                 new=entry(b"v2\n"))}


def test_a_once_file_the_team_deleted_is_not_added_again(repo: Repository) -> None:
    # The mutant `if o is None:` (without `and b is None`) writes it back.
    changes = decide(repo, {"app/main.py": b"v1\n"}, {}, {"app/main.py": b"v2\n"},
                     once=("app/**",))
    assert changes == {"app/main.py": FileChange("app/main.py", Action.ONCE)}
    assert changes["app/main.py"].new is None


def test_a_once_file_is_never_changed_afterwards(repo: Repository) -> None:
    once = ("app/**",)
    assert decide(repo, {"app/x": b"1\n"}, {"app/x": b"1\n"}, {"app/x": b"2\n"}, once=once) \
        == {"app/x": FileChange("app/x", Action.ONCE)}
    assert decide(repo, {"app/x": b"1\n"}, {"app/x": b"1\n"}, {}, once=once) \
        == {"app/x": FileChange("app/x", Action.ONCE)}
    # A file in the repo the template now creates once: the team's stays.
    assert decide(repo, {}, {"app/x": b"team\n"}, {"app/x": b"2\n"}, once=once) \
        == {"app/x": FileChange("app/x", Action.ONCE)}
    # Not matched by the pattern: merged as usual.
    assert decide(repo, {"lib/x": b"1\n"}, {"lib/x": b"1\n"}, {"lib/x": b"2\n"}, once=once) \
        == {"lib/x": FileChange("lib/x", Action.UPDATED, new=entry(b"2\n"))}


def test_overwrite_takes_the_new_version_whatever_the_team_did(repo: Repository) -> None:
    record = ".paved.yml"
    assert decide(repo, {record: b"v1\n"}, {record: b"team\n"}, {record: b"v2\n"},
                  overwrite=(record,)) \
        == {record: FileChange(record, Action.UPDATED, new=entry(b"v2\n"))}
    assert decide(repo, {record: b"v1\n"}, {}, {record: b"v2\n"}, overwrite=(record,)) \
        == {record: FileChange(record, Action.ADDED, new=entry(b"v2\n"))}
    assert decide(repo, {record: b"v1\n"}, {record: b"v2\n"}, {record: b"v2\n"},
                  overwrite=(record,)) == {}
    # `once:` does not apply to it.
    assert decide(repo, {record: b"v1\n"}, {record: b"v1\n"}, {record: b"v2\n"},
                  overwrite=(record,), once=("*.yml",)) \
        == {record: FileChange(record, Action.UPDATED, new=entry(b"v2\n"))}


def test_changed_on_both_sides_is_merged(repo: Repository) -> None:
    merged = b"ALPHA\nbeta\nGAMMA\n"
    changes = decide(repo, {"c": b"alpha\nbeta\ngamma\n"}, {"c": b"alpha\nbeta\nGAMMA\n"},
                     {"c": b"ALPHA\nbeta\ngamma\n"})
    assert changes == {"c": FileChange("c", Action.MERGED, new=entry(merged), data=merged)}


def test_overlapping_changes_conflict_with_markers_and_stages(repo: Repository) -> None:
    base, ours, theirs = b"one\ntwo\n", b"one\nteam\n", b"one\nTWO\n"
    changes = decide(repo, {"n": base}, {"n": ours}, {"n": theirs})
    text = b"one\n<<<<<<< HEAD\nteam\n=======\nTWO\n>>>>>>> paved v2\n"
    assert changes == {"n": FileChange(
        "n", Action.CONFLICT, new=entry(text), data=text,
        stages=(entry(base), entry(ours), entry(theirs)))}


def test_added_on_both_sides_differently_is_merged_from_an_empty_base(
        repo: Repository) -> None:
    changes = decide(repo, {}, {"x": b"team\n"}, {"x": b"template\n"})
    text = b"<<<<<<< HEAD\nteam\n=======\ntemplate\n>>>>>>> paved v2\n"
    assert changes == {"x": FileChange("x", Action.CONFLICT, new=entry(text), data=text,
                                       stages=(None, entry(b"team\n"),
                                               entry(b"template\n")))}


def test_a_merged_file_takes_the_templates_mode_change(repo: Repository) -> None:
    # The mutant `mode = o[0]` keeps a script the template made executable plain.
    changes = decide(repo, {"run.sh": b"a\nb\nc\n"}, {"run.sh": b"A\nb\nc\n"},
                     {"run.sh": (EXEC, b"a\nb\nC\n")})
    merged = b"A\nb\nC\n"
    assert changes["run.sh"] == FileChange("run.sh", Action.MERGED,
                                           new=entry(merged, EXEC), data=merged)


def test_a_merged_file_keeps_the_teams_mode_change(repo: Repository) -> None:
    changes = decide(repo, {"run.sh": b"a\nb\nc\n"}, {"run.sh": (EXEC, b"A\nb\nc\n")},
                     {"run.sh": b"a\nb\nC\n"})
    assert changes["run.sh"].new == entry(b"A\nb\nC\n", EXEC)
    # The team made a script plain, the template changed its text only. Modes are built
    # at run time, as read from git's output (equal, not the same objects).
    plain, executable = "".join(["100", "644"]), "".join(["100", "755"])
    changes = decide(repo, {"r": (executable, b"a\nb\nc\n")}, {"r": (plain, b"A\nb\nc\n")},
                     {"r": ("".join(["100", "755"]), b"a\nb\nC\n")})
    assert changes["r"].new == entry(b"A\nb\nC\n", FILE)
    changes = decide(repo, {"r": (plain, b"a\nb\nc\n")}, {"r": ("".join(["100", "644"]),
                                                                 b"A\nb\nc\n")},
                     {"r": (executable, b"a\nb\nC\n")})
    assert changes["r"].new == entry(b"A\nb\nC\n", EXEC)
    # Both changed the mode: the team's.
    changes = decide(repo, {"r": (EXEC, b"a\nb\nc\n")}, {"r": (FILE, b"A\nb\nc\n")},
                     {"r": (FILE, b"a\nb\nC\n")})
    assert changes["r"].new == entry(b"A\nb\nC\n", FILE)


def test_a_binary_changed_on_both_sides_is_a_conflict_keeping_ours(repo: Repository) -> None:
    # The mutant that drops the NUL test merges the bytes as text.
    base, ours, theirs = b"\0a\nb\nc\n", b"\0A\nb\nc\n", b"\0a\nb\nC\n"
    for name, sides in {"base": (base, ours, theirs), "ours": (b"a\nb\nc\n", ours, b"a\nb\nC\n"),
                        "theirs": (b"a\nb\nc\n", b"A\nb\nc\n", theirs)}.items():
        b, o, t = sides
        changes = decide(repo, {"logo.png": b}, {"logo.png": o}, {"logo.png": t})
        assert changes == {"logo.png": FileChange(
            "logo.png", Action.CONFLICT, new=entry(o),
            stages=(entry(b), entry(o), entry(t)))}, name


def test_a_link_changed_on_both_sides_is_a_conflict_keeping_ours(repo: Repository) -> None:
    for o, t in (((LINK, b"team"), b"template\n"), (b"team\n", (LINK, b"template"))):
        changes = decide(repo, {"l": (LINK, b"base")}, {"l": o}, {"l": t})
        assert changes["l"].action is Action.CONFLICT
        assert changes["l"].new == side({"l": o}).entries["l"]
        assert changes["l"].data is None


def test_a_file_the_template_moved_takes_the_teams_edits_along(repo: Repository) -> None:
    guide = b"the guide\n"
    changes = decide(repo, {"docs/guide.md": guide}, {"docs/guide.md": b"edited\n"},
                     {"docs/handbook.md": guide})
    assert changes == {
        "docs/guide.md": FileChange("docs/guide.md", Action.REMOVED),
        "docs/handbook.md": FileChange("docs/handbook.md", Action.RENAMED,
                                       new=entry(b"edited\n")),
    }


@pytest.mark.parametrize("edit", [b"edited\n", b"changed\n", b"more\n", b"other\n"])
def test_a_moved_file_takes_any_edit_along(repo: Repository, edit: bytes) -> None:
    # Blob ids above and below the original's: a comparison other than equality shows.
    guide = b"the guide\n"
    changes = decide(repo, {"docs/guide.md": guide}, {"docs/guide.md": edit},
                     {"docs/handbook.md": guide})
    assert changes["docs/handbook.md"] == FileChange("docs/handbook.md", Action.RENAMED,
                                                     new=entry(edit))


def test_a_moved_file_the_team_left_alone_is_moved(repo: Repository) -> None:
    guide = b"the guide\n"
    changes = decide(repo, {"docs/guide.md": guide}, {"docs/guide.md": guide},
                     {"docs/handbook.md": guide})
    assert changes == {
        "docs/guide.md": FileChange("docs/guide.md", Action.REMOVED),
        "docs/handbook.md": FileChange("docs/handbook.md", Action.ADDED, new=entry(guide)),
    }


def test_a_moved_file_the_team_deleted_stays_deleted(repo: Repository) -> None:
    guide = b"the guide\n"
    changes = decide(repo, {"docs/guide.md": guide}, {}, {"docs/handbook.md": guide})
    assert changes == {"docs/handbook.md": FileChange("docs/handbook.md",
                                                      Action.LEFT_DELETED)}


def test_a_move_onto_a_path_the_repo_uses_is_no_move(repo: Repository) -> None:
    guide = b"the guide\n"
    changes = decide(repo, {"docs/guide.md": guide},
                     {"docs/guide.md": b"edited\n", "docs/handbook.md": b"the team's\n"},
                     {"docs/handbook.md": guide})
    text = b"<<<<<<< HEAD\nthe team's\n=======\nthe guide\n>>>>>>> paved v2\n"
    assert changes == {
        "docs/guide.md": FileChange("docs/guide.md", Action.KEPT),
        "docs/handbook.md": FileChange("docs/handbook.md", Action.CONFLICT, new=entry(text),
                                       data=text,
                                       stages=(None, entry(b"the team's\n"), entry(guide))),
    }


def test_a_once_file_moved_with_edits_is_not_removed(repo: Repository) -> None:
    guide = b"the guide\n"
    changes = decide(repo, {"app/a.py": guide}, {"app/a.py": b"edited\n"},
                     {"app/b.py": guide}, once=("app/**",))
    assert changes == {"app/a.py": FileChange("app/a.py", Action.ONCE),
                       "app/b.py": FileChange("app/b.py", Action.RENAMED,
                                              new=entry(b"edited\n"))}


def test_moves_of_files_alike_are_not_followed(repo: Repository) -> None:
    empty = b""
    # Two empty files removed, one added: which one moved is unknown.
    changes = decide(repo, {"a/__init__.py": empty, "b/__init__.py": empty},
                     {"a/__init__.py": b"team\n", "b/__init__.py": empty},
                     {"c/__init__.py": empty})
    assert changes == {
        "a/__init__.py": FileChange("a/__init__.py", Action.KEPT),
        "b/__init__.py": FileChange("b/__init__.py", Action.REMOVED),
        "c/__init__.py": FileChange("c/__init__.py", Action.ADDED, new=entry(empty)),
    }
    # One removed, two added alike: no move either.
    changes = decide(repo, {"a/__init__.py": empty}, {"a/__init__.py": b"team\n"},
                     {"b/__init__.py": empty, "c/__init__.py": empty})
    assert changes["a/__init__.py"] == FileChange("a/__init__.py", Action.KEPT)
    assert changes["b/__init__.py"] == FileChange("b/__init__.py", Action.ADDED,
                                                  new=entry(empty))


def test_a_blob_only_in_the_repository_is_read_from_git(repo: Repository) -> None:
    ours_data = b"alpha\nbeta\nGAMMA\n"
    sha = repo.store_blob(ours_data)
    ours = Snapshot({"c": (FILE, sha)})  # a HEAD snapshot holds no bytes
    changes = plan(repo, side({"c": b"alpha\nbeta\ngamma\n"}), ours,
                   side({"c": b"ALPHA\nbeta\ngamma\n"}), once=(), labels=LABELS)
    assert changes[0].data == b"ALPHA\nbeta\nGAMMA\n"


def test_diffs_show_what_each_write_does(repo: Repository) -> None:
    changes = decide(
        repo,
        {"u": b"1\n", "r": b"gone\n", "k": b"k\n", "bin": b"\0a", "nonl": b"x\n",
         "tobin": b"text\n", "frombin": b"\0a"},
        {"u": b"1\n", "r": b"gone\n", "k": b"team\n", "bin": b"\0a", "nonl": b"x\n",
         "tobin": b"text\n", "frombin": b"\0a"},
        {"u": b"2\n", "a": b"new\n", "bin": b"\0b", "nonl": b"y", "tobin": b"\0bin",
         "frombin": b"text\n"},
        with_diffs=True)
    assert changes["u"].diff == "--- a/u\n+++ b/u\n@@ -1 +1 @@\n-1\n+2\n"
    assert changes["a"].diff == "--- /dev/null\n+++ b/a\n@@ -0,0 +1 @@\n+new\n"
    assert changes["r"].diff == "--- a/r\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n"
    assert changes["bin"].diff == "Binary files a/bin and b/bin differ\n"
    assert changes["tobin"].diff == "Binary files a/tobin and b/tobin differ\n"
    assert changes["frombin"].diff == "Binary files a/frombin and b/frombin differ\n"
    assert changes["nonl"].diff == ("--- a/nonl\n+++ b/nonl\n@@ -1 +1 @@\n-x\n+y\n"
                                    "\\ No newline at end of file\n")
    assert changes["k"].diff == ""  # kept: nothing written


def test_a_merge_diff_shows_the_merged_text(repo: Repository) -> None:
    changes = decide(repo, {"c": b"a\nb\nc\n"}, {"c": b"A\nb\nc\n"}, {"c": b"a\nb\nC\n"},
                     with_diffs=True)
    assert changes["c"].diff == "--- a/c\n+++ b/c\n@@ -1,3 +1,3 @@\n A\n b\n-c\n+C\n"
    assert decide(repo, {"c": b"a\n"}, {"c": b"a\n"}, {"c": b"b\n"})["c"].diff == ""


def test_read_directory_hashes_files_modes_and_links_but_not_git(repo: Repository,
                                                                 tmp_path: Path) -> None:
    root = tmp_path / "render"
    (root / "bin").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: x\n")
    (root / ".circleci").mkdir()  # a folder named below .git is read
    (root / ".circleci" / "config.yml").write_bytes(b"version: 2\n")
    (root / "others-run").write_bytes(b"x\n")
    os.chmod(root / "others-run", 0o645)  # git looks at the owner's bit alone
    (root / "README.md").write_bytes(b"hi\n")
    (root / "bin" / "run").write_bytes(b"#!/bin/sh\n")
    os.chmod(root / "bin" / "run", 0o755)
    os.symlink("README.md", root / "link")
    snapshot = read_directory(root, repo)
    assert snapshot.entries == {
        ".circleci/config.yml": entry(b"version: 2\n"),
        "others-run": entry(b"x\n"),
        "README.md": entry(b"hi\n"),
        "bin/run": entry(b"#!/bin/sh\n", EXEC),
        "link": entry(b"README.md", LINK),
    }
    assert snapshot.blobs == {blob_sha(data): data for data in (
        b"hi\n", b"#!/bin/sh\n", b"README.md", b"version: 2\n", b"x\n")}


def test_read_directory_keeps_what_git_stores_where_gitattributes_convert(
        repo: Repository, tmp_path: Path) -> None:
    """A render whose `.gitattributes` says `eol=crlf` holds CRLF files; git stores them
    with LF, and so does the snapshot (the blob stored), keeping the rendered bytes."""
    root = tmp_path / "render"
    root.mkdir()
    (root / ".gitattributes").write_bytes(b"*.txt text eol=crlf\n")
    (root / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    (root / "lf.md").write_bytes(b"left\r\nas is\n")
    snapshot = read_directory(root, repo)
    assert snapshot.entries["crlf.txt"] == entry(b"one\ntwo\n")
    assert snapshot.entries["lf.md"] == entry(b"left\r\nas is\n")
    assert snapshot.worktree == {"crlf.txt": b"one\r\ntwo\r\n"}
    assert repo.read_blob(blob_sha(b"one\ntwo\n")) == b"one\ntwo\n"
    assert set(snapshot.blobs) == {blob_sha(b"*.txt text eol=crlf\n"),
                                   blob_sha(b"left\r\nas is\n")}


def test_plans_are_immutable(repo: Repository) -> None:
    change = decide(repo, {}, {}, {"new": b"n\n"})["new"]
    snapshot, labels = side({"a": b"1\n"}), Labels("a", "b", "c")
    for value, name in ((change, "action"), (snapshot, "entries"), (labels, "ours")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, None)
