"""What one answer from a downstream means: retry it? the service's failure? the instance's?

One place decides, so the retry policy, the circuit breaker (which guards the
downstream *service*), outlier ejection (which guards one *instance*) and the
retry budget never disagree about the same answer:

| answer                                   | retried | breaker  | instance | budget |
|------------------------------------------|---------|----------|----------|--------|
| 2xx, 3xx, 4xx other than 429             | no      | success  | healthy  | ok     |
| 429 Too Many Requests                    | yes     | ignored  | healthy  | failed |
| 502, 503, 504                            | yes     | failure  | failed   | failed |
| other 5xx                                | no      | failure  | failed   | failed |
| any answer with `x-paved-no-retry`       | no      | ignored  | healthy  | failed |

429 means "slow down", not "broken" (RFC 6585). An answer carrying
`x-paved-no-retry` was relayed: the downstream answered on behalf of *its*
downstream (B says C failed), so it is neither B's failure nor a reason to
retry B. Attempts that got no answer are classified by the client: a
connection failure or a timeout of the full outbound timeout is a failure; a
timeout the caller's own deadline caused is ignored.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

NO_RETRY_HEADER = "x-paved-no-retry"
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
TOO_MANY_REQUESTS = 429


class Outcome(enum.Enum):
    """A call's outcome as the circuit breaker counts it."""

    SUCCESS = "success"
    FAILURE = "failure"
    IGNORED = "ignored"  # neither: frees a half-open probe slot without a verdict


def relayed(headers: Mapping[str, str]) -> bool:
    """The answer reports another service's failure (`x-paved-no-retry`)."""
    return NO_RETRY_HEADER in headers


def retryable(status: int, headers: Mapping[str, str]) -> bool:
    return status in RETRYABLE_STATUSES and not relayed(headers)


def service_outcome(status: int, headers: Mapping[str, str]) -> Outcome:
    if relayed(headers) or status == TOO_MANY_REQUESTS:
        return Outcome.IGNORED
    return Outcome.FAILURE if status >= 500 else Outcome.SUCCESS


def instance_failed(status: int, headers: Mapping[str, str]) -> bool:
    """Counts toward ejecting the instance that answered (Envoy's consecutive 5xx)."""
    return status >= 500 and not relayed(headers)
