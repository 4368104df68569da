"""The formatter chain: context -> redaction -> ECS mapping -> error fingerprint -> render.

Each step is a small function over a `LogEvent`, testable alone; `Pipeline` composes
them once at `setup_logging` so the per-line path does no configuration look-ups.

Every API hands `document` the same parts (head, message, fields, exception). Lines
without an exception (nearly all of them) take `parts_document`: the same steps on those
parts, without building a `LogEvent`. Anything unusual (an exception, a failure in a
step) takes `render_event`, the general path, which also writes the fallback line. Both
produce the same line for the same input (tests compare them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from contextvars import ContextVar
from typing import Any

from python_logging import context
from python_logging.ecs import (
    ContextFragment,
    ServiceIdentity,
    build_doc,
    context_fragment,
    format_timestamp,
    to_ecs,
)
from python_logging.events import (
    LineHead,
    LogEvent,
    TrustedFields,
    describe_exception,
    record_fields,
    record_head,
    record_message,
)
from python_logging.failures import failures
from python_logging.render import Renderer

_request_state = context._state.get  # the whole state in one read, see `context._state`
# The mapped context of the current request, reused by every line until the request
# state changes (a new request, bound fields): (pipeline, request state, fragment).
_fragment: ContextVar[tuple[Any, context.RequestState, ContextFragment] | None] = ContextVar(
    "python_logging_context_fragment", default=None
)


class CleanTexts:
    """A redacting function that remembers short texts it found nothing in.

    Request methods, paths and user agents repeat from request to request; a set look-up
    is a tenth of a scan. Only texts left unchanged are remembered, so no secret is kept
    in memory; the set is emptied when full (paths can be unbounded).
    """

    MAX_TEXTS = 4096
    MAX_CHARS = 256

    def __init__(self, redact_text: Callable[[str], str]) -> None:
        self._redact_text = redact_text
        self.clean: set[str] = set()

    def __call__(self, text: str) -> str:
        if text in self.clean:
            return text
        scrubbed = self._redact_text(text)
        if scrubbed == text and len(text) <= self.MAX_CHARS:
            if len(self.clean) >= self.MAX_TEXTS:
                self.clean.clear()
            self.clean.add(text)
        return scrubbed


def describe_error(event: LogEvent) -> None:
    if event.exception is not None and event.error is None:
        event.error = describe_exception(event.exception)


class Redaction:
    """Applies a redactor to everything user-controlled in the event."""

    def __init__(self, redactor: Any) -> None:
        self._redactor = redactor

    def event(self, event: LogEvent) -> None:
        redactor = self._redactor
        event.message, event.fields, event.trusted = self.parts(
            event.message, event.fields, event.trusted
        )
        if event.error is not None:
            error_type, message, stack = event.error
            event.error = (error_type, redactor.redact_text(message), redactor.redact_text(stack))

    def parts(
        self, message: str, fields: dict[str, Any], trusted: TrustedFields | None
    ) -> tuple[str, dict[str, Any], TrustedFields | None]:
        """The message, the user's fields and python_logging's own fields, redacted."""
        redactor = self._redactor
        message = redactor.redact_text(message)
        if fields:
            fields = redactor.redact(fields)
        if trusted is not None:  # only its user-controlled texts need a scan
            trusted = trusted.redacted(redactor.redact_text)
        return message, fields, trusted

    def text(self, text: str) -> str:
        try:
            return self._redactor.redact_text(text)
        except Exception:  # never leak: an unredactable text is withheld entirely
            return "[withheld: redaction failed]"

    def fields(self, fields: Mapping[str, Any]) -> Mapping[str, Any]:
        return self._redactor.redact(fields)


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
    def __init__(
        self,
        identity: ServiceIdentity,
        redactor: Any | None = None,
        *,
        share_documents: bool = False,
    ) -> None:
        self.identity = identity
        self._redaction = Redaction(redactor) if redactor is not None else None
        # `render(document)`: one JSON line (with newline) for a document. Never raises.
        self.render = Renderer(redactor.redact_text if redactor is not None else None)
        # A text the client controls, with secrets masked as in every line (for lines
        # python_logging builds itself, see `access.direct_document`).
        scrub = CleanTexts(redactor.redact_text) if redactor is not None else None
        self.scrub: Callable[[str], str] = scrub or _unchanged
        # Texts `scrub` found nothing in (callers may check it before calling).
        self.clean_texts: Collection[str] = scrub.clean if scrub else ()
        # (record, its document) of the last stdlib record, see `record_document`.
        self._share = share_documents
        self._last: tuple[logging.LogRecord | None, dict[str, Any]] = (None, {})

    def process(self, event: LogEvent) -> dict[str, Any]:
        """Run the chain up to (not including) rendering; returns the ECS document."""
        # Runs for every line: the steps' own checks are inlined, calls kept to the needed.
        fragment = self.context_fragment()
        if event.exception is not None:
            describe_error(event)
        if self._redaction is not None:
            self._redaction.event(event)
        to_ecs(event, self.identity, fragment)
        if event.exception is not None:
            add_fingerprint(event)
        assert event.doc is not None
        return event.doc

    def context_fragment(self) -> ContextFragment:
        """The request context mapped to ECS once per request (or per change of its fields)."""
        state = _request_state()
        cached = _fragment.get()
        if cached is not None and cached[0] is self and cached[1] is state:
            return cached[2]
        request_id, fields, voucher = state
        if voucher is not None:  # only python_logging's own fields are bound
            trusted = voucher
            if self._redaction is not None:
                trusted = trusted.redacted(self._redaction.text)
            fragment = context_fragment(self.identity, trusted.fields, request_id, trusted=True)
        else:
            redacted = self._redaction.fields(fields) if fields and self._redaction else fields
            fragment = context_fragment(self.identity, redacted, request_id)
        _fragment.set((self, state, fragment))
        return fragment

    def event_document(self, event: LogEvent) -> dict[str, Any]:
        """The general path's document; the fallback document when a step fails."""
        try:
            return self.process(event)
        except Exception as exc:  # the line must survive a bug or a hostile value
            failures.record("format log record", exc)
            return self.fallback_doc(event, exc)

    def render_event(self, event: LogEvent) -> bytes:
        """One JSON line (with newline). Never raises."""
        return self.render(self.event_document(event))

    def record_document(self, record: logging.LogRecord) -> dict[str, Any]:
        """The ECS document of a stdlib record. Never raises.

        With `share_documents` (the file and the console both show every record), each
        of our handlers asks for the record in turn, in the same thread: the last
        record's document is kept, so the pipeline runs once per record, not once per
        handler. Off otherwise: keeping the last record alive costs the one-handler
        path about 0.5 µs a line (allocation reuse), for nothing.
        """
        if self._share:
            last_record, last_document = self._last
            if last_record is record:
                return last_document
        try:
            head = record_head(record)
            fields, trusted = record_fields(record)
            message = record_message(record)
        except Exception as exc:  # a record someone tampered with: keep what is certain
            failures.record("format log record", exc)
            head = (record.created, str(record.levelname).lower(), str(record.name), None, None,
                    None)
            message, fields, trusted = repr(record.msg), {}, None
        exc_info = record.exc_info
        document = self.document(head, message, fields, exc_info[1] if exc_info else None, trusted)
        if self._share and not exc_info:  # never keep a traceback (and its locals) alive
            self._last = (record, document)
        return document

    def render_record(self, record: logging.LogRecord) -> bytes:
        """One JSON line (with newline) for a stdlib record. Never raises."""
        return self.render(self.record_document(record))

    def document(
        self,
        head: LineHead,
        message: str,
        fields: dict[str, Any],
        exception: BaseException | None = None,
        trusted: TrustedFields | None = None,
    ) -> dict[str, Any]:
        """The ECS document of a line's parts, whichever API made them. Never raises.
        Lines without an exception take the fast path."""
        if exception is None:
            document = self.parts_document(head, message, fields, trusted)
            if document is not None:
                return document
        return self.event_document(LogEvent(head, message, fields, exception, trusted))

    def parts_document(
        self,
        head: LineHead,
        message: str,
        fields: dict[str, Any],
        trusted: TrustedFields | None = None,
    ) -> dict[str, Any] | None:
        """`event_document` for a line without an exception, minus the `LogEvent` (a
        fifth of the per-line cost): the same steps on the line's parts. None when
        anything fails: the caller then takes the general path, which reports the
        failure and writes the fallback line (a redaction failure is then counted twice)."""
        try:
            fragment = self.context_fragment()
            if self._redaction is not None:
                message, fields, trusted = self._redaction.parts(message, fields, trusted)
            return build_doc(self.identity, fragment, head, message, trusted, fields, None)
        except Exception:
            return None

    def fallback_doc(self, event: LogEvent, exc: BaseException) -> dict[str, Any]:
        """A minimal line keeping only what is certainly safe to keep."""
        timestamp, level, logger = event.head[:3]
        message = str(event.message)[:2000]
        if self._redaction is not None:
            message = self._redaction.text(message)
        return {
            "@timestamp": format_timestamp(timestamp),
            "log.level": level,
            "message": message,
            "log": {"logger": logger},
            "service": {"name": self.identity.name, "environment": self.identity.environment},
            "labels": {"python_logging_error": f"formatting failed: {type(exc).__name__}"},
        }


def _unchanged(text: str) -> str:
    return text
