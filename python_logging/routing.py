"""Whether a record would reach python_logging's own handlers and nothing else.

For a line python_logging builds itself (the access line), making a `LogRecord` and
dispatching it costs as much as the line. `own_route` answers, for one logger and level,
which handlers `Logger.callHandlers` would call, when every one of them is ours, with
our formatter, sharing one pipeline: the line's document can then go straight to them.

Anything that could see, change or stop the record means no route, and the caller logs
a record as usual: a filter on the logger or a handler, any other handler, a custom
logger class or record factory, `Logger`'s dispatch patched (as Sentry's integration
does), a disabled logger, or no handler at all (the stdlib's last resort). The check
runs for every line, so a handler added at any time is honoured.
"""

from __future__ import annotations

import logging
from typing import Any

from python_logging.formatter import ConsoleHandler, ECSFormatter, PrettyFormatter
from python_logging.handlers import ECSFileHandler, writes_rendered_lines
from python_logging.pipeline import Pipeline

# Logger's dispatch as the stdlib defines it. Tools patch it at class level to see every
# record (Sentry's logging integration replaces `callHandlers`): then there is no route.
_MAKE_RECORD = logging.Logger.makeRecord
_HANDLE = logging.Logger.handle
_CALL_HANDLERS = logging.Logger.callHandlers
# Our handler classes (exactly: a subclass may override `handle`), and the formatters
# each can write a document with.
_OUR_PAIRS = frozenset({
    (ECSFileHandler, ECSFormatter),
    (ConsoleHandler, ECSFormatter),
    (ConsoleHandler, PrettyFormatter),
})


class OwnRoute:
    """The handlers a record would reach, all ours, and the pipeline they share."""

    __slots__ = ("files_only", "handlers", "pipeline")

    def __init__(self, pipeline: Pipeline, handlers: list[ECSFileHandler | ConsoleHandler]):
        self.pipeline = pipeline
        self.handlers = handlers
        # Only file handlers: a rendered line is all they take (`write_access_line`).
        self.files_only = all(writes_rendered_lines(handler) for handler in handlers)

    def write_access_line(self, line: bytes) -> None:
        """Hand an access line rendered by the route's pipeline to each handler
        (`files_only`), which may hold it back briefly (`ECSFileHandler.buffer_line`)."""
        for handler in self.handlers:
            handler.buffer_line(line)  # type: ignore[union-attr]

    def write(self, document: dict[str, Any]) -> None:
        """Hand the document to each handler, as `callHandlers` would hand the record;
        file handlers share one rendering."""
        line = None
        for handler in self.handlers:
            if writes_rendered_lines(handler):
                if line is None:
                    line = self.pipeline.render(document)
                handler.buffer_line(line)  # type: ignore[union-attr]
            else:
                handler.write_document(document)  # type: ignore[union-attr]


def own_route(logger: logging.Logger, level: int) -> OwnRoute | None:
    """The route of a record of `level` from `logger`, when only our handlers see it.

    The caller has checked `logger.isEnabledFor(level)`.
    """
    Logger = logging.Logger
    if (
        logger.disabled
        or logger.filters  # a logger's filters see only its own records, not propagated ones
        or logger.__class__ is not Logger
        or logging._logRecordFactory is not logging.LogRecord  # type: ignore[attr-defined]
        or Logger.callHandlers is not _CALL_HANDLERS
        or Logger.handle is not _HANDLE
        or Logger.makeRecord is not _MAKE_RECORD
    ):
        return None
    pipeline: Pipeline | None = None
    handlers: list[Any] = []
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if level < handler.level:
                continue  # skipped by callHandlers too
            formatter = handler.formatter
            if (
                handler.filters
                or (handler.__class__, formatter.__class__) not in _OUR_PAIRS
                or (pipeline is not None and formatter.pipeline is not pipeline)  # type: ignore[union-attr]
            ):
                return None
            pipeline = formatter.pipeline  # type: ignore[union-attr]
            handlers.append(handler)
        if not current.propagate:
            break
        current = current.parent
    if pipeline is None:  # no handler takes it: the record path decides (last resort)
        return None
    global _last_route
    route = _last_route  # the same handlers line after line: one route object for them
    if route is None or route.pipeline is not pipeline or route.handlers != handlers:
        route = _last_route = OwnRoute(pipeline, handlers)
    return route


_last_route: OwnRoute | None = None
