"""The probes and the control chaos/experiment.json uses (Chaos Toolkit's Python provider).

Each hypothesis probe drives real traffic at the service, measures, and
returns what it measured as `{"figure": "..."}`; when the measurement breaks
the hypothesis it raises HypothesisRejected with the figure, so the journal
records the probe as failed with the number that failed it. The steady-state
probes return `{"within": bool, "figure": "..."}` for the `within` tolerance.

Chaos Toolkit only judges the steady-state hypothesis; `after_experiment_control`
(declared under `controls` in the experiment) makes the experiment fail too when
a probe of the method or of the rollbacks failed, so `chaos run` exits 1 and the
journal's status says "failed".
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

DURATION = "http_server_request_duration_seconds"
SETTLE_SECONDS = 10.0  # the longest wait for the proxy's calls to end before counting them


class HypothesisRejected(Exception):
    """The measurement broke the hypothesis; the message is the figure."""


# --- measuring --------------------------------------------------------------


Samples = list[tuple[str, dict[str, str], float]]


def _scrape(service_url: str) -> Samples:
    text = httpx.get(f"{service_url}/metrics", timeout=10).text
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def _samples(service_url: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [(labels, value) for sample, labels, value in _scrape(service_url) if sample == name]


def _proxy(fault_proxy: str) -> dict[str, Any]:
    state: dict[str, Any] = httpx.get(f"{fault_proxy}/fault", timeout=10).json()
    return state


async def _send(url: str, count: int, headers: Mapping[str, str]) -> list[tuple[httpx.Response, float]]:
    """`count` concurrent GETs, each with its own elapsed seconds."""
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=count)) as client:

        async def one() -> tuple[httpx.Response, float]:
            started = time.monotonic()
            answer = await client.get(url, headers=dict(headers))
            return answer, time.monotonic() - started

        return list(await asyncio.gather(*(one() for _ in range(count))))


def _concurrent(
    url: str, count: int, headers: Mapping[str, str] | None = None
) -> list[tuple[httpx.Response, float]]:
    return asyncio.run(_send(url, count, headers or {}))


def _sequential(url: str, count: int) -> list[httpx.Response]:
    with httpx.Client(timeout=30) as client:
        return [client.get(url) for _ in range(count)]


def _statuses(answers: Sequence[httpx.Response]) -> str:
    counts: dict[int, int] = {}
    for answer in answers:
        counts[answer.status_code] = counts.get(answer.status_code, 0) + 1
    return ", ".join(f"{n} x {status}" for status, n in sorted(counts.items()))


def _judge(ok: bool, figure: str) -> dict[str, Any]:
    if not ok:
        raise HypothesisRejected(figure)
    return {"figure": figure}


# --- steady state -------------------------------------------------------------


def slo_objectives(slo_file: str) -> tuple[float, float, float]:
    """(availability target, latency threshold in seconds, latency target) from an OpenSLO file."""
    availability, threshold, latency_target = None, None, None
    for document in yaml.safe_load_all(Path(slo_file).read_text()):
        objective = document["spec"]["objectives"][0]
        good = objective["ratioMetric"]["good"]["metricSource"]["spec"]["query"]
        if 'le="' in good:
            threshold = float(good.split('le="', 1)[1].split('"', 1)[0])
            latency_target = float(objective["target"])
        else:
            availability = float(objective["target"])
    if availability is None or threshold is None or latency_target is None:
        raise ValueError(f"{slo_file}: needs an availability and a latency objective")
    return availability, threshold, latency_target


def _histogram(samples: Samples) -> tuple[dict[float, float], float, float, float]:
    """Requests per bucket bound, all requests, 5xx answers (every route), and retries not
    sent for want of budget."""
    buckets: dict[float, float] = {}
    count = errors = exhausted = 0.0
    for name, labels, value in samples:
        if name == f"{DURATION}_bucket":
            buckets[float(labels["le"])] = buckets.get(float(labels["le"]), 0.0) + value
        elif name == f"{DURATION}_count":
            count += value
            errors += value if labels.get("http_response_status_code", "").startswith("5") else 0
        elif name == "outbound_retry_budget_exhausted_total":
            exhausted += value
    return buckets, count, errors, exhausted


def steady_state(
    service_url: str, paths: Sequence[str], calls: int, slo_file: str, measure: str
) -> dict[str, Any]:
    """Send `calls` requests to each path and measure `errors`, `latency` or `retry-budget`
    over them, from the service's /metrics, against the SLO in `slo_file`."""
    availability, threshold, latency_target = slo_objectives(slo_file)
    before, count_before, errors_before, exhausted_before = _histogram(_scrape(service_url))
    for path in paths:
        _sequential(f"{service_url}{path}", calls)  # one at a time: a steady load, never shed
    after, count_after, errors_after, exhausted_after = _histogram(_scrape(service_url))
    requests = count_after - count_before
    if measure == "errors":
        ratio = (errors_after - errors_before) / requests if requests else 1.0
        limit = 1 - availability
        return {
            "within": ratio <= limit,
            "figure": f"error ratio {ratio:.4f} over {requests:.0f} requests (SLO: ≤ {limit:.4f})",
        }
    if measure == "latency":
        within = max((b for b in after if b <= threshold), default=0.0)
        good = after.get(within, 0.0) - before.get(within, 0.0)
        share = good / requests if requests else 0.0
        p99 = next(
            (b for b in sorted(after) if requests and after[b] - before.get(b, 0.0) >= 0.99 * requests),
            math.inf,
        )
        return {
            "within": share >= latency_target,
            "figure": f"p99 ≤ {p99 * 1000:.0f} ms, {share:.1%} of {requests:.0f} requests within "
            f"{threshold * 1000:.0f} ms (SLO: {latency_target:.0%})",
        }
    if measure == "retry-budget":
        spent = exhausted_after - exhausted_before
        return {
            "within": spent == 0,
            "figure": f"retry budget exhausted {spent:.0f} time(s) over {requests:.0f} requests",
        }
    raise ValueError(f"unknown measure {measure!r}")


