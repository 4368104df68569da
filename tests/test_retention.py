"""`elkctl retention show|set` against a fake Elasticsearch 9 ILM API."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner
from werkzeug import Request, Response

from elkctl.cli import cli
from elkctl.retention.policy import min_age_days, with_delete_after
from tests.cli_assertions import one_line_failure
from tests.fake_stack import FakeElasticsearch, FakeKibana, es_error_body, es_response

# Shaped like the `GET _ilm/policy/<name>` example in the Elasticsearch docs.
STORED = {
    "version": 3,
    "modified_date": "2026-11-20T08:00:00.000Z",
    "policy": {
        "phases": {
            "hot": {
                "min_age": "0ms",
                "actions": {"rollover": {"max_primary_shard_size": "50gb", "max_age": "1d"},
                            "set_priority": {"priority": 100}},
            },
            "warm": {"min_age": "2d", "actions": {"forcemerge": {"max_num_segments": 1}}},
            "delete": {
                "min_age": "30d", "actions": {"delete": {"delete_searchable_snapshot": True}},
            },
        },
        "_meta": {"managed_by": "elkctl", "revision": 4},
    },
    "in_use_by": {
        "indices": [".ds-logs-api-default-2026.11.01-000001"],
        "data_streams": ["logs-api-default"],
        "composable_templates": ["logs-python"],
    },
}


pytest_plugins = ["tests.cleanup_fixtures"]  # fixture: elkctl_log_dir

class FakeIlm:
    def __init__(self, server, name: str = "logs-python", stored: dict | None = None):
        self.stored = copy.deepcopy(STORED if stored is None else stored)
        self.puts: list[dict] = []
        server.expect_request(f"/_ilm/policy/{name}", method="GET") \
            .respond_with_handler(lambda r: es_response({name: self.stored}))
        server.expect_request(f"/_ilm/policy/{name}", method="PUT") \
            .respond_with_handler(self._put)
        server.respond_json("GET", "/_ilm/policy/missing", es_error_body(
            404, "resource_not_found_exception", "Lifecycle policy not found: missing"), 404)

    def _put(self, request: Request) -> Response:
        self.puts.append(json.loads(request.data))
        return es_response({"acknowledged": True})


@pytest.fixture
def run(elkctl_env, elkctl_log_dir, monkeypatch):
    monkeypatch.delenv("ELKCTL_ILM_POLICY", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["retention", *args])

    return invoke


def test_set_changes_only_the_delete_phase_min_age(run, es_server):
    ilm = FakeIlm(es_server)
    result = run("set", "--days", "14")
    assert result.exit_code == 0, result.output
    assert "30d -> 14d" in result.stdout
    [body] = ilm.puts
    expected = copy.deepcopy(STORED["policy"])
    expected["phases"]["delete"]["min_age"] = "14d"
    assert body == {"policy": expected}  # no version, modified_date or in_use_by
    assert "LOG_RETENTION_DAYS is 30" in result.stderr


def test_set_is_idempotent_and_dry_run_sends_nothing(run, es_server):
    ilm = FakeIlm(es_server)
    assert "nothing to change" in run("set", "--days", "30").stdout
    dry = run("set", "--days", "7", "--dry-run")
    assert dry.exit_code == 0 and "30d -> 7d" in dry.stdout
    assert ilm.puts == []


def test_set_adds_a_delete_phase_to_a_policy_that_never_deletes():
    stored = copy.deepcopy(STORED)
    del stored["policy"]["phases"]["delete"]
    body = with_delete_after(stored, 10)
    assert body["policy"]["phases"]["delete"] == {"min_age": "10d", "actions": {"delete": {}}}
    assert body["policy"]["phases"]["hot"] == STORED["policy"]["phases"]["hot"]
    assert "delete" not in stored["policy"]["phases"]  # the input is not modified


def test_show_prints_the_delete_phase(run, es_server):
    FakeIlm(es_server)
    result = run("show")
    assert result.exit_code == 0, result.output
    assert "logs-python" in result.stdout and "30d" in result.stdout
    [shown] = json.loads(run("show", "--json").stdout)
    assert shown["delete_min_age"] == "30d" and shown["days"] == 30
    assert shown["in_use_by_data_streams"] == 1


def test_unknown_policy_and_bad_days_are_clear_errors(run, es_server):
    FakeIlm(es_server)
    missing = run("set", "--days", "5", "--policy", "missing")
    assert "ILM policy 'missing' does not exist" in one_line_failure(missing)
    assert run("set", "--days", "0").exit_code == 2


def test_min_age_days_reads_ilm_time_units():
    assert min_age_days("30d") == 30
    assert min_age_days("36h") == 1.5
    assert min_age_days("0ms") == 0
    assert min_age_days("soon") is None


def test_set_on_the_policy_installed_by_elkctl_setup(
    elkctl_env, elkctl_log_dir, es_server, kibana_server
):
    es = FakeElasticsearch().install(es_server)
    FakeKibana().install(kibana_server)
    assert CliRunner().invoke(cli, ["setup"]).exit_code == 0
    installed = copy.deepcopy(es.policies["logs-python"])

    result = CliRunner().invoke(cli, ["retention", "set", "--days", "7"])

    assert result.exit_code == 0, result.output
    installed["phases"]["delete"]["min_age"] = "7d"
    assert es.policies["logs-python"] == installed
    shown = CliRunner().invoke(cli, ["retention", "show", "--json"])
    assert json.loads(shown.stdout)[0]["delete_min_age"] == "7d"
