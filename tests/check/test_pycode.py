"""The prefilter never hides what a rule looks for: each word list covers its pattern."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from paved.check import isolation, pycode, scan
from tests.helpers import build_file_tree, commit_all

# Identifiers each `pycode.MENTIONS` pattern matches, in every form docs/check.md names.
SAMPLES = {
    "breaker": ["CircuitBreaker", "pybreaker", "aiobreaker", "purgatory"],
    "shedding": ["load_shed", "LoadShedder", "shedding", "concurrency_limit",
                 "max_in_flight", "maxinflight", "max_concurrent"],
    "budget": ["RetryBudget", "retry_budget", "retrybudget"],
    "tracing": ["TracerProvider", "set_tracer_provider", "FastAPIInstrumentor",
                "configure_opentelemetry", "configure_azure_monitor"],
    "json-logs": ["structlog", "JSONRenderer", "jsonlogger", "JsonFormatter", "Json_Formatter",
                  "ecs_logging", "loguru"],
    "trace-ids": ["trace_id", "traceId", "otelTraceID", "LoggingInstrumentor"],
    "metrics": ["make_asgi_app", "make_wsgi_app", "start_http_server",
                "prometheus_fastapi_instrumentator", "PrometheusMetricReader"],
    "logging": ["logging", "basicConfig", "getLogger"],
}
SOURCES = [(f"mention:{name}", f"x = {sample}\n", name)
           for name, samples in SAMPLES.items() for sample in samples] + [
    ("mention:tracing", "import opentelemetry.instrumentation.fastapi\n", "tracing"),
    ("calls", "from urllib3.util import Retry\nRetry(total=9)\n", None),
    ("calls", "import httpx as h\nh.AsyncHTTPTransport(retries=5)\n", None),
    ("routes", "def install(app):\n    app.get('/livez')(lambda: 'ok')\n", None),
    ("routes", 'router.add_api_route("/readyz", ready)\n', None),
    ("settings", "class ServiceConfig:\n    total_timeout = 9\n", None),
    ("settings", "import pydantic_settings as p\nclass S(p.BaseSettings):\n    x = 1\n", None),
]


@pytest.mark.parametrize("need, source, mention", SOURCES)
def test_each_fact_is_found_and_its_module_kept_by_the_prefilter(
        need: str, source: str, mention: str | None) -> None:
    facts = pycode.extract(ast.parse(source), "m.py")
    if mention:
        assert facts.mentions[mention] == (1,)
    else:
        assert facts.calls or facts.routes or facts.settings
    assert need in pycode.needs_of(source)


def test_git_grep_keeps_every_such_module(tmp_path: Path) -> None:
    files = {f"m{index}.py": source for index, (_, source, _) in enumerate(SOURCES)}
    files["plain.py"] = "def double(x):\n    return 2 * x\n"
    build_file_tree(tmp_path, files)
    commit_all(tmp_path, "modules")
    chosen, prefiltered = scan.candidates(tmp_path, sorted(files), jobs=1, by_git=True)
    assert prefiltered
    assert sorted(chosen) == sorted(set(files) - {"plain.py"})


def test_the_calls_kept_include_every_call_a_rule_reads() -> None:
    # TypeScript's calls are all kept (paved.check.tscode): only Python's are filtered.
    python = (isolation.NEEDS_TIMEOUT - isolation.TYPESCRIPT_CLIENTS) \
        | (isolation.WEB_APPS - isolation.TYPESCRIPT_APPS)
    assert all(pycode.interesting(name) for name in python)
    assert all(pycode.interesting(name) for name in (
        "tenacity.retry", "backoff.on_exception", "urllib3.util.Retry", "requests.adapters.Retry",
        "httpx.HTTPTransport", "requests.adapters.HTTPAdapter"))
