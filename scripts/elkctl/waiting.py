"""Poll until something is ready, with capped exponential backoff and a deadline."""

from __future__ import annotations

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


def wait_until(
    probe: Callable[[], Probe[T]],
    *,
    what: str,
    timeout: float,
    clock: Clock | None = None,
    interval: float | None = None,
) -> T:
    """Call `probe` until it reports ready; ElkctlError naming the last reason at `timeout`.

    Delays back off from 0.5 s to 5 s, or stay at `interval` (when timing something).
    """
    clock = clock or Clock()
    deadline = clock.now() + timeout
    delays = backoff_delays() if interval is None else backoff_delays(interval, interval)
    for delay in delays:
        result = probe()
        if result.ready:
            return result.value  # type: ignore[return-value]
        remaining = deadline - clock.now()
        if remaining <= 0:
            raise ElkctlError(f"{what} not ready after {timeout:g}s: {result.reason}")
        clock.sleep(min(delay, remaining))
    raise AssertionError("unreachable")  # pragma: no cover
