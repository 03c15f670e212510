"""CODEOWNERS against GitHub's documented syntax (pure; no GitHub API).

GitHub ("About code owners"): each line is a path pattern followed by owners;
an owner is `@username`, `@org/team-name` or an email address, and a team
needs its organisation (`@team` alone names a user). Of gitignore's syntax,
`!` negation, `[ ]` character ranges and a `\\#` escape are not supported (the
line is ignored). A pattern with no owners is allowed: it takes ownership away.
GitHub marks the offending lines in the file's view and requests no review
for them, so each is a finding here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# GitHub logins and organisations: letters, digits and single inner dashes, at most 39.
_LOGIN = r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}"
USER = re.compile(rf"^@{_LOGIN}$")
TEAM = re.compile(rf"^@{_LOGIN}/[A-Za-z0-9][A-Za-z0-9_.-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOCATIONS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


def owner_problem(owner: str) -> str | None:
    """Why GitHub would not accept `owner`, or None when it is `@user`, `@org/team` or email."""
    if TEAM.match(owner) or USER.match(owner) or EMAIL.match(owner):
        return None
    if owner.startswith("@") and "/" not in owner:
        return f"{owner!r} is not a GitHub login (letters, digits and single dashes)"
    if not owner.startswith("@") and "@" not in owner:
        return (f"{owner!r} is not an owner: write a team as @org/team, a user as @login, "
                "or an email address")
    return f"{owner!r} is not an owner: a team is @org/team, a user @login"


def check(text: str) -> list[Problem]:
    """Every line of a CODEOWNERS file GitHub would reject, with the reason."""
    problems = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, *owners = line.split()
        if pattern.startswith("!"):
            problems.append(Problem(number, f"{pattern!r}: negation (!) is not supported"))
        elif "[" in pattern or "]" in pattern:
            problems.append(Problem(number, f"{pattern!r}: character ranges ([ ]) are not "
                                            "supported"))
        elif pattern.startswith("\\#"):
            problems.append(Problem(number, f"{pattern!r}: escaping # is not supported"))
        for owner in owners:
            if owner.startswith("#"):
                break  # the rest of the line is a comment
            reason = owner_problem(owner)
            if reason:
                problems.append(Problem(number, reason))
    return problems
