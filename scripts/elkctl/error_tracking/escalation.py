"""Escalation: open groups older than the policy for their priority, once per level.

Priority comes from the group's most severe `log.level` (critical -> critical, error -> high,
warning -> medium). Each level of each open period escalates once: the ledger window holds the
level and the start of the open period, so a regression starts a new period.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from elkctl.error_tracking.alerts_config import PRIORITIES, PRIORITY_OF_SEVERITY
from elkctl.error_tracking.detect import Trigger
from elkctl.error_tracking.model import (
    OPEN_STATUSES,
    GroupState,
    GroupSummary,
    effective_status,
    open_since,
)

ESCALATION_RULE = "escalation"


def priority_of(summary: GroupSummary) -> str | None:
    return PRIORITY_OF_SEVERITY.get((summary.severity or "").lower())


def due_escalations(
    summaries: list[GroupSummary], states: Mapping[str, GroupState],
    after: Mapping[str, float], channels: tuple[str, ...], now: datetime,
) -> list[Trigger]:
    triggers = []
    for summary in summaries:
        state = states.get(summary.key)
        if effective_status(state, summary.last_seen, now) not in OPEN_STATUSES:
            continue
        priority = priority_of(summary)
        if priority is None or priority not in after:
            continue
        since = open_since(state, summary)
        age = now - since
        if age < timedelta(seconds=after[priority]):
            continue
        triggers.append(Trigger(
            ESCALATION_RULE, "escalation", summary.key, f"{priority}|{since.isoformat()}",
            channels, summary.count, summary,
            f"{priority} priority, unresolved for {_hours(age)}",
        ))
    return sorted(triggers, key=lambda t: PRIORITIES.index(t.window.split("|")[0]))


def _hours(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.1f}h"
