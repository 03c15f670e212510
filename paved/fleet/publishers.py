"""How a fleet update leaves the workspace: a pushed branch, or a pull (merge) request.

Each publisher has a `name` (the `--publish` value), says whether it `proposes`
(opens pull or merge requests on a host) and `publish(change)`, which returns
where the change can be seen. A host's client is created before anything is
pushed, so a missing token fails the repo before its branch moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from paved import git
from paved.errors import PavedError
from paved.fleet import hosting, hosts


class PublishError(PavedError):
    """The change could not be pushed or proposed."""


@dataclass(frozen=True)
class Change:
    clone: Path  # the workspace clone holding the committed branch
    location: str  # the repository's remote (path or URL)
    branch: str
    base: str  # the branch the change is proposed against
    title: str
    body: str
    slug: str | None = None  # the repository's path on its host, when the source knows it
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    auto_merge: bool = False
    draft: bool = False  # conflicts committed with their markers


@dataclass(frozen=True)
class Published:
    where: str  # the proposal's URL, or the remote and branch
    created: bool = True  # False: an open proposal was refreshed
    notes: tuple[str, ...] = ()  # what the host would not do (reviewers, auto-merge)


class Publisher(Protocol):
    name: str
    proposes: bool

    def publish(self, change: Change) -> Published: ...


class BranchOnly:
    """Push the update branch to the repository; a person opens the change request."""

    name = "branch"
    proposes = False

    def publish(self, change: Change) -> Published:
        git.push_branch(change.clone, change.branch)
        return Published(f"{change.location} branch {change.branch}")


class HostedProposal:
    """Push the branch, then open the pull/merge request or refresh the open one."""

    proposes = True

    def __init__(self, host: str) -> None:
        self.name = host

    def publish(self, change: Change) -> Published:
        host = hosts.connect(self.name)
        slug = change.slug or hosting.slug_of(change.location)
        git.push_branch(change.clone, change.branch)
        proposed = host.propose(hosting.Request(
            slug=slug, branch=change.branch, base=change.base, title=change.title,
            body=change.body, labels=change.labels, reviewers=change.reviewers,
            auto_merge=change.auto_merge, draft=change.draft))
        return Published(proposed.proposal.url, proposed.created, proposed.notes)


PUBLISHERS: dict[str, Publisher] = {
    publisher.name: publisher
    for publisher in (BranchOnly(), HostedProposal("github"), HostedProposal("gitlab"))}


def publisher(name: str) -> Publisher:
    """The publisher `name` (`--publisher`), or `PublishError` naming the ones there are."""
    if name not in PUBLISHERS:
        raise PublishError(f"no publisher {name!r}; choose one of {', '.join(PUBLISHERS)}")
    return PUBLISHERS[name]