def within(value: Mapping[str, Any] | None = None) -> bool:
    """Tolerance of the steady-state probes: the probe's own judgement against the SLO
    (Chaos Toolkit passes the probe's output as `value`)."""
    return bool(value and value.get("within"))


# --- while a fault is active ----------------------------------------------------


def _downstream(fault_proxy: str, before: Mapping[str, Any]) -> tuple[int, int, list[int | None]]:
    """Since `before` (the proxy's state): requests that reached the dependency, those the
    service abandoned before the answer was complete, and the deadline headers they carried.

    Read once every call the proxy holds has ended (the proxy sees a hang-up a moment after
    the service's answer left), at most SETTLE_SECONDS later."""
    after = _proxy(fault_proxy)
    waited = 0.0
    while after["in_flight"] and waited < SETTLE_SECONDS:
        time.sleep(0.05)
        waited += 0.05
        after = _proxy(fault_proxy)
    reached = after["requests"] - before["requests"]
    deadlines = after["deadlines_ms"][max(0, len(after["deadlines_ms"]) - reached) :] if reached else []
    return reached, after["abandoned"] - before["abandoned"], deadlines


def calls_end_at_the_timeout(
    service_url: str, path: str, calls: int, timeout_seconds: float, fault_proxy: str
) -> dict[str, Any]:
    """Callers with no deadline of their own get a 5xx once the per-call timeout has run out,
    while the dependency is slower still (its answer would come later).

    Judged on counts and order, so that a busy machine cannot fail it: every caller got a
    5xx after at least the timeout (not sooner), and every call reaching the dependency was
    abandoned by the service before the dependency's answer was complete."""
    before = _proxy(fault_proxy)
    answers = _concurrent(f"{service_url}{path}", calls)
    reached, abandoned, _ = _downstream(fault_proxy, before)
    fastest = min(elapsed for _, elapsed in answers)
    slowest = max(elapsed for _, elapsed in answers)
    failed = all(answer.status_code >= 500 for answer, _ in answers)
    statuses = _statuses([answer for answer, _ in answers])
    figure = (
        f"{statuses} after {fastest:.2f} to {slowest:.2f} s (per-call timeout {timeout_seconds} s); "
        f"{abandoned} of {reached} downstream call(s) cut by the service before the answer"
    )
    # A timer can fire a little early on a coarse clock: 50 ms of tolerance below.
    ok = failed and fastest >= timeout_seconds - 0.05 and reached > 0 and abandoned == reached
    return _judge(ok, figure)


