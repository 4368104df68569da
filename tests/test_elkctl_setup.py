import itertools
import json

import pytest
from click.testing import CliRunner

from elkctl import waiting
from elkctl.cli import cli
from tests.cli_assertions import one_line_failure
from tests.fake_stack import ES8_REJECTS_CLIENT_9, FakeElasticsearch, FakeKibana
from tests.net import free_port


@pytest.fixture
def stack(es_server, kibana_server, elkctl_env):
    return FakeElasticsearch().install(es_server), FakeKibana().install(kibana_server)


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_first_setup_creates_everything(stack, elkctl_env):
    es, kibana = stack
    result = run("setup")
    assert result.exit_code == 0, result.output
    delete = es.policies["logs-python"]["phases"]["delete"]
    assert delete["min_age"] == "30d"
    rollover = es.policies["logs-python"]["phases"]["hot"]["actions"]["rollover"]
    assert set(rollover) == {"max_primary_shard_size", "max_age"}
    template = es.index_templates["logs-python"]
    assert template["index_patterns"] == ["logs-*-*"]
    assert template["priority"] > 100
    assert template["composed_of"][:3] == ["logs@mappings", "logs@settings", "ecs@mappings"]
    assert {"logs-python@mappings", "logs-python@settings"} <= set(template["composed_of"])
    settings = es.component_templates["logs-python@settings"]["template"]["settings"]
    assert settings["index"]["lifecycle"]["name"] == "logs-python"
    props = es.component_templates["logs-python@mappings"]["template"]["mappings"]["properties"]
    assert props["http"]["properties"]["request"]["properties"]["id"]["type"] == "keyword"
    assert props["error"]["properties"]["grouping_key"]["type"] == "keyword"
    assert props["event"]["properties"]["duration"]["type"] == "long"
    assert props["trace"]["properties"]["id"]["type"] == "keyword"
    role = es.roles["logstash_writer"]
    assert role["cluster"] == ["monitor"]
    assert role["indices"][0]["names"] == ["logs-*-*"]
    assert set(role["indices"][0]["privileges"]) == {"create_doc", "auto_configure"}
    assert es.users["logstash_writer"]["roles"] == ["logstash_writer"]
    assert es.passwords["logstash_writer"] == elkctl_env["LOGSTASH_WRITER_PASSWORD"]
    assert es.passwords["kibana_system"] == elkctl_env["KIBANA_SYSTEM_PASSWORD"]
    kinds = {key for key in kibana.objects}
    assert ("index-pattern", "logs-python") in kinds
    titles = {
        obj["attributes"]["title"] for obj in kibana.objects.values() if obj["type"] == "search"
    }
    # other features add their own searches as files under kibana/ (e.g. error tracking)
    assert {"All logs", "Errors", "Slow operations", "By request ID"} <= titles
    assert ("dashboard", "logs-python-overview") in kinds


def test_second_setup_changes_nothing(stack):
    es, kibana = stack
    assert run("setup").exit_code == 0
    mutations, objects = list(es.mutations), dict(kibana.objects)
    result = run("setup")
    assert result.exit_code == 0, result.output
    assert es.mutations == mutations
    assert "0 to change" in result.output
    # Kibana objects are re-imported with overwrite: same ids, no duplicates.
    assert kibana.imports == 2
    assert kibana.objects.keys() == objects.keys()


def test_dry_run_sends_no_mutating_request(stack, es_server, kibana_server):
    es, kibana = stack
    result = run("setup", "--dry-run")
    assert result.exit_code == 0, result.output
    assert {method for method, _ in es_server.requests_seen()} <= {"GET", "HEAD"}
    assert es.mutations == []
    assert all(request.method == "GET" for request, _ in kibana_server.log)
    assert kibana.imports == 0
    assert "create" in result.output
    assert "Dry run" in result.output


