"""Pure planning for `cleanup indices`: safety classification, then curator-style filters.

1. Selection (safety): only indices whose own name, or whose data stream's name, matches a
   pattern (an index reached through an alias is ignored). A data stream's write index is
   always protected. Backing indices are taken only with --include-data-streams; other
   hidden or dot-prefixed indices only with --allow-hidden.
2. Filters, combined with AND: older than the limit, not among the newest N, and needed
   to bring the total under the size budget (oldest first). Protected write indices count
   towards the total but are never deleted.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from elkctl.cleanup.index_source import DataStreamInfo, IndexInfo

DELETE = "delete"
KEEP = "keep"
PROTECTED = "protected"
SKIPPED = "skipped"


@dataclass(frozen=True)
class IndexFilters:
    older_than: float | None = None  # seconds
    max_total_size: int | None = None  # bytes
    keep: int | None = None
    include_data_streams: bool = False
    allow_hidden: bool = False

    @property
    def selects_anything(self) -> bool:
        return any(v is not None for v in (self.older_than, self.max_total_size, self.keep))


@dataclass(frozen=True)
class Candidate:
    info: IndexInfo
    data_stream: str | None


@dataclass(frozen=True)
class Decision:
    name: str
    size_bytes: int
    age_since_ms: int | None  # when its age starts: creation or newest @timestamp (epoch ms)
    data_stream: str | None
    action: str
    reason: str


@dataclass(frozen=True)
class Selection:
    eligible: list[Candidate]
    excluded: list[Decision]  # protected write indices and skipped hidden ones


def select_indices(
    indices: Iterable[IndexInfo],
    streams: Iterable[DataStreamInfo],
    patterns: list[str],
    filters: IndexFilters,
) -> Selection:
    backing: dict[str, DataStreamInfo] = {
        name: stream for stream in streams for name in stream.all_indices
    }
    eligible: list[Candidate] = []
    excluded: list[Decision] = []
    for info in sorted(indices, key=lambda i: i.name):
        stream = backing.get(info.name)
        if not _matches(info.name, patterns) and not (stream and _matches(stream.name, patterns)):
            continue  # reached through an alias, or not asked for

        def exclude(action: str, reason: str, info: IndexInfo = info,
                    stream: DataStreamInfo | None = stream) -> None:
            excluded.append(Decision(info.name, info.size_bytes, info.created_ms,
                                     stream.name if stream else None, action, reason))

        if stream is not None and info.name in stream.write_indices:
            exclude(PROTECTED, f"write index of data stream {stream.name}")
        elif stream is not None and not filters.include_data_streams:
            exclude(SKIPPED, f"backing index of {stream.name}; add --include-data-streams")
        elif stream is None and (info.hidden or info.name.startswith(".")) \
                and not filters.allow_hidden:
            exclude(SKIPPED, "hidden or system index; add --allow-hidden")
        else:
            eligible.append(Candidate(info, stream.name if stream else None))
    return Selection(eligible, excluded)


def plan_indices(
    selection: Selection,
    filters: IndexFilters,
    now_ms: int,
    newest_ms: Mapping[str, int | None] | None = None,
) -> list[Decision]:
    """Decisions for every selected index, oldest first. `newest_ms` switches the age source
    from the creation date to the newest @timestamp (None: the index holds no documents)."""

    def age_since(c: Candidate) -> int | None:
        return newest_ms.get(c.info.name) if newest_ms is not None else c.info.created_ms

    ordered = sorted(
        selection.eligible, key=lambda c: (age_since(c) or c.info.created_ms, c.info.name)
    )
    reasons: list[str | None] = [None] * len(ordered)  # why an index is kept
    if filters.older_than is not None:
        cutoff = now_ms - filters.older_than * 1000
        for i, c in enumerate(ordered):
            since = age_since(c)
            if since is None:
                reasons[i] = "no @timestamp (no documents)"
            elif since >= cutoff:
                reasons[i] = "younger than the age limit"
    if filters.keep:
        for i in range(max(0, len(ordered) - filters.keep), len(ordered)):
            reasons[i] = reasons[i] or f"among the newest {filters.keep}"
    if filters.max_total_size is not None:
        remaining = sum(c.info.size_bytes for c in ordered) + sum(
            d.size_bytes for d in selection.excluded if d.action == PROTECTED
        )
        for i, c in enumerate(ordered):
            if reasons[i] is not None:
                continue
            if remaining <= filters.max_total_size:
                reasons[i] = "within the size budget"
            else:
                remaining -= c.info.size_bytes
    decisions = [
        Decision(
            c.info.name, c.info.size_bytes, age_since(c), c.data_stream,
            KEEP if reason else DELETE, reason or _delete_reason(filters),
        )
        for c, reason in zip(ordered, reasons, strict=True)
    ]
    return decisions + selection.excluded


def _delete_reason(filters: IndexFilters) -> str:
    parts = []
    if filters.older_than is not None:
        parts.append("older than the age limit")
    if filters.max_total_size is not None:
        parts.append("over the size budget")
    if filters.keep is not None:
        parts.append(f"not among the newest {filters.keep}")
    return ", ".join(parts)


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def check_pattern(pattern: str) -> str:
    """A single index or data-stream glob; lists, exclusions and `_all` are refused."""
    if not pattern.strip() or any(ch in pattern for ch in ", "):
        raise ValueError(f"{pattern!r}: give one glob per --pattern (no commas or spaces)")
    if pattern.startswith("-") or pattern in ("_all",):
        raise ValueError(f"{pattern!r}: exclusions and _all are not accepted; use a glob")
    return pattern
