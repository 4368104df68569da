"""`elkctl errors notify|escalate|summary --send` end to end: fake Elasticsearch, a real local
webhook receiver and a real local SMTP server."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from elkctl.cli import cli
from elkctl.error_tracking.detect import ledger_id
from tests.cli_assertions import one_line_failure
from tests.error_tracking.fake import T0, FakeErrorCluster, make_group

KEY = f"v1:{7:032x}"
FRESH = {"first": T0 - timedelta(minutes=30), "last": T0 - timedelta(minutes=2)}


def write_config(tmp_path, hook_url: str, *, rules: str = "", extra: str = "") -> str:
    rules = rules or """
  - {name: new-group, when: new_group, channels: [hook]}
  - {name: regression, when: regression, channels: [hook]}
"""
    path = tmp_path / "alerts.yml"
    path.write_text(f"""
channels:
  hook: {{type: webhook, url: "{hook_url}"}}
rules:{rules}
delivery: {{retries: 3, backoff: 1s}}
{extra}
""")
    return str(path)


def run(*args, now=T0, waits=None):
    sleep = waits.append if waits is not None else (lambda s: None)
    return CliRunner().invoke(cli, ["errors", *args], obj={"clock": lambda: now, "sleep": sleep})


def posts(receiver: HTTPServer) -> list[dict]:
    return [json.loads(request.data) for request, _ in receiver.log]


@pytest.fixture
def hook(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return httpserver


def test_new_group_is_notified_exactly_once(elkctl_env, es_server, hook, tmp_path):
    cluster = FakeErrorCluster(es_server, [make_group(7, **FRESH)])
    config = write_config(tmp_path, hook.url_for("/hook"))
    first = run("notify", "--config", config)
    assert first.exit_code == 0, first.output
    (body,) = posts(hook)
    assert body["kind"] == "new_group" and body["group"]["key"] == KEY
    assert body["subject"] == "[elkctl] New error group: ValueError in checkout7"
    stored = cluster.state(KEY)
    assert stored["first_seen"] == FRESH["first"].isoformat()
    assert (stored["name"], stored["severity"], stored["services"]) == (
        "ValueError in checkout7", "error", ["api"])  # for the Kibana saved search
    assert cluster.ledger[ledger_id("new-group", KEY, "")]["status"] == "sent"
    outputs = []
    for minutes in (3, 10, 50):  # later cron runs: in the ledger, then past the look-back
        again = run("notify", "--config", config, now=T0 + timedelta(minutes=minutes))
        assert again.exit_code == 0, again.output
        outputs.append(again.output)
    assert len(posts(hook)) == 1
    assert "already sent" in outputs[0]
    assert "0 notification(s)" in outputs[2]


def test_groups_older_than_the_lookback_are_not_new_on_the_first_run(
    elkctl_env, es_server, hook, tmp_path
):
    cluster = FakeErrorCluster(es_server, [make_group(7, **FRESH)])
    cluster.first_ever[KEY] = T0 - timedelta(days=3)  # seen long before this window
    assert run("notify", "--config", write_config(tmp_path, hook.url_for("/hook"))).exit_code == 0
    assert posts(hook) == []
    assert cluster.state(KEY)["first_seen"] == (T0 - timedelta(days=3)).isoformat()


def test_overlapping_run_does_not_double_send(elkctl_env, es_server, hook, tmp_path):
    cluster = FakeErrorCluster(es_server, [make_group(7, **FRESH)])
    # another run claimed this notification a moment ago and is still sending it
    cluster.ledger[ledger_id("new-group", KEY, "")] = {
        "rule": "new-group", "subject": KEY, "sent_at": T0.isoformat(), "status": "sending"}
    result = run("notify", "--config", write_config(tmp_path, hook.url_for("/hook")))
    assert result.exit_code == 0, result.output
    assert posts(hook) == []


def test_resolved_then_new_event_is_regressed_with_one_notification(
    elkctl_env, es_server, hook, tmp_path
):
    cluster = FakeErrorCluster(es_server, [make_group(7, **FRESH)])
    resolved_at = T0 - timedelta(minutes=10)  # the latest event (T0-2m) came after
    cluster.put_state({"key": KEY, "status": "resolved", "resolved_by": "ann",
                       "first_seen": (T0 - timedelta(days=2)).isoformat(),
                       "resolved_at": resolved_at.isoformat(), "history": []})
    config = write_config(tmp_path, hook.url_for("/hook"))
    assert run("notify", "--config", config).exit_code == 0
    assert run("notify", "--config", config, now=T0 + timedelta(minutes=5)).exit_code == 0
    (body,) = posts(hook)
    assert body["kind"] == "regression" and body["subject"].startswith("[elkctl] Regression")
    state = cluster.state(KEY)
    assert state["status"] == "regressed" and state["regressed_at"] == T0.isoformat()


def test_a_state_change_someone_else_beat_us_to_is_reported_not_saved(
    elkctl_env, es_server, hook, tmp_path
):
    cluster = FakeErrorCluster(es_server, [make_group(7, **FRESH)])
    resolved = {"key": KEY, "status": "resolved", "resolved_by": "ann", "history": [],
                "first_seen": (T0 - timedelta(days=2)).isoformat(),
                "resolved_at": (T0 - timedelta(minutes=10)).isoformat()}
    cluster.put_state(resolved)
    # Between this run's read and its save, a person assigns the group.
    cluster.before_bulk = lambda: cluster.put_state({**resolved, "assignee": "bob"})
    result = CliRunner().invoke(cli, ["errors", "notify", "--config",
                                      write_config(tmp_path, hook.url_for("/hook"))],
                                obj={"clock": lambda: T0, "sleep": lambda s: None})
    assert result.exit_code == 0, result.output
    assert "1 group state change(s) not saved: someone changed those groups" in result.stderr
    assert cluster.state(KEY)["assignee"] == "bob"  # their change stands
    assert cluster.state(KEY)["status"] == "resolved"


@pytest.mark.parametrize(("count", "fires"), [(99, False), (100, True)])
def test_service_threshold_fires_at_n_not_n_minus_1(
    elkctl_env, es_server, hook, tmp_path, count, fires
):
    cluster = FakeErrorCluster(es_server)
    cluster.counts["service.name"] = {"api": count}
    rules = """
  - {name: burst, when: threshold, scope: service, events: 100, within: 1h, cooldown: 1h,
     severity: error, channels: [hook]}
