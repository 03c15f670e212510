from __future__ import annotations

import ast
from pathlib import Path

import pytest

from paved.check.rule import Status
from tests.check.fixture_repo import change, line, results, where

CLIENT = "src/payments_api/platform/client.py"
SETTINGS = "src/payments_api/platform/settings.py"
DEPLOYMENT = "deploy/base/deployment.yaml"


def test_a_client_without_timeout_fails_at_its_line(repo: Path) -> None:
    change(repo, CLIENT, "httpx.AsyncClient(timeout=timeout)", "httpx.AsyncClient()")
    result = results(repo)["isolation/outbound-timeouts"]
    assert result.status is Status.FAIL
    assert where(result) == [(CLIENT, line(repo, CLIENT, "AsyncClient()"))]
    assert result.evidence[0].message == "httpx.AsyncClient(…) without a timeout"


@pytest.mark.parametrize("source, message", [
    ("import requests\nrequests.get('http://x')\n", "requests.get(…) without a timeout"),
    ("from httpx import Client as C\nC(timeout=None)\n", "httpx.Client(…) with timeout=None"),
    ("import aiohttp\naiohttp.ClientSession()\n", "aiohttp.ClientSession(…) without a timeout"),
])
def test_calls_are_recognised_through_any_import_form(repo: Path, source: str,
                                                      message: str) -> None:
    (repo / "src/payments_api/extra.py").write_text(source)
    result = results(repo)["isolation/outbound-timeouts"]
    assert result.status is Status.FAIL
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        ("src/payments_api/extra.py", 2, message)]


def test_calls_forwarding_kwargs_and_calls_in_tests_are_not_flagged(repo: Path) -> None:
    (repo / "src/payments_api/extra.py").write_text(
        "import requests\n\ndef get(**kw):\n    return requests.get('http://x', **kw)\n")
    assert results(repo)["isolation/outbound-timeouts"].status is Status.PASS


def test_raising_attempts_fails_with_the_setting(repo: Path) -> None:
    change(repo, SETTINGS, "outbound_max_attempts: int = Field(3,",
           "outbound_max_attempts: int = Field(10,")
    result = results(repo)["isolation/retries-bounded"]
    assert result.status is Status.FAIL
    assert where(result) == [(SETTINGS, line(repo, SETTINGS, "outbound_max_attempts"))]
    assert "needs at most 3 attempts in total" in result.evidence[0].message


def test_raising_attempts_through_the_environment_fails_in_the_manifest(repo: Path) -> None:
    change(repo, DEPLOYMENT, 'value: "3"', 'value: "8"')
    result = results(repo)["isolation/retries-bounded"]
    assert result.status is Status.FAIL
    assert where(result) == [(DEPLOYMENT, line(repo, DEPLOYMENT, 'value: "8"'))]
    assert result.evidence[0].message.startswith(
        "outbound_max_attempts = 8.0 (environment override)")


def test_retries_without_a_budget_fail(repo: Path) -> None:
    change(repo, SETTINGS, "    retry_budget_ratio: float = 0.1\n"
                           "    retry_budget_min_retries: int = 5\n", "")
    change(repo, CLIENT, "from payments_api.platform.budget import RetryBudget\n", "")
    (repo / "src/payments_api/platform/budget.py").unlink()
    result = results(repo)["isolation/retries-bounded"]
    assert result.status is Status.FAIL
    assert where(result) == [(SETTINGS, line(repo, SETTINGS, "outbound_max_attempts"))]


def test_unbounded_tenacity_retry_fails(repo: Path) -> None:
    (repo / "src/payments_api/extra.py").write_text(
        "from tenacity import retry\n\n@retry\ndef call():\n    pass\n")
    result = results(repo)["isolation/retries-bounded"]
    assert result.status is Status.FAIL
    assert where(result) == [("src/payments_api/extra.py", 3)]


def test_switching_the_breaker_off_fails(repo: Path) -> None:
    change(repo, SETTINGS, "breaker_enabled: bool = Field(True,",
           "breaker_enabled: bool = Field(False,")
    result = results(repo)["isolation/circuit-breaker"]
    assert result.status is Status.FAIL
    assert where(result) == [(SETTINGS, line(repo, SETTINGS, "breaker_enabled"))]


