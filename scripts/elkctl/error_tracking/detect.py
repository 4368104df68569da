"""Which notifications a `notify` run owes: new groups, regressions and thresholds.

Pure: the caller passes the group summaries, stored states, threshold counts, the time of the
last notification per (rule, subject) and `now`. Each trigger carries a ledger id; the ledger
document is created with `op_type=create`, so a trigger is delivered at most once even when two
runs overlap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from elkctl.error_tracking.alerts_config import Rule
from elkctl.error_tracking.model import (
    IGNORED,
    REGRESSED,
    RESOLVED,
    GroupState,
    GroupSummary,
    effective_status,
    severity_rank,
)

OVERALL = "overall"


@dataclass(frozen=True)
class Trigger:
    rule: str
    kind: str  # new_group | regression | threshold | escalation | summary
    subject: str  # a grouping key, a service name or "overall"
    window: str  # what makes this notification distinct from earlier ones of the same rule
    channels: tuple[str, ...]
    count: int | None = None
    group: GroupSummary | None = None
    detail: str = ""

    @property
    def ledger_id(self) -> str:
        return ledger_id(self.rule, self.subject, self.window)


def ledger_id(rule: str, subject: str, window: str) -> str:
    return hashlib.sha256(f"{rule}\x1f{subject}\x1f{window}".encode()).hexdigest()[:40]


def _at_least(summary: GroupSummary, severity: str | None) -> bool:
    return severity is None or severity_rank(summary.severity) >= severity_rank(severity)


def new_group_triggers(
    rule: Rule, summaries: list[GroupSummary], states: Mapping[str, GroupState],
    now: datetime, lookback: float,
) -> list[Trigger]:
    """Groups first seen within the look-back. Once per group ever.

    `summary.first_seen` must be the group's first event ever (not just in the query window)
    for groups whose state does not know it, so existing groups are not announced on the
    first run.
    """
    since = now - timedelta(seconds=lookback)
    triggers = []
    for summary in summaries:
        state = states.get(summary.key)
        first = (state.first_seen if state is not None else None) or summary.first_seen
        if first < since:
            continue
        if effective_status(state, summary.last_seen, now) in (IGNORED, RESOLVED):
            continue
        if _at_least(summary, rule.severity):
            triggers.append(Trigger(rule.name, "new_group", summary.key, "", rule.channels,
                                    summary.count, summary))
    return triggers


def regression_triggers(
    rule: Rule, summaries: list[GroupSummary], states: Mapping[str, GroupState], now: datetime
) -> list[Trigger]:
    """Resolved groups with events after `resolved_at`. Once per resolution."""
    triggers = []
    for summary in summaries:
        state = states.get(summary.key)
        if state is None or effective_status(state, summary.last_seen, now) != REGRESSED:
            continue
        if state.resolved_at is None or not _at_least(summary, rule.severity):
            continue
        triggers.append(Trigger(rule.name, "regression", summary.key,
                                state.resolved_at.isoformat(), rule.channels, summary.count,
                                summary, f"resolved at {state.resolved_at:%Y-%m-%d %H:%M} UTC"))
    return triggers


def threshold_triggers(
    rule: Rule, counts: Mapping[str, int], last_sent: Mapping[tuple[str, str], datetime],
    now: datetime, muted: frozenset[str] = frozenset(),
    groups: Mapping[str, GroupSummary] | None = None,
) -> list[Trigger]:
    """Subjects with at least `rule.events` events in `rule.within`, outside the cooldown.

    `counts` maps a subject (grouping key, service, or "overall") to its event count in the
    rule's window; `muted` holds subjects not to alert on (ignored/resolved groups). The window
    id is the cooldown bucket, so overlapping runs compute the same ledger id.
    """
    triggers = []
    cooldown = timedelta(seconds=rule.cooldown)
    bucket = int(now.timestamp() // rule.cooldown)
    for subject, count in sorted(counts.items()):
        if count < rule.events or subject in muted:
            continue
        previous = last_sent.get((rule.name, subject))
        if previous is not None and now - previous < cooldown:
            continue
        triggers.append(Trigger(
            rule.name, "threshold", subject, f"bucket-{bucket}", rule.channels, count,
            (groups or {}).get(subject),
            f"{count} events in {_human(rule.within)} (threshold {rule.events})",
        ))
    return triggers


def triggers_for(
    rule: Rule, summaries: list[GroupSummary], states: Mapping[str, GroupState],
    counts: Mapping[str, int], last_sent: Mapping[tuple[str, str], datetime],
    now: datetime, lookback: float,
) -> list[Trigger]:
    if rule.when == "new_group":
        return new_group_triggers(rule, summaries, states, now, lookback)
    if rule.when == "regression":
        return regression_triggers(rule, summaries, states, now)
    by_key = {s.key: s for s in summaries}
    muted = frozenset()
    if rule.scope == "group":
        muted = frozenset(
            key for key, state in states.items()
            if effective_status(state, by_key[key].last_seen if key in by_key else None, now)
            in (IGNORED, RESOLVED)
        )
    return threshold_triggers(rule, counts, last_sent, now, muted, by_key)


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
