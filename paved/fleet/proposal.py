"""The pull (merge) request of a fleet update: its title, body and reviewers.

The body tells a reviewer what they need and nothing else: the catalog's
changelog between the two versions, every file the update touched grouped as
updated / merged / conflicts / kept, how to resolve conflicts, and how to
merge (a merge commit: its second parent is the pristine render the next
update merges from). Reviewers are the CODEOWNERS owners of those files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paved import paths
from paved.update.merge import Action
from paved.update.update import UpdateResult

BRANCH = "paved/update"  # one branch, one proposal per repo, kept up to date
#: The kinds of change a reviewer tells apart, each with the merge actions it covers.
GROUPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("updated", frozenset({Action.ADDED.value, Action.UPDATED.value, Action.REMOVED.value,
                           Action.RENAMED.value})),
    ("merged", frozenset({Action.MERGED.value})),
    ("conflict", frozenset({Action.CONFLICT.value})),
    ("kept", frozenset({Action.KEPT.value, Action.LEFT_DELETED.value, Action.ONCE.value})),
)
#: Where GitHub and GitLab look for CODEOWNERS, in their order.
CODEOWNERS = (".github/CODEOWNERS", ".gitlab/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
MARKER = "<!-- paved:update -->"  # lets a person (or a search) find paved's proposals


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def describe(update: UpdateResult, changelog: str, branch: str, base: str,
             noun: str = "pull request") -> Text:
    """The title and Markdown body of the proposal of `update`."""
    old, new = update.old_version, update.new_version
    title = f"Update {update.golden_path} from paved catalog v{old} to v{new}"
    lines = [MARKER,
             f"This {noun} brings the golden path `{update.golden_path}` from catalog "
             f"**v{old}** to **v{new}** (catalog `{update.catalog}`). paved merged the "
             "template's changes with this repository's own edits.", ""]
    # The changelog's `## X.Y.Z` sections become headings below this section's own.
    notes = re.sub(r"^(#+) ", r"###\1 ", changelog.strip(), flags=re.MULTILINE)
    lines += ["### What changed in the catalog", "", notes or
              f"The catalog has no changelog entry between v{old} and v{new}.", ""]
    lines += _files(update)
    if update.conflicts:
        lines += _conflicts(update, branch, new)
    lines += [
        "### Merging", "",
        "Merge with a **merge commit** (not squash or rebase): the update commit's second "
        "parent is the template's pristine render, which the next update merges from.", "",
        f"paved keeps this {noun} up to date: a newer catalog version replaces its branch "
        f"`{branch}` as long as only paved has committed to it. Once you push to `{branch}`, "
        f"paved leaves it to you. If `{base}` moved on and this {noun} conflicts with it, "
        f"merge `{base}` into `{branch}` and resolve as usual.", ""]
    return Text(title=title, body="\n".join(lines))


def count(update: UpdateResult) -> dict[str, int]:
    """Files per group: updated, merged, conflict, kept (named as the actions are)."""
    return {group: sum(1 for file in update.files if file.action in actions)
            for group, actions in GROUPS}


#: How a pull request's reader sees a group (JSON keeps the group's own name).
_SHOWN = {"conflict": "conflicts"}


def _files(update: UpdateResult) -> list[str]:
    counts = count(update)
    lines = ["### Files", "",
             " · ".join(f"{counts[group]} {_SHOWN.get(group, group)}" for group, _ in GROUPS),
             ""]
    rows = [(_SHOWN.get(group, group), file.path, file.action) for group, actions in GROUPS
            for file in update.files if file.action in actions]
    if rows:
        lines += ["| file | change | what paved did |", "|---|---|---|"]
        lines += [f"| `{_cell(path)}` | {group} | {action} |" for group, path, action in rows]
        lines.append("")
    return lines


def _conflicts(update: UpdateResult, branch: str, new: str) -> list[str]:
    files = " ".join(update.conflicts)
    return [
        "### Conflicts to resolve", "",
        f"The template and this repository changed the same lines of {len(update.conflicts)} "
        "file(s). They are committed with conflict markers, so this proposal is a draft "
        "and its checks fail until they are resolved:", "",
        "```sh", f"git fetch origin && git switch {branch}",
        f"git grep -n -e '^<<<<<<< ' -e '^>>>>>>> ' -- {files}",
        f"# keep what you need between <<<<<<< HEAD and >>>>>>> paved v{new}, drop the markers",
        f"git commit -am 'Resolve the paved v{new} update' && git push", "```", "",
        "Then mark it ready for review.", ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def reviewers(clone: Path, files: list[str]) -> tuple[str, ...]:
    """The CODEOWNERS owners of `files` (the last matching rule of each file wins)."""
    rules = _rules(clone)
    owners: dict[str, None] = {}
    for file in files:
        for pattern, names in reversed(rules):
            if pattern(file):
                owners.update(dict.fromkeys(names))
                break
    return tuple(owners)


def _rules(clone: Path) -> list[tuple[Callable[[str], bool], list[str]]]:
    for name in CODEOWNERS:
        path = clone / name
        if path.is_file():
            break
    else:
        return []
    rules = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 2 or words[0].startswith("["):  # blank, comment, GitLab section
            continue
        # CODEOWNERS patterns follow .gitignore's rules (GitHub docs); GitHub ignores a
        # line whose pattern is invalid.
        if paths.invalid([words[0]]) is None:
            rules.append((paths.matcher([words[0]]), [word for word in words[1:] if "@" in word]))
    return rules
