"""The daily digest: new groups, regressions, top groups by volume, oldest unresolved critical."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from elkctl.error_tracking.model import OPEN_STATUSES, REGRESSED, TrackedGroup, severity_rank

CRITICAL_RANK = severity_rank("critical")


@dataclass(frozen=True)
class Digest:
    since: datetime
    until: datetime
    groups: int
    events: int
    new: tuple[TrackedGroup, ...]
    regressed: tuple[TrackedGroup, ...]
    top: tuple[TrackedGroup, ...]
    oldest_critical: tuple[TrackedGroup, ...]


def build_digest(
    groups: Sequence[TrackedGroup], since: datetime, until: datetime, limit: int = 10
) -> Digest:
    by_volume = sorted(groups, key=lambda g: (-g.summary.count, g.summary.key))
    new = [g for g in by_volume if g.first_seen >= since]
    regressed = [g for g in by_volume if g.status == REGRESSED]
    critical = sorted(
        (g for g in groups
         if g.status in OPEN_STATUSES and severity_rank(g.summary.severity) >= CRITICAL_RANK),
        key=lambda g: (g.first_seen, g.summary.key),
    )
    return Digest(
        since=since, until=until, groups=len(groups),
        events=sum(g.summary.count for g in groups),
        new=tuple(new[:limit]), regressed=tuple(regressed[:limit]),
        top=tuple(by_volume[:limit]), oldest_critical=tuple(critical[:limit]),
    )
