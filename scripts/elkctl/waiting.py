"""Poll until something is ready, with capped exponential backoff and a deadline."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from elkctl.connection import ElkctlError

T = TypeVar("T")


@dataclass(frozen=True)
class Probe(Generic[T]):
    """One observation: `value` when ready, else `reason` why not (yet)."""

    value: T | None = None
    reason: str = ""

    @property
    def ready(self) -> bool:
        return not self.reason


@dataclass(frozen=True)
class Clock:
    """Injectable time, so waiting is tested without sleeping."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def backoff_delays(first: float = 0.5, cap: float = 5.0):
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * 2)


# A wait longer than a few seconds says so, then repeats every half minute, so it never
# looks hung; a quick failure stays the one line of its error.
PROGRESS_AFTER = 5.0
PROGRESS_EVERY = 30.0


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def wait_until(
    probe: Callable[[], Probe[T]],
    *,
    what: str,
    timeout: float,
    clock: Clock | None = None,
    interval: float | None = None,
    progress: Callable[[str], None] = _to_stderr,
) -> T:
    """Call `probe` until it reports ready; ElkctlError naming the last reason at `timeout`.

    Delays back off from 0.5 s to 5 s, or stay at `interval` (when timing something).
    A wait past PROGRESS_AFTER seconds tells `progress`, then every PROGRESS_EVERY seconds.
    """
    clock = clock or Clock()
    start = clock.now()
    deadline = start + timeout
    next_progress = start + PROGRESS_AFTER
    delays = backoff_delays() if interval is None else backoff_delays(interval, interval)
    for delay in delays:
        result = probe()
        if result.ready:
            return result.value  # type: ignore[return-value]
        now = clock.now()
        remaining = deadline - now
        if remaining <= 0:
            raise ElkctlError(f"{what} not ready after {timeout:g}s: {result.reason}")
        if now >= next_progress:
            progress(
                f"waiting for {what} ({now - start:.0f}s of {timeout:g}s): {result.reason}"
            )
            next_progress = now + PROGRESS_EVERY
        clock.sleep(min(delay, remaining))
    raise AssertionError("unreachable")  # pragma: no cover
