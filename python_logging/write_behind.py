"""Lines held back for a moment and written together: the access lines' buffer.

A system call per line is a tenth of what the request-ID middleware costs a request.
Like nginx's `access_log ... buffer= flush=`, access lines may wait up to `interval`
seconds (or until `MAX_BYTES` are waiting) and go out in one `write()` of whole lines.
Everything else is written at once, after whatever is waiting, so a process's lines stay
in order. What waits is written by `flush()`: at `logging.shutdown` (registered at
exit), at `close()`, and by a daemon thread once `interval` has passed. A process killed
outright (SIGKILL, `os._exit`) loses the access lines of its last `interval`, never an
error. A forked child drops what its parent left waiting: the parent writes it.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from python_logging.failures import failures

MAX_BYTES = 64 * 1024


class WriteBehind:
    """Waiting lines for one writer. `write` appends bytes and never raises; `lock` is
    the lock that serialises it (the handler's), held around every `write` call here."""

    def __init__(self, write: Callable[[bytes], None], lock: Any, interval: float) -> None:
        self._write = write
        self._lock = lock
        self._interval = interval
        self.waiting: list[bytes] = []  # empty when nothing waits (checked before a write)
        self._size = 0
        self._due = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        _buffers.add(self)

    def add(self, line: bytes) -> None:
        """Hold `line` back (the caller holds `lock`)."""
        if self._closed:
            self._write(line)
            return
        self.waiting.append(line)
        self._size += len(line)
        if self._size >= MAX_BYTES:
            self.write_waiting()
        elif len(self.waiting) == 1:
            if self._thread is None and not self._start():
                self.write_waiting()  # no thread to write it later: now, then
                return
            self._due.set()

    def write_waiting(self) -> None:
        """Write what waits, in one call (the caller holds `lock`)."""
        if self.waiting:
            lines, self.waiting, self._size = self.waiting, [], 0
            self._write(lines[0] if len(lines) == 1 else b"".join(lines))

    def flush(self) -> None:
        with self._lock:
            self.write_waiting()

    def close(self) -> None:
        """Write what waits; lines added later are written at once."""
        with self._lock:
            self.write_waiting()
            self._closed = True
        self._due.set()  # the thread wakes, finds the buffer closed and ends

    def _start(self) -> bool:
        """Start the thread that writes waiting lines; False when no thread can start
        (at interpreter shutdown, or at a thread limit)."""
        thread = threading.Thread(
            target=_flush_when_due, args=(weakref.ref(self),), daemon=True,
            name="python_logging write-behind",
        )
        try:
            thread.start()
        except RuntimeError:
            return False
        self._thread = thread
        weakref.finalize(self, self._due.set)  # a buffer never closed still ends its thread
        return True

    def _forget_after_fork(self) -> None:
        # Only the forking thread survives in the child, and the lock was re-created.
        self.waiting, self._size = [], 0
        self._due = threading.Event()
        self._thread = None


def _flush_when_due(ref: weakref.ref[WriteBehind]) -> None:
    """The daemon thread: after a line starts waiting, wait `interval`, then flush."""
    while True:
        behind = ref()
        if behind is None or behind._closed:
            return
        due, interval = behind._due, behind._interval
        del behind  # don't keep the buffer (and its handler) alive while waiting
        due.wait()
        due.clear()  # before flushing: a line added from now on sets it again
        time.sleep(interval)
        behind = ref()
        if behind is None:
            return
        try:
            behind.flush()
        except Exception as exc:  # the writer reports its own failures; a last resort
            failures.record("write waiting access lines", exc)
        del behind


_buffers: weakref.WeakSet[WriteBehind] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for behind in list(_buffers):
        behind._forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
