"""GroupState <-> the JSON document stored in the state index (doc id = grouping key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elkctl.error_tracking.model import Change, GroupState

_DATES = ("first_seen", "resolved_at", "ignored_until", "regressed_at")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def state_to_doc(state: GroupState) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "key": state.key,
        "status": state.status,
        "assignee": state.assignee,
        "resolved_by": state.resolved_by,
        "name": state.name,
        "severity": state.severity,
        "services": list(state.services),
    }
    doc.update({name: _iso(getattr(state, name)) for name in _DATES})
    doc["history"] = [
        {"at": _iso(c.at), "action": c.action, "by": c.by, "note": c.note, "details": c.details}
        for c in state.history
    ]
    return doc


def state_from_doc(doc: dict[str, Any]) -> GroupState:
    history = tuple(
        Change(
            at=parse_time(c["at"]),  # type: ignore[arg-type]
            action=c["action"], by=c.get("by"), note=c.get("note"),
            details=c.get("details") or {},
        )
        for c in doc.get("history") or ()
    )
    return GroupState(
        key=doc["key"],
        status=doc.get("status") or "unresolved",
        assignee=doc.get("assignee"),
        resolved_by=doc.get("resolved_by"),
        history=history,
        name=doc.get("name"),
        severity=doc.get("severity"),
        services=tuple(doc.get("services") or ()),
        **{name: parse_time(doc.get(name)) for name in _DATES},
    )
