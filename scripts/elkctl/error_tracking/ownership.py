"""Ownership rules: the first rule whose service, module or path pattern matches names the owner.

Patterns are shell globs (`payments*`, `app.billing.*`, `*/reports/*`). A rule with several
patterns needs all of them to match. Groups that were ever assigned by hand are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from fnmatch import fnmatchcase

from elkctl.error_tracking.alerts_config import OwnershipRule
from elkctl.error_tracking.model import GroupState, GroupSummary, assign

AUTO_ASSIGNER = "ownership-rules"


def module_of(path: str | None) -> str | None:
    """'src/app/billing/invoice.py' -> 'app.billing.invoice' (after src/ or site-packages/)."""
    if not path:
        return None
    parts = path.replace("\\", "/").removesuffix(".py").split("/")
    for marker in ("site-packages", "src"):
        if marker in parts:
            parts = parts[len(parts) - parts[::-1].index(marker):]
    return ".".join(p for p in parts if p and p != ".")


def _matches(rule: OwnershipRule, summary: GroupSummary) -> bool:
    checks = []
    if rule.service:
        checks.append(any(fnmatchcase(s, rule.service) for s in summary.services))
    if rule.module:
        module = module_of(summary.file) or ""
        checks.append(fnmatchcase(module, rule.module))
    if rule.path:
        checks.append(fnmatchcase(summary.file or "", rule.path))
    return bool(checks) and all(checks)


def owner_for(summary: GroupSummary, rules: tuple[OwnershipRule, ...]) -> str | None:
    return next((rule.owner for rule in rules if _matches(rule, summary)), None)


def auto_assignments(
    summaries: list[GroupSummary], states: Mapping[str, GroupState],
    rules: tuple[OwnershipRule, ...], now: datetime,
) -> list[GroupState]:
    """New states for groups without an assignee that never had one set by hand."""
    updated = []
    for summary in summaries:
        state = states.get(summary.key) or GroupState(summary.key, first_seen=summary.first_seen)
        if state.assignee or any(c.action == "assign" for c in state.history):
            continue
        owner = owner_for(summary, rules)
        if owner:
            updated.append(assign(state, now, AUTO_ASSIGNER, "matched an ownership rule", owner))
    return updated
