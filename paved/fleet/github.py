"""GitHub through PyGithub: an organisation's repos, a repo's update pull request, its checks.

Imported only when a fleet command names GitHub. Rate limits and server errors
are retried by PyGithub's own `GithubRetry` (urllib3's Retry): 403 and 429 wait
for `Retry-After` or the primary limit's `X-RateLimit-Reset` (at most
`MAX_WAIT`), 5xx back off exponentially; writes keep PyGithub's pacing.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from github import Auth, Github, GithubException, GithubRetry, RateLimitExceededExceedsMaxWait
from requests.exceptions import RequestException

from paved.fleet.hosting import (
    HostedRepo,
    HostError,
    Proposal,
    Proposed,
    Request,
    State,
    capped,
)
from paved.project import RECORD_FILE

if TYPE_CHECKING:
    from github.PullRequest import PullRequest
    from github.Repository import Repository

TOKEN_ENV = "GITHUB_TOKEN"
API_ENV = "GITHUB_API_URL"  # set by GitHub Actions; GitHub Enterprise or a test server
DEFAULT_API = "https://api.github.com"
RETRIES = 6  # per request, on 403/429 rate limits and 5xx
BACKOFF = 2.0  # seconds before the 2nd retry of a 5xx, doubled each time (urllib3)
MAX_WAIT = 900.0  # the longest wait for a rate limit to reset before the repo fails
# PyGithub's pacing (seconds between requests, between writes), as GitHub asks of
# integrations to stay clear of its secondary rate limits.
PACING: tuple[float | None, float | None] = (0.25, 1.0)
ARTIFACTS_SEEN = 100  # artifacts of a name looked at for one of the default branch
FAILED_CHECKS = {"failure", "timed_out", "cancelled", "action_required", "startup_failure"}


class GitHub:
    name = "github"
    noun = "pull request"

    def __init__(self) -> None:
        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise HostError(f"paved needs a GitHub token in ${TOKEN_ENV}")
        self.api = os.environ.get(API_ENV, DEFAULT_API)
        retry = GithubRetry(total=RETRIES, backoff_factor=BACKOFF, max_rate_limit_wait=MAX_WAIT,
                            secondary_rate_wait=60.0,
                            status_forcelist=[429, *range(500, 600)])
        self.client = Github(auth=Auth.Token(token), base_url=self.api, retry=retry, lazy=True,
                             timeout=30, per_page=100, seconds_between_requests=PACING[0],
                             seconds_between_writes=PACING[1])

    def repos(self, owner: str, topic: str | None) -> list[HostedRepo]:
        """The organisation's (or user's) live repos with `topic`, or else with a record."""
        with _translated(f"the repositories of {owner}"):
            try:
                listing = self.client.get_organization(owner).get_repos(type="all")
                repos = list(listing)
            except GithubException as error:
                if error.status != 404:
                    raise
                repos = list(self.client.get_user(owner).get_repos(type="owner"))
            found = []
            for repo in repos:
                if repo.archived:
                    continue
                if topic is not None and topic not in repo.topics:
                    continue
                if topic is None and not _has_record(repo):
                    continue
                found.append(HostedRepo(repo.full_name, repo.clone_url, repo.html_url,
                                        repo.default_branch))
            return found

    def latest(self, slug: str, branch: str) -> Proposal | None:
        """The newest pull request from `branch`, whatever its state, with its checks."""
        with _translated(f"the pull requests of {slug}"):
            repo = self.client.get_repo(slug)
            for pull in repo.get_pulls(state="all", head=_head(slug, branch), sort="created",
                                       direction="desc"):
                return _proposal(pull, _checks(repo, pull))
            return None

    def propose(self, request: Request) -> Proposed:
        """Open the pull request from `request.branch`, or refresh the open one."""
        with _translated(f"the pull request for {request.slug}"):
            repo = self.client.get_repo(request.slug)
            pull, created = _open_pull(repo, request), False
            if pull is None:
                pull, created = _create(repo, request)
            else:
                pull.edit(title=request.title, body=request.body)
            notes = []
            if request.labels:
                pull.add_to_labels(*request.labels)
            if created and request.reviewers:
                notes += _request_reviews(pull, request.reviewers)
            if request.auto_merge and not request.draft:
                notes += _auto_merge(pull)
            return Proposed(_proposal(pull, State.DRAFT if pull.draft else State.OPEN),
                            created, tuple(notes))

    def artifact(self, slug: str, name: str, limit: int) -> bytes | None:
        """The newest unexpired Actions artifact `name` of a run on the default branch."""
        with _translated(f"the artifact {name} of {slug}"):
            repo = self.client.get_repo(slug)
            branch = repo.default_branch
            # Newest first; a name used on many branches is not paged through for ever.
            for found in itertools.islice(repo.get_artifacts(name), ARTIFACTS_SEEN):
                run = found.workflow_run
                if found.name != name or found.expired or run is None or run.head_branch != branch:
                    continue
                if found.size_in_bytes > limit:
                    raise HostError(f"the artifact {name} of {slug} is larger than {limit} "
                                    "bytes: not downloaded")
                return self._download(found.archive_download_url, f"the artifact {name} of {slug}",
                                      limit)
            return None

    def _download(self, url: str, what: str, limit: int) -> bytes:
        # GitHub answers 302 to a signed storage URL on another host; requests drops the
        # Authorization header when a redirect leaves the host, so the token stays with GitHub.
        import requests

        token = os.environ.get(TOKEN_ENV, "")
        with requests.get(url, headers={"Authorization": f"Bearer {token}",
                                        "Accept": "application/vnd.github+json"},
                          stream=True, timeout=30) as answer:
            if answer.status_code != 200:
                raise HostError(f"GitHub refused {what}: {answer.status_code}")
            return capped(answer.iter_content(65536), limit, what)


def _head(slug: str, branch: str) -> str:
    return f"{slug.split('/', 1)[0]}:{branch}"


def _open_pull(repo: Repository, request: Request) -> PullRequest | None:
    for pull in repo.get_pulls(state="open", head=_head(request.slug, request.branch),
                               base=request.base):
        return pull
    return None


def _create(repo: Repository, request: Request) -> tuple[PullRequest, bool]:
    try:
        return repo.create_pull(title=request.title, body=request.body, head=request.branch,
                                base=request.base, draft=request.draft), True
    except GithubException as error:
        # Opened meanwhile (by another run, or by a POST that was retried after the
        # server had created it): GitHub answers 422 "A pull request already exists".
        found = _open_pull(repo, request) if error.status == 422 else None
        if found is None:
            raise
        return found, False


def _request_reviews(pull: PullRequest, owners: tuple[str, ...]) -> list[str]:
    users = [owner[1:] for owner in owners if owner.startswith("@") and "/" not in owner]
    teams = [owner.split("/", 1)[1] for owner in owners if owner.startswith("@") and "/" in owner]
    if not users and not teams:
        return []
    try:
        pull.create_review_request(reviewers=users, team_reviewers=teams)
    except GithubException as error:  # an owner without access to the repo, say
        return [f"reviewers not requested: {error.status} {reason(error)}"]
    return []


def _auto_merge(pull: PullRequest) -> list[str]:
    # A merge commit, never squash or rebase: the update commit's second parent is
    # the pristine render the next update merges from (docs/architecture.md).
    try:
        pull.enable_automerge(merge_method="MERGE")
    except GithubException as error:  # auto-merge not allowed in the repo's settings
        return [f"auto-merge not enabled: {reason(error)}"]
    return []


def _checks(repo: Repository, pull: PullRequest) -> State:
    if pull.merged_at is not None:
        return State.MERGED
    if pull.state == "closed":
        return State.CLOSED
    if pull.draft:
        return State.DRAFT
    commit = repo.get_commit(pull.head.sha)
    runs = list(commit.get_check_runs())
    combined = commit.get_combined_status()
    statuses = [status.state for status in combined.statuses]
    if any(run.conclusion in FAILED_CHECKS for run in runs) or \
            any(state in ("failure", "error") for state in statuses):
        return State.CHECKS_FAILING
    if any(run.status != "completed" for run in runs) or "pending" in statuses:
        return State.CHECKS_PENDING
    return State.CHECKS_PASSING if runs or statuses else State.OPEN


def _proposal(pull: PullRequest, state: State) -> Proposal:
    return Proposal(number=pull.number, url=pull.html_url, state=state, title=pull.title,
                    head_sha=pull.head.sha)


def _has_record(repo: Repository) -> bool:
    try:
        repo.get_contents(RECORD_FILE, ref=repo.default_branch)
    except GithubException as error:
        if error.status in (404, 409):  # 409: an empty repository (no commit yet)
            return False
        raise
    return True


def reason(error: GithubException) -> str:
    """GitHub's message, with the first validation error's details (422)."""
    data: Any = error.data
    if not isinstance(data, dict):
        return str(data)
    message = str(data.get("message", ""))
    details = data.get("errors") or []
    if details and isinstance(details[0], dict):
        first = details[0]
        detail = first.get("message") or " ".join(
            str(first[key]) for key in ("field", "code") if key in first)
        message = f"{message}: {detail}" if message and detail else message or detail
    return message


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except RateLimitExceededExceedsMaxWait as error:
        raise HostError(f"GitHub's rate limit for {what} resets in {error.wait:.0f}s, past "
                        f"paved's {MAX_WAIT:.0f}s wait; rerun later to carry on") from error
    except GithubException as error:
        raise HostError(f"GitHub refused {what}: {error.status} {reason(error)}") from error
    except RequestException as error:
        # Retries exhausted (urllib3's MaxRetryError inside) or the host unreachable.
        raise HostError(f"GitHub did not answer for {what}: {_cause(error)}") from error


def _cause(error: RequestException) -> str:
    # requests wraps urllib3's MaxRetryError, whose `reason` says what the retries met.
    inner = error.args[0] if error.args else None
    return str(getattr(inner, "reason", None) or error)
