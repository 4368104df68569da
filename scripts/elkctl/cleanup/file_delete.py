"""The action of `cleanup files`: delete planned files one by one, continuing past failures.

Each directory is opened once and files are removed by name relative to that descriptor,
after re-checking (without following symlinks) that the entry is still the very regular
file that was planned. A symlink swapped in meanwhile, or a file replaced by a newer one,
is left alone.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import groupby

from elkctl.cleanup.file_scan import LogFile

log = logging.getLogger("elkctl.cleanup")

Unlink = Callable[[str, int], None]


def unlink_entry(name: str, dir_fd: int) -> None:
    """Remove the directory entry `name` (never what a symlink points to)."""
    os.unlink(name, dir_fd=dir_fd)


@dataclass
class DeleteOutcome:
    deleted: list[LogFile] = field(default_factory=list)
    failed: list[tuple[LogFile, str]] = field(default_factory=list)
    skipped: list[tuple[LogFile, str]] = field(default_factory=list)

    @property
    def bytes_freed(self) -> int:
        return sum(f.size for f in self.deleted)


def delete_files(files: Iterable[LogFile], unlink: Unlink | None = None) -> DeleteOutcome:
    remove = unlink if unlink is not None else unlink_entry  # looked up now: tests swap it
    outcome = DeleteOutcome()
    by_dir = groupby(sorted(files, key=lambda f: f.directory), key=lambda f: f.directory)
    for directory, group in by_dir:
        members = list(group)
        try:
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            for f in members:
                _fail(outcome, f, f"cannot open directory: {exc.strerror}")
            continue
        try:
            for f in members:
                _delete_one(f, dir_fd, remove, outcome)
        finally:
            os.close(dir_fd)
    return outcome


def _delete_one(f: LogFile, dir_fd: int, unlink: Unlink, outcome: DeleteOutcome) -> None:
    try:
        st = os.stat(f.name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        outcome.skipped.append((f, "already gone"))
        return
    except OSError as exc:
        _fail(outcome, f, exc.strerror or str(exc))
        return
    if not stat.S_ISREG(st.st_mode) or st.st_ino != f.inode:
        outcome.skipped.append((f, "changed since the scan"))
        return
    try:
        unlink(f.name, dir_fd)
    except FileNotFoundError:
        outcome.skipped.append((f, "already gone"))
    except OSError as exc:
        _fail(outcome, f, exc.strerror or str(exc))
    else:
        outcome.deleted.append(f)
        log.info(
            "deleted %s", f.path,
            extra={"event": {"action": "cleanup-file-deleted", "outcome": "success"},
                   "file": {"path": f.path, "size": f.size}},
        )


def _fail(outcome: DeleteOutcome, f: LogFile, reason: str) -> None:
    outcome.failed.append((f, reason))
    log.error(
        "could not delete %s: %s", f.path, reason,
        extra={"event": {"action": "cleanup-file-deleted", "outcome": "failure"},
               "file": {"path": f.path, "size": f.size}},
    )