def test_dry_run_shows_an_update_when_retention_changes(stack, monkeypatch):
    es, _ = stack
    assert run("setup").exit_code == 0
    monkeypatch.setenv("LOG_RETENTION_DAYS", "7")
    result = run("setup", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 to change" in result.output
    assert es.policies["logs-python"]["phases"]["delete"]["min_age"] == "30d"
    assert run("setup").exit_code == 0
    assert es.policies["logs-python"]["phases"]["delete"]["min_age"] == "7d"


def test_changed_password_is_set_again(stack, elkctl_env):
    es, _ = stack
    assert run("setup").exit_code == 0
    es.passwords["logstash_writer"] = "stale-from-an-old-volume"
    result = run("setup")
    assert result.exit_code == 0, result.output
    assert "1 to change" in result.output
    assert es.passwords["logstash_writer"] == elkctl_env["LOGSTASH_WRITER_PASSWORD"]


def test_partial_kibana_failure_fails_listing_reasons(stack):
    _, kibana = stack
    kibana.fail_ids["logs-python-errors"] = {
        "type": "missing_references",
        "references": [{"type": "index-pattern", "id": "gone"}],
    }
    kibana.fail_ids["logs-python-overview"] = {"type": "unknown", "message": "bad panels"}
    line = one_line_failure(run("setup"))
    assert "2 object(s)" in line
    assert "search/logs-python-errors (Errors): missing_references (index-pattern/gone)" in line
    assert "dashboard/logs-python-overview (Logs overview): unknown: bad panels" in line


def test_starting_and_busy_cluster_is_retried(stack, monkeypatch):
    # Backoff itself is tested in test_elkctl_plan; here keep the waits short.
    monkeypatch.setattr(waiting, "backoff_delays", lambda *args: itertools.repeat(0.01))
    es, _ = stack
    es.starting, es.too_many = 2, 1
    result = run("setup", "--skip-kibana", "--timeout", "10")
    assert result.exit_code == 0, result.output
    assert "logs-python" in es.policies


def test_es8_server_is_a_version_mismatch(es_server, kibana_server, elkctl_env):
    es_server.respond_json("GET", "/", ES8_REJECTS_CLIENT_9, status=400)
    line = one_line_failure(run("setup"))
    assert "version mismatch" in line
    assert "found 9" in line


def test_kibana_import_answering_503_is_retried(stack, monkeypatch):
    monkeypatch.setattr(waiting, "backoff_delays", lambda *args: itertools.repeat(0.01))
    _, kibana = stack
    kibana.import_rejections = [503, 429]
    result = run("setup")
    assert result.exit_code == 0, result.output
    assert ("dashboard", "logs-python-overview") in kibana.objects


def test_kibana_import_rejected_with_400_fails_at_once(stack):
    _, kibana = stack
    kibana.import_rejections = [400]
    line = one_line_failure(run("setup"))
    assert "Kibana saved-objects import failed: HTTP 400: not ready" in line
    assert kibana.import_rejections == []


def test_version_mismatch_is_one_line(es_server, kibana_server, elkctl_env):
    FakeElasticsearch(version="10.0.0").install(es_server)
    line = one_line_failure(run("setup"))
    assert "version mismatch" in line
    assert "10.0.0" in line


def test_wrong_password_is_one_line(stack, monkeypatch):
    monkeypatch.setenv("ELASTIC_PASSWORD", "wrong")
    line = one_line_failure(run("setup"))
    assert "rejected the credentials (401)" in line


def test_unreachable_elasticsearch_times_out_in_one_line(elkctl_env, monkeypatch):
    monkeypatch.setenv("ELASTICSEARCH_URL", f"http://127.0.0.1:{free_port()}")
    line = one_line_failure(run("setup", "--timeout", "0.2"))
    assert "not ready after 0.2s" in line
    assert "unreachable" in line


def test_kibana_that_never_becomes_available_times_out(stack):
    _, kibana = stack
    kibana.level = "unavailable"
    line = one_line_failure(run("setup", "--timeout", "0.3"))
    assert "Kibana" in line
    assert "status unavailable" in line


def test_missing_writer_password_names_the_variable(stack, monkeypatch):
    monkeypatch.delenv("LOGSTASH_WRITER_PASSWORD")
    line = one_line_failure(run("setup", "--dry-run"))
    assert "LOGSTASH_WRITER_PASSWORD is not set" in line


def test_red_cluster_is_waited_for(es_server, kibana_server, elkctl_env):
    FakeElasticsearch(health="red").install(es_server)
    line = one_line_failure(run("setup", "--timeout", "0.2"))
    assert "cluster health is red" in line


def test_imported_dashboard_is_kibana_shaped(stack):
    _, kibana = stack
    assert run("setup").exit_code == 0
    dashboard = kibana.objects[("dashboard", "logs-python-overview")]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    assert [panel["type"] for panel in panels] == ["lens", "lens", "lens"]
    names = {ref["name"] for ref in dashboard["references"]}
    for panel in panels:
        for ref in panel["embeddableConfig"]["attributes"]["references"]:
            assert f"{panel['panelIndex']}:{ref['name']}" in names
    search = kibana.objects[("search", "logs-python-errors")]
    source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    assert source["indexRefName"] == search["references"][0]["name"]
