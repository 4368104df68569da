"""Exclusive `flock`s on small lock files, safe across `fork()`.

A flock belongs to the open file description, which a forked child shares. If a
process forks while one of its threads holds a lock (gunicorn --preload, multiprocessing
with fork), the child would hold it too and never release it: its own next attempt
would block forever. So every held descriptor is tracked and the child closes its
copies right after the fork; the parent's thread still releases the lock as usual.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
_held: set[int] = set()


@contextlib.contextmanager
def exclusive(path: str, *, wait: bool = True, mode: int = 0o644) -> Iterator[int | None]:
    """Hold an exclusive lock on `path`, yielding the lock file's descriptor (lock files
    may hold a little state), or None when `wait` is off and another holder has it.

    Raises OSError when the lock file cannot be opened (for example a missing directory).
    """
    fd = os.open(path, OPEN_FLAGS, mode)
    _held.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield fd
    finally:
        _held.discard(fd)
        os.close(fd)  # releases the lock once no other copy of the descriptor is open


def _close_inherited() -> None:
    for fd in list(_held):
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


os.register_at_fork(after_in_child=_close_inherited)
