"""Pure decision logic of `elkctl errors`: status, detection, cooldowns, escalation, ownership."""

from datetime import datetime, timedelta, timezone

import pytest

from elkctl.error_tracking import model
from elkctl.error_tracking.alerts_config import OwnershipRule, Rule
from elkctl.error_tracking.detect import ledger_id, triggers_for
from elkctl.error_tracking.escalation import due_escalations
from elkctl.error_tracking.model import GroupState, GroupSummary
from elkctl.error_tracking.ownership import auto_assignments, module_of, owner_for
from elkctl.error_tracking.serialize import state_from_doc, state_to_doc

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
HOUR = 3600.0


def summary(key="v1:aaa", *, count=1, first=T0, last=T0, severity="error", services=("api",),
            file="src/app/billing/invoice.py"):
    return GroupSummary(key=key, count=count, first_seen=first, last_seen=last,
                        severity=severity, services=services, file=file)


class Ledger:
    """What a notify run remembers between runs: ledger ids (create-once) and last sends."""

    def __init__(self):
        self.ids: set[str] = set()
        self.last_sent: dict[tuple[str, str], datetime] = {}

    def deliver(self, triggers, now):
        sent = []
        for trigger in triggers:
            if trigger.ledger_id in self.ids:  # op_type=create answered 409
                continue
            self.ids.add(trigger.ledger_id)
            self.last_sent[(trigger.rule, trigger.subject)] = now
            sent.append(trigger)
        return sent


def run(rule, summaries, states, now, ledger, counts=None, lookback=HOUR):
    triggers = triggers_for(rule, summaries, states, counts or {}, ledger.last_sent, now, lookback)
    return ledger.deliver(triggers, now)


NEW = Rule("new", "new_group", ("slack",))
REGRESSION = Rule("regressed", "regression", ("slack",))


def test_new_group_is_notified_exactly_once():
    ledger = Ledger()
    states: dict[str, GroupState] = {}
    first = run(NEW, [summary()], states, T0, ledger)
    assert [t.subject for t in first] == ["v1:aaa"]
    # notify then stores the state; later runs, with or without that state, send nothing
    assert run(NEW, [summary(last=T0 + timedelta(minutes=5))], states, T0 + timedelta(minutes=5),
               ledger) == []
    states["v1:aaa"] = GroupState("v1:aaa", first_seen=T0)
    assert run(NEW, [summary()], states, T0 + timedelta(minutes=10), ledger) == []


def test_group_triaged_before_notify_ran_is_new_by_its_first_event():
    states = {"v1:aaa": model.assign(GroupState("v1:aaa"), T0, "lead", None, "ann")}
    assert len(run(NEW, [summary()], states, T0 + timedelta(minutes=5), Ledger())) == 1
    old = summary(first=T0 - timedelta(days=1))
    assert run(NEW, [old], states, T0, Ledger()) == []


def test_group_known_before_the_lookback_is_not_new():
    states = {"v1:aaa": GroupState("v1:aaa", first_seen=T0 - timedelta(days=2))}
    assert run(NEW, [summary()], states, T0, Ledger()) == []


def test_ignored_group_is_not_announced_as_new():
    states = {"v1:aaa": model.ignore(GroupState("v1:aaa", first_seen=T0), T0, "me", None)}
    assert run(NEW, [summary()], states, T0, Ledger()) == []


def test_resolved_then_new_event_is_regressed_with_one_notification():
    state = model.resolve(GroupState("v1:aaa", first_seen=T0), T0 + timedelta(hours=1), "ann",
                          "fixed in 1.2")
    states = {"v1:aaa": state}
    ledger = Ledger()
    quiet = summary(last=T0 + timedelta(minutes=30))
    assert model.effective_status(state, quiet.last_seen, T0 + timedelta(hours=2)) == "resolved"
    assert run(REGRESSION, [quiet], states, T0 + timedelta(hours=2), ledger) == []

    again = summary(last=T0 + timedelta(hours=3))
    now = T0 + timedelta(hours=3, minutes=1)
    assert model.effective_status(state, again.last_seen, now) == "regressed"
    assert len(run(REGRESSION, [again], states, now, ledger)) == 1
    assert run(REGRESSION, [again], states, now + timedelta(minutes=5), ledger) == []

    # resolved again and regressed again: a new resolution earns a new notification
    states["v1:aaa"] = model.resolve(state, T0 + timedelta(hours=4), "ann", None)
    later = summary(last=T0 + timedelta(hours=5))
    assert len(run(REGRESSION, [later], states, T0 + timedelta(hours=5), ledger)) == 1


