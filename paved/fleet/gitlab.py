"""GitLab through python-gitlab: a group's projects, a project's update merge request.

Imported only when a fleet command names GitLab. python-gitlab retries 429
(waiting for `Retry-After` or `RateLimit-Reset`) and, as paved asks it to,
500/502/503/504 with exponential backoff, up to 10 times per request.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import gitlab
from gitlab.exceptions import GitlabError
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
    from gitlab.v4.objects import Project, ProjectMergeRequest

TOKEN_ENV = "GITLAB_TOKEN"
URL_ENVS = ("GITLAB_URL", "CI_SERVER_URL")  # CI_SERVER_URL: set in GitLab CI jobs
DEFAULT_URL = "https://gitlab.com"
FAILED_PIPELINES = {"failed", "canceled"}
PENDING_PIPELINES = {"created", "waiting_for_resource", "preparing", "pending", "running",
                     "scheduled", "manual"}


class GitLab:
    name = "gitlab"
    noun = "merge request"

    def __init__(self) -> None:
        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise HostError(f"paved needs a GitLab token in ${TOKEN_ENV}")
        url = next((os.environ[name] for name in URL_ENVS if os.environ.get(name)), DEFAULT_URL)
        self.client = gitlab.Gitlab(url, private_token=token, timeout=30, per_page=100,
                                    retry_transient_errors=True, keep_base_url=True)

    def repos(self, owner: str, topic: str | None) -> list[HostedRepo]:
        """The group's live projects (subgroups included) with `topic`, or else with a record."""
        with _translated(f"the projects of {owner}"):
            group = self.client.groups.get(owner)
            listed: dict[str, Any] = {"include_subgroups": True, "archived": False,
                                      "order_by": "path", "sort": "asc"}
            if topic is not None:
                listed["topic"] = topic
            found = []
            for project in group.projects.list(iterator=True, **listed):
                if topic is None and not self._has_record(project.id, project.default_branch):
                    continue
                found.append(HostedRepo(project.path_with_namespace, project.http_url_to_repo,
                                        project.web_url, project.default_branch))
            return found

    def latest(self, slug: str, branch: str) -> Proposal | None:
        """The newest merge request from `branch`, whatever its state, with its pipeline."""
        with _translated(f"the merge requests of {slug}"):
            project = self.client.projects.get(slug, lazy=True)
            for listed in project.mergerequests.list(
                    source_branch=branch, order_by="created_at", sort="desc", iterator=True):
                request = project.mergerequests.get(listed.iid)
                return _proposal(request, _state(request))
            return None

    def propose(self, request: Request) -> Proposed:
        """Open the merge request from `request.branch`, or refresh the open one."""
        with _translated(f"the merge request for {request.slug}"):
            project = self.client.projects.get(request.slug, lazy=True)
            title = f"Draft: {request.title}" if request.draft else request.title
            notes: list[str] = []
            found, created = _open_request(project, request), False
            if found is None:
                users, notes = self._reviewer_ids(request.reviewers)
                found, created = _create(project, request, title, users)
            else:
                changes: dict[str, Any] = {"title": title, "description": request.body}
                if request.labels:
                    changes["add_labels"] = ",".join(request.labels)
                project.mergerequests.update(found.iid, changes)
                found = project.mergerequests.get(found.iid)
            if request.auto_merge and not request.draft:
                notes += _auto_merge(found)
            return Proposed(_proposal(found, State.DRAFT if request.draft else State.OPEN),
                            created, tuple(notes))

    def artifact(self, slug: str, name: str, limit: int) -> bytes | None:
        """The artifacts of job `name` in the newest successful pipeline of the default
        branch (GitLab's "download the artifacts archive" by ref and job)."""
        what = f"the artifacts archive of job {name} in {slug}"
        with _translated(what):
            project = self.client.projects.get(slug)
            chunks: list[bytes] = []

            def keep(chunk: bytes) -> None:
                chunks.append(chunk)
                if sum(map(len, chunks)) > limit:  # stops the download there
                    capped(chunks, limit, what)

            try:
                project.artifacts.download(ref_name=project.default_branch, job=name,
                                           streamed=True, action=keep, chunk_size=65536)
            except GitlabError as error:
                if error.response_code == 404:
                    return None
                raise
            return b"".join(chunks)

    def _has_record(self, project_id: int, ref: str) -> bool:
        try:
            self.client.projects.get(project_id, lazy=True).files.get(
                RECORD_FILE, ref=ref)
        except GitlabError as error:
            if error.response_code == 404:
                return False
            raise
        return True

    def _reviewer_ids(self, owners: tuple[str, ...]) -> tuple[list[int], list[str]]:
        ids, missing = [], []
        for owner in owners:
            name = owner.removeprefix("@")
            users = (self.client.users.list(username=name)
                     if owner.startswith("@") and "/" not in owner else [])
            if users:
                ids.append(users[0].id)
            else:
                missing.append(owner)
        notes = ([f"reviewers not requested (not GitLab users): {', '.join(missing)}"]
                 if missing else [])
        return ids, notes


def _open_request(project: Project, request: Request) -> ProjectMergeRequest | None:
    for found in project.mergerequests.list(state="opened", source_branch=request.branch,
                                            target_branch=request.base, iterator=True):
        return project.mergerequests.get(found.iid)
    return None


def _create(project: Project, request: Request, title: str,
            reviewers: list[int]) -> tuple[ProjectMergeRequest, bool]:
    data: dict[str, Any] = {"source_branch": request.branch, "target_branch": request.base,
                            "title": title, "description": request.body,
                            "remove_source_branch": True}
    if request.labels:
        data["labels"] = ",".join(request.labels)
    if reviewers:
        data["reviewer_ids"] = reviewers
    try:
        return project.mergerequests.create(data), True
    except GitlabError as error:
        # Opened meanwhile (another run, or a retried POST the server had already
        # served): GitLab answers 409 "Another open merge request already exists".
        found = _open_request(project, request) if error.response_code == 409 else None
        if found is None:
            raise
        return found, False


def _auto_merge(found: ProjectMergeRequest) -> list[str]:
    # A merge commit, never squashed: the update commit's second parent is the
    # pristine render the next update merges from (docs/architecture.md).
    try:
        found.merge(merge_when_pipeline_succeeds=True)
    except GitlabError as error:
        return [f"auto-merge not enabled: {error.response_code} {error.error_message}"]
    return []


def _state(found: ProjectMergeRequest) -> State:
    if found.state == "merged":
        return State.MERGED
    if found.state in ("closed", "locked"):
        return State.CLOSED
    if getattr(found, "draft", False):
        return State.DRAFT
    pipeline = getattr(found, "head_pipeline", None) or {}
    status = pipeline.get("status") if isinstance(pipeline, dict) else None
    if status in FAILED_PIPELINES:
        return State.CHECKS_FAILING
    if status in PENDING_PIPELINES:
        return State.CHECKS_PENDING
    return State.CHECKS_PASSING if status == "success" else State.OPEN


def _proposal(found: ProjectMergeRequest, state: State) -> Proposal:
    return Proposal(number=found.iid, url=found.web_url, state=state, title=found.title,
                    head_sha=str(getattr(found, "sha", "") or ""))


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except GitlabError as error:
        raise HostError(f"GitLab refused {what}: {error.response_code} "
                        f"{error.error_message}") from error
    except RequestException as error:
        inner = error.args[0] if error.args else None
        raise HostError(f"GitLab did not answer for {what}: "
                        f"{getattr(inner, 'reason', None) or error}") from error