def test_outbound_calls_without_any_breaker_fail(repo: Path) -> None:
    change(repo, CLIENT, "from payments_api.platform.breaker import CircuitBreaker\n", "")
    (repo / "src/payments_api/platform/breaker.py").unlink()
    change(repo, SETTINGS, "    breaker_failure_ratio: float = 0.5\n", "")
    change(repo, SETTINGS, "    breaker_half_open_probes: int = 3\n", "")
    change(repo, SETTINGS,
           '    breaker_enabled: bool = Field(True, description="tests only")\n', "")
    result = results(repo)["isolation/circuit-breaker"]
    assert result.status is Status.FAIL
    assert where(result) == [(CLIENT, line(repo, CLIENT, "AsyncClient"))]


def test_a_concurrency_limit_of_zero_fails(repo: Path) -> None:
    change(repo, SETTINGS, "max_in_flight_requests: int = Field(100,",
           "max_in_flight_requests: int = Field(0,")
    result = results(repo)["isolation/load-shedding"]
    assert result.status is Status.FAIL
    assert where(result) == [(SETTINGS, line(repo, SETTINGS, "max_in_flight_requests"))]


def test_an_app_without_shedding_fails_at_the_app(repo: Path) -> None:
    change(repo, "src/payments_api/main.py",
           "app.add_middleware(LoadSheddingMiddleware)\n", "")
    change(repo, "src/payments_api/main.py",
           "from payments_api.platform.shedding import LoadSheddingMiddleware\n", "")
    (repo / "src/payments_api/platform/shedding.py").unlink()
    change(repo, SETTINGS, '    max_in_flight_requests: int = Field(100, ge=1, description="load '
                           'shedding")\n', "")
    change(repo, SETTINGS, "    outbound_max_in_flight_per_host: int = 20\n", "")
    result = results(repo)["isolation/load-shedding"]
    assert result.status is Status.FAIL
    assert where(result) == [("src/payments_api/main.py",
                              line(repo, "src/payments_api/main.py", "FastAPI()"))]


@pytest.mark.parametrize("old, new", [
    ("outbound_connect_timeout_seconds: float = Field(0.5,",
     "outbound_connect_timeout_seconds: float = Field(5,"),
    ("outbound_timeout_seconds: float = Field(2.0,", "outbound_timeout_seconds: float = Field(30,"),
    ("outbound_timeout_seconds: float = Field(2.0, gt=0)",
     "outbound_timeout_seconds: float | None = None"),
])
def test_weakened_timeouts_fail(repo: Path, old: str, new: str) -> None:
    change(repo, SETTINGS, old, new)
    result = results(repo)["isolation/safe-settings"]
    assert result.status is Status.FAIL
    assert where(result) == [(SETTINGS, line(repo, SETTINGS, new.split(":")[0]))]


@pytest.mark.parametrize("source, line_number", [
    ("import requests.adapters\nrequests.adapters.HTTPAdapter(max_retries=5)\n", 2),
    ("import httpx\n\nhttpx.AsyncHTTPTransport(retries=4)\n", 3),
    ("from urllib3.util.retry import Retry\nRetry(total=10)\n", 2),
    ("import backoff\n\n@backoff.on_exception(backoff.expo, Exception)\ndef f():\n    pass\n",
     3),
])
def test_library_retries_above_the_bound_fail(repo: Path, source: str, line_number: int) -> None:
    (repo / "src/payments_api/extra.py").write_text(source)
    result = results(repo)["isolation/retries-bounded"]
    assert result.status is Status.FAIL
    assert where(result) == [("src/payments_api/extra.py", line_number)]


@pytest.mark.parametrize("source", [
    "import urllib3\nurllib3.PoolManager(timeout=1)\n",
    "import requests.adapters\nrequests.adapters.HTTPAdapter(pool_maxsize=4)\n",
    "import httpx\nhttpx.AsyncHTTPTransport(http2=True)\n",
])
def test_a_library_that_could_retry_is_not_a_retry(tmp_path: Path, source: str) -> None:
    (tmp_path / "app.py").write_text(source)
    assert results(tmp_path)["isolation/retries-bounded"].status is Status.NOT_APPLICABLE


CONFIGMAP = "deploy/base/configmap.yaml"


def configmap(repo: Path, data: dict[str, str]) -> None:
    lines = "".join(f'  {key}: "{value}"\n' for key, value in data.items())
    (repo / CONFIGMAP).write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                  f"  name: payments-api\ndata:\n{lines}")
    change(repo, "deploy/base/kustomization.yaml", "  - hpa.yaml\n",
           "  - hpa.yaml\n  - configmap.yaml\n")


