"""File names written by python_logging, shared by the writer, Filebeat's globs and cleanup.

- active file:  `<service>.log`, the only file writers append to;
- rotated file: `<service>.<YYYYMMDD>T<HHMMSS><micro>Z[-N].log`, unique, never overwritten;
- compressed:   the rotated name plus `.gz`.

A glob of `*.log` therefore matches the active file and the uncompressed rotated files,
and never a compressed one.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

ACTIVE_SUFFIX = ".log"
COMPRESSED_SUFFIX = ".gz"
ROTATED_GLOB = "*.[0-9]*Z*.log*"
ROTATED_RE = re.compile(
    r"^(?P<service>.+)\.(?P<stamp>\d{8}T\d{12}Z)(?:-(?P<seq>\d+))?\.log(?P<gz>\.gz)?$"
)


def active_name(service: str) -> str:
    return service + ACTIVE_SUFFIX


def rotated_name(service: str, rotated_at: datetime, seq: int = 0) -> str:
    """The name for a file rotated at `rotated_at`; `seq` > 0 only to avoid a clash."""
    stamp = rotated_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{service}.{stamp}{f'-{seq}' if seq else ''}{ACTIVE_SUFFIX}"


def is_rotated(name: str) -> bool:
    return ROTATED_RE.match(name) is not None


def rotated_service(name: str) -> str | None:
    """The service a rotated (or compressed) file belongs to, or None."""
    match = ROTATED_RE.match(name)
    return match.group("service") if match else None
