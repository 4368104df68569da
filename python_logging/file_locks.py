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
import threading
from collections.abc import Iterator

OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
# For lock files in shared directories (/tmp): a symlink planted at the path must not
# redirect the open (and the pid write) to a file of the attacker's choosing.
NOFOLLOW_FLAGS = OPEN_FLAGS | os.O_NOFOLLOW
PID_BYTES = 32  # room for any pid and its newline
_held: set[int] = set()
# Held by `fork()` itself (see the hooks at the end) and around every change of `_held`,
# so a child never inherits a lock file descriptor the set does not list: such a copy
# would keep the parent's lock held for as long as the child lives.
_fork_guard = threading.Lock()


@contextlib.contextmanager
def exclusive(
    path: str,
    *,
    wait: bool = True,
    mode: int = 0o644,
    follow_symlinks: bool = True,
    record_pid: bool = False,
) -> Iterator[int | None]:
    """Hold an exclusive lock on `path`, yielding the lock file's descriptor (lock files
    may hold a little state), or None when `wait` is off and another holder has it.

    `follow_symlinks=False` refuses a symlink at `path` (OSError ELOOP). `record_pid`
    replaces the file's content with this process's pid once the lock is held, for
    `holder_pid` to report; leave it off when the file holds other state.

    Raises OSError when the lock file cannot be opened (for example a missing directory).
    """
    with _fork_guard:  # no fork between the open and the add (see `_fork_guard`)
        fd = os.open(path, OPEN_FLAGS if follow_symlinks else NOFOLLOW_FLAGS, mode)
        _held.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        if record_pid:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        with _fork_guard:
            _held.discard(fd)
            os.close(fd)  # releases the lock once no other copy of the descriptor is open


def holder_pid(path: str) -> int | None:
    """The pid the last `record_pid` holder of `path` wrote, or None when unreadable.

    The lock file is never removed, so after a release this is the last holder's pid.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        text = os.pread(fd, PID_BYTES, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    finally:
        os.close(fd)
    return int(text) if text.isdigit() else None


def _close_inherited() -> None:
    for fd in list(_held):
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()
    _fork_guard.release()  # acquired by the forking thread in the parent, before the fork


os.register_at_fork(
    before=_fork_guard.acquire,
    after_in_parent=_fork_guard.release,
    after_in_child=_close_inherited,
)