@pytest.mark.parametrize("scope", ["group", "service", "overall"])
def test_threshold_fires_at_n_not_n_minus_1(scope):
    rule = Rule("burst", "threshold", ("slack",), scope=scope, events=20, within=600,
                cooldown=HOUR)
    subject = {"group": "v1:aaa", "service": "api", "overall": "overall"}[scope]
    assert run(rule, [summary()], {}, T0, Ledger(), counts={subject: 19}) == []
    fired = run(rule, [summary()], {}, T0, Ledger(), counts={subject: 20})
    assert [(t.subject, t.count) for t in fired] == [(subject, 20)]


def test_threshold_cooldown_suppresses_repeats_then_allows_again():
    rule = Rule("burst", "threshold", ("slack",), scope="overall", events=100, within=HOUR,
                cooldown=HOUR)
    ledger = Ledger()
    counts = {"overall": 150}
    assert len(run(rule, [], {}, T0 + timedelta(minutes=50), ledger, counts)) == 1
    for minutes in (55, 65, 100):  # 65 crosses into the next cooldown bucket, still too soon
        assert run(rule, [], {}, T0 + timedelta(minutes=minutes), ledger, counts) == []
    assert len(run(rule, [], {}, T0 + timedelta(minutes=111), ledger, counts)) == 1


def test_overlapping_runs_compute_the_same_threshold_ledger_id():
    rule = Rule("burst", "threshold", ("slack",), scope="overall", events=1, within=HOUR,
                cooldown=HOUR)
    a = triggers_for(rule, [], {}, {"overall": 5}, {}, T0 + timedelta(minutes=1), HOUR)
    b = triggers_for(rule, [], {}, {"overall": 5}, {}, T0 + timedelta(minutes=2), HOUR)
    assert a[0].ledger_id == b[0].ledger_id
    assert ledger_id("burst", "overall", "x") != ledger_id("burst", "overall", "y")


def test_group_threshold_skips_ignored_groups_until_the_ignore_expires():
    rule = Rule("burst", "threshold", ("slack",), scope="group", events=5, within=600)
    state = model.ignore(GroupState("v1:aaa"), T0, "me", "noise", until=T0 + timedelta(hours=1))
    states = {"v1:aaa": state}
    counts = {"v1:aaa": 50}
    assert run(rule, [summary()], states, T0 + timedelta(minutes=30), Ledger(), counts) == []
    assert len(run(rule, [summary()], states, T0 + timedelta(hours=2), Ledger(), counts)) == 1


def test_per_severity_threshold_uses_minimum_severity_for_new_groups():
    rule = Rule("new-critical", "new_group", ("slack",), severity="critical")
    groups = [summary("v1:a", severity="error"), summary("v1:b", severity="critical")]
    assert [t.subject for t in run(rule, groups, {}, T0, Ledger())] == ["v1:b"]


AFTER = {"critical": HOUR, "high": 4 * HOUR, "medium": 8 * HOUR}


def escalate(groups, states, now, ledger):
    return ledger.deliver(due_escalations(groups, states, AFTER, ("pager",), now), now)


@pytest.mark.parametrize(
    ("severity", "hours"), [("critical", 1), ("error", 4), ("warning", 8)]
)
def test_escalation_follows_the_injected_clock(severity, hours):
    ledger = Ledger()
    group = summary(severity=severity, first=T0)
    just_before = T0 + timedelta(hours=hours) - timedelta(seconds=1)
    assert escalate([group], {}, just_before, ledger) == []
    due = escalate([group], {}, T0 + timedelta(hours=hours), ledger)
    assert [t.subject for t in due] == ["v1:aaa"]
    assert escalate([group], {}, T0 + timedelta(hours=hours + 5), ledger) == []  # once per level


