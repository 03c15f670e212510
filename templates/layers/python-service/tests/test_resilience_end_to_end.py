"""Target figures of the golden path, on real servers over loopback.

Each test would fail if its property broke; timing figures (overshoot p99,
rejection time) are measured by `make bench`, so thresholds here are generous.
"""

from __future__ import annotations

import time

import httpx

from support import load, running_service

# Budgets alone (the breaker would hide them by rejecting everything).
NO_BREAKER = {"breaker_enabled": False}
# A client with neither budget nor breaker: plain "3 attempts" retrying.
NAIVE = {"breaker_enabled": False, "retry_budget_min_retries": 1_000_000}


def test_amplification_at_full_downstream_failure_is_at_most_1_2(downstream) -> None:
    fake, url = downstream
    fake.status = 503
    with running_service(example_downstream_url=url, **NO_BREAKER) as service:
        answers = load(f"{service}/example", count=200)
    assert {r.status_code for r in answers} == {502}
    assert fake.hits / 200 <= 1.2


def test_naive_retries_amplify_three_times(downstream) -> None:
    # The control for the test above: the same load with the budget off.
    fake, url = downstream
    fake.status = 503
    with running_service(example_downstream_url=url, **NAIVE) as service:
        load(f"{service}/example", count=50)
    assert fake.hits / 50 == 3.0


def test_amplification_with_every_default_on_is_at_most_1_2(downstream) -> None:
    fake, url = downstream
    fake.status = 503
    with running_service(example_downstream_url=url) as service:
        load(f"{service}/example", count=200)
    assert fake.hits / 200 <= 1.2


def test_a_two_hop_chain_amplifies_at_most_1_2(downstream) -> None:
    fake, url = downstream
    fake.status = 503
    with running_service(example_downstream_url=url, **NO_BREAKER) as second:
        with running_service(example_downstream_url=f"{second}/example", **NO_BREAKER) as first:
            answers = load(f"{first}/example", count=200)
    assert {r.status_code for r in answers} == {502}
    assert fake.hits / 200 <= 1.2


def test_non_idempotent_calls_are_not_retried(downstream) -> None:
    fake, url = downstream
    fake.status = 503
    with running_service(example_downstream_url=url, **NO_BREAKER) as service:
        load(f"{service}/example", count=20, method="POST")
    assert fake.hits == 20
    assert {method for method, _ in fake.requests} == {"POST"}


def test_post_with_an_idempotency_key_is_retried(downstream) -> None:
    fake, url = downstream
    fake.status = 503
    with running_service(example_downstream_url=url, **NO_BREAKER) as service:
        httpx.post(f"{service}/example", headers={"Idempotency-Key": "abc"})
    assert fake.hits == 3


def test_client_errors_are_not_retried(downstream) -> None:
    fake, url = downstream
    fake.status = 404
    with running_service(example_downstream_url=url) as service:
        answers = load(f"{service}/example", count=20)
    assert {r.status_code for r in answers} == {502}
    assert fake.hits == 20


def test_a_spent_budget_causes_no_downstream_call(downstream) -> None:
    fake, url = downstream
    headers = [
        {"x-request-timeout-ms": "0"},
        {"grpc-timeout": "0m"},
        {"x-envoy-expected-rq-timeout-ms": "0"},
        {"x-request-timeout-ms": "5"},  # less than the margin: nothing can be done in time
    ]
    with running_service(example_downstream_url=url) as service:
        answers = [httpx.get(f"{service}/example", headers=h) for h in headers]
    assert [r.status_code for r in answers] == [504] * len(headers)
    assert fake.hits == 0


def test_a_request_past_its_deadline_runs_no_code() -> None:
    # /hello calls nothing: only the inbound check can answer 504 here.
    with running_service() as service:
        assert httpx.get(f"{service}/hello", headers={"x-request-timeout-ms": "0"}).status_code == 504
        assert httpx.get(f"{service}/hello", headers={"x-request-timeout-ms": "1000"}).status_code == 200


def test_the_deadline_bounds_a_slow_downstream_and_shrinks_downstream(downstream) -> None:
    fake, url = downstream
    fake.delay = 3.0
    with running_service(example_downstream_url=url) as service:
        started = time.monotonic()
        answer = httpx.get(f"{service}/example", headers={"x-request-timeout-ms": "300"}, timeout=10)
        elapsed = time.monotonic() - started
    assert answer.status_code == 504
    # Without deadline propagation this takes the 2 s call timeout (or 3 s).
    assert elapsed < 1.5
    sent = int(fake.requests[0][1]["x-request-timeout-ms"])
    assert 0 < sent <= 300 - 20


def test_the_earliest_deadline_header_wins(downstream) -> None:
    fake, url = downstream
    headers = {"x-request-timeout-ms": "5000", "grpc-timeout": "1S", "x-envoy-expected-rq-timeout-ms": "3000"}
    with running_service(example_downstream_url=url) as service:
        assert httpx.get(f"{service}/example", headers=headers).status_code == 200
    assert int(fake.requests[0][1]["x-request-timeout-ms"]) <= 1000 - 20


def test_breaker_opens_rejects_fast_then_closes_after_probes(downstream) -> None:
    fake, url = downstream
    fake.status = 503
    config = {"breaker_open_seconds": 1.5, "breaker_half_open_probes": 3, "breaker_min_calls": 20}
    with running_service(example_downstream_url=url, **config) as service:
        with httpx.Client(base_url=service) as client:
            for _ in range(20):  # 20 calls or more reach the downstream: the breaker opens
                client.get("/example")
            hits_to_open = fake.hits
            assert hits_to_open <= 20 + 3
            # Open: answered 503 without touching the downstream, and fast.
            fake.delay = 1.0
            started = time.monotonic()
            rejected = [client.get("/example") for _ in range(10)]
            elapsed = time.monotonic() - started
            assert {r.status_code for r in rejected} == {503}
            assert fake.hits == hits_to_open
            assert elapsed < 1.0  # a single downstream call would take 1 s
            # Half-open after the open period: 3 probes go through; all succeed: closed.
            fake.status, fake.delay = 200, 0.0
            time.sleep(1.6)
            after = [client.get("/example").status_code for _ in range(10)]
    assert after == [200] * 10
    assert fake.hits == hits_to_open + 10
