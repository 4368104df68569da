"""Error capture: every error persisted once, as one structured event, and never swallowed.

`capture_exception` writes the event through stdlib logging (logger
`python_logging.errors`) with `exc_info` and nested ECS fields in `extra`; the
formatter pipeline adds `error.type`, `error.message` and `error.stack_trace` from
`exc_info` and redacts the whole document, business context included.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from python_logging.context import deep_merge
from python_logging.dual_use import DualUse
from python_logging.events import exception_message
from python_logging.fingerprint import group_name, grouping_key, origin

logger = logging.getLogger("python_logging.errors")

SEVERITIES = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    # Ticket-style severities map onto the four log levels.
    "high": logging.ERROR,
    "medium": logging.WARNING,
    "low": logging.INFO,
}
# Business context keys that have an ECS home; everything else stays in CONTEXT_FIELD.
WELL_KNOWN_KEYS = {
    "user_id": ("user", "id"),
    "user_name": ("user", "name"),
    "username": ("user", "name"),
    "user_email": ("user", "email"),
    "tenant_id": ("organization", "id"),
    "organization_id": ("organization", "id"),
    "trace_id": ("trace", "id"),
    "transaction_id": ("transaction", "id"),
    "client_ip": ("client", "ip"),
}
CONTEXT_FIELD = "error_context"  # custom object: ECS has no home for business context
ATTRIBUTES_FIELD = "error_attributes"  # status_code / code / details of the exception
RECORDED_ATTRIBUTES = ("status_code", "code", "details")
_MARK = "__python_logging_grouping_key__"

F = TypeVar("F", bound=Callable[..., Any])


def capture_exception(
    exc: BaseException | None = None,
    *,
    severity: str = "error",
    context: Mapping[str, Any] | None = None,
    fingerprint: Sequence[str] | None = None,
    app_root: Path | None = None,
) -> str:
    """Write one error event for `exc` (default: the exception being handled); return its key."""
    level = severity_level(severity)
    if exc is None:
        exc = sys.exc_info()[1]
        if exc is None:
            raise ValueError(
                "capture_exception() needs an exception: pass exc= or call it in an except block"
            )
    key = grouping_key(exc, fingerprint, app_root=app_root)
    name = group_name(exc, app_root=app_root)
    extra = error_event_fields(exc, key, name, context)
    logger.log(level, "%s: %s", name, exception_message(exc), exc_info=exc, extra=extra)
    _mark(exc, key)
    return key


def capture_once(exc: BaseException) -> str:
    """Capture `exc` unless something already did (app code, a decorator, a middleware)."""
    return already_captured(exc) or capture_exception(exc)


def already_captured(exc: BaseException) -> str | None:
    """The grouping key `exc` was captured under, or None."""
    return getattr(exc, _MARK, None)


def severity_level(severity: str) -> int:
    level = SEVERITIES.get(severity.lower()) if isinstance(severity, str) else None
    if level is None:
        raise ValueError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    return level


def error_event_fields(
    exc: BaseException, key: str, name: str, context: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Nested ECS fields of an error event.

    The pipeline adds type, message and stack trace from `exc_info`, and the request
    context (ID, method, path, user) bound with `request_context`/`add_context_fields`.
    """
    error: dict[str, Any] = {"grouping_key": key, "grouping_name": name}
    attributes = exception_attributes(exc)
    if "code" in attributes:
        error["code"] = str(attributes["code"])
    fields: dict[str, Any] = {"error": error}
    if attributes:
        fields[ATTRIBUTES_FIELD] = attributes
    raised_at = origin(exc)
    if raised_at:
        file_name, line, function = raised_at
        fields["log"] = {"origin": {"file": {"name": file_name, "line": line},
                                    "function": function}}
    if context:
        mapped, rest = split_context(context)
        fields = deep_merge(fields, mapped)
        if rest:
            fields[CONTEXT_FIELD] = rest
    return fields


def exception_attributes(exc: BaseException) -> dict[str, Any]:
    found = {}
    for name in RECORDED_ATTRIBUTES:
        try:
            value = getattr(exc, name, None)
        except Exception:  # a property that fails must not lose the event
            continue
        if value is not None and not callable(value):
            found[name] = value
    return found


def split_context(context: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ECS fields for well-known keys, the remaining business context)."""
    mapped: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in context.items():
        target = WELL_KNOWN_KEYS.get(str(key).lower())
        if target is None:
            rest[str(key)] = value
        else:
            mapped = deep_merge(mapped, {target[0]: {target[1]: str(value)}})
    return mapped, rest


def capture_errors(
    function: F | None = None,
    /,
    *,
    severity: str = "error",
    context: Mapping[str, Any] | None = None,
    fingerprint: Sequence[str] | None = None,
) -> Any:
    """Capture any exception raised in a function or block, then re-raise it.

    `@capture_errors`, `@capture_errors(severity="high", context={...})` or
    `with capture_errors(context={...}):`. An exception already captured further
    in is not written twice.
    """
    capturer = ErrorCapture(severity, context, fingerprint)
    return capturer if function is None else capturer(function)


class ErrorCapture(DualUse):
    def __init__(
        self, severity: str, context: Mapping[str, Any] | None, fingerprint: Sequence[str] | None
    ) -> None:
        severity_level(severity)  # a bad severity fails where it is written, not at error time
        self.severity = severity
        self.context = context
        self.fingerprint = fingerprint

    def _start(self) -> None:
        return None

    def _finish(self, state: None, exc: BaseException | None) -> None:
        if isinstance(exc, Exception) and not already_captured(exc):
            capture_exception(
                exc, severity=self.severity, context=self.context, fingerprint=self.fingerprint
            )


def _mark(exc: BaseException, key: str) -> None:
    # An exception type that refuses attributes may get captured twice; nothing worse.
    with contextlib.suppress(Exception):
        setattr(exc, _MARK, key)


class AlreadyCapturedFilter(logging.Filter):
    """Keeps a framework's own log of an exception we captured from becoming a second event.

    Flask, Django and ASGI servers log every uncaught exception with `exc_info`. Once
    our middleware captured it, the framework's line stays but loses its `exc_info`,
    so the exception is counted and grouped exactly once.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and record.name != logger.name and already_captured(exc):
            record.exc_info = None
            record.exc_text = None
        return True


_already_captured_filter = AlreadyCapturedFilter()


def deduplicate_errors_of(*logger_names: str) -> None:
    """Attach the filter to the loggers a framework reports uncaught exceptions on."""
    for name in logger_names:
        target = logging.getLogger(name)
        if _already_captured_filter not in target.filters:
            target.addFilter(_already_captured_filter)
