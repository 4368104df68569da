"""One run at a time: a non-blocking `flock` on a lock file, so overlapping cron runs skip."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from elkctl.cleanup.errors import CleanupError, RunLocked
from python_logging import file_locks

LOCK_DIR_ENV = "ELKCTL_LOCK_DIR"
LOCK_MODE = 0o600


def default_lock_path(name: str, environ: dict[str, str] | None = None) -> Path:
    """One lock file per command and user, in $ELKCTL_LOCK_DIR, else `$XDG_RUNTIME_DIR`
    (private to the user), else the temp dir."""
    env = os.environ if environ is None else environ
    base = env.get(LOCK_DIR_ENV) or env.get("XDG_RUNTIME_DIR") or env.get("TMPDIR") or "/tmp"
    return Path(base) / f"elkctl-{name}-{os.getuid()}.lock"


@contextlib.contextmanager
def exclusive_run(path: Path) -> Iterator[None]:
    """Hold the lock for the block; RunLocked at once when another process holds it.

    The file is never removed: removing it would let two runs lock two different inodes.
    Symlinks are refused, so one planted in a shared temp dir cannot redirect the open;
    the holder writes its pid so that a skipped run can name it.
    """
    with contextlib.ExitStack() as stack:
        try:  # only the open is guarded: OSErrors of the block are not lock errors
            fd = stack.enter_context(file_locks.exclusive(
                str(path), wait=False, mode=LOCK_MODE, follow_symlinks=False, record_pid=True,
            ))
        except OSError as exc:
            raise CleanupError(f"cannot open lock file {path}: {exc.strerror}") from exc
        if fd is None:
            holder = file_locks.holder_pid(str(path)) or "unknown"
            raise RunLocked(
                f"another cleanup run holds the lock {path} (pid {holder}); this run did nothing"
            )
        yield
