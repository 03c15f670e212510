"""Path patterns, matched with gitignore semantics (pathspec) wherever paved matches paths.

A catalog's `managed:` and `once:` lists and copier's `_exclude` are read the
way git reads a `.gitignore` and copier reads `_exclude` (the same pathspec
"gitignore" patterns):

- `*` and `?` never cross a `/`: `src/*/settings.py` matches
  `src/pkg/settings.py`, not `src/pkg/platform/settings.py`;
- `**` crosses directories: `src/*/platform/**` is everything below platform/;
- a pattern with a `/` at its start or in its middle is anchored at the
  project root; one without (`Makefile`) matches at any depth, so anchor it
  (`/Makefile`) to mean the root's file only;
- a pattern ending in `/` matches a directory and everything in it;
  `!pattern` takes back what an earlier pattern matched.

`fnmatch`, used before, let `*` cross `/` (issue 16).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathspec import PathSpec

#: pathspec's name for git's own rules (pathspec >= 1.0; copier uses the same).
STYLE = "gitignore"


def matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A test of relative POSIX paths (`src/pkg/api.py`) against all of `patterns`."""
    spec = _compiled(tuple(patterns))
    return lambda path: bool(spec.match_file(path))


def matches(patterns: Iterable[str], path: str) -> bool:
    """Whether `path` (relative, POSIX) is matched by `patterns` taken together."""
    return bool(_compiled(tuple(patterns)).match_file(path))


def matching(patterns: Iterable[str], path: str) -> tuple[str, ...]:
    """Each of `patterns` that matches `path` on its own (negations left out)."""
    return tuple(pattern for pattern in patterns
                 if not pattern.startswith("!") and matches((pattern,), path))


def invalid(patterns: Iterable[str]) -> str | None:
    """The first of `patterns` git would not accept (`!` alone, a trailing `\\`), or None."""
    for pattern in patterns:
        try:
            _compiled((pattern,))
        except ValueError:  # pathspec's GitIgnorePatternError
            return pattern
    return None


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> PathSpec[Any]:
    from pathspec import PathSpec  # on use: `paved --help` does not pay for it

    return PathSpec.from_lines(STYLE, patterns)


#: For a path: (True when the patterns include it, False when a `!` pattern takes it back,
#: None when none speaks), and the index of the pattern that decided.
Decision = tuple[bool | None, int | None]


def decider(lines: Iterable[str]) -> Callable[[str], Decision]:
    """The lines of one `.gitignore` file (or a list of excludes read as one) as git
    reads them: the last matching pattern decides; a path ending in `/` is a folder."""
    from pathspec import GitIgnoreSpec

    spec = GitIgnoreSpec.from_lines(list(lines))

    def decide(path: str) -> Decision:
        found = spec.check_file(path)
        return found.include, found.index

    return decide
