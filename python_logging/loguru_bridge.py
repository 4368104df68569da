"""Route loguru's `logger` into the same pipeline and files as stdlib logging.

A loguru message becomes a `LogEvent` (bound values as structured fields) rendered by
the same pipeline and appended by the same file writer, so `logger.bind(order_id=1)
.info(...)` lands next to stdlib lines with the same fields, context and redaction.
Handlers that need a stdlib `LogRecord` (the console, any handler with filters such as
sampling) get one built for them; the file path skips that cost.
loguru's `diagnose` (local variables in tracebacks) stays off: they leak secrets.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from python_logging.events import FIELDS_ATTRIBUTE, LineHead, LogEvent
from python_logging.handlers import writes_rendered_lines
from python_logging.pipeline import Pipeline

_LEVELS = {"TRACE": 5, "SUCCESS": logging.INFO}
_LEVEL_NAMES = {name: name.lower() for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}
_sink_id: int | None = None


def loguru_available() -> bool:
    try:
        import loguru  # noqa: F401
    except ImportError:
        return False
    return True


def install(level: int, pipeline: Pipeline, handlers: list[logging.Handler]) -> None:
    """(Re)install our sink on loguru's global logger, removing loguru's default stderr sink."""
    from loguru import logger

    global _sink_id
    uninstall()
    with contextlib.suppress(ValueError):  # the default stderr sink would print lines twice
        logger.remove(0)
    _sink_id = logger.add(
        LoguruSink(pipeline, handlers),
        level=level,
        format="{message}",
        diagnose=False,
        backtrace=False,
        colorize=False,
        catch=True,
    )


def uninstall() -> None:
    global _sink_id
    if _sink_id is None:
        return
    from loguru import logger

    with contextlib.suppress(ValueError):
        logger.remove(_sink_id)
    _sink_id = None


class LoguruSink:
    def __init__(self, pipeline: Pipeline, handlers: list[logging.Handler]) -> None:
        self._pipeline = pipeline
        # Our file writers take rendered lines; any other handler (the console, any with
        # filters such as sampling) takes a LogRecord. Sorted once, not per message.
        self._line_handlers = [handler for handler in handlers if writes_rendered_lines(handler)]
        self._record_handlers = [handler for handler in handlers
                                 if not writes_rendered_lines(handler)]

    def __call__(self, message: Any) -> None:
        entry = message.record
        levelno = _LEVELS.get(entry["level"].name, entry["level"].no)
        if self._record_handlers and any(
            levelno >= handler.level for handler in self._record_handlers
        ):
            # One LogRecord for all of them: the pipeline then maps it once (its
            # document is shared by every handler that sees the same record).
            record = to_record(entry)
            for handler in self._record_handlers:
                if levelno >= handler.level:
                    handler.handle(record)
            line = None
            for handler in self._line_handlers:
                if levelno >= handler.level:
                    line = line or self._pipeline.render_record(record)
                    handler.write_line(line)
            return
        line = None
        for handler in self._line_handlers:
            if levelno >= handler.level:
                line = line or self._render(entry)
                handler.write_line(line)

    def _render(self, entry: dict[str, Any]) -> bytes:
        exception = entry["exception"]
        head, message = _parts(entry)
        pipeline = self._pipeline
        return pipeline.render(
            pipeline.document(
                head, message, dict(entry["extra"]), exception.value if exception else None
            )
        )


def _parts(entry: dict[str, Any]) -> tuple[LineHead, str]:
    """(line head, message) of a loguru record."""
    level = entry["level"].name
    head = (
        entry["time"].timestamp(),
        _LEVEL_NAMES.get(level) or level.lower(),
        entry["name"] or "loguru",
        (entry["file"].name, entry["line"], entry["function"]),
        entry["process"].id,
        entry["thread"].name,
    )
    return head, entry["message"]


def to_event(entry: dict[str, Any]) -> LogEvent:
    exception = entry["exception"]
    head, message = _parts(entry)
    return LogEvent(head, message, dict(entry["extra"]), exception.value if exception else None)


def to_record(entry: dict[str, Any]) -> logging.LogRecord:
    level_name = entry["level"].name
    levelno = _LEVELS.get(level_name, entry["level"].no)
    exception = entry["exception"]
    exc_info = (exception.type, exception.value, exception.traceback) if exception else None
    file = entry["file"]
    record = logging.LogRecord(
        name=entry["name"] or "loguru",
        level=levelno,
        pathname=file.path,
        lineno=entry["line"],
        msg=entry["message"],
        args=None,
        exc_info=exc_info,
        func=entry["function"],
    )
    record.levelname = level_name
    record.created = entry["time"].timestamp()
    record.msecs = (record.created - int(record.created)) * 1000
    record.process = entry["process"].id
    record.threadName = entry["thread"].name
    if entry["extra"]:
        record.__dict__[FIELDS_ATTRIBUTE] = entry["extra"]
    return record