"""
    config = write_config(tmp_path, hook.url_for("/hook"), rules=rules)
    assert run("notify", "--config", config).exit_code == 0
    query = cluster.searches[-1]
    assert {"terms": {"log.level": ["critical", "fatal", "emergency", "alert", "error"]}} in (
        query["query"]["bool"]["filter"])
    assert len(posts(hook)) == int(fires)
    if fires:
        assert posts(hook)[0]["detail"] == f"{count} events in 1h (threshold 100)"
        # within the cooldown, the next cron run stays quiet
        assert run("notify", "--config", config, now=T0 + timedelta(minutes=5)).exit_code == 0
        assert len(posts(hook)) == 1


def test_dead_webhook_is_retried_and_reported_while_email_goes_out(
    elkctl_env, es_server, httpserver, smtp_server, certificate, tmp_path
):
    httpserver.expect_request("/dead").respond_with_data("down", status=502)
    inbox, port, _ = smtp_server
    cluster = FakeErrorCluster(es_server, [make_group(7, **FRESH)])
    path = tmp_path / "alerts.yml"
    path.write_text(f"""
channels:
  hook: {{type: webhook, url: "{httpserver.url_for('/dead')}"}}
  mail:
    type: email
    host: 127.0.0.1
    port: {port}
    security: starttls
    username: alerts
    password_env: TEST_SMTP_PASSWORD
    ca_file: {certificate[0]}
    from: alerts@example.com
    to: [oncall@example.com]
rules:
  - {{name: new-group, when: new_group, channels: [hook, mail]}}
