"""Group state (triage status, assignee, history) and the group summaries read from events.

Everything here is plain data and pure functions; the time is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

UNRESOLVED = "unresolved"
REGRESSED = "regressed"
RESOLVED = "resolved"
IGNORED = "ignored"
STATUSES = (UNRESOLVED, REGRESSED, RESOLVED, IGNORED)
OPEN_STATUSES = (UNRESOLVED, REGRESSED)

# ECS `log.level` values, most severe first. `fatal`/`warn` are common aliases.
SEVERITY_RANK = {
    "critical": 5, "fatal": 5, "emergency": 5, "alert": 5,
    "error": 4, "warning": 3, "warn": 3, "notice": 2, "info": 2, "debug": 1, "trace": 0,
}
SEVERITIES = ("critical", "error", "warning", "info")


def severity_rank(level: str | None) -> int:
    return SEVERITY_RANK.get((level or "").lower(), 0)


def levels_at_least(severity: str | None) -> tuple[str, ...]:
    """The `log.level` values at least as severe as `severity` (all when None)."""
    if severity is None:
        return ()
    return tuple(lv for lv in SEVERITY_RANK if severity_rank(lv) >= severity_rank(severity))


def most_severe(levels: list[str] | tuple[str, ...]) -> str | None:
    return max(levels, key=severity_rank, default=None)


@dataclass(frozen=True)
class GroupSummary:
    """One error group as seen in a time window of events."""

    key: str
    count: int
    first_seen: datetime
    last_seen: datetime
    name: str | None = None
    error_type: str | None = None
    message: str | None = None
    users: int = 0
    services: tuple[str, ...] = ()
    severity: str | None = None
    file: str | None = None
    function: str | None = None


@dataclass(frozen=True)
class Change:
    """One entry of a group's history."""

    at: datetime
    action: str
    by: str | None = None
    note: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupState:
    """Triage state of a group, stored as one document per grouping key."""

    key: str
    status: str = UNRESOLVED
    assignee: str | None = None
    first_seen: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    ignored_until: datetime | None = None
    regressed_at: datetime | None = None
    history: tuple[Change, ...] = ()
    # Last known description of the group, kept so Kibana can list groups from this index
    # alone (the "Unresolved critical errors" saved search); not part of the triage history.
    name: str | None = None
    severity: str | None = None
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrackedGroup:
    """A group summary joined with its stored state and the status that results."""

    summary: GroupSummary
    state: GroupState | None
    status: str

    @property
    def first_seen(self) -> datetime:
        if self.state is not None and self.state.first_seen is not None:
            return min(self.state.first_seen, self.summary.first_seen)
        return self.summary.first_seen


def effective_status(
    state: GroupState | None, last_seen: datetime | None, now: datetime
) -> str:
    """The status people see: a resolved group with later events is regressed, an ignore
    whose time limit has passed is unresolved again."""
    if state is None:
        return UNRESOLVED
    if state.status == RESOLVED:
        resolved_at = state.resolved_at
        if last_seen is not None and resolved_at is not None and last_seen > resolved_at:
            return REGRESSED
        return RESOLVED
    if state.status == IGNORED and state.ignored_until is not None and now >= state.ignored_until:
        return UNRESOLVED
    return state.status


def _record(state: GroupState, change: Change, **updates: Any) -> GroupState:
    return replace(state, history=(*state.history, change), **updates)


def resolve(state: GroupState, now: datetime, by: str | None, note: str | None) -> GroupState:
    return _record(
        state, Change(now, "resolve", by, note),
        status=RESOLVED, resolved_at=now, resolved_by=by, ignored_until=None, regressed_at=None,
    )


def ignore(
    state: GroupState, now: datetime, by: str | None, note: str | None,
    until: datetime | None = None,
) -> GroupState:
    details = {"until": until.isoformat()} if until else {}
    return _record(
        state, Change(now, "ignore", by, note, details), status=IGNORED, ignored_until=until
    )


def reopen(state: GroupState, now: datetime, by: str | None, note: str | None) -> GroupState:
    return _record(
        state, Change(now, "reopen", by, note),
        status=UNRESOLVED, resolved_at=None, resolved_by=None, ignored_until=None,
    )


def assign(
    state: GroupState, now: datetime, by: str | None, note: str | None, assignee: str | None
) -> GroupState:
    return _record(
        state, Change(now, "assign", by, note, {"assignee": assignee}), assignee=assignee
    )


def with_snapshot(state: GroupState, summary: GroupSummary) -> GroupState:
    """The state carrying the summary's name, services and the most severe level seen."""
    severity = most_severe([lv for lv in (state.severity, summary.severity) if lv])
    services = tuple(sorted({*state.services, *summary.services}))
    return replace(state, name=summary.name or state.name, severity=severity, services=services)


def mark_regressed(state: GroupState, at: datetime) -> GroupState:
    """Persist a regression noticed by `notify`, so escalation counts from it."""
    return _record(state, Change(at, "regressed", "elkctl"), status=REGRESSED, regressed_at=at)


def open_since(state: GroupState | None, summary: GroupSummary) -> datetime:
    """When the current unresolved period of a group began."""
    if state is not None and state.regressed_at is not None:
        return state.regressed_at
    if state is not None and state.first_seen is not None:
        return min(state.first_seen, summary.first_seen)
    return summary.first_seen
