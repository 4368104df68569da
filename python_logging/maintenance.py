"""Retention and delayed compression for one service, off the logging path.

A daemon thread runs a pass after each rotation (and once at start, to finish what a
previous run left). A pass holds `<dir>/.<service>.maintenance.lock` (flock, not
blocking): when another process is already maintaining the same service, this one
tries again a little later instead of waiting.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from python_logging import compression, file_locks, retention
from python_logging.failures import failures
from python_logging.logfiles import rotated_files

CLOSE_TIMEOUT = 5.0  # how long close() lets a running compression finish
STOP_GRACE = 1.0  # after that, a stopped compression removes its tmp within one chunk
BUSY_RETRY = 2.0  # another process holds the lock, or a file was written to recently
ERROR_RETRY = 30.0


class Maintenance:
    def __init__(
        self,
        directory: Path,
        service: str,
        *,
        backup_count: int | None,
        retention_days: float | None,
        compress: bool,
    ) -> None:
        self.directory = directory
        self.service = service
        self.backup_count = backup_count
        self.max_age_seconds = None if retention_days is None else retention_days * 86400
        self.compress = compress
        self._lock_path = directory / f".{service}.maintenance.lock"
        self._site = f"maintain {directory / service}.*"
        self._closed = False
        self._start_fresh()

    def _start_fresh(self) -> None:
        # Also after a fork: the child has no worker thread and must not reuse the
        # parent's synchronisation objects.
        self._pid = os.getpid()
        self._guard = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._deadline = math.inf
        self._running = False
        self._retry_pending = False  # a pass found work it could not do yet

    def request(self) -> None:
        """Run a pass soon (called after a rotation). Cheap and never blocks on I/O."""
        if self._closed:
            return
        if self._pid != os.getpid():
            self._start_fresh()
        self._wake.set()
        with self._guard:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name=f"python_logging maintenance {self.service}", daemon=True
                )
                self._thread.start()

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Let a compression in progress finish within `timeout` (no new one starts); past
        it, that compression stops, removes its `.gz.tmp` and leaves the original intact.
        What is left undone is done by the next start."""
        self._closed = True
        thread = self._thread
        if thread is None or self._pid != os.getpid():
            return
        self._deadline = time.monotonic() + timeout
        self._wake.set()
        thread.join(timeout + STOP_GRACE)

    def wait_idle(self, timeout: float) -> bool:
        """For tests: wait until no pass is pending, running or due to be retried."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self._wake.is_set() and not self._running and not self._retry_pending:
                return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        retry: float | None = None
        while True:
            self._wake.wait(retry)
            if self._closed:  # shutting down: start nothing new
                return
            self._running = True  # before clearing, so wait_idle never sees a gap
            self._wake.clear()
            try:
                retry = self._pass_reporting_failures()
            finally:
                self._retry_pending = retry is not None
                self._running = False
            if self._closed:
                return

    def _pass_reporting_failures(self) -> float | None:
        try:
            retry = self.run_pass()
        except Exception as exc:
            failures.record(self._site, exc)
            return ERROR_RETRY
        failures.recovered(self._site)
        return retry

    def run_pass(self) -> float | None:
        """Retention, then compression. Returns seconds after which to try again, if any."""
        with self._exclusive() as held:
            if not held:
                return BUSY_RETRY
            if self.compress:
                compression.remove_stale_tmp(self.directory, self.service)
            files = rotated_files(self.directory, self.service)
            doomed = retention.expired(
                files,
                now=time.time(),
                backup_count=self.backup_count,
                max_age_seconds=self.max_age_seconds,
            )
            for rotated in doomed:
                rotated.path.unlink(missing_ok=True)
            if not self.compress:
                return None
            kept = [rotated for rotated in files if rotated not in doomed]
            return self._compress_all(compression.candidates(kept))

    def _compress_all(self, paths: list[Path]) -> float | None:
        retry = None
        for path in paths:
            if self._closed:  # close() lets the file in progress finish, no further one
                break
            outcome = compression.compress_file(path, should_stop=self._should_stop)
            if outcome in (compression.Outcome.BUSY, compression.Outcome.CHANGED):
                retry = BUSY_RETRY
        return retry

    def _should_stop(self) -> bool:
        return time.monotonic() > self._deadline

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[bool]:
        if not self.directory.is_dir():  # no directory: no file to maintain, no one to race
            yield True
            return
        with file_locks.exclusive(str(self._lock_path), wait=False) as fd:
            yield fd is not None
