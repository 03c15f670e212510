"""A fake GitLab REST API (v4), spoken to by the real python-gitlab.

Like GitLab: `state` filters merge requests (all by default; 400 for an unknown
value), listings are paged (`Link`, `X-Next-Page`, `X-Total-Pages`; 20 a page
unless `per_page`), a second open merge request from one source branch is
answered 409 and a missing source branch 422, every answer carries the
`RateLimit-*` headers, and faults (429 with `Retry-After`, 5xx) can be injected.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from tests.fleet.fake_api import BareRepo, FakeHandler, FakeServer, now

DUPLICATE = "Another open merge request already exists for this source branch: !{iid}"
STATES = ("opened", "closed", "merged", "locked", "all")


class FakeGitLab(FakeServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.projects: dict[str, BareRepo] = {}  # full path -> repo
        self.ids: dict[str, int] = {}
        self.groups: dict[str, int] = {}  # full path -> id
        self.users: dict[str, int] = {}  # username -> id
        self.requests: dict[str, list[dict[str, Any]]] = {}  # project path -> merge requests
        self.merge_when_succeeds: dict[tuple[str, int], bool] = {}
        self.pipelines: dict[tuple[str, int], str] = {}  # (project, iid) -> status
        # (project, branch, job) -> the artifacts archive of the newest successful pipeline
        self.artifacts: dict[tuple[str, str, str], bytes] = {}

    def add_project(self, path: str, bare: BareRepo) -> None:
        self.projects[path] = bare
        self.ids[path] = len(self.ids) + 1
        self.requests.setdefault(path, [])
        parts = path.split("/")[:-1]
        for index in range(1, len(parts) + 1):
            self.groups.setdefault("/".join(parts[:index]), 100 + len(self.groups))

    def merge_request(self, path: str, iid: int) -> dict[str, Any]:
        return self.requests[path][iid - 1]

    def open_request(self, path: str, branch: str, *, state: str = "opened") -> dict[str, Any]:
        return _create(self, path, {"source_branch": branch, "target_branch": "main",
                                    "title": f"From {branch}"}, state=state)

    @staticmethod
    def rate_headers(server: FakeServer) -> dict[str, str]:
        return {"RateLimit-Limit": "2000", "RateLimit-Remaining": "1999",
                "RateLimit-Reset": str(now() + 60), "RateLimit-Observed": "1"}

    def too_many(self, retry_after: int, times: int = 1) -> None:
        self.fail(429, {"message": "Retry later"},
                  {"Retry-After": str(retry_after), "RateLimit-Remaining": "0",
                   "RateLimit-Reset": str(now() + retry_after)}, times=times)

    def server_error(self, status: int = 502, times: int = 1, method: str | None = None) -> None:
        self.fail(status, {"message": "502 Bad Gateway"}, times=times, method=method)


def _create(server: FakeGitLab, path: str, body: dict[str, Any], *,
            state: str = "opened") -> dict[str, Any]:
    found = server.requests[path]
    iid = len(found) + 1
    title = body["title"]
    labels = [name for name in str(body.get("labels") or "").split(",") if name]
    request = {"id": 500 + iid, "iid": iid, "project_id": server.ids[path], "title": title,
               "description": body.get("description") or "", "state": state,
               "draft": title.startswith(("Draft:", "[Draft]", "(Draft)")),
               "source_branch": body["source_branch"], "target_branch": body["target_branch"],
               "labels": labels, "reviewers": [{"id": user} for user in body.get("reviewer_ids")
                                               or []],
               "web_url": f"https://gitlab.test/{path}/-/merge_requests/{iid}",
               "sha": server.projects[path].sha(body["source_branch"]) or "0" * 40,
               "created_at": f"2026-01-01T00:00:{iid:02d}Z"}
    found.append(request)
    return request


def _project_json(server: FakeGitLab, path: str) -> dict[str, Any]:
    repo = server.projects[path]
    return {"id": server.ids[path], "path": path.rsplit("/", 1)[-1], "path_with_namespace": path,
            "name": path.rsplit("/", 1)[-1], "archived": repo.archived, "topics": repo.topics,
            "default_branch": repo.default_branch(), "http_url_to_repo": str(repo.path),
            "web_url": f"https://gitlab.test/{path}"}


class _Handler(FakeHandler):
    server: FakeGitLab

    def route(self, method: str, parts: list[str], query: dict[str, list[str]],
              body: Any) -> tuple[int, Any] | tuple[int, Any, dict[str, str]]:
        server = self.server
        if parts == ["api", "v4", "users"]:
            name = query.get("username", [""])[0]
            return 200, ([{"id": server.users[name], "username": name}]
                         if name in server.users else [])
        if parts[:2] != ["api", "v4"] or len(parts) < 4:
            return 404, {"message": "404 Not Found"}
        kind, key, rest = parts[2], unquote(parts[3]), parts[4:]
        if kind == "groups":
            key = next((name for name, number in server.groups.items()
                        if key in (name, str(number))), "")
            if not key:
                return 404, {"message": "404 Group Not Found"}
            if not rest:
                return 200, {"id": server.groups[key], "full_path": key,
                             "name": key.rsplit("/", 1)[-1], "web_url": f"https://gitlab.test/groups/{key}"}
            if rest == ["projects"]:
                return self._group_projects(key, query)
        if kind != "projects":
            return 404, {"message": "404 Not Found"}
        path = next((name for name, number in server.ids.items() if key in (name, str(number))),
                    None)
        if path is None:
            return 404, {"message": "404 Project Not Found"}
        if not rest:
            return 200, _project_json(server, path)
        if rest[:2] == ["jobs", "artifacts"] and rest[-1:] == ["download"]:
            archive = server.artifacts.get((path, "/".join(rest[2:-1]), query["job"][0]))
            return (404, {"message": "404 Not found"}) if archive is None else (200, archive)
        if rest[:2] == ["repository", "files"]:
            file = unquote("/".join(rest[2:]))
            if not server.projects[path].has_file(query["ref"][0], file):
                return 404, {"message": "404 File Not Found"}
            return 200, {"file_name": file.rsplit("/", 1)[-1], "file_path": file,
                         "encoding": "base64", "content": "eA==", "ref": query["ref"][0]}
        if rest == ["merge_requests"] and method == "GET":
            return self._list(path, query)
        if rest == ["merge_requests"] and method == "POST":
            return self._create(path, body)
        if rest[0] == "merge_requests" and len(rest) >= 2:
            iid = int(rest[1])
            if iid > len(server.requests[path]):
                return 404, {"message": "404 Not found"}
            request = server.merge_request(path, iid)
            if len(rest) == 2 and method == "PUT":
                self._update(request, body)
            if rest[2:] == ["merge"] and method == "PUT":
                if not body.get("merge_when_pipeline_succeeds"):
                    return 405, {"message": "405 Method Not Allowed"}
                server.merge_when_succeeds[(path, iid)] = True
            return 200, self._full(path, request)
        return 404, {"message": "404 Not Found"}

    def _group_projects(self, group: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[
            str, str]]:
        include = query.get("include_subgroups", ["false"])[0].lower() == "true"
        paths = sorted(path for path in self.server.projects
                       if path.startswith(group + "/")
                       and (include or path.count("/") == group.count("/") + 1))
        if query.get("archived", [""])[0].lower() == "false":
            paths = [path for path in paths if not self.server.projects[path].archived]
        if "topic" in query:
            paths = [path for path in paths if query["topic"][0] in self.server.projects[path]
                     .topics]
        items, headers = self.page([_project_json(self.server, path) for path in paths], query,
                                   20, f"/api/v4/groups/{self.server.groups[group]}/projects")
        return 200, items, headers

    def _list(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", ["all"])[0]
        if state not in STATES:
            return 400, {"error": "state does not have a valid value"}, {}
        found = [request for request in self.server.requests[path]
                 if state == "all" or request["state"] == state]
        for name in ("source_branch", "target_branch"):
            if name in query:
                found = [request for request in found if request[name] == query[name][0]]
        if query.get("sort", ["desc"])[0] == "desc":
            found = found[::-1]
        listed = [{key: value for key, value in request.items() if key != "head_pipeline"}
                  for request in found]
        items, headers = self.page(listed, query, 20,
                                   f"/api/v4/projects/{self.server.ids[path]}/merge_requests")
        return 200, items, headers

    def _create(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        repo = self.server.projects[path]
        if repo.sha(body["source_branch"]) is None:
            return 422, {"message": {"source_branch": ["does not exist"]}}
        for request in self.server.requests[path]:
            if request["state"] == "opened" and \
                    request["source_branch"] == body["source_branch"]:
                return 409, {"message": [DUPLICATE.format(iid=request["iid"])]}
        return 201, self._full(path, _create(self.server, path, body))

    def _update(self, request: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("title", "description", "state_event"):
            if key in body:
                request[key] = body[key]
        request["draft"] = request["title"].startswith(("Draft:", "[Draft]", "(Draft)"))
        if body.get("state_event") == "close":
            request["state"] = "closed"
        added = [name for name in str(body.get("add_labels") or "").split(",") if name]
        request["labels"] += [name for name in added if name not in request["labels"]]

    def _full(self, path: str, request: dict[str, Any]) -> dict[str, Any]:
        status = self.server.pipelines.get((path, request["iid"]))
        sha = self.server.projects[path].sha(request["source_branch"]) or request["sha"]
        return {**request, "sha": sha,
                "head_pipeline": {"id": 1, "status": status} if status else None}
