"""Timing: one line per timed call or block, WARNING when slower than a threshold.

A failure line carries `error.type` and `error.message` but no `exc_info`: the
exception goes on up and is captured once, as one error event, by whoever handles
it (`capture_errors`, a middleware), so timing never doubles the error count.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from python_logging.dual_use import DualUse
from python_logging.events import exception_message, exception_type

logger = logging.getLogger("python_logging.performance")


def log_performance(name: str, slow_ms: float | None = None) -> Performance:
    """Time a function (sync or async) or a `with` block as the action `name`."""
    return Performance(name, slow_ms)


class Performance(DualUse):
    def __init__(self, name: str, slow_ms: float | None) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"log_performance name must be a non-empty string, got {name!r}")
        if slow_ms is not None and (
            isinstance(slow_ms, bool) or not isinstance(slow_ms, (int, float)) or slow_ms < 0
        ):
            raise ValueError(
                f"log_performance slow_ms must be a number >= 0 or None, got {slow_ms!r}"
            )
        self.name = name
        self.slow_ns = None if slow_ms is None else int(slow_ms * 1_000_000)

    def _start(self) -> int:
        return time.perf_counter_ns()

    def _finish(self, started: int, exc: BaseException | None) -> None:
        duration = time.perf_counter_ns() - started
        level, message, extra = performance_line(self.name, duration, self.slow_ns, exc)
        logger.log(level, message, extra=extra)


def performance_line(
    name: str, duration_ns: int, slow_ns: int | None, exc: BaseException | None
) -> tuple[int, str, dict[str, Any]]:
    """(level, message, nested ECS fields) of one timing line."""
    failed = exc is not None
    slow = slow_ns is not None and duration_ns > slow_ns
    event = {"action": name, "duration": duration_ns, "outcome": "failure" if failed else "success"}
    extra: dict[str, Any] = {"event": event}
    millis = duration_ns / 1_000_000
    if failed:
        extra["error"] = {"type": exception_type(exc), "message": exception_message(exc)}
        message = f"{name} failed after {millis:.1f} ms ({type(exc).__name__})"
    else:
        message = f"{name} took {millis:.1f} ms"
    if slow:
        message += f", slower than {slow_ns / 1_000_000:g} ms"
    level = logging.WARNING if slow or failed else logging.INFO
    return level, message, extra
