"""Read-only listing of one log directory: deletable candidates and protected active files.

Only direct children are considered; symlinks and anything but regular files are never
candidates. `os.scandir` gives the entry type without a syscall, so only matching names
cost a `stat` (this is what keeps 100k-file directories fast).
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

from python_logging.naming import ACTIVE_SUFFIX, ROTATED_RE


@dataclass(frozen=True)
class LogFile:
    directory: str  # resolved directory the file lives in
    name: str
    size: int
    mtime: float
    inode: int

    @property
    def path(self) -> str:
        return os.path.join(self.directory, self.name)


@dataclass
class DirectoryScan:
    candidates: list[LogFile] = field(default_factory=list)
    active: list[LogFile] = field(default_factory=list)  # counted in totals, never deleted
    skipped_links: list[str] = field(default_factory=list)
    entries: int = 0


def name_matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """python_logging's rotated and compressed names by default, else any of the globs."""
    if not patterns:
        return lambda name: ROTATED_RE.match(name) is not None
    combined = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))
    return lambda name: combined.match(name) is not None


def is_active_name(name: str) -> bool:
    """`<service>.log`: the file a writer appends to. Any such name is protected."""
    return name.endswith(ACTIVE_SUFFIX) and ROTATED_RE.match(name) is None


def scan_directory(directory: str, matches: Callable[[str], bool]) -> DirectoryScan:
    result = DirectoryScan()
    with os.scandir(directory) as entries:
        for entry in entries:
            result.entries += 1
            name = entry.name
            active = is_active_name(name)
            if not active and not matches(name):
                continue
            if entry.is_symlink():
                result.skipped_links.append(name)
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # rotated or removed by someone else meanwhile
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            found = LogFile(directory, name, st.st_size, st.st_mtime, st.st_ino)
            (result.active if active else result.candidates).append(found)
    return result
