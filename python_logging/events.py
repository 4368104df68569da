"""The one intermediate form every log call becomes, whichever API produced it.

stdlib `LogRecord`s and loguru records are both turned into a `LogEvent`, then pass
through the same processors (context, redaction, ECS mapping, fingerprint) and the
same renderer, so the two APIs give identical lines.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

# Attribute a bridge (loguru) sets on a LogRecord to hand over structured fields
# without clashing with LogRecord's own attributes.
FIELDS_ATTRIBUTE = "_python_logging_fields"
MAX_MESSAGE_CHARS = 32_000

_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "taskName", FIELDS_ATTRIBUTE}
# LogRecord.__init__ sets its own attributes first; `extra` (and anything handlers add
# later) comes after them, so only the tail of __dict__ needs checking.
_INIT_ATTRIBUTE_COUNT = len(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)


class LogEvent:
    """Mutable state of one log line on its way through the pipeline."""

    __slots__ = (
        "doc",
        "error",
        "exception",
        "fields",
        "level",
        "logger",
        "message",
        "origin",
        "pid",
        "thread",
        "timestamp",
    )

    def __init__(
        self,
        timestamp: float,
        level: str,
        message: str,
        logger: str,
        pid: int | None,
        thread: str | None,
        origin: tuple[str, int, str] | None,
        fields: dict[str, Any],
        exception: BaseException | None,
    ) -> None:
        self.timestamp = timestamp
        self.level = level
        self.message = message
        self.logger = logger
        self.pid = pid
        self.thread = thread
        self.origin = origin
        # Structured fields: the user's `extra`, or loguru's bound values. Nested mappings.
        self.fields = fields
        self.exception = exception
        # (type, message, stack trace) of `exception`, as text, once described.
        self.error: tuple[str, str, str] | None = None
        # The ECS document, once mapped.
        self.doc: dict[str, Any] | None = None


def from_record(record: logging.LogRecord) -> LogEvent:
    attributes = record.__dict__
    fields = {}
    if len(attributes) > _INIT_ATTRIBUTE_COUNT:
        names = list(attributes)[_INIT_ATTRIBUTE_COUNT:]
        fields = {name: attributes[name] for name in names if name not in _RECORD_ATTRIBUTES}
        bridged = attributes.get(FIELDS_ATTRIBUTE)
        if bridged:
            fields.update(bridged)
    exc_info = record.exc_info
    return LogEvent(
        record.created,
        _LEVEL_NAMES.get(record.levelname) or record.levelname.lower(),
        _message(record),
        record.name,
        record.process,
        record.threadName,
        (record.filename, record.lineno, record.funcName),
        fields,
        exc_info[1] if exc_info else None,
    )


_LEVEL_NAMES = {name: name.lower() for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}


def _message(record: logging.LogRecord) -> str:
    try:
        message = record.msg if record.msg.__class__ is str else str(record.msg)
        if record.args:
            message = message % record.args
    except Exception as exc:  # a bad %-format must not lose the line
        message = f"{record.msg!r} % {record.args!r} (formatting failed: {exc!r})"
    if not isinstance(message, str):
        message = str(message)
    if len(message) > MAX_MESSAGE_CHARS:
        message = truncate(message, MAX_MESSAGE_CHARS)
    return message


def truncate(text: str, limit: int) -> str:
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"


def describe_exception(exc: BaseException) -> tuple[str, str, str]:
    """(qualified type name, message, full stack trace incl. causes) as text."""
    cls = type(exc)
    module = cls.__module__
    name = cls.__qualname__
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    try:
        message = str(exc)
    except Exception as err:
        message = f"<str() failed: {err!r}>"
    try:
        stack = "".join(traceback.format_exception(cls, exc, exc.__traceback__))
    except Exception as err:
        stack = f"<traceback unavailable: {err!r}>"
    return name, message, stack
