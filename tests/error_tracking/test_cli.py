"""`elkctl errors` end to end against the fake Elasticsearch (and local receivers)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from elkctl.cli import cli
from elkctl.error_tracking.links import BY_REQUEST_ID_SEARCH
from tests.cli_assertions import one_line_failure
from tests.error_tracking.fake import T0, FakeErrorCluster, make_group
from tests.fake_stack import search_reply
from tests.net import free_port

KEY7 = f"v1:{7:032x}"


def run(*args: str, now=T0, sleep=None):
    result = CliRunner().invoke(cli, ["errors", *args],
                                obj={"clock": lambda: now, "sleep": sleep or (lambda s: None)})
    return result


def table_rows(output: str) -> list[str]:
    return [line for line in output.splitlines() if "v1:" in line]


@pytest.mark.parametrize("n", [0, 1, 10_000])
def test_list_renders_0_1_and_10000_groups(elkctl_env, es_server, n):
    cluster = FakeErrorCluster(es_server, [make_group(i) for i in range(n)])
    result = run("list")
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    assert len(rows) == min(n, 50)
    if n == 0:
        assert "no error groups match" in result.output
    if n == 1:
        assert "v1:00000000" in rows[0] and "bad value 0" in rows[0] and "unresolved" in rows[0]
        assert "2.1h ago" in rows[0] and "5.0m ago" in rows[0]  # first, last seen (ages.py)
        assert "1 group" in result.output
        assert "Error groups, last 24h, status unresolved" in result.output  # --since as typed
    if n == 10_000:
        assert "50 of 10000 groups shown" in result.output
        # 10 full pages, then an empty one ends the paging
        assert sum("groups" in s.get("aggs", {}) for s in cluster.searches) == 11


def test_list_json_with_all_10000_groups(elkctl_env, es_server):
    FakeErrorCluster(es_server, [make_group(i) for i in range(10_000)])
    result = run("list", "--json", "--limit", "0")
    data = json.loads(result.output)
    assert data["total"] == 10_000
    assert len({g["key"] for g in data["groups"]}) == 10_000


def test_list_filters_reach_the_query_and_status_filters_states(elkctl_env, es_server):
    groups = [make_group(1), make_group(2), make_group(3), make_group(4)]
    cluster = FakeErrorCluster(es_server, groups)
    resolved_after = (T0 - timedelta(minutes=1)).isoformat()  # after last event: resolved
    resolved_before = (T0 - timedelta(hours=1)).isoformat()  # before last event: regressed
    cluster.put_state({"key": groups[0]["key"], "status": "resolved",
                       "resolved_at": resolved_after})
    cluster.put_state({"key": groups[1]["key"], "status": "resolved",
                       "resolved_at": resolved_before})
    cluster.put_state({"key": groups[2]["key"], "status": "ignored"})
    result = run("list", "--json", "--since", "2h", "--service", "api", "--severity", "CRITICAL",
                 "--user", "u-9", "--search", "timeout", "--file", "app/jobs.py",
                 "--function", "nightly")
    statuses = {g["key"]: g["status"] for g in json.loads(result.output)["groups"]}
    assert statuses == {groups[1]["key"]: "regressed", groups[3]["key"]: "unresolved"}
    query = cluster.searches[-1]["query"]["bool"]
    assert {"term": {"service.name": "api"}} in query["filter"]
    assert {"terms": {"log.level": ["critical"]}} in query["filter"]
    assert {"term": {"user.id": "u-9"}} in query["filter"]
    assert {"term": {"log.origin.file.name": "app/jobs.py"}} in query["filter"]
    assert {"term": {"log.origin.function": "nightly"}} in query["filter"]
    assert query["must"][0]["simple_query_string"]["query"] == "timeout"
    assert query["filter"][1]["range"]["@timestamp"]["gte"] == "2026-11-23T04:00:00+00:00"
    for status, expected in (("resolved", 0), ("ignored", 2), ("regressed", 1), ("all", None)):
        out = json.loads(run("list", "--json", "--status", status).output)["groups"]
        assert [g["key"] for g in out] == (
            [g["key"] for g in groups] if expected is None else [groups[expected]["key"]])


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("list", "--since", "yesterday"), "--since"),
        (("list", "--since", "0h"), "--since"),
        (("show", KEY7, "--since", "a week"), "--since"),
        (("summary", "--since", "-1d"), "--since"),
        (("escalate", "--config", "alerts.yml", "--window", "7 days"), "--window"),
        (("ignore", KEY7, "--until", "tomorrow"), "--until"),
    ],
)
def test_bad_durations_are_usage_errors_naming_the_option(elkctl_env, es_server, args, option):
    cluster = FakeErrorCluster(es_server, [make_group(7)])
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': '{args[-1]}'" in result.stderr
    assert "not a duration" in result.stderr or "must be longer than 0s" in result.stderr
    assert "Traceback" not in result.output
    assert cluster.searches == []  # rejected before anything was asked


def test_show_by_key_prefix(elkctl_env, es_server, kibana_server):
    cluster = FakeErrorCluster(es_server, [make_group(7, count=9)])
    cluster.hours = [(T0 - timedelta(hours=3 - i), n) for i, n in enumerate([0, 2, 8])]
    result = run("show", KEY7[:12])
    assert result.exit_code == 0, result.output
    out = result.output
    assert KEY7 in out and "ValueError in checkout7" in out
    assert " ▂█" in out and "peak 8/h, total 10" in out
    assert "Events (7d)" in out
    assert "Traceback (most recent call last):" in out and "ValueError: bad 7" in out
    assert "req-7" in out
    assert f"/app/discover#/view/{BY_REQUEST_ID_SEARCH}" in out


def test_show_json_and_sparkline_link(elkctl_env, es_server):
    FakeErrorCluster(es_server, [make_group(7)])
    data = json.loads(run("show", KEY7, "--json").output)
    assert data["group"]["key"] == KEY7
    assert data["latest_event"]["error"]["stack_trace"].startswith("Traceback")
    assert data["requests"][0]["id"] == "req-7"
    assert "http.request.id:%22req-7%22" in data["requests"][0]["kibana"]


def test_show_unknown_and_ambiguous_keys_fail_in_one_line(elkctl_env, es_server):
    FakeErrorCluster(es_server, [make_group(1), make_group(2)])
    missing = run("show", "v1:ffff")
    assert one_line_failure(missing) == ("elkctl: no error group matches 'v1:ffff'; "
                                         "see `elkctl errors list`")
    assert missing.stdout == ""
    ambiguous = run("show", "v1:0000")
    assert "matches several groups" in one_line_failure(ambiguous)


@pytest.mark.parametrize("n", [0, 1, 10_000])
def test_show_with_0_1_and_10000_groups(elkctl_env, es_server, n):
    FakeErrorCluster(es_server, [make_group(i) for i in range(n)])
    result = run("show", f"v1:{min(n - 1, 7) if n else 0:032x}")
    if n == 0:
        assert "no error group matches" in one_line_failure(result)
    else:
        assert result.exit_code == 0, result.output
        assert "Latest event" in result.output


def test_triage_commands_store_state_and_history(elkctl_env, es_server):
    cluster = FakeErrorCluster(es_server, [make_group(7)])
    assert run("assign", KEY7[:12], "--to", "ann", "--by", "lead").exit_code == 0
    result = run("resolve", KEY7, "--by", "ann", "--note", "fixed in 1.4",
                 now=T0 + timedelta(minutes=1))
    assert result.exit_code == 0, result.output
    assert "resolve by ann; status now resolved, assignee ann" in result.output
    doc = cluster.state(KEY7)
    assert doc["status"] == "resolved" and doc["resolved_by"] == "ann"
    assert doc["resolved_at"] == (T0 + timedelta(minutes=1)).isoformat()
    run("ignore", KEY7, "--until", "8h", "--by", "ann", now=T0 + timedelta(minutes=2))
    assert cluster.state(KEY7)["ignored_until"] == (T0 + timedelta(hours=8, minutes=2)).isoformat()
    run("reopen", KEY7, "--by", "lead", "--note", "still happening")
    doc = cluster.state(KEY7)
    assert doc["status"] == "unresolved"
    assert [(h["action"], h["by"], h["note"]) for h in doc["history"]] == [
        ("assign", "lead", None), ("resolve", "ann", "fixed in 1.4"), ("ignore", "ann", None),
        ("reopen", "lead", "still happening")]
    assert "elk-error-groups" in cluster.indices


def test_ignore_rejects_a_bad_until(elkctl_env, es_server):
    FakeErrorCluster(es_server, [make_group(7)])
    result = run("ignore", KEY7, "--until", "soon")
    assert result.exit_code == 2 and "--until" in result.output


def test_stats(elkctl_env, es_server):
    cluster = FakeErrorCluster(es_server)
    day = int((T0 - timedelta(days=1)).timestamp() * 1000)
    cluster.stats_reply = search_reply({
        "days": {"buckets": [{"key_as_string": "2026-11-22T00:00:00.000Z", "key": day,
                              "doc_count": 42, "levels": {"buckets": [
                                  {"key": "error", "doc_count": 40},
                                  {"key": "critical", "doc_count": 2}]}}]},
        "services": {"buckets": [{"key": "api", "doc_count": 30},
                                 {"key": "worker", "doc_count": 12}]},
        "levels": {"buckets": [{"key": "error", "doc_count": 40},
                               {"key": "critical", "doc_count": 2}]},
        "top": {"buckets": [{"key": KEY7, "doc_count": 25, "sample": {"hits": {"hits": [
            {"_source": make_group(7)["source"]}]}}}]},
    }, total=42)
    result = run("stats", "--days", "7")
    assert result.exit_code == 0, result.output
    assert "2026-11-22" in result.output and "worker" in result.output
    assert "ValueError in checkout7" in result.output
    data = json.loads(run("stats", "--json").output)
    assert data["days"] == [{"day": "2026-11-22", "count": 42,
                             "levels": {"error": 40, "critical": 2}}]
    assert data["top"] == [{"key": KEY7, "count": 25, "name": "ValueError in checkout7"}]
    assert cluster.searches[-1]["query"]["bool"]["filter"][1]["range"]["@timestamp"]["gte"] == (
        (T0 - timedelta(days=7)).isoformat())


def test_stats_total_counts_beyond_10000_events(elkctl_env, es_server):
    cluster = FakeErrorCluster(es_server)
    cluster.stats_reply = search_reply({"days": {"buckets": []}, "services": {"buckets": []},
                                        "levels": {"buckets": []}, "top": {"buckets": []}},
                                       total=25_000)
    result = run("stats", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 25_000
    assert "25000" in run("stats").output


@pytest.mark.parametrize("n", [0, 1, 10_000])
def test_summary_with_0_1_and_10000_groups(elkctl_env, es_server, n):
    groups = [make_group(i, level="critical" if i % 2 else "error", count=i + 1,
                         first=T0 - timedelta(hours=30 if i % 3 else 2))
              for i in range(n)]
    cluster = FakeErrorCluster(es_server, groups)
    for g in groups:  # events only inside the window; the first sighting is older for some
        cluster.first_ever[g["key"]] = g["first"]
    result = run("summary", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["groups"] == n
    assert data["events"] == sum(g["count"] for g in groups)
    if n:
        top = max(groups, key=lambda g: g["count"])
        assert data["top"][0]["key"] == top["key"]
        assert all(g["first_seen"] >= (T0 - timedelta(hours=24)).isoformat()
                   for g in data["new"])
        assert len(data["top"]) == min(n, 10)
    if n == 10_000:
        oldest = data["oldest_critical"]
        assert len(oldest) == 10 and all(g["severity"] == "critical" for g in oldest)
    table = run("summary")
    assert table.exit_code == 0
    assert f"{n} groups" in table.output and "Oldest unresolved critical" in table.output


def test_unreachable_elasticsearch_is_one_line(elkctl_env, monkeypatch):
    monkeypatch.setenv("ELASTICSEARCH_URL", f"http://127.0.0.1:{free_port()}")
    result = run("list")
    assert "cannot reach Elasticsearch" in one_line_failure(result)
    assert result.stdout == ""


def test_elasticsearch_error_is_one_line(elkctl_env, es_server):
    es_server.respond_json("POST", "/logs-*-*/_search", {
        "error": {"type": "search_phase_execution_exception", "reason": "all shards failed",
                  "root_cause": [{"type": "illegal_argument_exception",
                                  "reason": "Text fields are not optimised"}]},
        "status": 400}, status=400)
    result = run("list")
    assert one_line_failure(result).startswith("elkctl: Elasticsearch answered 400: "
                                               "search_phase_execution_exception")
    assert result.stdout == ""


def test_user_text_is_never_read_as_markup(elkctl_env, es_server):
    group = make_group(7)
    group["source"]["error"]["message"] = "bad [bold]input[/bold] at [red]"
    group["source"]["error"]["stack_trace"] = "Traceback:\n  x = data[key]\nKeyError: [b]"
    FakeErrorCluster(es_server, [group])
    assert "bad [bold]input[/bold] at [red]" in run("list").output
    out = run("show", KEY7).output
    assert "bad [bold]input[/bold] at [red]" in out and "KeyError: [b]" in out
