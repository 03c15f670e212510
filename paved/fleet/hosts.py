"""The hosts a fleet can live on, each client imported only when a command names it
(start-up time matters: PyGithub and python-gitlab pull in requests and more)."""

from __future__ import annotations

from paved.fleet.hosting import Host, HostError

HOSTS = ("github", "gitlab")


def connect(name: str) -> Host:
    """The client of host `name`; `HostError` when its token is missing."""
    if name == "github":
        from paved.fleet.github import GitHub

        return GitHub()
    if name == "gitlab":
        from paved.fleet.gitlab import GitLab

        return GitLab()
    raise HostError(f"no host {name!r}; choose one of {', '.join(HOSTS)}")
