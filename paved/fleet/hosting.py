"""Where fleet repos are hosted (GitHub, GitLab): the nouns both hosts share.

A host lists the repositories of an organisation or group (`sources.py`),
opens or refreshes the one update pull request of a repo (`publishers.py`),
tells the state of the newest one (`status.py`) and hands over the newest CI
artifact of a name, the chaos journal say (`evidence.py`). `github.py` and `gitlab.py`
each wrap their client library; `hosts.connect` imports one only when a fleet
command asks for that host.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from paved.errors import PavedError


class HostError(PavedError):
    """The hosting service refused a request, or cannot be reached."""


@dataclass(frozen=True)
class HostedRepo:
    slug: str  # owner/name on GitHub; the full path with subgroups on GitLab
    clone_url: str
    web_url: str
    default_branch: str


class State(enum.Enum):
    OPEN = "open"
    DRAFT = "draft"
    CHECKS_FAILING = "checks failing"
    CHECKS_PENDING = "checks pending"
    CHECKS_PASSING = "checks passing"
    MERGED = "merged"
    CLOSED = "closed"  # without merging


@dataclass(frozen=True)
class Proposal:
    """A pull request (GitHub) or merge request (GitLab) as the host reports it."""

    number: int
    url: str
    state: State
    title: str
    head_sha: str = ""


@dataclass(frozen=True)
class Request:
    """What a publisher asks the host for: one proposal from `branch` into `base`."""

    slug: str
    branch: str
    base: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()  # CODEOWNERS owners: @user, @org/team, email
    auto_merge: bool = False
    draft: bool = False


@dataclass(frozen=True)
class Proposed:
    """The proposal a publish left open, and what the host would not do (one line each)."""

    proposal: Proposal
    created: bool
    notes: tuple[str, ...] = ()


class Host(Protocol):
    name: str
    noun: str  # "pull request" or "merge request"

    def repos(self, owner: str, topic: str | None) -> list[HostedRepo]: ...

    def latest(self, slug: str, branch: str) -> Proposal | None: ...

    def propose(self, request: Request) -> Proposed: ...

    def artifact(self, slug: str, name: str, limit: int) -> bytes | None:
        """The zip archive of the newest artifact `name` (GitHub: an Actions artifact;
        GitLab: the artifacts of job `name`) built on the default branch, or None when
        there is none; `HostError` when it is larger than `limit` bytes."""
        ...


def capped(chunks: Iterable[bytes], limit: int, what: str) -> bytes:
    """The chunks joined, refusing (HostError) past `limit` bytes: a download is read
    only that far, whatever the server says its size is."""
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > limit:
            raise HostError(f"{what} is larger than {limit} bytes: not downloaded")
    return bytes(data)


def slug_of(location: str) -> str:
    """The repository's path on its host: `owner/name` from git@host:owner/name.git, the
    whole path of an https URL (GitLab subgroups), or a local path's last two parts."""
    url = re.match(r"^([a-z][a-z0-9+.-]*)://[^/]*/(.*)$", location)
    scp = re.match(r"^[^/@:]+@[^/:]+:(.*)$", location)
    if url and url.group(1) != "file":
        path = url.group(2)
    elif scp:
        path = scp.group(1)
    else:
        path = "/".join(location.rstrip("/").split("/")[-2:])
    path = path.strip("/").removesuffix(".git")
    if "/" not in path or "" in path.split("/"):
        raise HostError(f"cannot tell the owner and name of {location}")
    return path
