"""Gzip one rotated file so that a crash or a late writer can never lose a line.

Order of operations: write `<name>.gz.tmp`, fsync it, check the original did not change
meanwhile (a process that had not yet noticed the rotation may append one last line),
rename the tmp to `<name>.gz`, fsync the directory, and only then unlink the original.
Until that unlink the original is intact, whatever happens.
"""

from __future__ import annotations

import contextlib
import enum
import gzip
import os
import time
from collections.abc import Callable
from pathlib import Path

from python_logging import naming
from python_logging.logfiles import RotatedFile

TMP_SUFFIX = naming.COMPRESSED_SUFFIX + ".tmp"
# A writer that has not yet noticed a rotation notices within ~1 s (its periodic stat);
# a file quiet for twice that long has no writer left. Read at call time so tests can
# shorten it.
QUIET_SECONDS = 2.0
CHUNK_BYTES = 256 * 1024
LEVEL = 6


class Outcome(enum.Enum):
    DONE = "done"
    BUSY = "written to recently; try later"
    CHANGED = "changed while compressing; try later"
    STOPPED = "stopped (shutdown); original kept"
    GONE = "original no longer exists"


class _Stopped(Exception):
    pass


def candidates(files: list[RotatedFile]) -> list[Path]:
    """Uncompressed rotations except the newest one (delayed by one rotation, like
    logrotate's delaycompress), so Filebeat can finish reading the file just rotated."""
    if not files:
        return []
    newest = files[-1].order
    return [f.path for f in files if not f.compressed and f.order != newest]


def compress_file(path: Path, *, should_stop: Callable[[], bool]) -> Outcome:
    """Compress `path` to `path.gz`; the caller must hold the service's maintenance lock
    (it makes every `.gz.tmp` of the service ours)."""
    try:
        before = os.stat(path)
    except FileNotFoundError:
        return Outcome.GONE
    if time.time() - max(before.st_mtime, before.st_ctime) < QUIET_SECONDS:
        return Outcome.BUSY
    tmp = path.with_name(path.name + TMP_SUFFIX)
    try:
        _write_gzip(path, tmp, before, should_stop)
        after = os.stat(path)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            tmp.unlink()
            return Outcome.CHANGED
        os.rename(tmp, path.with_name(path.name + naming.COMPRESSED_SUFFIX))
        _fsync_directory(path.parent)
        path.unlink()
        return Outcome.DONE
    except _Stopped:
        tmp.unlink(missing_ok=True)
        return Outcome.STOPPED
    except FileNotFoundError:  # retention or another tool removed the original
        tmp.unlink(missing_ok=True)
        return Outcome.GONE
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def _write_gzip(
    source: Path, tmp: Path, before: os.stat_result, should_stop: Callable[[], bool]
) -> None:
    """Compress the first `before.st_size` bytes: a late append makes the caller retry."""
    remaining = before.st_size
    with open(source, "rb") as reader, open(tmp, "wb") as raw:
        with gzip.GzipFile(
            filename=source.name,
            mode="wb",
            fileobj=raw,
            compresslevel=LEVEL,
            mtime=int(before.st_mtime),
        ) as writer:
            while remaining > 0 and (chunk := reader.read(min(CHUNK_BYTES, remaining))):
                if should_stop():
                    raise _Stopped
                writer.write(chunk)
                remaining -= len(chunk)
        raw.flush()
        os.fsync(raw.fileno())


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable before the original disappears."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_tmp(directory: Path, service: str) -> list[Path]:
    """Delete this service's leftover `.gz.tmp` files (a crash mid-compression).

    Only safe under the maintenance lock: then no tmp file can be in progress."""
    removed = []
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as entries:
        for entry in entries:
            if not entry.name.endswith(TMP_SUFFIX):
                continue
            original = entry.name[: -len(TMP_SUFFIX)]
            if naming.rotated_service(original) == service:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed

