"""Runtime failures while logging: counted, reported once to stderr, never raised.

Logging must never crash the host application. Every component that can fail at
run time (writing a file, compressing, formatting an odd value) reports here instead
of raising. Each distinct failure site is announced once on stderr; the next
announcement for that site comes only after it has recovered and failed again.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from typing import TextIO


class FailureReporter:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._failing: set[str] = set()

    def record(self, site: str, exc: BaseException) -> None:
        """Count one failure at `site` (for example 'write logs/api.log')."""
        with self._lock:
            self._counts[site] += 1
            first = site not in self._failing
            self._failing.add(site)
        if first:
            self._say(
                f"python_logging: {site} failed ({type(exc).__name__}: {exc}); "
                "the application continues, failures are counted and logging "
                "resumes by itself once the cause is fixed"
            )

    def recovered(self, site: str) -> None:
        """Mark `site` healthy again; cheap to call on every success."""
        if site not in self._failing:
            return
        with self._lock:
            if site not in self._failing:
                return
            self._failing.discard(site)
            count = self._counts[site]
        self._say(f"python_logging: {site} recovered ({count} failures so far)")

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._failing.clear()

    def _say(self, text: str) -> None:
        stream = self._stream or sys.stderr
        try:
            stream.write(text + "\n")
            stream.flush()
        except Exception:  # stderr itself is gone; nothing is left to tell
            pass


failures = FailureReporter()


def failure_counts() -> dict[str, int]:
    """Failures counted since start-up, by site. Useful for a health endpoint."""
    return failures.counts()
