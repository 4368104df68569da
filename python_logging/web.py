"""What the ASGI, WSGI and Django middlewares share, free of any framework.

Picking the request ID, reading W3C `traceparent`, and the fields of the one access
line per request live here; each middleware only translates its framework's request
and response into calls on `ObservedRequest`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from contextvars import Token
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from python_logging.access import REQUEST_TEXTS, REQUEST_TEXTS_WITH_TRACE, log_access
from python_logging.capture import capture_once, deduplicate_errors_of
from python_logging.config import ConfigError
from python_logging.context import enter_request, holds_only, leave_request
from python_logging.events import TrustedFields

DEFAULT_HEADER = "X-Request-ID"

# https://www.w3.org/TR/trace-context/#traceparent-header-field-values
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")


@dataclass(frozen=True)
class MiddlewareSettings:
    header: str = DEFAULT_HEADER
    slow_request_ms: float | None = None
    exclude_paths: frozenset[str] = frozenset()

    @cached_property  # read for every WSGI/Django request
    def environ_key(self) -> str:
        """The header as a WSGI environ / Django META key."""
        return "HTTP_" + self.header.upper().replace("-", "_")


def middleware_settings(
    header: str = DEFAULT_HEADER,
    slow_request_ms: float | None = None,
    exclude_paths: Iterable[str] = (),
) -> MiddlewareSettings:
    """Validated middleware options; a bad one raises `ConfigError` naming it."""
    if not isinstance(header, str) or not _HEADER_NAME.fullmatch(header):
        raise ConfigError("header", f"{header!r} is not an HTTP header name; use e.g. X-Request-ID")
    if slow_request_ms is not None and (
        isinstance(slow_request_ms, bool)
        or not isinstance(slow_request_ms, (int, float))
        or slow_request_ms <= 0
    ):
        raise ConfigError(
            "slow_request_ms", f"{slow_request_ms!r} is not accepted; use milliseconds > 0 or None"
        )
    paths = [exclude_paths] if isinstance(exclude_paths, str) else list(exclude_paths)
    if not all(isinstance(path, str) and path.startswith("/") for path in paths):
        raise ConfigError(
            "exclude_paths", f"{exclude_paths!r} is not accepted; use a list of paths like /health"
        )
    return MiddlewareSettings(header, slow_request_ms, frozenset(paths))


class WrappingMiddleware:
    """Constructor shared by the ASGI and WSGI middlewares: options, server log dedupe."""

    server_loggers: tuple[str, ...] = ()  # where the server logs exceptions we captured

    def __init__(
        self,
        app: Any,
        *,
        header: str = DEFAULT_HEADER,
        slow_request_ms: float | None = None,
        exclude_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.settings = middleware_settings(header, slow_request_ms, exclude_paths)
        deduplicate_errors_of(*self.server_loggers)


def settings_from_mapping(options: Mapping[str, Any], where: str) -> MiddlewareSettings:
    """`middleware_settings` from a mapping (Django settings); errors name `where.key`."""
    if not isinstance(options, Mapping):
        raise ConfigError(where, f"expected a mapping of options, got {options!r}")
    accepted = ("header", "slow_request_ms", "exclude_paths")
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}", f"unknown key; use {', '.join(accepted)}")
    try:
        return middleware_settings(**options)
    except ConfigError as exc:
        raise ConfigError(f"{where}.{exc.key}", exc.problem) from None


def trace_id(traceparent: str | None) -> str | None:
    """The trace ID of a valid W3C `traceparent` header, else None."""
    if not traceparent:
        return None
    match = _TRACEPARENT.fullmatch(traceparent.strip())
    if not match:
        return None
    version, trace, parent, _flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest) or set(trace) == {"0"} or set(parent) == {"0"}:
        return None
    return trace


class ObservedRequest:
    """One request from arrival to access line: context, timing, status and errors.

    A context manager (`with request as request_id:`).
    """

    __slots__ = ("_bound", "_started", "_token", "client", "incoming_id", "method", "path",
                 "query", "request_id", "settings", "status", "trace_id", "user_agent")

    def __init__(
        self,
        settings: MiddlewareSettings,
        method: str,
        path: str,
        query: str = "",
        request_id: str | None = None,
        traceparent: str | None = None,
        client: str | None = None,
        user_agent: str | None = None,
    ) -> None:
        self.settings = settings
        self.method = method
        self.path = path
        self.query = query
        self.incoming_id = request_id
        self.trace_id = trace_id(traceparent) if traceparent else None
        self.client = client
        self.user_agent = user_agent
        self.status: int | None = None
        self.request_id = ""
        self._token: Token[Any] | None = None  # of the request context, while entered
        self._bound: TrustedFields | None = None  # the context fields `__enter__` bound
        self._started = 0

    @classmethod
    def from_environ(
        cls, settings: MiddlewareSettings, environ: Mapping[str, Any], path: str
    ) -> ObservedRequest:
        """From a WSGI environ or Django's `request.META`."""
        return cls(
            settings,
            method=environ.get("REQUEST_METHOD", "GET"),
            path=path,
            query=environ.get("QUERY_STRING", ""),
            request_id=environ.get(settings.environ_key),
            traceparent=environ.get("HTTP_TRACEPARENT"),
            client=environ.get("REMOTE_ADDR"),
            user_agent=environ.get("HTTP_USER_AGENT"),
        )

    def __enter__(self) -> str:
        """Enter the request context; the effective (validated or generated) ID."""
        self._started = time.perf_counter_ns()
        fields: dict[str, Any] = {"http": {"request": {"method": self.method}},
                                  "url": {"path": self.path}}
        if self.trace_id:
            fields["trace"] = {"id": self.trace_id}
            texts = REQUEST_TEXTS_WITH_TRACE  # all from the client: scanned like any field
        else:
            texts = REQUEST_TEXTS
        self._bound = TrustedFields(fields, texts)
        self.request_id, self._token = enter_request(self.incoming_id, self._bound)
        return self.request_id

    def context_unchanged(self) -> bool:
        """True while the request context holds only what `__enter__` bound: the app
        added no fields (`set_user`, `add_context_fields`) and entered no other context."""
        return self._bound is not None and holds_only(self._bound)

    def failed(self, exc: BaseException) -> None:
        """An uncaught exception: captured once, with the request context still bound."""
        if isinstance(exc, Exception):
            capture_once(exc)
            if self.status is None:
                self.status = 500

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if self.path not in self.settings.exclude_paths:
                log_access(self, time.perf_counter_ns() - self._started)
        finally:
            if self._token is not None:
                leave_request(self._token)
                self._token = None
