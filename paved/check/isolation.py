"""Failure isolation: a slow or failing dependency must not take the service down.

Outbound calls have timeouts, retries are bounded and budgeted, a circuit
breaker and load shedding exist, and their settings (code defaults and
environment overrides in the manifests) stay within safe bounds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from paved import yaml
from paved.check.pycode import Call, Setting
from paved.check.repo import Repo, containers
from paved.check.rule import (
    RESTORE,
    Evidence,
    Outcome,
    Rule,
    Severity,
    failed,
    failed_with,
    missing,
    not_applicable,
    passed,
)

AREA = "isolation"
HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
# TypeScript and JavaScript (paved.check.tscode keeps every call resolved through an import):
# undici, fetch, axios, node's http; `Fastify()` after `import Fastify from "fastify"`.
TYPESCRIPT_CLIENTS = frozenset(
    {f"undici.{name}" for name in ("request", "fetch", "stream", "Agent", "Pool", "Client")}
    | {"fetch", "axios", "axios.create", "node:http.request", "node:https.request"}
    | {f"axios.{verb}" for verb in HTTP_VERBS})
TYPESCRIPT_APPS = frozenset({"fastify", "fastify.fastify", "fastify.default", "express", "koa",
                             "hono.Hono"})
# Callables that open an outbound HTTP connection or client, by qualified name.
NEEDS_TIMEOUT = frozenset(
    {f"requests.{verb}" for verb in HTTP_VERBS}
    | {f"requests.api.{verb}" for verb in HTTP_VERBS}
    | {f"httpx.{verb}" for verb in HTTP_VERBS}
    | {"httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession", "aiohttp.request",
       "urllib.request.urlopen"}
    | TYPESCRIPT_CLIENTS
)
WEB_APPS = frozenset({"fastapi.FastAPI", "starlette.applications.Starlette", "flask.Flask",
                      "aiohttp.web.Application", "quart.Quart",
                      "litestar.Litestar"}) | TYPESCRIPT_APPS
# What the code is searched for (by name: the patterns live in `pycode.MENTIONS`).
BREAKER_CODE, SHEDDING_CODE, BUDGET_CODE = "breaker", "shedding", "budget"


@dataclass(frozen=True)
class Bound:
    """A safe range for the settings whose name matches `pattern`."""
    rule: str
    pattern: str
    check: Callable[[float | bool], bool]
    requirement: str


def _switched_on(value: float | bool) -> bool:
    """True, or 1 as pydantic reads `"1"` for a boolean setting (an override `"1"` is on)."""
    return value is True or (value is not False and value == 1)


BOUNDS = (
    Bound("retries-bounded", r"^(?!.*(breaker|circuit|half_open)).*(^|_)attempts(_|$)",
          lambda v: 1 <= v <= 3, "at most 3 attempts in total"),
    # The retry budget's floor (`retry_budget_min_retries`) is not a per-call retry count.
    Bound("retries-bounded", r"^(?!.*budget)(.*_)?(max_)?retries$", lambda v: 0 <= v <= 2,
          "at most 2 retries"),
    Bound("retries-bounded", r"retry_budget_(ratio|fraction)$", lambda v: 0 <= v <= 0.2,
          "a retry budget of at most 20 % of requests"),
    Bound("retries-bounded", r"retry_budget_percent$", lambda v: 0 <= v <= 20,
          "a retry budget of at most 20 % of requests"),
    Bound("retries-bounded", r"retry_budget.*enabled$", _switched_on,
          "the retry budget switched on"),
    Bound("circuit-breaker", r"(breaker|circuit).*enabled$", _switched_on,
          "the circuit breaker switched on"),
    Bound("circuit-breaker", r"(breaker|circuit).*(failure|error)_(rate|ratio|threshold)",
          lambda v: 0 < v <= 0.75 or 1 < v <= 75, "opening at a failure rate of at most 75 %"),
    Bound("load-shedding", r"(shed|shedding).*enabled$", _switched_on,
          "load shedding switched on"),
    Bound("load-shedding", r"max_?in_?flight|concurrency_limit|max_concurren",
          lambda v: v is not True and v is not False and 1 <= v <= 10_000,
          "a limit between 1 and 10000 requests in flight (0 means none)"),
    # A database connection (libpq's connect_timeout: TCP, TLS and authentication, whole
    # seconds, "not recommended" below 2 s) is not a service call's TCP connect.
    Bound("safe-settings", r"(database|db|postgres|pg)_connect_timeout", lambda v: 0 < v <= 5.0,
          "a database connect timeout above 0 and at most 5 s"),
    Bound("safe-settings", r"connect_timeout", lambda v: 0 < v <= 1.0,
          "a connect timeout above 0 and at most 1 s"),
    # Outbound timeouts only: the inbound default deadline (`request_timeout_default_ms`)
    # is the caller's budget, not ours to bound.
    Bound("safe-settings", r"(total|call|read|outbound|client)_timeout",
          lambda v: 0 < v <= 5.0, "a per-call timeout above 0 and at most 5 s"),
    # The callers' deadline headers read: off, every request waits the default deadline.
    Bound("safe-settings", r"deadline.*enabled$", _switched_on,
          "the callers' deadline headers read (switched on)"),
)


def repo_settings(repo: Repo) -> list[Setting]:
    """Settings defaults from code, then overrides from container env and ConfigMaps."""
    found = repo.settings()
    for pod in repo.pod_specs:
        for container in containers(pod.spec):
            env = container.get("env")
            for item in env if isinstance(env, list) else []:
                if isinstance(item, Mapping) and "name" in item and "value" in item:
                    found.append(Setting(str(item["name"]).lower(), _parse(item["value"]),
                                         pod.path, yaml.line_of(item, "value") or 1, "env"))
    for document in repo.objects("ConfigMap"):
        data = document.data.get("data")
        for key, value in (data.items() if isinstance(data, Mapping) else ()):
            found.append(Setting(str(key).lower(), _parse(value), document.path,
                                 yaml.line_of(data, key) or 1, "env"))
    return found


def _parse(value: object) -> float | bool | str | None:
    if isinstance(value, bool | int | float):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on"):
        return True
    if text in ("false", "no", "off"):
        return False
    try:
        return float(text)
    except ValueError:
        return None if text in ("", "none", "null") else text


def _in_seconds(setting: Setting) -> float | bool | None:
    value = setting.value
    if isinstance(value, bool):
        return value
    if value is None or isinstance(value, str):
        return 0.0 if setting.value is None and "timeout" in setting.name else None
    return value / 1000 if setting.name.endswith("_ms") else float(value)


def weakened(repo: Repo, rule: str) -> tuple[list[Evidence], list[Setting]]:
    """Settings of `rule` outside their bounds, and every setting the rule looked at."""
    problems, seen = [], []
    for setting in repo_settings(repo):
        for bound in BOUNDS:
            if bound.rule != rule or not re.search(bound.pattern, setting.name):
                continue
            value = _in_seconds(setting)
            if value is None:
                continue
            seen.append(setting)
            if not bound.check(value):
                where = "environment override" if setting.source == "env" else "default"
                problems.append(Evidence(setting.path, setting.line,
                                         f"{setting.name} = {setting.value!r} ({where}); "
                                         f"needs {bound.requirement}"))
            break
    return problems, seen


def _outbound_calls(repo: Repo) -> list[tuple[str, Call]]:
    return [(path, call) for path, call in repo.calls() if call.name in NEEDS_TIMEOUT]


def _mentions(repo: Repo, name: str) -> list[Evidence]:
    lines: dict[str, set[int]] = {}
    for path, line in repo.mentions(name):
        lines.setdefault(path, set()).add(line)
    return [Evidence(path, line, "found") for path, found in lines.items()
            for line in sorted(found)]


def check_timeouts(repo: Repo) -> Outcome:
    found = _outbound_calls(repo)
    if not found:
        return not_applicable("no outbound HTTP calls or clients (httpx, requests, aiohttp, "
                              "undici, fetch, axios)")
    problems = []
    for path, call in found:
        if call.forwards_kwargs:
            continue
        timeout = call.keyword("timeout")
        if timeout is None:
            problems.append(Evidence(path, call.line, f"{call.name}(…) without a timeout"))
        elif timeout.is_none:
            problems.append(Evidence(path, call.line, f"{call.name}(…) with timeout=None"))
    return failed_with(problems, ok=f"{len(found)} outbound call(s) and client(s) set a timeout",
                       bad="{count} outbound call(s) or client(s) can wait forever")


def check_retries(repo: Repo) -> Outcome:
    problems, seen = weakened(repo, "retries-bounded")
    retry_sites = []
    for module in repo.python_facts("calls"):
        for call in module.calls:
            evidence = _unbounded_retry(module.path, call)
            if evidence is not None:
                problems.append(evidence)
            if _retries(call):
                retry_sites.append(Evidence(module.path, call.line, call.name))
        problems.extend(Evidence(module.path, line, "@retry without stop=: retries forever")
                        for line in module.bare_retries)
    attempts = [s for s in seen if "budget" not in s.name]
    if not (retry_sites or attempts or problems):
        return not_applicable("no retries found")
    if problems:
        return failed(f"{len(problems)} retry setting(s) unbounded or too high", *problems)
    budget = [s for s in seen if "budget" in s.name] or _mentions(repo, BUDGET_CODE)
    if not budget:
        first = (retry_sites or [Evidence(s.path, s.line, s.name) for s in attempts])[0]
        return missing("retries are bounded but not budgeted: under a full outage every "
                      "request still retries", Evidence(first.path, first.line,
                                                        "retries without a retry budget"))
    return passed("retries are bounded and budgeted")


def _retries(call: Call) -> bool:
    """Whether this call sets up retrying (not merely uses a library that can retry)."""
    name = call.name
    if name in ("tenacity.retry", "tenacity.Retrying", "tenacity.AsyncRetrying") or \
            name.startswith("backoff.on_") or name.endswith(".Retry"):
        return True
    if name.endswith("HTTPTransport"):
        return call.keyword("retries") is not None
    if name.endswith("HTTPAdapter"):
        return call.keyword("max_retries") is not None
    return False


def _unbounded_retry(path: str, call: Call) -> Evidence | None:
    name = call.name
    if call.forwards_kwargs:
        return None
    if name == "tenacity.retry" and call.keyword("stop") is None:
        return Evidence(path, call.line, "tenacity.retry without stop=: retries forever")
    if name.startswith("backoff.on_") and call.keyword("max_tries") is None \
            and call.keyword("max_time") is None:
        return Evidence(path, call.line, f"{name} without max_tries or max_time")
    if name.endswith(".Retry") and name.startswith(("urllib3", "requests")):
        total = call.keyword("total") or call.first_arg
        value = total.number if total else None
        if total is None or total.is_none or (value is not None and value > 3):
            return Evidence(path, call.line, f"{name} allows more than 3 retries")
    for suffix, keyword in (("HTTPTransport", "retries"), ("HTTPAdapter", "max_retries")):
        given = call.keyword(keyword)
        value = given.number if given else None
        if name.endswith(suffix) and value is not None and value > 2:
            return Evidence(path, call.line, f"{name}({keyword}={int(value)}): more than 2")
    return None


def check_breaker(repo: Repo) -> Outcome:
    problems, _ = weakened(repo, "circuit-breaker")
    if problems:
        return failed("the circuit breaker is switched off or weakened", *problems)
    if not _outbound_calls(repo):
        return not_applicable("no outbound HTTP calls to protect")
    found = _mentions(repo, BREAKER_CODE)
    if not found:
        path, call = _outbound_calls(repo)[0]
        return missing("outbound calls without a circuit breaker",
                       Evidence(path, call.line, f"{call.name}(…) is not behind a circuit "
                                                 "breaker"))
    return passed("a circuit breaker guards outbound calls", found[0])


def check_shedding(repo: Repo) -> Outcome:
    problems, _ = weakened(repo, "load-shedding")
    if problems:
        return failed("load shedding is switched off or weakened", *problems)
    apps = [(path, call.line) for path, call in repo.calls() if call.name in WEB_APPS]
    if not apps:
        return not_applicable("no web application (FastAPI, Starlette, Flask, aiohttp, "
                              "Fastify, Express) found")
    found = _mentions(repo, SHEDDING_CODE)
    if not found:
        path, line = apps[0]
        return missing("the server has no in-app load shedding",
                       Evidence(path, line, "this application accepts unlimited work"))
    return passed("the server sheds load past its concurrency limit", found[0])


def check_settings(repo: Repo) -> Outcome:
    problems, seen = weakened(repo, "safe-settings")
    if not seen:
        return not_applicable("no timeout settings found")
    return failed_with(problems, ok=f"{len(seen)} timeout setting(s) within safe bounds",
                       bad="{count} timeout setting(s) weakened past safe bounds")


RULES = (
    Rule("isolation/outbound-timeouts", AREA, "Outbound HTTP calls have timeouts",
         "A call without a timeout waits as long as the dependency hangs: one slow "
         "dependency then holds every worker and the whole service stops answering.",
         Severity.HIGH,
         "Pass timeout= to every httpx/requests/aiohttp call and client (paved services: "
         f"use the platform client, which sets connect 0.5 s and total ≤ 2 s). {RESTORE}",
         check_timeouts),
    Rule("isolation/retries-bounded", AREA, "Retries are bounded and budgeted",
         "Unbounded or per-call retries multiply load on a failing dependency (3 attempts "
         "per hop is 9x over two hops); a retry budget caps the extra load at ~10 %.",
         Severity.HIGH,
         "Keep at most 3 attempts and a retry budget of ≤ 20 % (paved: the outbound "
         f"attempts and retry-budget settings). {RESTORE}",
         check_retries),
    Rule("isolation/circuit-breaker", AREA, "A circuit breaker guards outbound calls",
         "When a dependency is down, a breaker fails fast instead of spending every "
         "request's deadline on it, and gives the dependency room to recover.",
         Severity.MEDIUM,
         "Keep the breaker switched on and opening at ≤ 75 % failures (golden path: 50 % "
         f"over ≥ 20 calls in 10 s). {RESTORE}",
         check_breaker),
    Rule("isolation/load-shedding", AREA, "The server sheds load",
         "Past its capacity a server without shedding queues work until every request "
         "times out; shedding answers the excess fast with 503 and Retry-After.",
         Severity.MEDIUM,
         "Keep the in-app concurrency limit (a positive number of requests in flight) "
         f"switched on; uvicorn's --limit-concurrency is not enough. {RESTORE}",
         check_shedding),
    Rule("isolation/safe-settings", AREA, "Timeout settings within safe bounds",
         "Raising timeouts to 'ride out' an outage turns a dependency's outage into ours.",
         Severity.HIGH,
         "Keep the connect timeout ≤ 1 s (a database's ≤ 5 s), per-call timeouts ≤ 5 s and "
         "the callers' deadline headers read (DEADLINE_HEADERS_ENABLED), in the settings "
         f"defaults and in environment overrides in the manifests. {RESTORE}",
         check_settings),
)
