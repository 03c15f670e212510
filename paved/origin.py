"""Where a generated repo finds its catalog and its paved, from any machine.

A generated repo is updated by people and by CI runners (the scheduled
paved-update workflow), so what it records must be reachable from elsewhere:

- the catalog: a git URL as given; for a local path, the URL the catalog
  declares (`url:` in paved-catalog.yml), else its clone's `origin`; never a
  URL carrying a token, since the record is committed; a local path only as a
  last resort, with a note to the user;
- paved itself: the catalog's `paved_requirement:`, an exact pin of the
  `paved-cli` distribution (`paved-cli==X.Y.Z`, or a direct URL at a tag),
  never the bare PyPI name `paved`, which belongs to an unrelated project.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

import paved

# A git URL another machine can reach: https, ssh or git scheme, or scp-like user@host:path.
_REMOTE_URL = re.compile(r"^(?:(?:https?|ssh|git)://[^/\s]+/\S+|[\w.-]+@[\w.-]+:\S+)$")


def url_problem(value: object) -> str:
    """Why `value` cannot be a catalog's canonical URL ("" when it can)."""
    if not isinstance(value, str) or not _REMOTE_URL.match(value):
        return "must be a git URL other machines reach (https://…, ssh://… or git@host:path)"
    if without_credentials(value) != value:
        return "must not carry credentials: it is recorded in every generated repository"
    return ""


def without_credentials(url: str) -> str:
    """`url` without a password or token in its user part (`https://TOKEN@host/…`)."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    user, _, host = parts.netloc.rpartition("@")
    if parts.scheme in ("http", "https") or ":" in user:
        return urlunsplit(parts._replace(netloc=host))
    return url


def requirement_problem(value: object) -> str:
    """Why `value` cannot pin the paved generated repos install ("" when it can)."""
    pinned = (f"must install {paved.DISTRIBUTION} exactly: `{paved.DISTRIBUTION}==X.Y.Z` or "
              f"`{paved.DISTRIBUTION} @ git+https://…@vX.Y.Z`")
    try:
        requirement = Requirement(str(value)) if isinstance(value, str) else None
    except InvalidRequirement:
        requirement = None
    if requirement is None or canonicalize_name(requirement.name) != paved.DISTRIBUTION \
            or requirement.marker is not None or requirement.extras:
        return pinned
    if requirement.url:
        url = requirement.url.removeprefix("git+")
        if without_credentials(url) != url:
            return "must not carry credentials: it is written into every generated repository"
        return "" if not requirement.specifier else pinned
    specs = list(requirement.specifier)
    if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        return pinned
    return ""


def reachable(path: str, *, declared: str, remote: str | None) -> tuple[str, str]:
    """What to record for the local catalog at `path`, and a note when only the path is left.

    `declared`: the catalog's `url:`; `remote`: its clone's `origin` URL.
    """
    if declared:
        return declared, ""
    if remote and not url_problem(without_credentials(remote)):
        return without_credentials(remote), ""
    return path, (f"the catalog is recorded as the local path {path}, which CI runners (the "
                  "scheduled paved-update workflow) cannot reach: give --catalog a git URL, "
                  "push the catalog and set its remote origin, or declare `url:` in its "
                  "paved-catalog.yml")


def plain_name(source: str) -> str:
    """The golden path of a plain copier template: its repository's name, however the
    source is spelled (`gh:acme/tpl`, `git+file:///srv/tpl`, `/srv/tpl/.git`, `tpl.git`)."""
    parts = [part for part in re.split(r"[/:\\]", source.removeprefix("git+")) if part]
    while parts and parts[-1] in {".git", "."}:
        parts.pop()
    name = parts[-1].removesuffix(".git") if parts else ""
    # paved names folders after it (`template test`): a plain name, never `..`.
    name = re.sub(r"\.{2,}", ".", re.sub(r"[^\w.-]+", "-", name)).strip(".-")
    return name or "template"
