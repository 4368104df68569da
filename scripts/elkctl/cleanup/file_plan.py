"""Pure planning for `cleanup files`: which candidates go, and why. No I/O here.

A candidate goes when it is older than the age limit, or when the total (candidates plus
protected active files) is over the size budget; then the oldest go first until the total
fits. Active files count towards the total but are never planned for deletion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from elkctl.cleanup.file_scan import LogFile

REASON_AGE = "older than limit"
REASON_BUDGET = "over size budget"


@dataclass(frozen=True)
class Doomed:
    file: LogFile
    reason: str


@dataclass(frozen=True)
class FilePlan:
    delete: tuple[Doomed, ...]
    total_bytes: int  # candidates + active files, before deleting

    @property
    def bytes_to_free(self) -> int:
        return sum(d.file.size for d in self.delete)


def oldest_first(files: Iterable[LogFile]) -> list[LogFile]:
    # the name breaks mtime ties: rotated names sort by their rotation time
    return sorted(files, key=lambda f: (f.mtime, f.name))


def plan_file_cleanup(
    candidates: Iterable[LogFile],
    protected_bytes: int,
    now: float,
    older_than: float | None = None,
    max_total_size: int | None = None,
) -> FilePlan:
    ordered = oldest_first(candidates)
    total = protected_bytes + sum(f.size for f in ordered)
    # Reasons by position, not by file: hashing 100k dataclasses would dominate the run.
    reasons: list[str | None] = [None] * len(ordered)
    remaining = total
    if older_than is not None:
        cutoff = now - older_than
        for i, f in enumerate(ordered):
            if f.mtime < cutoff:
                reasons[i] = REASON_AGE
                remaining -= f.size
    if max_total_size is not None:
        for i, f in enumerate(ordered):
            if remaining <= max_total_size:
                break
            if reasons[i] is None:
                reasons[i] = REASON_BUDGET
                remaining -= f.size
    return FilePlan(
        tuple(Doomed(f, r) for f, r in zip(ordered, reasons, strict=True) if r is not None), total
    )
