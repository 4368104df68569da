"""Rich tables and JSON-ready dicts for `elkctl errors` output."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from elkctl.ages import format_ago
from elkctl.error_tracking.digest import Digest
from elkctl.error_tracking.messages import group_payload, group_title, short_key
from elkctl.error_tracking.model import GroupState, TrackedGroup
from elkctl.error_tracking.queries import get_field
from elkctl.error_tracking.runner import Outcome
from elkctl.error_tracking.serialize import state_to_doc
from elkctl.tables import build_table

BARS = "▁▂▃▄▅▆▇█"
STATUS_STYLE = {"unresolved": "yellow", "regressed": "bold red", "resolved": "green",
                "ignored": "dim"}


def sparkline(counts: Sequence[int]) -> str:
    """One character per bucket; empty buckets are blank so quiet hours stand out."""
    peak = max(counts, default=0)
    if peak == 0:
        return " " * len(counts)
    return "".join(
        " " if n == 0 else BARS[min(len(BARS) - 1, (n * len(BARS) - 1) // peak)] for n in counts
    )


def ago(moment: datetime | None, now: datetime) -> str:
    return "-" if moment is None else format_ago((now - moment).total_seconds())


def clip(text: str | None, width: int) -> Text:
    """One line of at most `width` characters, never read as rich markup (it is user data)."""
    line = " ".join((text or "").split())
    return Text(line if len(line) <= width else line[: width - 1] + "…")


def group_json(group: TrackedGroup) -> dict[str, Any]:
    state = group.state or GroupState(group.summary.key)
    return {**group_payload(group.summary), "first_seen": group.first_seen.isoformat(),
            "status": group.status, "assignee": state.assignee}


def groups_table(groups: Sequence[TrackedGroup], total: int, now: datetime,
                 title: str = "Error groups") -> Table:
    columns = ("Key", "Group", "Sample message", "Count", "Users", "First seen", "Last seen",
               "Services", "Level", "Status", "Assignee")
    return build_table(title, columns, (_group_row(group, now) for group in groups),
                       right=("Count", "Users"), no_wrap=True,
                       caption=_caption(len(groups), total), expand=False)


def _group_row(group: TrackedGroup, now: datetime) -> tuple[RenderableType, ...]:
    s = group.summary
    return (
        short_key(s.key), clip(group_title(s), 40), clip(s.message, 50), str(s.count),
        str(s.users), ago(group.first_seen, now), ago(s.last_seen, now),
        clip(", ".join(s.services), 24), Text(s.severity or "-"),
        Text(group.status, style=STATUS_STYLE.get(group.status, "")),
        Text((group.state.assignee if group.state else None) or "-"),
    )


def _caption(shown: int, total: int) -> str:
    if total == 0:
        return "no error groups match"
    if shown < total:
        return f"{shown} of {total} groups shown (--limit 0 shows all)"
    return f"{total} group{'s' if total != 1 else ''}"


def key_value_table(rows: Sequence[tuple[str, Any]], title: str | None = None) -> Table:
    table = Table(title=title, show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for name, value in rows:
        table.add_row(name, Text("-" if value in (None, "", ()) else str(value)))
    return table


def history_table(state: GroupState | None) -> Table:
    return build_table("History", ("When", "Action", "By", "Note", "Details"), (
        (f"{change.at:%Y-%m-%d %H:%M}", change.action, Text(change.by or "-"),
         Text(change.note or "-"),
         Text(", ".join(f"{k}={v}" for k, v in change.details.items()) or "-"))
        for change in (state.history if state else ())[-10:]
    ))


def state_json(state: GroupState | None) -> dict[str, Any] | None:
    return state_to_doc(state) if state else None


def outcomes_table(outcomes: Sequence[Outcome], title: str) -> Table:
    return build_table(title, ("Rule", "Kind", "Subject", "Detail", "Delivery"),
                       (_outcome_row(outcome) for outcome in outcomes),
                       caption=f"{len(outcomes)} notification(s)")


def _outcome_row(outcome: Outcome) -> tuple[RenderableType, ...]:
    t = outcome.trigger
    subject = short_key(t.subject) if t.subject.startswith("v1:") else t.subject
    if not outcome.claimed:
        delivery = Text(outcome.note, style="dim")
    else:
        delivery = Text(", ".join(
            f"{d.channel} ok" if d.ok else f"{d.channel} FAILED ({d.error})"
            for d in outcome.deliveries))
    return Text(t.rule), t.kind, Text(subject), clip(t.detail or "-", 50), delivery


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    t = outcome.trigger
    return {"rule": t.rule, "kind": t.kind, "subject": t.subject, "count": t.count,
            "detail": t.detail, "claimed": outcome.claimed, "note": outcome.note,
            "deliveries": [{"channel": d.channel, "ok": d.ok, "attempts": d.attempts,
                            "error": d.error} for d in outcome.deliveries]}


def digest_view(digest: Digest, now: datetime) -> Group:
    header = Text(f"Errors from {digest.since:%Y-%m-%d %H:%M} to {digest.until:%Y-%m-%d %H:%M}"
                  f" UTC: {digest.groups} groups, {digest.events} events", style="bold")
    sections = [("New", digest.new), ("Regressed", digest.regressed),
                ("Top by volume", digest.top),
                ("Oldest unresolved critical", digest.oldest_critical)]
    return Group(header, *(groups_table(groups, len(groups), now, title)
                           for title, groups in sections))


def digest_json(digest: Digest) -> dict[str, Any]:
    return {"since": digest.since.isoformat(), "until": digest.until.isoformat(),
            "groups": digest.groups, "events": digest.events,
            **{name: [group_json(g) for g in getattr(digest, name)]
               for name in ("new", "regressed", "top", "oldest_critical")}}


def _buckets(agg: dict[str, Any] | None) -> list[dict[str, Any]]:
    return (agg or {}).get("buckets", [])


def counts_by_key(agg: dict[str, Any] | None) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in _buckets(agg)}


def stats_json(raw: dict[str, Any]) -> dict[str, Any]:
    """The raw `errors stats` aggregations as plain counts."""
    return {
        "total": raw.get("total", 0),
        "days": [{"day": b.get("key_as_string", b["key"])[:10], "count": b["doc_count"],
                  "levels": counts_by_key(b.get("levels"))} for b in _buckets(raw.get("days"))],
        "services": counts_by_key(raw.get("services")),
        "levels": counts_by_key(raw.get("levels")),
        "top": [{"key": b["key"], "count": b["doc_count"],
                 "name": _top_name(b)} for b in _buckets(raw.get("top"))],
    }


def _top_name(bucket: dict[str, Any]) -> str | None:
    hits = bucket.get("sample", {}).get("hits", {}).get("hits", [])
    source = hits[0].get("_source", {}) if hits else {}
    return get_field(source, "error.grouping_name") or get_field(source, "error.type")


def stats_view(stats: dict[str, Any], days: int) -> Group:
    levels = ("critical", "error", "warning")
    by_day = build_table(
        f"Error events per day (last {days} days, total {stats['total']})",
        ("Day", "Events", *levels),
        ((day["day"], str(day["count"]), *(str(day["levels"].get(level, 0)) for level in levels))
         for day in stats["days"]),
        right=("Events", *levels),
    )
    top = build_table("Top groups", ("Key", "Group", "Events"), (
        (short_key(row["key"]), clip(row["name"] or "-", 50), str(row["count"]))
        for row in stats["top"]
    ), right=("Events",))
    return Group(by_day, _count_table("By service", "Service", stats["services"]),
                 _count_table("By severity", "Level", stats["levels"]), top)


def _count_table(title: str, label: str, counts: dict[str, int]) -> Table:
    return build_table(title, (label, "Events"),
                       ((Text(name), str(count)) for name, count in counts.items()),
                       right=("Events",))