@pytest.mark.parametrize("rule, old, at_bound, past_bound, requirement", [
    # The mutant 0.2 -> 2.0 (or 1.2) accepts a budget of 25 %.
    ("isolation/retries-bounded", "retry_budget_ratio: float = 0.1", "0.2", "0.25",
     "a retry budget of at most 20 % of requests"),
    # The mutant 0.75 -> 1.0 (or 1.75) accepts a breaker opening at 80 % failures.
    ("isolation/retries-bounded", "retry_budget_ratio: float = 0.1", "0", "-0.1",
     "a retry budget of at most 20 % of requests"),
    ("isolation/circuit-breaker", "breaker_failure_ratio: float = 0.5", "0.75", "0.8",
     "opening at a failure rate of at most 75 %"),
    ("isolation/circuit-breaker", "breaker_failure_ratio: float = 0.5", "75", "76",
     "opening at a failure rate of at most 75 %"),
    ("isolation/circuit-breaker", "breaker_failure_ratio: float = 0.5", "0.01", "0",
     "opening at a failure rate of at most 75 %"),
    ("isolation/retries-bounded", "outbound_max_attempts: int = Field(3, ge=1)", "1", "0",
     "at most 3 attempts in total"),
    ("isolation/retries-bounded", "outbound_max_attempts: int = Field(3, ge=1)", "3", "4",
     "at most 3 attempts in total"),
    ("isolation/load-shedding", "max_in_flight_requests: int = Field(100, ge=1, "
     'description="load shedding")', "10_000", "10_001",
     "a limit between 1 and 10000 requests in flight (0 means none)"),
    ("isolation/safe-settings", "outbound_connect_timeout_seconds: float = Field(0.5, gt=0)",
     "1.0", "1.1", "a connect timeout above 0 and at most 1 s"),
    ("isolation/safe-settings", "outbound_timeout_seconds: float = Field(2.0, gt=0)",
     "5.0", "5.5", "a per-call timeout above 0 and at most 5 s"),
    ("isolation/safe-settings", "outbound_timeout_seconds: float = Field(2.0, gt=0)",
     "0.001", "0", "a per-call timeout above 0 and at most 5 s"),
])
def test_each_bound_holds_at_its_limit_and_fails_just_past_it(
        repo: Path, rule: str, old: str, at_bound: str, past_bound: str,
        requirement: str) -> None:
    name, annotation = old.split(":")[0], old.split(" = ")[0]
    change(repo, SETTINGS, old, f"{annotation} = {at_bound}")
    assert results(repo)[rule].status is Status.PASS
    change(repo, SETTINGS, f"{annotation} = {at_bound}", f"{annotation} = {past_bound}")
    result = results(repo)[rule]
    assert result.status is Status.FAIL
    value = ast.literal_eval(past_bound)
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (SETTINGS, line(repo, SETTINGS, name),
         f"{name} = {value!r} (default); needs {requirement}")]


@pytest.mark.parametrize("key, value, requirement", [
    ("OUTBOUND_TIMEOUT_SECONDS", "30", "a per-call timeout above 0 and at most 5 s"),
    ("OUTBOUND_TIMEOUT_MS", "5500", "a per-call timeout above 0 and at most 5 s"),
    ("OUTBOUND_CONNECT_TIMEOUT_SECONDS", "2", "a connect timeout above 0 and at most 1 s"),
    ("DATABASE_CONNECT_TIMEOUT_SECONDS", "30",
     "a database connect timeout above 0 and at most 5 s"),
    ("OUTBOUND_TIMEOUT_SECONDS", "none", "a per-call timeout above 0 and at most 5 s"),
])
def test_a_configmap_override_of_a_timeout_is_checked_at_its_line(
        repo: Path, key: str, value: str, requirement: str) -> None:
    configmap(repo, {"LOG_LEVEL": "info", key: value})
    result = results(repo)["isolation/safe-settings"]
    assert result.status is Status.FAIL
    shown = None if value == "none" else float(value)
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (CONFIGMAP, 7, f"{key.lower()} = {shown!r} (environment override); needs {requirement}")]


def test_a_configmap_override_within_bounds_passes(repo: Path) -> None:
    configmap(repo, {"OUTBOUND_TIMEOUT_MS": "5000", "OUTBOUND_CONNECT_TIMEOUT_SECONDS": "1",
                     "RETRY_BUDGET_RATIO": "0.2", "BREAKER_ENABLED": "true",
                     "DATABASE_CONNECT_TIMEOUT_SECONDS": "5"})
    assert results(repo)["isolation/safe-settings"].message \
        == "5 timeout setting(s) within safe bounds"
    assert results(repo)["isolation/retries-bounded"].status is Status.PASS


