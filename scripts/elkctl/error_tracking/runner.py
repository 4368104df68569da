"""`notify` and `escalate` runs: read groups and states, decide (pure), record, then deliver.

Every notification is claimed in the ledger (create-once) before it is sent, so a restart or an
overlapping run never sends it again. State changes noticed on the way (first sighting,
regression, ownership) are written back in bulk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from elkctl.error_tracking import model
from elkctl.error_tracking.alerts_config import AlertsConfig, Rule
from elkctl.error_tracking.channels import Delivery, deliver_all
from elkctl.error_tracking.detect import Trigger, triggers_for
from elkctl.error_tracking.escalation import due_escalations
from elkctl.error_tracking.messages import trigger_message
from elkctl.error_tracking.model import GroupState, GroupSummary, TrackedGroup
from elkctl.error_tracking.ownership import auto_assignments
from elkctl.error_tracking.queries import KEY, ErrorStore, EventFilter, Version

SCOPE_FIELDS = {"group": KEY, "service": "service.name", "overall": None}


@dataclass(frozen=True)
class Outcome:
    trigger: Trigger
    deliveries: tuple[Delivery, ...]
    claimed: bool
    note: str = ""  # why nothing was sent: "already sent" or "dry run"

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.ok]


@dataclass(frozen=True)
class Run:
    """What `notify` or `escalate` did."""

    outcomes: list[Outcome]
    # Group state changes not saved because someone changed the group after this run read
    # it (a person triaging meanwhile): theirs wins, and the next run decides again.
    skipped_changes: int = 0


@dataclass(frozen=True)
class Tracked:
    groups: list[TrackedGroup]
    versions: dict[str, Version]

    @property
    def summaries(self) -> list[GroupSummary]:
        return [g.summary for g in self.groups]

    @property
    def states(self) -> dict[str, GroupState]:
        """The stored state of each group that has one."""
        return {g.summary.key: g.state for g in self.groups if g.state is not None}


def track(store: ErrorStore, spec: EventFilter, now: datetime, page_size: int,
          correct_first_seen: bool = False) -> Tracked:
    """Groups in the window with their states; optionally the true first sighting of groups
    whose state does not know it yet (the window's minimum moves as the window slides)."""
    groups: list[TrackedGroup] = []
    versions: dict[str, Version] = {}
    for page in store.iter_groups(spec, page_size):
        stored = store.states([g.key for g in page])
        versions.update({key: version for key, (_, version) in stored.items()})
        if correct_first_seen:
            unknown = [g.key for g in page
                       if g.key not in stored or stored[g.key][0].first_seen is None]
            ever = store.first_seen_ever(unknown) if unknown else {}
            page = [replace(g, first_seen=ever.get(g.key, g.first_seen)) for g in page]
        for summary in page:
            state = stored[summary.key][0] if summary.key in stored else None
            status = model.effective_status(state, summary.last_seen, now)
            groups.append(TrackedGroup(summary, state, status))
    return Tracked(groups, versions)


def state_changes(groups: Sequence[TrackedGroup], config: AlertsConfig, now: datetime
                  ) -> dict[str, GroupState]:
    """First sightings, regressions, ownership assignments and changed snapshots to store."""
    changed: dict[str, GroupState] = {}
    for group in groups:
        summary = group.summary
        state = group.state or GroupState(summary.key)
        if state.first_seen is None:  # new, or created by a triage command
            state = replace(state, first_seen=summary.first_seen)
        if group.status == model.REGRESSED and state.status == model.RESOLVED:
            state = model.mark_regressed(state, now)
        state = model.with_snapshot(state, summary)
        if state != group.state:
            changed[summary.key] = state
    current = {g.summary.key: changed.get(g.summary.key, g.state) for g in groups}
    summaries = [g.summary for g in groups]
    states = {k: s for k, s in current.items() if s is not None}
    for state in auto_assignments(summaries, states, config.ownership, now):
        changed[state.key] = state
    return changed


def _threshold_counts(store: ErrorStore, rule: Rule, now: datetime) -> dict[str, int]:
    spec = EventFilter(since=now - timedelta(seconds=rule.within), until=now,
                       levels=model.levels_at_least(rule.severity))
    return store.counts(spec, SCOPE_FIELDS[rule.scope], rule.events)


def notify_triggers(store: ErrorStore, config: AlertsConfig, tracked: Tracked, now: datetime
                    ) -> list[Trigger]:
    cooldowns = [r.cooldown for r in config.rules if r.when == "threshold"]
    last_sent = store.recent_sends(now - timedelta(seconds=max(cooldowns, default=0)))
    summaries, states = tracked.summaries, tracked.states
    triggers: list[Trigger] = []
    for rule in config.rules:
        counts = _threshold_counts(store, rule, now) if rule.when == "threshold" else {}
        triggers += triggers_for(rule, summaries, states, counts, last_sent, now,
                                 config.lookback)
    return triggers


def dispatch(store: ErrorStore, config: AlertsConfig, triggers: Sequence[Trigger],
             now: datetime, kibana_url: str, dry_run: bool = False,
             sleep: Callable[[float], None] = time.sleep) -> list[Outcome]:
    outcomes = []
    for trigger in triggers:
        if dry_run:
            outcomes.append(Outcome(trigger, (), claimed=False, note="dry run"))
            continue
        record = {"rule": trigger.rule, "kind": trigger.kind, "subject": trigger.subject,
                  "window": trigger.window, "sent_at": now.isoformat(), "status": "sending",
                  "channels": list(trigger.channels)}
        if not store.claim(trigger.ledger_id, record):
            outcomes.append(Outcome(trigger, (), claimed=False, note="already sent"))
            continue
        channels = [config.channels[name] for name in trigger.channels]
        deliveries = deliver_all(channels, trigger_message(trigger, kibana_url),
                                 config.retries, config.backoff, sleep)
        ok = sum(d.ok for d in deliveries)
        status = "sent" if ok == len(deliveries) else ("partial" if ok else "failed")
        store.record_outcome(trigger.ledger_id, status, [
            {"channel": d.channel, "ok": d.ok, "attempts": d.attempts, "error": d.error}
            for d in deliveries])
        outcomes.append(Outcome(trigger, tuple(deliveries), claimed=True))
    return outcomes


def save_changes(store: ErrorStore, tracked: Tracked, changes: dict[str, GroupState]) -> int:
    """Save the changes, each against the version this run read; how many were skipped
    because the group changed since."""
    return store.save_states([(state, tracked.versions.get(key))
                              for key, state in changes.items()])


def _track_window(store: ErrorStore, now: datetime, seconds: float, page_size: int,
                  dry_run: bool) -> Tracked:
    """The groups of the last `seconds`; a real run first makes sure its indices exist."""
    if not dry_run:
        store.ensure_indices()
    spec = EventFilter(since=now - timedelta(seconds=seconds), until=now)
    return track(store, spec, now, page_size, correct_first_seen=True)


def run_notify(store: ErrorStore, config: AlertsConfig, now: datetime, kibana_url: str, *,
               dry_run: bool = False, page_size: int = 1000,
               sleep: Callable[[float], None] = time.sleep) -> Run:
    tracked = _track_window(store, now, config.lookback, page_size, dry_run)
    triggers = notify_triggers(store, config, tracked, now)
    skipped = 0
    if not dry_run:
        skipped = save_changes(store, tracked, state_changes(tracked.groups, config, now))
    return Run(dispatch(store, config, triggers, now, kibana_url, dry_run, sleep), skipped)


def run_escalate(store: ErrorStore, config: AlertsConfig, now: datetime, kibana_url: str,
                 window: float, *, dry_run: bool = False, page_size: int = 1000,
                 sleep: Callable[[float], None] = time.sleep) -> Run:
    tracked = _track_window(store, now, window, page_size, dry_run)
    summaries, states = tracked.summaries, tracked.states
    triggers = due_escalations(summaries, states, config.escalation_after,
                               config.escalation_channels, now)
    skipped = 0
    if not dry_run:
        changes = {s.key: s for s in auto_assignments(summaries, states, config.ownership, now)}
        skipped = save_changes(store, tracked, changes)
    return Run(dispatch(store, config, triggers, now, kibana_url, dry_run, sleep), skipped)
