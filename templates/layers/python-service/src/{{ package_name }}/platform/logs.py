"""JSON logs, one object per line on stdout, for every logger in the process.

structlog renders both its own loggers and the standard library's (uvicorn,
httpx, the team's `logging.getLogger(...)`), so every line has the same keys:
`timestamp`, `level`, `message`, `logger`, `service.name` and, inside a request,
the `trace_id` (32 hex) and `span_id` (16 hex) of the current OpenTelemetry
span. One search by trace id finds a request's logs. Credentials never reach
the output: values of Authorization, Cookie and similar headers, and of
password, token and similar parameters (query strings included), are masked,
in structured fields and inside messages.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode

import structlog
from opentelemetry import trace

REDACTED = "[redacted]"
# Header names and the parameter names of credentials (OAuth 2.0 tokens, API keys).
SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api_key",
        "apikey",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
    }
)
_SECRET_NAMES = "|".join(sorted((re.escape(key) for key in SECRET_KEYS), key=len, reverse=True))
# Inside free text: "Authorization: Bearer abc", "'cookie': 'a=b'", "?access_token=xyz&",
# "password=hunter2". The name must not be part of a longer word ("tokens", "my_password").
# After ":" the value runs to the next quote or separator ("Bearer abc"); after "=" it
# ends at "&" or a space too, as in a query string.
_SECRET_IN_TEXT = re.compile(
    rf"(?i)(?<![\w-])({_SECRET_NAMES})"
    rf"(?:(['\"]?\s*:\s*['\"]?)[^'\",;}}\r\n]+|(['\"]?\s*=\s*['\"]?)[^&\s'\",;}}]+)"
)


def redact(name: str, value: str) -> str:
    """`value` as it may be logged under `name`: a header or a query parameter."""
    return REDACTED if name.lower() in SECRET_KEYS else value


def redact_query(query: str) -> str:
    """A query string with the value of every secret parameter (`access_token`, …) redacted."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, redact(name, value)) for name, value in pairs], safe="[]")


# Loggers of libraries that install their own handlers: routed to ours instead.
THIRD_PARTY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore")

EventDict = MutableMapping[str, Any]


def _add_trace_context(logger: Any, method: str, event: EventDict) -> EventDict:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return _SECRET_IN_TEXT.sub(lambda m: m.group(1) + (m.group(2) or m.group(3)) + REDACTED, value)
    if isinstance(value, MutableMapping):
        return {
            key: REDACTED if str(key).lower() in SECRET_KEYS else _redact(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    return value


def _redact_secrets(logger: Any, method: str, event: EventDict) -> EventDict:
    for key in list(event):
        if key.lower() in SECRET_KEYS:
            event[key] = REDACTED
        elif key not in ("timestamp", "level"):
            event[key] = _redact(event[key])
    return event


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to sys.stdout as it is when a line is logged (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout  # under the handler's lock: Handler.handle holds it
        super().emit(record)


def configure_logging(service_name: str, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Route every logger through one JSON renderer writing to `stream` (stdout)."""

    def add_service_name(logger: Any, method: str, event: EventDict) -> EventDict:
        event["service.name"] = service_name
        return event

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        add_service_name,
        _add_trace_context,
        structlog.processors.format_exc_info,
        _redact_secrets,
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream) if stream is not None else _StdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.EventRenamer("message"),
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in THIRD_PARTY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers = []
        library_logger.propagate = True
