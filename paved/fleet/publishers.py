"""How a fleet update leaves the workspace: a pushed branch, or a pull request.

Each publisher has a `name` (the `--publish` value) and `publish(...)`, which
returns where the change can be seen. A new kind (GitLab merge requests, say)
is one new class added to `PUBLISHERS`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from paved import git
from paved.errors import PavedError

TOKEN_ENV = "GITHUB_TOKEN"
API_ENV = "GITHUB_API_URL"  # set by GitHub Actions; GitHub Enterprise or a test server
DEFAULT_API = "https://api.github.com"


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


class Publisher(Protocol):
    name: str

    def publish(self, change: Change) -> str: ...


class BranchOnly:
    """Push the update branch to the repository; a person opens the change request."""

    name = "branch"

    def publish(self, change: Change) -> str:
        git.push_branch(change.clone, change.branch)
        return f"{change.location} branch {change.branch}"


class GitHubPullRequest:
    """Push the branch and open (or find the open) pull request, with `$GITHUB_TOKEN`."""

    name = "github"

    def publish(self, change: Change) -> str:
        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise PublishError(f"the github publisher needs a token in ${TOKEN_ENV}")
        git.push_branch(change.clone, change.branch)
        from github import Auth, Github, GithubException

        slug = repository_slug(change.location)
        client = Github(auth=Auth.Token(token), base_url=os.environ.get(API_ENV, DEFAULT_API),
                        retry=None, timeout=30)
        try:
            repo = client.get_repo(slug)
            owner = slug.split("/", 1)[0]
            for pull in repo.get_pulls(state="open", head=f"{owner}:{change.branch}"):
                return str(pull.html_url)
            pull = repo.create_pull(title=change.title, body=change.body, head=change.branch,
                                    base=change.base)
            return str(pull.html_url)
        except GithubException as error:
            message = error.data.get("message") if isinstance(error.data, dict) else error.data
            raise PublishError(f"GitHub refused the pull request for {slug}: "
                               f"{error.status} {message}") from error
        finally:
            client.close()


PUBLISHERS: dict[str, Publisher] = {p.name: p for p in (BranchOnly(), GitHubPullRequest())}


def repository_slug(location: str) -> str:
    """`owner/name` from a remote such as git@github.com:owner/name.git or a path."""
    match = re.search(r"([^/:]+)/([^/:]+?)(?:\.git)?/?$", location)
    if not match:
        raise PublishError(f"cannot tell the GitHub owner and name of {location}")
    return f"{match.group(1)}/{match.group(2)}"
