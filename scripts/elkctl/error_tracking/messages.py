"""Notification texts: one Message per trigger, and one for the digest."""

from __future__ import annotations

from typing import Any

from elkctl.error_tracking.channels import Message
from elkctl.error_tracking.detect import Trigger
from elkctl.error_tracking.digest import Digest
from elkctl.error_tracking.links import group_link
from elkctl.error_tracking.model import GroupSummary, TrackedGroup

TITLES = {
    "new_group": "New error group",
    "regression": "Regression",
    "threshold": "Error threshold reached",
    "escalation": "Escalation: unresolved error group",
}


def short_key(key: str) -> str:
    """'v1:' and 12 hex digits: unique enough for people; commands accept any prefix."""
    return key[:15]


def group_title(summary: GroupSummary) -> str:
    return summary.name or summary.error_type or short_key(summary.key)


def group_payload(summary: GroupSummary) -> dict[str, Any]:
    return {
        "key": summary.key, "name": summary.name, "type": summary.error_type,
        "message": summary.message, "severity": summary.severity,
        "services": list(summary.services), "count": summary.count, "users": summary.users,
        "first_seen": summary.first_seen.isoformat(), "last_seen": summary.last_seen.isoformat(),
    }


def _group_lines(summary: GroupSummary, kibana_url: str) -> list[str]:
    return [
        f"{group_title(summary)} [{summary.severity or '?'}] in {', '.join(summary.services)}",
        f"  {summary.message or ''}".rstrip(),
        f"  {summary.count} events, {summary.users} users, "
        f"first {summary.first_seen:%Y-%m-%d %H:%M}, last {summary.last_seen:%Y-%m-%d %H:%M} UTC",
        f"  key {summary.key}: {group_link(kibana_url, summary.key)}",
    ]


def trigger_message(trigger: Trigger, kibana_url: str) -> Message:
    title = TITLES[trigger.kind]
    if trigger.group is not None:
        subject = f"[elkctl] {title}: {group_title(trigger.group)}"
        lines = _group_lines(trigger.group, kibana_url)
    else:
        subject = f"[elkctl] {title}: {trigger.subject}"
        lines = [f"{trigger.subject}"]
    if trigger.detail:
        lines.insert(1, f"  {trigger.detail}")
    payload: dict[str, Any] = {
        "kind": trigger.kind, "rule": trigger.rule, "target": trigger.subject,
        "count": trigger.count, "detail": trigger.detail,
        "group": group_payload(trigger.group) if trigger.group else None,
    }
    return Message(subject, "\n".join([f"Rule {trigger.rule}:", *lines]), payload)


def _section(title: str, groups: tuple[TrackedGroup, ...], kibana_url: str) -> list[str]:
    if not groups:
        return [f"{title}: none", ""]
    lines = [f"{title}:"]
    for group in groups:
        lines.extend(_group_lines(group.summary, kibana_url))
    return [*lines, ""]


def digest_message(digest: Digest, kibana_url: str) -> Message:
    subject = (f"[elkctl] Error summary: {digest.groups} groups, {digest.events} events, "
               f"{len(digest.new)} new, {len(digest.regressed)} regressed")
    lines = [f"From {digest.since:%Y-%m-%d %H:%M} to {digest.until:%Y-%m-%d %H:%M} UTC", ""]
    lines += _section("New", digest.new, kibana_url)
    lines += _section("Regressed", digest.regressed, kibana_url)
    lines += _section("Top by volume", digest.top, kibana_url)
    lines += _section("Oldest unresolved critical", digest.oldest_critical, kibana_url)
    payload = {
        "kind": "summary", "since": digest.since.isoformat(), "until": digest.until.isoformat(),
        "groups": digest.groups, "events": digest.events,
        **{name: [group_payload(g.summary) for g in getattr(digest, name)]
           for name in ("new", "regressed", "top", "oldest_critical")},
    }
    return Message(subject, "\n".join(lines).rstrip(), payload)
