"""The formatter chain: context -> redaction -> ECS mapping -> error fingerprint -> render.

Each step is a small function over a `LogEvent`, testable alone; `Pipeline` composes
them once at `setup_logging` so the per-line path does no configuration look-ups.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from python_logging import context
from python_logging.ecs import ServiceIdentity, format_timestamp, to_ecs
from python_logging.events import LogEvent, describe_exception, from_record
from python_logging.failures import failures
from python_logging.render import Renderer

Processor = Callable[[LogEvent], None]
_bound_fields = context._fields.get
_request_id = context._request_id.get


def describe_error(event: LogEvent) -> None:
    if event.exception is not None and event.error is None:
        event.error = describe_exception(event.exception)


class Redaction:
    """Applies a redactor to everything user-controlled in the event."""

    def __init__(self, redactor: Any) -> None:
        self._redactor = redactor
        self._context_cache: tuple[Mapping[str, Any] | None, Mapping[str, Any]] = (None, {})

    def event(self, event: LogEvent) -> None:
        redactor = self._redactor
        event.message = redactor.redact_text(event.message)
        if event.fields:
            event.fields = redactor.redact(event.fields)
        if event.error is not None:
            error_type, message, stack = event.error
            event.error = (error_type, redactor.redact_text(message), redactor.redact_text(stack))

    def text(self, text: str) -> str:
        try:
            return self._redactor.redact_text(text)
        except Exception:  # never leak: an unredactable text is withheld entirely
            return "[withheld: redaction failed]"

    def context(self, fields: Mapping[str, Any]) -> Mapping[str, Any]:
        # Context fields repeat on every line of a request: redact each binding once.
        cached_source, cached = self._context_cache
        if cached_source is not fields:
            cached = self._redactor.redact(fields)
            self._context_cache = (fields, cached)
        return cached


def add_fingerprint(event: LogEvent) -> None:
    """`error.grouping_key` (and a readable group name) for lines carrying an exception."""
    doc = event.doc
    if event.exception is None or doc is None:
        return
    error = doc.get("error")
    if not isinstance(error, dict) or "grouping_key" in error:
        return
    from python_logging.fingerprint import group_name, grouping_key

    error["grouping_key"] = grouping_key(event.exception)
    error.setdefault("grouping_name", group_name(event.exception))


class Pipeline:
    def __init__(self, identity: ServiceIdentity, redactor: Any | None = None) -> None:
        self.identity = identity
        self._redaction = Redaction(redactor) if redactor is not None else None
        self._render = Renderer(redactor.redact_text if redactor is not None else None)

    def process(self, event: LogEvent) -> dict[str, Any]:
        """Run the chain up to (not including) rendering; returns the ECS document."""
        context_fields = _bound_fields()
        describe_error(event)
        if self._redaction is not None:
            self._redaction.event(event)
            if context_fields:
                context_fields = self._redaction.context(context_fields)
        to_ecs(event, self.identity, context_fields, _request_id())
        add_fingerprint(event)
        assert event.doc is not None
        return event.doc

    def render_event(self, event: LogEvent) -> bytes:
        """One JSON line (with newline). Never raises."""
        try:
            return self._render(self.process(event))
        except Exception as exc:  # the line must survive a bug or a hostile value
            failures.record("format log record", exc)
            return self._render(self.fallback_doc(event, exc))

    def render_record(self, record: logging.LogRecord) -> bytes:
        """One JSON line (with newline) for a stdlib record. Never raises."""
        try:
            event = from_record(record)
        except Exception as exc:
            failures.record("format log record", exc)
            event = LogEvent(
                record.created, str(record.levelname).lower(), repr(record.msg), str(record.name),
                None, None, None, {}, None,
            )
        return self.render_event(event)

    def fallback_doc(self, event: LogEvent, exc: BaseException) -> dict[str, Any]:
        """A minimal line keeping only what is certainly safe to keep."""
        message = str(event.message)[:2000]
        if self._redaction is not None:
            message = self._redaction.text(message)
        return {
            "@timestamp": format_timestamp(event.timestamp),
            "log.level": event.level,
            "message": message,
            "log": {"logger": event.logger},
            "service": {"name": self.identity.name, "environment": self.identity.environment},
            "labels": {"python_logging_error": f"formatting failed: {type(exc).__name__}"},
        }
