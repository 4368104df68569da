"""Append whole lines to `<dir>/<service>.log` from many processes, and rotate it.

Why no line is lost, torn or duplicated without a per-record lock or stat:
- Each line (or batch of whole lines, see `write_behind`) goes out in one `os.write()`
  on an `O_APPEND` descriptor, so on a local file system every line lands whole at the
  end of the file, even with other processes appending (not guaranteed on NFS).
- Rotation renames the active file to a unique name (never overwriting, never deleting)
  under an exclusive `flock` on `<dir>/.<service>.lock`. Only rotation takes that lock.
- A process whose descriptor still points to the renamed file keeps appending there
  (nothing is lost) until it notices: `lseek(fd, 0, SEEK_CUR)` after a write is the
  size of the file after our append; once it is past `max_bytes` the process takes the
  lock, sees the active path now has another inode and reopens. The lseek runs when our
  own writes could have reached `max_bytes`, and at least every 1/64 of `max_bytes` we
  write (not after every line: it is a system call per line), so a process appends at
  most that much to a file another process rotated. Every ~1 s it also stats the
  active path, which catches idle writers, a deleted file or directory, and time
  rotation done by someone else.
- Time rotation keeps the active file's period start in the lock file, so several
  processes crossing midnight rotate once.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from time import monotonic

from python_logging import file_locks, naming
from python_logging.failures import failures

OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
FILE_MODE = 0o644
CHECK_INTERVAL = 1.0  # seconds between stats of the active path (monotonic clock)
PERIOD_SECONDS = {"midnight": 86400, "hourly": 3600}  # UTC: epoch days start at 00:00Z


def period_start(epoch: float, when: str) -> int:
    """Start (epoch seconds, UTC) of the rotation period holding `epoch`."""
    length = PERIOD_SECONDS[when]
    return int(epoch // length) * length


class RotatingAppender:
    """One process's writer for one service. Not thread-safe: the handler serialises."""

    def __init__(
        self,
        directory: Path,
        service: str,
        *,
        max_bytes: int | None,
        when: str | None,
        clock: Callable[[], float],
        on_rotated: Callable[[], None],
    ) -> None:
        if when is not None and when not in PERIOD_SECONDS:
            raise ValueError(f"when={when!r}: use None, 'midnight' or 'hourly' (UTC)")
        if max_bytes is not None and max_bytes <= 0:
            raise ValueError(f"max_bytes={max_bytes!r}: use None (no size rotation) or > 0")
        self.directory = Path(directory)
        self.service = service
        self.path = self.directory / naming.active_name(service)
        self._path = str(self.path)
        self._lock_path = str(self.directory / f".{service}.lock")
        self._max_bytes = max_bytes
        self._size_limit = max_bytes  # None while rotation is failing (retried each check)
        # Size as of the last lseek, and what we wrote since (see the module docstring).
        self._check_every = max(1, (max_bytes or 0) // 64)
        self._seen_size = 0
        self._unseen = self._check_every
        self._when = when
        self._clock = clock
        self._on_rotated = on_rotated
        self._fd = -1
        self._identity: tuple[int, int] | None = None
        self._next_check = 0.0
        self._period_end: float = math.inf
        self._write_site = f"write {self.path}"
        self._rotate_site = f"rotate {self.path}"
        self._failing = False

    # -- the per-line path -------------------------------------------------------------

    def write(self, line: bytes) -> None:
        """Append one whole line. Never raises: a dropped line is counted and reported."""
        try:
            if self._fd < 0 or monotonic() >= self._next_check:
                self._check_active()
            if self._when is not None and self._clock() >= self._period_end:
                self._rotate_for_time()
            fd = self._fd
            written = os.write(fd, line)
            if written != len(line):
                _write_rest(fd, line, written)
        except Exception as exc:
            self._failing = True
            failures.record(self._write_site, exc)
            return
        if self._failing:
            self._failing = False
            failures.recovered(self._write_site)
        try:
            limit = self._size_limit
            if limit is not None:
                self._unseen += len(line)
                if self._unseen >= self._check_every or self._seen_size + self._unseen >= limit:
                    self._seen_size = os.lseek(fd, 0, os.SEEK_CUR)
                    self._unseen = 0
                    if self._seen_size >= limit:
                        self._rotate_for_size()
        except Exception as exc:
            self._size_limit = None  # don't take the lock on every line; retry at next check
            failures.record(self._rotate_site, exc)

    def close(self) -> None:
        self._set_fd(-1, None)

    # -- keeping the descriptor on the active file ---------------------------------------

    def _check_active(self) -> None:
        self._next_check = monotonic() + CHECK_INTERVAL
        self._size_limit = self._max_bytes
        if self._fd >= 0 and self._is_active(self._identity):
            return
        self._open()

    def _is_active(self, identity: tuple[int, int] | None) -> bool:
        try:
            st = os.stat(self._path)
        except OSError:  # missing file or directory, or the directory became a file
            return False
        return (st.st_dev, st.st_ino) == identity

    def _open(self) -> None:
        self._set_fd(-1, None)  # a failed open must not leave us writing to a stale file
        try:
            fd = os.open(self._path, OPEN_FLAGS, FILE_MODE)
        except FileNotFoundError:  # the directory was deleted: recreate it
            os.makedirs(self.directory, exist_ok=True)
            fd = os.open(self._path, OPEN_FLAGS, FILE_MODE)
        st = os.fstat(fd)
        self._set_fd(fd, (st.st_dev, st.st_ino))
        self._seen_size, self._unseen = st.st_size, 0
        if self._when is not None:
            self._period_end = -math.inf  # learn the file's period under the lock

    def _set_fd(self, fd: int, identity: tuple[int, int] | None) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd, self._identity = fd, identity

    # -- rotation ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        if not self.directory.is_dir():
            os.makedirs(self.directory, exist_ok=True)
        with file_locks.exclusive(self._lock_path, mode=FILE_MODE) as fd:
            assert fd is not None  # a waiting lock is always acquired
            yield fd

    def _rotate_for_size(self) -> None:
        assert self._max_bytes is not None
        rotated = False
        with self._locked():
            if not self._is_active(self._identity):
                self._open()  # another process rotated (or the file went away)
            elif os.fstat(self._fd).st_size >= self._max_bytes:  # not truncated meanwhile
                self._rename_active()
                self._open()
                rotated = True
        failures.recovered(self._rotate_site)
        if rotated:
            self._on_rotated()

    def _rotate_for_time(self) -> None:
        assert self._when is not None
        now = self._clock()
        period = period_start(now, self._when)
        try:
            rotated = False
            with self._locked() as lock_fd:
                stored = _read_period(lock_fd)
                active = _stat_or_none(self._path)
                recorded = stored
                if recorded is None and active is not None:  # no state yet: trust the mtime
                    recorded = period_start(active.st_mtime, self._when)
                if recorded is not None and recorded < period and active and active.st_size:
                    self._rename_active()
                    rotated = True
                if stored is None or stored < period:
                    _write_period(lock_fd, period)
                if rotated or not self._is_active(self._identity):
                    self._open()
            self._period_end = period + PERIOD_SECONDS[self._when]
        except Exception as exc:  # keep writing to the current file; retry in a second
            self._period_end = now + CHECK_INTERVAL
            failures.record(self._rotate_site, exc)
            return
        failures.recovered(self._rotate_site)
        if rotated:
            self._on_rotated()

    def _rename_active(self) -> None:
        """Rename the active file to a rotated name no file has (seq bumps on a clash)."""
        rotated_at = datetime.fromtimestamp(self._clock(), timezone.utc)
        seq = 0
        while True:
            target = str(self.directory / naming.rotated_name(self.service, rotated_at, seq))
            if not (os.path.lexists(target) or os.path.lexists(target + naming.COMPRESSED_SUFFIX)):
                break
            seq += 1
        os.rename(self._path, target)


def _write_rest(fd: int, line: bytes, written: int) -> None:
    """Finish a short write (disk nearly full, file size limit): the rest or an error."""
    view = memoryview(line)
    while written < len(line):
        count = os.write(fd, view[written:])
        if count <= 0:
            raise OSError(f"write made no progress after {written} of {len(line)} bytes")
        written += count


def _stat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _read_period(lock_fd: int) -> int | None:
    text = os.pread(lock_fd, 32, 0).strip()
    return int(text) if text.isdigit() else None


def _write_period(lock_fd: int, period: int) -> None:
    os.ftruncate(lock_fd, 0)
    os.pwrite(lock_fd, b"%d\n" % period, 0)
