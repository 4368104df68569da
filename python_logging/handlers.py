"""`ECSFileHandler`: the file writer behind `setup_logging`, safe with many processes.

Lines are appended with one `write()` each (see `rotation`); access lines may wait up
to `access_flush_ms` and go out several whole lines to a `write()` (`write_behind`).
Files are rotated by size and/or UTC period, and old rotations are deleted and
compressed in the background (`maintenance`).
Nothing here ever raises into the application: failures go to `failures`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from python_logging.failures import failures
from python_logging.maintenance import Maintenance
from python_logging.rotation import RotatingAppender
from python_logging.write_behind import WriteBehind


class ECSFileHandler(logging.Handler):
    """Append formatted records to `<directory>/<service>.log`.

    `when` rotates at the start of each UTC day ("midnight") or hour ("hourly");
    `max_bytes` rotates by size; both may be combined. Rotated files beyond
    `backup_count` or older than `retention_days` are deleted; with `compress` they
    are gzipped one rotation late, so a shipper can finish reading the newest one
    (`backup_count=0` keeps no rotated file at all, not even that one).
    `clock` (epoch seconds) exists for tests of time rotation.

    The directory and file are created at the first write (and re-created if deleted).
    Beside the log live `.<service>.lock` (rotation lock and time-rotation state) and
    `.<service>.maintenance.lock`. Needs a local file system (flock, O_APPEND), not NFS.

    Formatting runs outside the handler lock (stdlib formatters are thread-safe); only
    the write is serialised, so threads don't queue behind each other's formatting.
    """

    def __init__(
        self,
        directory: Path,
        service: str,
        *,
        max_bytes: int | None,
        when: str | None,
        backup_count: int | None,
        retention_days: float | None,
        compress: bool,
        access_flush_ms: int = 0,
        level: int = logging.NOTSET,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if backup_count is not None and backup_count < 0:
            raise ValueError(f"backup_count={backup_count!r}: use None (no limit) or >= 0")
        if retention_days is not None and retention_days <= 0:
            raise ValueError(f"retention_days={retention_days!r}: use None (keep) or > 0")
        if access_flush_ms < 0:
            raise ValueError(f"access_flush_ms={access_flush_ms!r}: use 0 (at once) or > 0")
        super().__init__(level)
        directory = Path(directory)
        self._maintenance: Maintenance | None = None
        if compress or backup_count is not None or retention_days is not None:
            self._maintenance = Maintenance(
                directory,
                service,
                backup_count=backup_count,
                retention_days=retention_days,
                compress=compress,
            )
        self._writer = RotatingAppender(
            directory,
            service,
            max_bytes=max_bytes,
            when=when,
            clock=clock,
            on_rotated=self._maintenance.request if self._maintenance else _nothing,
        )
        # Access lines (`buffer_line`) wait up to access_flush_ms, see `write_behind`.
        self._behind: WriteBehind | None = None
        if access_flush_ms:
            self._behind = WriteBehind(self._writer.write, self.lock, access_flush_ms / 1000)
        self._site = f"write {self._writer.path}"
        self._format_site = f"format for {self._writer.path}"
        self._render_for: tuple[Any, Callable[[logging.LogRecord], bytes] | None] = (None, None)
        if self._maintenance:
            self._maintenance.request()  # finish what a previous run left behind

    @property
    def path(self) -> Path:
        """The active file."""
        return self._writer.path

    def handle(self, record: logging.LogRecord) -> logging.LogRecord | bool:
        # Same as logging.Handler.handle minus the lock around emit: write_line locks.
        result = self.filter(record)
        if isinstance(result, logging.LogRecord):
            record = result
        if result:
            self.emit(record)
        return result

    def emit(self, record: logging.LogRecord) -> None:
        try:
            formatter = self.formatter
            owner, render = self._render_for
            if formatter is not owner:  # one tuple, so threads never see a mismatched pair
                render = getattr(formatter, "render_bytes", None)
                self._render_for = (formatter, render)
            if render is not None:
                line = render(record)
            else:
                line = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
        except Exception as exc:
            failures.record(self._format_site, exc)
            return
        self.write_line(line)

    def write_line(self, line: bytes) -> None:
        """Append one line (bytes ending in b"\\n"), after any waiting access lines.
        Thread-safe; never raises."""
        try:
            with self.lock:  # type: ignore[union-attr]  # logging re-creates it after fork
                behind = self._behind
                if behind is not None and behind.waiting:  # no call per line when none wait
                    behind.write_waiting()
                self._writer.write(line)
        except Exception as exc:  # the writer reports its own failures; a last resort
            failures.record(self._site, exc)

    def buffer_line(self, line: bytes) -> None:
        """Append an access line, which may wait up to `access_flush_ms`. Never raises."""
        if self._behind is None:
            self.write_line(line)
            return
        try:
            with self.lock:  # type: ignore[union-attr]
                self._behind.add(line)
        except Exception as exc:
            failures.record(self._site, exc)

    def flush(self) -> None:
        """Write the waiting access lines (every other line is written as it comes)."""
        if self._behind is not None:
            try:
                self._behind.flush()
            except Exception as exc:
                failures.record(self._site, exc)

    def close(self) -> None:
        try:
            if self._behind is not None:
                self._behind.close()
            with self.lock:  # type: ignore[union-attr]
                self._writer.close()
            if self._maintenance:
                self._maintenance.close()
        except Exception as exc:
            failures.record(f"close {self._writer.path}", exc)
        finally:
            super().close()

    def handleError(self, record: logging.LogRecord) -> None:
        """Count instead of printing a traceback into the application's stderr."""
        exc = sys.exc_info()[1] or RuntimeError(f"emit failed for a record from {record.name}")
        failures.record(self._site, exc)

    def wait_maintenance(self, timeout: float = 10.0) -> bool:
        """Wait until background retention/compression is idle (tests, benchmarks)."""
        return self._maintenance.wait_idle(timeout) if self._maintenance else True


def writes_rendered_lines(handler: logging.Handler) -> bool:
    """True for exactly our file writer with no filter: a line already rendered by the
    pipeline is all it needs. A filter must see the record, and a subclass may override
    `handle` or `emit`: both are given records."""
    return handler.__class__ is ECSFileHandler and not handler.filters


def _nothing() -> None:
    pass
