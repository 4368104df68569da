"""The one intermediate form every log call becomes, whichever API produced it.

stdlib `LogRecord`s and loguru records are both turned into a `LogEvent`, then pass
through the same processors (context, redaction, ECS mapping, fingerprint) and the
same renderer, so the two APIs give identical lines.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from itertools import islice
from typing import Any

# Attribute a bridge (loguru) sets on a LogRecord to hand over structured fields
# without clashing with LogRecord's own attributes.
# Record attributes python_logging sets for itself start with this; never written out.
INTERNAL_PREFIX = "_python_logging"
FIELDS_ATTRIBUTE = INTERNAL_PREFIX + "_fields"
MAX_MESSAGE_CHARS = 32_000

_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "taskName", FIELDS_ATTRIBUTE}
# LogRecord.__init__ sets its own attributes first; `extra` (and anything handlers add
# later) comes after them, so only the tail of __dict__ needs checking.
_INIT_ATTRIBUTE_COUNT = len(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)


class TrustedFields:
    """Nested ECS fields built by python_logging itself, vouched for by their builder.

    The builder guarantees that every key is a constant of ours (no sensitive key, no
    dot), every value fits its ECS field, and every user-controlled string is listed in
    `texts` (paths of nested keys), so the pipeline only scans those strings and merges
    the rest without the redaction walk and the fit checks.

    A voucher never travels on the record, where a user's `extra` could imitate it and
    other formatters would print it: `handle_vouched` names the record it covers in a
    context variable while the record is handled. `record_fields` trusts it only for that
    very record, and only while every vouched field on the record is still the very
    object held here (a filter that replaced one loses the trust for all).
    """

    __slots__ = ("fields", "texts")

    def __init__(self, fields: dict[str, Any], texts: tuple[tuple[str, ...], ...] = ()) -> None:
        self.fields = fields
        self.texts = texts

    def redacted(self, redact_text: Callable[[str], str]) -> TrustedFields:
        """Every listed text redacted (self when none changes); copies only changed dicts."""
        fields = self.fields
        for path in self.texts:
            text = _get_path(fields, path)
            clean = redact_text(text)
            if clean is not text and clean != text:
                fields = _with_path(fields, path, clean)
        return self if fields is self.fields else TrustedFields(fields)


def _get_path(fields: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = fields
    for key in path:
        value = value[key]
    return value


def _with_path(fields: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of `fields` with `value` at `path`, sharing every dict off that path."""
    head, *rest = path
    copy = dict(fields)
    copy[head] = _with_path(fields[head], tuple(rest), value) if rest else value
    return copy


# (timestamp, level, logger, origin, pid, thread) of one line: what every line has,
# whichever API produced it.
LineHead = tuple[float, str, str, "tuple[str, int, str] | None", "int | None", "str | None"]


class LogEvent:
    """Mutable state of one log line on its way through the pipeline."""

    __slots__ = ("doc", "error", "exception", "fields", "head", "message", "trusted")

    def __init__(
        self,
        head: LineHead,
        message: str,
        fields: dict[str, Any],
        exception: BaseException | None = None,
        trusted: TrustedFields | None = None,
    ) -> None:
        self.head = head
        self.message = message
        # Structured fields: the user's `extra`, or loguru's bound values. Nested mappings.
        self.fields = fields
        self.exception = exception
        # (type, message, stack trace) of `exception`, as text, once described.
        self.error: tuple[str, str, str] | None = None
        # The ECS document, once mapped.
        self.doc: dict[str, Any] | None = None
        # Fields built and vouched for by python_logging (`TrustedFields`), if any.
        self.trusted = trusted


def from_record(record: logging.LogRecord) -> LogEvent:
    fields, trusted = record_fields(record)
    return LogEvent(
        record_head(record), record_message(record), fields, record_exception(record), trusted
    )


def record_head(record: logging.LogRecord) -> LineHead:
    return (
        record.created,
        level_name(record),
        record.name,
        (record.filename, record.lineno, record.funcName),
        record.process,
        record.threadName,
    )


def record_exception(record: logging.LogRecord) -> BaseException | None:
    exc_info = record.exc_info
    return exc_info[1] if exc_info else None


def record_fields(record: logging.LogRecord) -> tuple[dict[str, Any], TrustedFields | None]:
    """(the user's structured fields, the fields python_logging vouches for) of a record."""
    attributes = record.__dict__
    if len(attributes) <= _INIT_ATTRIBUTE_COUNT:
        return {}, None
    fields = {
        name: attributes[name]
        for name in islice(attributes, _INIT_ATTRIBUTE_COUNT, None)
        if name not in _RECORD_ATTRIBUTES
        and (name.__class__ is not str or not name.startswith(INTERNAL_PREFIX))
    }
    bridged = attributes.get(FIELDS_ATTRIBUTE)
    if bridged:
        fields.update(bridged)
    vouched = _vouched_record.get()
    if vouched is not None and vouched[0] is record:
        return fields, _vouched(vouched[1], fields)
    return fields, None


def record_message(record: logging.LogRecord) -> str:
    """The formatted message; never raises, truncated past MAX_MESSAGE_CHARS."""
    msg = record.msg
    if msg.__class__ is str and not record.args and len(msg) <= MAX_MESSAGE_CHARS:
        return msg  # the commonest message, without the general case's checks
    return _message(record)


def level_name(record: logging.LogRecord) -> str:
    return _LEVEL_NAMES.get(record.levelname) or record.levelname.lower()


def handle_vouched(
    logger: logging.Logger, record: logging.LogRecord, voucher: TrustedFields
) -> None:
    """`logger.handle(record)`, with `voucher` covering the record's fields meanwhile.

    Handlers that format later, in another thread (a `QueueListener`), don't see the
    voucher: their lines get the full treatment, which gives the same line.
    """
    token = _vouched_record.set((record, voucher))
    try:
        logger.handle(record)
    finally:
        _vouched_record.reset(token)


_vouched_record: ContextVar[tuple[logging.LogRecord, TrustedFields] | None] = ContextVar(
    "python_logging_vouched_record", default=None
)


def _vouched(voucher: TrustedFields, fields: dict[str, Any]) -> TrustedFields | None:
    """Move the fields `voucher` vouches for (by identity) out of the user's `fields`."""
    vouched = voucher.fields
    for name, value in vouched.items():
        if fields.get(name) is not value:  # replaced or removed since: no trust, none of it
            return None
    for name in vouched:
        del fields[name]
    return voucher


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


def exception_type(exc: BaseException) -> str:
    """`error.type`: the class name, qualified by its module unless builtin or __main__."""
    cls = type(exc)
    if cls.__module__ in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def exception_message(exc: BaseException) -> str:
    """`str(exc)`, or a placeholder when the exception's own __str__ fails."""
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__}>"


def describe_exception(exc: BaseException) -> tuple[str, str, str]:
    """(type name, message, full stack trace incl. causes) as text."""
    cls = type(exc)
    name = exception_type(exc)
    message = exception_message(exc)
    try:
        stack = "".join(traceback.format_exception(cls, exc, exc.__traceback__))
    except Exception as err:
        stack = f"<traceback unavailable: {err!r}>"
    return name, message, stack
