from __future__ import annotations

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


def test_a_library_that_could_retry_is_not_a_retry(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import urllib3\nurllib3.PoolManager(timeout=1)\n")
    assert results(tmp_path)["isolation/retries-bounded"].status is Status.NOT_APPLICABLE
