"""A handler on the root logger that keeps every record, for asserting on `extra` fields."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from python_logging.context import context_fields, current_request_id, deep_merge


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        # What the pipeline merges into the line: the context it was logged in.
        record.context_request_id = current_request_id()
        record.context_fields = context_fields()
        with self._guard:
            self.records.append(record)

    def named(self, name: str) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name == name]

    def access(self, path: str | None = None) -> list[logging.LogRecord]:
        return [r for r in self.named("python_logging.access")
                if path is None or field(r, "url.path") == path]

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
    """A field of the line as the pipeline builds it (context, then `extra`), or None."""
    first, *rest = dotted.split(".")
    view = dict(getattr(record, "context_fields", {}))
    request_id = getattr(record, "context_request_id", None)
    if request_id:
        view = deep_merge(view, {"http": {"request": {"id": request_id}}})
    if hasattr(record, first):
        view = deep_merge(view, {first: getattr(record, first)})
    value: Any = view.get(first)
    for part in rest:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
