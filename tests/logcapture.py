"""A handler on the root logger that keeps every record, for asserting on `extra` fields."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from python_logging.context import current_request_id


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        # What the pipeline will stamp on the line: the ID of the context it was logged in.
        record.context_request_id = current_request_id()
        with self._guard:
            self.records.append(record)

    def named(self, name: str) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name == name]

    def access(self, path: str | None = None) -> list[logging.LogRecord]:
        return [r for r in self.named("python_logging.access")
                if path is None or r.url["path"] == path]

    def error_events(self) -> list[logging.LogRecord]:
        """Records that become error events: those carrying an exception."""
        return [r for r in self.records if r.exc_info]


@contextmanager
def capturing() -> Iterator[Capture]:
    root = logging.getLogger()
    handler = Capture()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def field(record: logging.LogRecord, dotted: str) -> Any:
    """A nested `extra` field by its dotted ECS name, or None."""
    first, *rest = dotted.split(".")
    value: Any = getattr(record, first, None)
    for part in rest:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
