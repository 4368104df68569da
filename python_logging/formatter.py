"""logging.Formatter front-ends for the pipeline: JSON lines and coloured text for people."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

from python_logging.failures import failures
from python_logging.pipeline import Pipeline


class ECSFormatter(logging.Formatter):
    """One ECS JSON line per record. File handlers call `render_bytes` directly."""

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.render_bytes = pipeline.render_record

    def format(self, record: logging.LogRecord) -> str:
        return self.render_bytes(record)[:-1].decode("utf-8")

    def format_document(self, document: dict[str, Any]) -> str:
        return self.pipeline.render(document)[:-1].decode("utf-8")


_COLOURS = {
    "debug": "\x1b[2m",
    "info": "\x1b[32m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[1;31m",
}
_RESET = "\x1b[0m"
# Fields every line has; the pretty format shows them in its own layout or not at all.
_LAYOUT_KEYS = frozenset(
    {"@timestamp", "log.level", "message", "ecs.version", "log", "service", "event", "process"}
)


class PrettyFormatter(logging.Formatter):
    """`12:00:01.123 INFO  shop.orders  order 5 placed  order_id=5  [req 3f2a…]` for terminals."""

    def __init__(self, pipeline: Pipeline, colour: bool) -> None:
        super().__init__()
        self.pipeline = pipeline
        self._colour = colour

    def format(self, record: logging.LogRecord) -> str:
        return self.format_document(self.pipeline.record_document(record))

    def format_document(self, doc: dict[str, Any]) -> str:
        # A bug below reaches ConsoleHandler, which counts it.
        level = doc["log.level"]
        head = f"{doc['@timestamp'][11:23]} {level.upper():<8} {doc['log']['logger']}"
        if self._colour:
            head = f"{_COLOURS.get(level, '')}{head}{_RESET}"
        parts = [head, doc["message"]]
        error = doc.get("error") if isinstance(doc.get("error"), dict) else {}
        extras = {k: v for k, v in doc.items() if k not in _LAYOUT_KEYS}
        if isinstance(extras.get("error"), dict):
            extras["error"] = {
                k: v for k, v in extras["error"].items() if k not in ("stack_trace", "message")
            }
        parts.extend(f"{key}={value}" for key, value in _flatten(extras))
        text = "  ".join(parts)
        stack = error.get("stack_trace") if isinstance(error, dict) else None
        return f"{text}\n{stack.rstrip()}" if stack else text


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        pairs: list[tuple[str, Any]] = []
        for key, inner in value.items():
            pairs.extend(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return pairs
    return [(prefix, value)]


def wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ConsoleHandler(logging.StreamHandler):
    """stderr output whose failures are counted instead of printed as tracebacks."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream or sys.stderr)

    def handleError(self, record: logging.LogRecord) -> None:
        failures.record("write console", sys.exc_info()[1] or RuntimeError("unknown"))

    def write_document(self, document: dict[str, Any]) -> None:
        """What `handle` does with a record of this document (see `routing`). Never raises."""
        try:
            text = self.formatter.format_document(document)  # type: ignore[union-attr]
            with self.lock:  # type: ignore[union-attr]
                self.stream.write(text + self.terminator)
                self.flush()
        except Exception as exc:
            failures.record("write console", exc)