def test_escalation_escalates_again_at_a_higher_level_and_skips_closed_groups():
    ledger = Ledger()
    now = T0 + timedelta(hours=5)
    assert len(escalate([summary(severity="error")], {}, now, ledger)) == 1
    assert len(escalate([summary(severity="critical")], {}, now, ledger)) == 1
    resolved = {"v1:aaa": model.resolve(GroupState("v1:aaa"), T0 + timedelta(hours=1), None, None)}
    assert escalate([summary(severity="critical")], resolved, now, Ledger()) == []
    info = summary(severity="info")
    assert escalate([info], {}, now + timedelta(days=9), Ledger()) == []


def test_escalation_counts_a_regression_from_when_it_regressed():
    state = model.mark_regressed(
        model.resolve(GroupState("v1:aaa", first_seen=T0), T0 + timedelta(hours=1), None, None),
        T0 + timedelta(hours=10),
    )
    group = summary(severity="critical", first=T0, last=T0 + timedelta(hours=10))
    assert escalate([group], {"v1:aaa": state}, T0 + timedelta(hours=10, minutes=59),
                    Ledger()) == []
    assert len(escalate([group], {"v1:aaa": state}, T0 + timedelta(hours=11), Ledger())) == 1


RULES = (
    OwnershipRule("payments-team", service="payments*"),
    OwnershipRule("alice", module="app.billing.*"),
    OwnershipRule("bob", path="*/reports/*"),
)


def test_ownership_first_matching_rule_wins():
    assert owner_for(summary(services=("payments-api",)), RULES) == "payments-team"
    assert owner_for(summary(services=("api",)), RULES) == "alice"
    assert owner_for(summary(services=("api",), file="/srv/app/reports/pdf.py"), RULES) == "bob"
    assert owner_for(summary(services=("api",), file="other.py"), RULES) is None


def test_ownership_auto_assigns_only_groups_never_assigned_by_hand():
    manual = model.assign(GroupState("v1:b"), T0, "lead", None, None)  # unassigned on purpose
    taken = GroupState("v1:c", assignee="carol")
    groups = [summary("v1:a"), summary("v1:b"), summary("v1:c")]
    updated = auto_assignments(groups, {"v1:b": manual, "v1:c": taken}, RULES, T0)
    assert [(s.key, s.assignee, s.history[-1].by) for s in updated] == [
        ("v1:a", "alice", "ownership-rules")
    ]


def test_module_of_paths():
    assert module_of("src/app/billing/invoice.py") == "app.billing.invoice"
    assert module_of("/venv/lib/python3.11/site-packages/requests/api.py") == "requests.api"
    assert module_of(None) is None


def test_time_limited_ignore_expires():
    state = model.ignore(GroupState("k"), T0, "me", None, until=T0 + timedelta(hours=2))
    assert model.effective_status(state, T0, T0 + timedelta(hours=1)) == "ignored"
    assert model.effective_status(state, T0, T0 + timedelta(hours=2)) == "unresolved"
    forever = model.ignore(GroupState("k"), T0, "me", None)
    assert model.effective_status(forever, T0, T0 + timedelta(days=999)) == "ignored"


def test_history_records_every_change_and_survives_serialisation():
    state = GroupState("v1:k", first_seen=T0)
    state = model.assign(state, T0, "lead", "yours", "ann")
    state = model.resolve(state, T0 + timedelta(hours=1), "ann", "fixed")
    state = model.reopen(state, T0 + timedelta(hours=2), "lead", "not fixed")
    assert [c.action for c in state.history] == ["assign", "resolve", "reopen"]
    assert state.status == "unresolved" and state.resolved_at is None
    assert state.assignee == "ann"
    assert state_from_doc(state_to_doc(state)) == state


def test_snapshot_keeps_the_most_severe_level_and_all_services():
    state = model.with_snapshot(GroupState("v1:aaa"), summary(severity="critical"))
    later = model.with_snapshot(state, summary(severity="warning", services=("worker",)))
    assert (later.severity, later.services, later.history) == ("critical", ("api", "worker"), ())
