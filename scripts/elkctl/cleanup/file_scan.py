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
from dataclasses import dataclass, field

from python_logging.naming import ACTIVE_SUFFIX, ROTATED_RE


@dataclass(frozen=True, slots=True)
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


def name_matcher(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for the globs; None means python_logging's rotated and compressed names."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def scan_directory(directory: str, globs: re.Pattern[str] | None) -> DirectoryScan:
    """Candidates matching `globs` (see name_matcher) and the protected active files.

    Active means `<service>.log` that is not a rotated name: whatever the globs say, such a
    file is what a writer appends to and is never a candidate.
    """
    result = DirectoryScan()
    with os.scandir(directory) as entries:
        for entry in entries:
            result.entries += 1
            name = entry.name
            rotated = ROTATED_RE.match(name) is not None  # once per entry: this loop is hot
            active = not rotated and name.endswith(ACTIVE_SUFFIX)
            if not active and not (rotated if globs is None else globs.match(name)):
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