def deadlines_are_kept(
    service_url: str, path: str, calls: int, deadline_ms: int, timeout_seconds: float, fault_proxy: str
) -> dict[str, Any]:
    """Callers that send a deadline shorter than the per-call timeout get their 504 from the
    deadline, not the timeout, and the deadline left is what goes downstream.

    Judged on order, so that a busy machine cannot fail it: every caller got a 504 before
    the per-call timeout could have ended its call, and every downstream call carried a
    deadline header within the caller's. (How close to the deadline the 504 comes is
    measured by `make bench`, at p99 ≤ 50 ms past it.)"""
    before = _proxy(fault_proxy)
    answers = _concurrent(f"{service_url}{path}", calls, {"x-request-timeout-ms": str(deadline_ms)})
    reached, _, deadlines = _downstream(fault_proxy, before)
    slowest = max(elapsed for _, elapsed in answers)
    all_504 = all(answer.status_code == 504 for answer, _ in answers)
    sent = sorted({str(value) for value in deadlines})
    propagated = reached > 0 and all(value is not None and value <= deadline_ms for value in deadlines)
    figure = (
        f"{_statuses([a for a, _ in answers])}, the last after {slowest * 1000:.0f} ms "
        f"(deadline {deadline_ms} ms, per-call timeout {timeout_seconds} s); "
        f"deadline sent downstream: {', '.join(sent) or 'none'} ms"
    )
    return _judge(all_504 and slowest < timeout_seconds and propagated, figure)


def spent_deadline_makes_no_call(service_url: str, path: str, calls: int, fault_proxy: str) -> dict[str, Any]:
    """A request arriving with no time left is answered 504 and causes no downstream call."""
    seen = _proxy(fault_proxy)["requests"]
    answers = [
        answer for answer, _ in _concurrent(f"{service_url}{path}", calls, {"x-request-timeout-ms": "0"})
    ]
    reached = _proxy(fault_proxy)["requests"] - seen
    figure = f"{_statuses(answers)}; {reached} downstream call(s)"
    return _judge(reached == 0 and all(a.status_code == 504 for a in answers), figure)


def amplification_within_budget(
    service_url: str, path: str, calls: int, fault_proxy: str, limit: float
) -> dict[str, Any]:
    """Downstream attempts per call stay within `limit` while every attempt fails."""
    seen = _proxy(fault_proxy)["requests"]
    _sequential(f"{service_url}{path}", calls)
    attempts = _proxy(fault_proxy)["requests"] - seen
    figure = f"amplification {attempts / calls:.2f}: {attempts} attempts for {calls} calls (limit {limit})"
    return _judge(attempts / calls <= limit, figure)


def _rejected(answer: httpx.Response) -> bool:
    """The answer of an open breaker (or any platform refusal): 503 with Retry-After."""
    return answer.status_code == 503 and "retry-after" in answer.headers