delivery: {{retries: 3, backoff: 2s}}
""")
    waits: list[float] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEST_SMTP_PASSWORD", "s3cret")
        result = run("notify", "--config", str(path), waits=waits)
    line = one_line_failure(result)
    assert line.startswith("elkctl: 1 deliveries failed after retries: hook (HTTP 502")
    assert len(httpserver.log) == 3 and waits == [2.0, 4.0]
    assert len(inbox.envelopes) == 1
    assert b"ValueError in checkout7" in inbox.envelopes[0].original_content
    record = cluster.ledger[ledger_id("new-group", KEY, "")]
    assert record["status"] == "partial"
    assert [(d["channel"], d["ok"]) for d in record["deliveries"]] == [("hook", False),
                                                                        ("mail", True)]


def test_dry_run_sends_and_records_nothing(elkctl_env, es_server, hook, tmp_path):
    cluster = FakeErrorCluster(es_server, [make_group(7, **FRESH)])
    result = run("notify", "--config", write_config(tmp_path, hook.url_for("/hook")),
                 "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert [o["note"] for o in json.loads(result.output)] == ["dry run"]
    assert posts(hook) == [] and cluster.ledger == {} and cluster.states == {}
    assert_no_write(es_server)


def assert_no_write(es_server) -> None:
    """Only reads reached Elasticsearch: searches, counts, mget (no index creation, no doc)."""
    reads = ("/_search", "/_count", "/_mget")
    seen = es_server.requests_seen()
    assert seen, "the command sent no request at all"
    assert [(m, p) for m, p in seen if m != "GET" and not p.endswith(reads)] == []


def test_escalate_dry_run_sends_assigns_and_records_nothing(
    elkctl_env, es_server, hook, tmp_path
):
    cluster = FakeErrorCluster(es_server, [
        make_group(7, level="critical", first=T0 - timedelta(hours=3), last=T0)])
    config = write_config(tmp_path, hook.url_for("/hook"), extra=ESCALATION)
    result = run("escalate", "--config", config, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert [o["note"] for o in json.loads(result.output)] == ["dry run"]
    assert posts(hook) == [] and cluster.ledger == {} and cluster.states == {}
    assert_no_write(es_server)


def test_bad_config_fails_in_one_line(elkctl_env, es_server, tmp_path):
    path = tmp_path / "alerts.yml"
    path.write_text("rules:\n  - {name: x, when: threshold, events: 5, within: 5x, "
                    "channels: []}\n")
    result = run("notify", "--config", str(path))
    assert "alerts config key 'rules[0].within'" in one_line_failure(result)
    assert result.stdout == ""


ESCALATION = """
escalation:
  channels: [hook]
  after: {critical: 1h, high: 4h, medium: 8h}
ownership:
  - {owner: billing-team, module: "app.billing.*"}
"""


def test_escalation_follows_the_clock_once_per_level_and_auto_assigns(
    elkctl_env, es_server, hook, tmp_path
):
    opened = T0 - timedelta(minutes=30)
    cluster = FakeErrorCluster(es_server, [
        make_group(7, level="critical", first=opened, last=T0 - timedelta(minutes=1))])
    config = write_config(tmp_path, hook.url_for("/hook"), extra=ESCALATION)
    assert run("escalate", "--config", config).exit_code == 0
    assert posts(hook) == []  # only 30 minutes old
    assert cluster.state(KEY)["assignee"] == "billing-team"
    later = opened + timedelta(hours=1)
    result = run("escalate", "--config", config, now=later)
    assert result.exit_code == 0, result.output
    (body,) = posts(hook)
    assert body["kind"] == "escalation" and body["detail"].startswith("critical priority")
    assert run("escalate", "--config", config, now=later + timedelta(hours=3)).exit_code == 0
    assert len(posts(hook)) == 1


def test_escalate_needs_a_channel(elkctl_env, es_server, hook, tmp_path):
    result = run("escalate", "--config", write_config(tmp_path, hook.url_for("/hook")))
    assert "escalation.channels is empty" in one_line_failure(result)


def test_summary_send_delivers_the_digest(elkctl_env, es_server, hook, tmp_path):
    FakeErrorCluster(es_server, [make_group(7, **FRESH), make_group(8, level="critical")])
    config = write_config(tmp_path, hook.url_for("/hook"), extra="summary: {channels: [hook]}")
    result = run("summary", "--since", "24h", "--send", "--config", config)
    assert result.exit_code == 0, result.output
    (body,) = posts(hook)
    assert body["kind"] == "summary" and body["groups"] == 2
    assert body["subject"].startswith("[elkctl] Error summary: 2 groups")
    assert [g["key"] for g in body["oldest_critical"]] == [f"v1:{8:032x}"]
    assert "Oldest unresolved critical:" in body["text"]


def test_summary_send_needs_config(elkctl_env, es_server):
    result = run("summary", "--send")
    assert result.exit_code == 2 and "--send needs --config" in result.output


def test_escalation_of_a_group_triaged_before_notify_ran_is_sent_once(
    elkctl_env, es_server, hook, tmp_path
):
    cluster = FakeErrorCluster(es_server, [
        make_group(7, level="critical", first=T0 - timedelta(hours=3), last=T0)])
    cluster.first_ever[KEY] = T0 - timedelta(days=2)
    assert run("assign", KEY, "--to", "ann").exit_code == 0  # state without first_seen
    config = write_config(tmp_path, hook.url_for("/hook"), extra=ESCALATION)
    for window in ("7d", "1d"):  # a different window minimum must not make a new escalation
        result = run("escalate", "--config", config, "--window", window)
        assert result.exit_code == 0, result.output
    (body,) = posts(hook)
    assert body["detail"] == "critical priority, unresolved for 48.0h"
