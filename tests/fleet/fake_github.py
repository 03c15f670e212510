"""A fake GitHub REST (and one GraphQL mutation) API, spoken to by the real PyGithub.

It behaves like GitHub where paved's behaviour depends on it: `state` filters
pull requests (open by default; 422 for anything else), listings are paged with
`Link` headers (30 a page unless `per_page`, 100 at most), a user's account is not
an organisation (404 under /orgs), a file asked of an empty repository is answered
409, a duplicate pull request or a head branch missing from the repository is
answered 422, every answer carries the `X-RateLimit-*` headers, and faults (403/429
rate limits, 5xx) can be injected.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from tests.fleet.fake_api import BareRepo, FakeHandler, FakeServer, now

DUPLICATE = "A pull request already exists for {head}."
NOT_COLLABORATOR = ("Reviews may only be requested from collaborators. One or more of the users "
                    "or teams you specified is not a collaborator of the {slug} repository.")


class FakeGitHub(FakeServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.repos: dict[str, BareRepo] = {}  # "owner/name" -> repo
        self.orgs: set[str] = set()
        self.users: set[str] = set()  # accounts that own repos and are not organisations
        self.pulls: dict[str, list[dict[str, Any]]] = {}
        self.labels: dict[tuple[str, int], list[str]] = {}
        self.reviewers: dict[tuple[str, int], dict[str, list[str]]] = {}
        self.collaborators: dict[str, set[str]] = {}
        self.teams: dict[str, set[str]] = {}  # org -> team slugs
        self.auto_merge: dict[str, str] = {}  # pull node id -> merge method
        self.auto_merge_allowed: set[str] = set()  # repo slugs
        self.check_runs: dict[str, list[dict[str, Any]]] = {}  # sha -> runs
        self.statuses: dict[str, list[dict[str, Any]]] = {}  # sha -> commit statuses
        self.remaining = 5000
        self.artifacts: dict[str, list[dict[str, Any]]] = {}  # slug -> newest first
        self.blobs: dict[int, bytes] = {}  # artifact id -> its zip archive

    def add_artifact(self, slug: str, name: str, archive: bytes, *, branch: str = "main",
                     expired: bool = False, size: int | None = None) -> None:
        """An Actions artifact of a run on `branch`, the newest of `slug`; `size` is what
        GitHub reports (the archive's own size unless given)."""
        number = 1 + sum(map(len, self.artifacts.values()))
        self.blobs[number] = archive
        self.artifacts.setdefault(slug, []).insert(0, {
            "id": number, "node_id": f"A_{number}", "name": name, "expired": expired,
            "size_in_bytes": len(archive) if size is None else size,
            "url": f"{self.url}/repos/{slug}/actions/artifacts/{number}",
            "archive_download_url": f"{self.url}/repos/{slug}/actions/artifacts/{number}/zip",
            "created_at": f"2026-01-01T00:00:{number:02d}Z",
            "workflow_run": {"id": 700 + number, "head_branch": branch, "head_sha": "0" * 40}})

    def add_repo(self, slug: str, bare: BareRepo, *, user: bool = False) -> None:
        """`slug`'s owner is an organisation, or with `user` a user's account."""
        self.repos[slug] = bare
        self.pulls.setdefault(slug, [])
        (self.users if user else self.orgs).add(slug.split("/")[0])

    def pull(self, slug: str, number: int) -> dict[str, Any]:
        return self.pulls[slug][number - 1]

    def open_pull(self, slug: str, head: str, base: str = "main", *, state: str = "open",
                  merged: bool = False) -> dict[str, Any]:
        """A pull request opened by someone else (or earlier), in `state`."""
        return _create(self, slug, {"title": f"From {head}", "body": "", "head": head,
                                    "base": base}, state=state, merged=merged)

    @staticmethod
    def rate_headers(server: FakeServer) -> dict[str, str]:
        assert isinstance(server, FakeGitHub)
        server.remaining = max(0, server.remaining - 1)
        return {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": str(server.remaining),
                "X-RateLimit-Used": str(5000 - server.remaining),
                "X-RateLimit-Reset": str(now() + 3600), "X-RateLimit-Resource": "core"}

    # faults as GitHub sends them
    def primary_limit(self, reset_in: int, times: int = 1) -> None:
        self.fail(403, {"message": "API rate limit exceeded for user ID 1.",
                        "documentation_url": "https://docs.github.com/rest/rate-limit"},
                  {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(now() + reset_in)},
                  times=times)

    def secondary_limit(self, retry_after: int, times: int = 1) -> None:
        self.fail(403, {"message": "You have exceeded a secondary rate limit. Please wait a "
                                   "few minutes before you try again."},
                  {"Retry-After": str(retry_after)}, times=times)

    def too_many(self, retry_after: int, times: int = 1) -> None:
        self.fail(429, {"message": "Too Many Requests"}, {"Retry-After": str(retry_after)},
                  times=times)

    def server_error(self, status: int = 502, times: int = 1, method: str | None = None) -> None:
        self.fail(status, "Bad Gateway", times=times, method=method)


def _pull_json(server: FakeGitHub, slug: str, pull: dict[str, Any]) -> dict[str, Any]:
    number = pull["number"]
    owner = slug.split("/")[0]
    repo = server.repos[slug]
    sha = repo.sha(pull["head"]["ref"]) or pull["head"]["sha"]
    return {**pull, "url": f"{server.url}/repos/{slug}/pulls/{number}",
            "html_url": f"https://github.test/{slug}/pull/{number}",
            "issue_url": f"{server.url}/repos/{slug}/issues/{number}",
            "head": {**pull["head"], "sha": sha, "label": f"{owner}:{pull['head']['ref']}"},
            "labels": [{"name": name} for name in server.labels.get((slug, number), [])]}


def _create(server: FakeGitHub, slug: str, body: dict[str, Any], *, state: str = "open",
            merged: bool = False) -> dict[str, Any]:
    pulls = server.pulls[slug]
    number = len(pulls) + 1
    repo = server.repos[slug]
    pull = {"id": 1000 + number, "node_id": f"PR_{slug}_{number}", "number": number,
            "title": body["title"], "body": body.get("body") or "", "state": state,
            "draft": bool(body.get("draft")), "user": {"login": "paved-bot"},
            "merged_at": "2026-01-02T00:00:00Z" if merged else None,
            "created_at": f"2026-01-01T00:00:{number:02d}Z",
            "head": {"ref": body["head"], "sha": repo.sha(body["head"]) or "0" * 40},
            "base": {"ref": body["base"]}}
    pulls.append(pull)
    return pull


def _repo_json(server: FakeGitHub, slug: str) -> dict[str, Any]:
    repo = server.repos[slug]
    owner, name = slug.split("/")
    return {"id": abs(hash(slug)) % 10**8, "name": name, "full_name": slug,
            "owner": {"login": owner}, "private": False, "archived": repo.archived,
            "topics": repo.topics, "default_branch": repo.default_branch(),
            "clone_url": str(repo.path), "html_url": f"https://github.test/{slug}",
            "url": f"{server.url}/repos/{slug}"}


class _Handler(FakeHandler):
    server: FakeGitHub

    def route(self, method: str, parts: list[str], query: dict[str, list[str]],
              body: Any) -> tuple[int, Any] | tuple[int, Any, dict[str, str]]:
        server = self.server
        if parts == ["graphql"] and method == "POST":
            return self._graphql(body)
        if parts[:1] == ["orgs"] and len(parts) >= 2:
            if parts[1] not in server.orgs:
                return 404, {"message": "Not Found"}
            if len(parts) == 2:
                return 200, {"login": parts[1], "url": f"{server.url}/orgs/{parts[1]}"}
            if parts[2:] == ["repos"]:
                slugs = sorted(slug for slug in server.repos if slug.startswith(parts[1] + "/"))
                items, headers = self.page([_repo_json(server, slug) for slug in slugs], query,
                                           30, f"/orgs/{parts[1]}/repos")
                return 200, items, headers
        if parts[:1] == ["users"] and len(parts) >= 2:
            if parts[1] not in server.users:
                return 404, {"message": "Not Found"}
            if parts[2:] == ["repos"]:
                slugs = sorted(slug for slug in server.repos if slug.startswith(parts[1] + "/"))
                items, headers = self.page([_repo_json(server, slug) for slug in slugs], query,
                                           30, f"/users/{parts[1]}/repos")
                return 200, items, headers
            return 200, {"login": parts[1], "type": "User",
                         "url": f"{server.url}/users/{parts[1]}"}
        if parts[:1] == ["storage"] and len(parts) == 2:
            return 200, server.blobs[int(parts[1].removesuffix(".zip"))]
        if parts[:1] != ["repos"] or len(parts) < 3:
            return 404, {"message": "Not Found"}
        slug = f"{parts[1]}/{parts[2]}"
        if slug not in server.repos:
            return 404, {"message": "Not Found"}
        rest = parts[3:]
        if not rest:
            return 200, _repo_json(server, slug)
        if rest == ["actions", "artifacts"]:
            name = query.get("name", [None])[0]
            found = [item for item in server.artifacts.get(slug, [])
                     if name is None or item["name"] == name]
            items, headers = self.page(found, query, 30, f"/repos/{slug}/actions/artifacts")
            return 200, {"total_count": len(found), "artifacts": items}, headers
        if rest[:2] == ["actions", "artifacts"] and rest[3:] == ["zip"]:
            # As GitHub: a redirect to the archive in its storage, which needs no token.
            return 302, "", {"Location": f"{server.url}/storage/{rest[2]}.zip"}
        if rest[0] == "contents":
            path = "/".join(rest[1:])
            if server.repos[slug].sha(server.repos[slug].default_branch()) is None:
                return 409, {"message": "Git Repository is empty."}  # no commit at all
            ref = query.get("ref", [server.repos[slug].default_branch()])[0]
            if not server.repos[slug].has_file(ref, path):
                return 404, {"message": "Not Found"}
            return 200, {"type": "file", "name": path.rsplit("/", 1)[-1], "path": path,
                         "encoding": "base64", "content": base64.b64encode(b"x").decode(),
                         "sha": "0" * 40}
        if rest == ["pulls"] and method == "GET":
            return self._list_pulls(slug, query)
        if rest == ["pulls"] and method == "POST":
            return self._create_pull(slug, body)
        if rest[0] == "pulls" and len(rest) >= 2:
            number = int(rest[1])
            if number > len(server.pulls[slug]):
                return 404, {"message": "Not Found"}
            pull = server.pull(slug, number)
            if len(rest) == 2 and method == "PATCH":
                pull.update({key: body[key] for key in ("title", "body", "state") if key in body})
            if rest[2:] == ["requested_reviewers"] and method == "POST":
                return self._request_reviews(slug, number, body)
            return 200, _pull_json(server, slug, pull)
        if rest[0] == "issues" and rest[2:] == ["labels"] and method == "POST":
            labels = server.labels.setdefault((slug, int(rest[1])), [])
            names = body if isinstance(body, list) else body["labels"]
            labels += [name for name in names if name not in labels]
            return 200, [{"name": name} for name in labels]
        if rest[0] == "commits" and rest[2:] == ["check-runs"]:
            runs = server.check_runs.get(rest[1], [])
            items, headers = self.page(runs, query, 30, "/".join(["", *parts]))
            return 200, {"total_count": len(runs), "check_runs": items}, headers
        if rest[0] == "commits" and rest[2:] == ["status"]:
            statuses = server.statuses.get(rest[1], [])
            states = {status["state"] for status in statuses}
            state = ("failure" if states & {"failure", "error"} else
                     "pending" if "pending" in states or not statuses else "success")
            return 200, {"state": state, "statuses": statuses, "total_count": len(statuses),
                         "sha": rest[1]}
        return 404, {"message": "Not Found"}

    def _list_pulls(self, slug: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str,
                                                                                         str]]:
        state = query.get("state", ["open"])[0]
        if state not in ("open", "closed", "all"):
            return 422, {"message": "Validation Failed"}, {}
        pulls = [pull for pull in self.server.pulls[slug]
                 if state == "all" or pull["state"] == state]
        if "head" in query:
            owner, _, ref = query["head"][0].partition(":")
            pulls = [pull for pull in pulls
                     if owner == slug.split("/")[0] and pull["head"]["ref"] == ref]
        if "base" in query:
            pulls = [pull for pull in pulls if pull["base"]["ref"] == query["base"][0]]
        if query.get("direction", ["desc"])[0] == "desc":
            pulls = pulls[::-1]
        items, headers = self.page([_pull_json(self.server, slug, pull) for pull in pulls],
                                   query, 30, f"/repos/{slug}/pulls")
        return 200, items, headers

    def _create_pull(self, slug: str, body: dict[str, Any]) -> tuple[int, Any]:
        repo = self.server.repos[slug]
        invalid = [field for field in ("head", "base") if repo.sha(body[field]) is None]
        if invalid:
            return 422, {"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "field": field, "code": "invalid"}
                for field in invalid]}
        if any(pull["state"] == "open" and pull["head"]["ref"] == body["head"]
               and pull["base"]["ref"] == body["base"] for pull in self.server.pulls[slug]):
            head = f"{slug.split('/')[0]}:{body['head']}"
            return 422, {"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "code": "custom",
                 "message": DUPLICATE.format(head=head)}]}
        return 201, _pull_json(self.server, slug, _create(self.server, slug, body))

    def _request_reviews(self, slug: str, number: int, body: dict[str, Any]) -> tuple[int, Any]:
        users, teams = body.get("reviewers", []), body.get("team_reviewers", [])
        known = self.server.collaborators.get(slug, set())
        org_teams = self.server.teams.get(slug.split("/")[0], set())
        if any(user not in known for user in users) or any(team not in org_teams
                                                           for team in teams):
            return 422, {"message": NOT_COLLABORATOR.format(slug=slug)}
        self.server.reviewers[(slug, number)] = {"users": users, "teams": teams}
        return 201, _pull_json(self.server, slug, self.server.pull(slug, number))

    def _graphql(self, body: dict[str, Any]) -> tuple[int, Any]:
        name = re.search(r"\{\s*(\w+)\(input:", body["query"])
        data = body["variables"]["input"]
        if not name or name.group(1) != "enablePullRequestAutoMerge":
            return 200, {"errors": [{"message": "unknown mutation"}]}
        slug, _ = data["pullRequestId"].removeprefix("PR_").rsplit("_", 1)
        if slug not in self.server.auto_merge_allowed:
            return 200, {"errors": [{"type": "UNPROCESSABLE", "message": "Pull request Auto "
                                     "merge is not allowed for this repository"}]}
        self.server.auto_merge[data["pullRequestId"]] = data["mergeMethod"]
        return 200, {"data": {"enablePullRequestAutoMerge": {
            "actor": {"login": "paved-bot"}, "clientMutationId": None}}}