def breaker_opens(
    service_url: str, path: str, fault_proxy: str, max_calls: int, calls: int
) -> dict[str, Any]:
    """Under a failing dependency the breaker opens within `max_calls` calls; then `calls` calls
    are answered 503 with Retry-After and none reaches the dependency."""
    with httpx.Client(timeout=30) as client:
        made = 0
        while made < max_calls:
            made += 1
            if _rejected(client.get(f"{service_url}{path}")):
                break
        else:
            return _judge(False, f"none of {max_calls} calls was rejected: the breaker did not open")
        seen = _proxy(fault_proxy)["requests"]
        answers = [client.get(f"{service_url}{path}") for _ in range(calls)]
        reached = _proxy(fault_proxy)["requests"] - seen
    rejected = sum(map(_rejected, answers))
    figure = (
        f"open after {made} calls; then {rejected} of {calls} calls rejected with 503 and "
        f"Retry-After, {reached} reached the dependency"
    )
    return _judge(reached == 0 and rejected == calls, figure)


def breaker_closes(service_url: str, path: str, within_seconds: float, successes: int) -> dict[str, Any]:
    """Once the dependency is healthy again, calls succeed and every breaker is closed again."""
    started = time.monotonic()
    streak = 0
    with httpx.Client(timeout=30) as client:
        while streak < successes and time.monotonic() - started < within_seconds:
            streak = streak + 1 if client.get(f"{service_url}{path}").status_code == 200 else 0
            if streak == 0:
                time.sleep(0.05)
    took = time.monotonic() - started
    closed = all(value == 0 for _, value in _samples(service_url, "outbound_circuit_breaker_state"))
    figure = (
        f"{min(streak, successes)} calls in a row succeeded after {took:.2f} s; "
        f"breaker {'closed' if closed else 'not closed'}"
    )
    return _judge(streak >= successes and closed, figure)


def sheds_with_retry_after(service_url: str, path: str, limit: int, fault_proxy: str) -> dict[str, Any]:
    """Twice `limit` concurrent slow requests: at most `limit` in the dependency at once, the
    excess answered 503 with Retry-After at once by load shedding, and nothing else.

    Judged on counts, so that a busy machine cannot fail it: every answer is either served
    (200) or shed (503 with Retry-After, counted by the service's `server_shed_requests`: not
    a breaker's or a timeout's answer), at least one was shed, and the dependency never held
    more than `limit` calls at once."""
    shed_before = sum(value for _, value in _samples(service_url, "server_shed_requests_total"))
    answers = _concurrent(f"{service_url}{path}", 2 * limit)
    counted = sum(value for _, value in _samples(service_url, "server_shed_requests_total")) - shed_before
    peak = _proxy(fault_proxy)["peak_in_flight"]
    shed = [elapsed for answer, elapsed in answers if _rejected(answer)]
    served = sum(answer.status_code == 200 for answer, _ in answers)
    slowest = f", the slowest rejection after {max(shed) * 1000:.0f} ms" if shed else ""
    figure = (
        f"{2 * limit} concurrent ({_statuses([answer for answer, _ in answers])}): {served} served, "
        f"{len(shed)} shed with Retry-After{slowest} ({counted:.0f} counted by load shedding); "
        f"{peak} in the dependency at once (limit {limit})"
    )
    ok = 0 < len(shed) == counted and served + len(shed) == 2 * limit and peak <= limit
    return _judge(ok, figure)


# --- the control ---------------------------------------------------------------


def after_experiment_control(context: Any, state: dict[str, Any], **kwargs: Any) -> None:
    """A failed probe in the method or the rollbacks fails the experiment (Chaos Toolkit
    itself judges only the steady-state hypothesis)."""
    runs = [*(state.get("run") or []), *(state.get("rollbacks") or [])]
    before = (state.get("steady_states") or {}).get("before") or {}
    # Chaos Toolkit says "completed" when the steady state was not met before the method (which
    # then never ran): no hypothesis was tested, so the experiment did not pass either.
    unmet = before.get("steady_state_met") is False
    if state.get("status") == "completed" and (unmet or any(run.get("status") == "failed" for run in runs)):
        state["status"] = "failed"
