"""One run at a time: a non-blocking `flock` on a lock file, so overlapping cron runs skip."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from elkctl.cleanup.errors import CleanupError, RunLocked

LOCK_DIR_ENV = "ELKCTL_LOCK_DIR"


def default_lock_path(name: str, environ: dict[str, str] | None = None) -> Path:
    """One lock file per command and user, in $ELKCTL_LOCK_DIR, else `$XDG_RUNTIME_DIR`
    (private to the user), else the temp dir."""
    env = os.environ if environ is None else environ
    base = env.get(LOCK_DIR_ENV) or env.get("XDG_RUNTIME_DIR") or env.get("TMPDIR") or "/tmp"
    return Path(base) / f"elkctl-{name}-{os.getuid()}.lock"


@contextmanager
def exclusive_run(path: Path) -> Iterator[None]:
    """Hold the lock for the block; RunLocked at once when another process holds it.

    The file is never removed: removing it would let two runs lock two different inodes.
    O_NOFOLLOW keeps a planted symlink in a shared temp dir from redirecting the open.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise CleanupError(f"cannot open lock file {path}: {exc.strerror}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(
                f"another cleanup run holds the lock {path} (pid {_holder(fd)}); "
                "this run did nothing"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode().strip() or "unknown"
    except OSError:
        return "unknown"
