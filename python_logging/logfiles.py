"""The files one service's writer leaves in its directory: listing and reading them back.

Shared by retention, compression, the tests and the stress benchmark, so that they all
agree on which files belong to a service and in which order they were rotated.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from python_logging import naming


@dataclass(frozen=True)
class RotatedFile:
    path: Path
    order: tuple[str, int]  # (timestamp, seq): rotation order, oldest first
    compressed: bool
    mtime: float

    @property
    def base(self) -> str:
        """The uncompressed name: a file and its `.gz` are the same rotation."""
        name = self.path.name
        return name[: -len(naming.COMPRESSED_SUFFIX)] if self.compressed else name


def rotated_files(directory: Path, service: str) -> list[RotatedFile]:
    """This service's rotated files (compressed or not), oldest rotation first.

    Files of other services and files not named by `naming` are never listed, so nothing
    built on this list can touch them.
    """
    found = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    for entry in entries:
        match = naming.ROTATED_RE.match(entry.name)
        if match is None or match.group("service") != service:
            continue
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        found.append(
            RotatedFile(
                path=Path(entry.path),
                order=(match.group("stamp"), int(match.group("seq") or 0)),
                compressed=match.group("gz") is not None,
                mtime=mtime,
            )
        )
    found.sort(key=lambda rotated: (rotated.order, rotated.compressed))
    return found


def read_lines(path: Path) -> list[bytes]:
    """Every line of one log file, gunzipped when it ends in `.gz`."""
    opener = gzip.open if path.name.endswith(naming.COMPRESSED_SUFFIX) else open
    with opener(path, "rb") as stream:
        return stream.read().splitlines()


def service_lines(directory: Path, service: str) -> Iterator[bytes]:
    """All lines of a service, rotated files first (oldest first), then the active file.

    A rotation that exists both compressed and uncompressed (a crash between the rename
    of the `.gz` and the unlink of the original) is read once, from the original.
    """
    seen: set[str] = set()
    for rotated in rotated_files(directory, service):
        if rotated.base in seen:
            continue
        seen.add(rotated.base)
        yield from read_lines(rotated.path)
    active = directory / naming.active_name(service)
    if active.exists():
        yield from read_lines(active)