@pytest.mark.parametrize("key, value, rule, requirement", [
    ("OUTBOUND_TIMEOUT_SECONDS", "30", "isolation/safe-settings",
     "a per-call timeout above 0 and at most 5 s"),
    ("RETRY_BUDGET_RATIO", "0.5", "isolation/retries-bounded",
     "a retry budget of at most 20 % of requests"),
    ("RETRY_BUDGET_ENABLED", "false", "isolation/retries-bounded",
     "the retry budget switched on"),
    ("BREAKER_ENABLED", "off", "isolation/circuit-breaker", "the circuit breaker switched on"),
    ("SHEDDING_ENABLED", "no", "isolation/load-shedding", "load shedding switched on"),
    ("BREAKER_ENABLED", "0", "isolation/circuit-breaker", "the circuit breaker switched on"),
    ("DEADLINE_HEADERS_ENABLED", "false", "isolation/safe-settings",
     "the callers' deadline headers read (switched on)"),
    # pydantic refuses "2" for a boolean: it switches nothing on.
    ("SHEDDING_ENABLED", "2", "isolation/load-shedding", "load shedding switched on"),
    ("OUTBOUND_MAX_RETRIES", "5", "isolation/retries-bounded", "at most 2 retries"),
    ("RETRY_BUDGET_PERCENT", "21", "isolation/retries-bounded",
     "a retry budget of at most 20 % of requests"),
])
def test_a_container_env_override_is_checked_at_its_line(
        repo: Path, key: str, value: str, rule: str, requirement: str) -> None:
    change(repo, DEPLOYMENT, '              value: "3"\n',
           f'              value: "3"\n            - name: {key}\n'
           f'              value: "{value}"\n')
    result = results(repo)[rule]
    assert result.status is Status.FAIL
    parsed = {"false": False, "off": False, "no": False}.get(value)
    shown = parsed if parsed is not None else float(value)
    assert [(e.path, e.line, e.message) for e in result.evidence] == [
        (DEPLOYMENT, line(repo, DEPLOYMENT, f'value: "{value}"'),
         f"{key.lower()} = {shown!r} (environment override); needs {requirement}")]


def test_overrides_switching_on_or_at_their_bounds_pass(repo: Path) -> None:
    # pydantic reads "1", "yes" and "on" as true; valueFrom entries have no value to check.
    env = "".join(f'            - name: {key}\n              value: "{value}"\n' for key, value in (
        ("BREAKER_ENABLED", "1"), ("SHEDDING_ENABLED", "on"), ("RETRY_BUDGET_ENABLED", "yes"),
        ("OUTBOUND_MAX_RETRIES", "0"), ("RETRY_BUDGET_PERCENT", "20")))
    env += ("            - name: OUTBOUND_TIMEOUT_SECONDS\n              valueFrom:\n"
            "                configMapKeyRef: {name: settings, key: timeout}\n")
    change(repo, DEPLOYMENT, '              value: "3"\n', '              value: "3"\n' + env)
    found = results(repo)
    assert [found[rule].status for rule in ("isolation/circuit-breaker",
                                            "isolation/load-shedding",
                                            "isolation/retries-bounded")] == [Status.PASS] * 3


@pytest.mark.parametrize("source, status", [
    ("from urllib3.util.retry import Retry\nRetry()\n", Status.FAIL),  # total=10
    ("from urllib3.util.retry import Retry\nRetry(total=None)\n", Status.FAIL),
    ("from urllib3.util.retry import Retry\nRetry(4)\n", Status.FAIL),
    ("from urllib3.util.retry import Retry\nRetry(3)\n", Status.PASS),
    ("from urllib3.util.retry import Retry\nRetry(total=2)\n", Status.PASS),
    ("import httpx\nhttpx.HTTPTransport(retries=2)\n", Status.PASS),
    ("import requests.adapters\nrequests.adapters.HTTPAdapter(max_retries=2)\n", Status.PASS),
    ("import backoff\n\n@backoff.on_exception(backoff.expo, Exception, max_tries=3)\n"
     "def f():\n    pass\n", Status.PASS),
    ("import backoff\n\n@backoff.on_exception(backoff.expo, Exception, max_time=3)\n"
     "def f():\n    pass\n", Status.PASS),
    ("import tenacity\n\n@tenacity.retry(stop=tenacity.stop_after_attempt(3))\n"
     "def f():\n    pass\n", Status.PASS),
])
def test_library_retries_within_the_bound_pass(repo: Path, source: str, status: Status) -> None:
    (repo / "src/payments_api/extra.py").write_text(source)
    assert results(repo)["isolation/retries-bounded"].status is status
