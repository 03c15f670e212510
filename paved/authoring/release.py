"""Releasing a catalog version (`paved template release`): a changelog commit and a tag.

A release refuses a dirty tree and a version not above the latest, lints the
catalog (and tests it unless told not to), then writes the `## X.Y.Z` section of
CHANGELOG.md from its `## Unreleased` notes and the subjects of the commits
since the last release, commits it and creates the annotated tag `vX.Y.Z` that
`paved update` will offer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from paved import git
from paved.authoring.lint import lint_catalog
from paved.authoring.trial import run_trial
from paved.catalog import parse_version, release_tags
from paved.errors import CatalogError, GitError, InputError, ProjectError, one_line

CHANGELOG = "CHANGELOG.md"
BUMPS = ("major", "minor", "patch")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_HEADER = """\
# Catalog changelog

Every released version of this catalog, newest first. `paved update` quotes the
entries between a repo's version and the new one in its commit.
"""


@dataclass(frozen=True)
class ReleaseResult:
    catalog: str
    version: str
    previous: str | None
    tag: str
    commit: str
    changes: tuple[str, ...]
    tested: bool


def release(root: Path, *, version: str | None = None, bump: str | None = None,
            skip_test: bool = False, trust: bool = False,
            progress: Callable[[str], None] = lambda message: None) -> ReleaseResult:
    """Release the catalog at `root` as `version` (or the latest bumped by `bump`).

    The test (`run_trial`) runs the catalog's test_command only with `trust` (or a
    trusted catalog); otherwise it refuses, and so does the release.
    """
    root = root.resolve()
    repo = git.work_tree_root(root) if root.is_dir() else None
    if repo is None:
        raise CatalogError(f"{root} is not in a git repository: catalog versions are git tags")
    released = release_tags(repo)
    previous = list(released)[-1] if released else None
    new = next_version(previous, version=version, bump=bump)
    if dirty := git.changed_files(repo):
        raise ProjectError(f"{repo} has uncommitted changes ({', '.join(dirty[:3])}"
                           f"{', …' if len(dirty) > 3 else ''}); commit or stash them first")
    scope = root.relative_to(repo).as_posix() or "."
    since = released[previous] if previous else None
    changes = [subject for subject in git.subjects(repo, since, scope)
               if not subject.startswith("Release ")]
    if not changes:
        raise InputError(f"nothing to release: no commits to {scope} since {since}")
    progress("linting the catalog")
    linted = lint_catalog(root)
    if linted.errors:
        raise CatalogError(f"lint found {linted.errors} error(s); run `paved template lint "
                           f"{root}` and fix them before releasing")
    if not skip_test:
        progress("testing the catalog (skip with --skip-test)")
        trial = run_trial(root, trust=trust, progress=progress)
        if not trial.passed:
            raise CatalogError("`paved template test` failed; run it to see which render "
                               "and step, and fix it before releasing")
    changelog = root / CHANGELOG
    existed = changelog.is_file()
    text = changelog.read_text(encoding="utf-8") if existed else _HEADER
    changelog.write_text(add_section(text, new, changes), encoding="utf-8")
    message = f"Release {new}\n\n" + "\n".join(f"- {change}" for change in changes) + "\n"
    try:
        commit = git.commit_paths(repo, [changelog.relative_to(repo).as_posix()], message)
    except GitError:
        if existed:
            changelog.write_text(text, encoding="utf-8")
        else:
            changelog.unlink()
        raise
    git.tag_annotated(repo, f"v{new}", message)
    return ReleaseResult(catalog=str(root), version=new, previous=previous, tag=f"v{new}",
                         commit=commit, changes=tuple(changes), tested=not skip_test)


def next_version(latest: str | None, *, version: str | None, bump: str | None) -> str:
    """The version to release: `version` as given, or `latest` bumped; never going back."""
    if (version is None) == (bump is None):
        raise InputError("give exactly one of --version X.Y.Z and --bump major|minor|patch")
    current = (parse_version(latest) if latest else None) or Version("0.0.0")
    if bump is not None:
        if bump not in BUMPS:
            raise InputError(f"--bump must be one of {', '.join(BUMPS)}, not {bump!r}")
        major, minor, patch = current.release[:3] if latest else (0, 0, 0)
        parts = {"major": (major + 1, 0, 0), "minor": (major, minor + 1, 0),
                 "patch": (major, minor, patch + 1)}[bump]
        return ".".join(map(str, parts))
    assert version is not None
    match = _VERSION.match(version)
    if not match:
        raise InputError(f"{one_line(repr(version), 40)} is not a version like 1.2.3")
    wanted = parse_version(".".join(match.groups()))
    if wanted is None:  # digits, but more of them than any version has
        raise InputError(f"{one_line(repr(version), 40)} is not a version like 1.2.3")
    if latest and wanted <= current:
        raise InputError(f"version {wanted} is not greater than the latest release {latest}")
    return str(wanted)


def add_section(changelog: str, version: str, changes: list[str]) -> str:
    """`changelog` with a `## version` section of `changes` above the newest one.

    Notes written by hand under `## Unreleased` (what teams will see change in their
    repos, said in the author's words) open the section, before the commit subjects.
    """
    notes = ""
    unreleased = re.search(r"^## Unreleased[ \t]*\n(?P<body>.*?)(?=^## |\Z)", changelog,
                           flags=re.MULTILINE | re.DOTALL)
    if unreleased is not None:
        notes = unreleased["body"].strip("\n") + "\n" if unreleased["body"].strip() else ""
        changelog = changelog[:unreleased.start()] + changelog[unreleased.end():]
    section = (f"## {version}\n\n" + notes
               + "".join(f"- {change}\n" for change in changes) + "\n")
    match = re.search(r"^## ", changelog, flags=re.MULTILINE)
    if match is None:
        return changelog.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    return changelog[:match.start()] + section + changelog[match.start():]
