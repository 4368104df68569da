"""`elkctl cleanup indices` against a fake Elasticsearch 9 answering like the docs."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from werkzeug import Request, Response

from elkctl.cleanup.errors import EXIT_ABORTED, EXIT_PARTIAL
from elkctl.cleanup.index_delete import explicit_name
from elkctl.cleanup.index_plan import check_pattern
from elkctl.cli import cli
from tests.cli_assertions import one_line_failure
from tests.fake_stack import es_error, es_response, search_reply

pytest_plugins = ["tests.cleanup_fixtures"]  # fixture: elkctl_log_dir

DAY_MS = 86_400_000
NOW_MS = int(time.time() * 1000)
WRITE_INDEX = ".ds-logs-api-default-2026.11.01-000003"


@dataclass
class FakeIndex:
    name: str
    age_days: float
    size: int
    hidden: bool = False
    closed: bool = False
    newest_days: float | None = None  # age of the newest @timestamp; None: no documents


def settings_body(indices: list[FakeIndex]) -> dict:
    """`GET <target>/_settings`: settings values are strings."""
    body = {}
    for index in indices:
        settings = {
            "creation_date": str(NOW_MS - int(index.age_days * DAY_MS)),
            "number_of_shards": "1",
            "number_of_replicas": "0",
            "provided_name": index.name,
            "uuid": f"uuid-{index.name}",
            "version": {"created": "9009000"},
        }
        if index.hidden:
            settings["hidden"] = "true"
        body[index.name] = {"settings": {"index": settings}}
    return body


def stats_body(indices: list[FakeIndex]) -> dict:
    """`GET <target>/_stats/store`: closed indices are left out (forbid_closed_indices)."""
    def store(size: int) -> dict:
        return {"store": {"size_in_bytes": size, "total_data_set_size_in_bytes": size,
                          "reserved_in_bytes": 0}}
    open_ones = [i for i in indices if not i.closed]
    total = sum(i.size for i in open_ones)
    return {
        "_shards": {"total": len(open_ones), "successful": len(open_ones), "failed": 0},
        "_all": {"primaries": store(total), "total": store(total)},
        "indices": {
            i.name: {"uuid": f"uuid-{i.name}", "health": "green", "status": "open",
                     "primaries": store(i.size), "total": store(i.size)}
            for i in open_ones
        },
    }


def data_stream_body(name: str, backing: list[str], failures: list[str]) -> dict:
    """One entry of `GET _data_stream`: the last backing index is the write index."""
    def entries(names: list[str]) -> list[dict]:
        return [{"index_name": b, "index_uuid": f"uuid-{b}", "prefer_ilm": True,
                 "ilm_policy": "logs-python", "managed_by": "Index Lifecycle Management"}
                for b in names]

    return {
        "name": name,
        "timestamp_field": {"name": "@timestamp"},
        "indices": entries(backing),
        "failure_store": {"enabled": True, "rollover_on_write": False,
                          "indices": entries(failures)},
        "generation": len(backing),
        "status": "GREEN",
        "template": "logs-python",
        "ilm_policy": "logs-python",
        "next_generation_managed_by": "Index Lifecycle Management",
        "prefer_ilm": True,
        "hidden": False,
        "system": False,
        "allow_custom_routing": False,
        "replicated": False,
        "rollover_on_write": False,
    }


BACKING = [
    FakeIndex(".ds-logs-api-default-2026.08.01-000001", 90, 3000, hidden=True, newest_days=60),
    FakeIndex(".ds-logs-api-default-2026.09.01-000002", 60, 2000, hidden=True, newest_days=31),
    # the write index: old by creation date (quiet stream), still never deleted
    FakeIndex(WRITE_INDEX, 80, 1000, hidden=True, newest_days=0.1),
]
FAILURE_WRITE_INDEX = ".fs-logs-api-default-2026.09.01-000002"
FAILURE_STORE = [
    FakeIndex(".fs-logs-api-default-2026.08.01-000001", 90, 10, hidden=True),
    FakeIndex(FAILURE_WRITE_INDEX, 60, 10, hidden=True),
]
LEGACY = [
    FakeIndex("logs-legacy-2026.05", 200, 500, newest_days=190),
    FakeIndex("logs-legacy-2026.06", 170, 400, newest_days=160),
    FakeIndex("logs-legacy-2026.07", 140, 300, newest_days=130),
    FakeIndex("logs-legacy-2026.11", 5, 200, newest_days=1),
]
HIDDEN = [
    FakeIndex(".kibana_9.1.0_001", 300, 100, hidden=True),
    FakeIndex("logs-internal-hidden", 300, 100, hidden=True),
    FakeIndex(".security-7", 300, 100),
]
ALL = BACKING + LEGACY + HIDDEN


class FakeCluster:
    """Routes for the reads, and a DELETE handler that records and polices every path."""

    def __init__(self, server, indices: list[FakeIndex], fail_delete: set[str] = frozenset()):
        self.server = server
        self.indices = {i.name: i for i in indices}
        self.deleted: list[str] = []
        self.fail_delete = fail_delete
        server.expect_request(re.compile(r"^/[^/_][^/]*/_settings$"), method="GET") \
            .respond_with_handler(lambda r: self._reply(r, settings_body))
        server.expect_request(re.compile(r"^/[^/_][^/]*/_stats/store$"), method="GET") \
            .respond_with_handler(lambda r: self._reply(r, stats_body))
        server.respond_json("GET", "/_data_stream/*", {"data_streams": [
            data_stream_body("logs-api-default", [b.name for b in BACKING],
                             [f.name for f in FAILURE_STORE]),
        ]})
        server.expect_request(re.compile(r"^/[^/]+/_search$"), method="POST") \
            .respond_with_handler(self._search)
        server.expect_request(re.compile(r"^/.*$"), method="DELETE") \
            .respond_with_handler(self._delete)

    def _resolve(self, target: str) -> list[FakeIndex]:
        found = []
        for pattern in target.split(","):
            regex = re.compile("^" + re.escape(pattern).replace(r"\*", ".*") + "$")
            found += [i for i in self.indices.values() if regex.match(i.name)
                      and i not in found]
            if pattern.startswith("logs-api") or pattern in ("logs-*", "*"):
                found += [b for b in BACKING if b.name in self.indices and b not in found]
        return found

    def _reply(self, request: Request, render) -> Response:
        return es_response(render(self._resolve(request.path.split("/")[1])))

    def _search(self, request: Request) -> Response:
        index = self.indices[request.path.split("/")[1]]
        assert json.loads(request.data)["aggs"] == {"newest": {"max": {"field": "@timestamp"}}}
        value = None if index.newest_days is None else NOW_MS - index.newest_days * DAY_MS
        return es_response(search_reply({"newest": {"value": value}}))

    def _delete(self, request: Request) -> Response:
        target = request.path.lstrip("/")
        # Wildcards, _all or lists must never reach the server; answer as ES would reject.
        if any(c in target for c in "*?,") or target.startswith("_") or "/" in target:
            return es_error(400, "illegal_argument_exception", target)
        assert request.args.get("expand_wildcards") == "none"
        if target in self.fail_delete:
            return es_error(403, "security_exception",
                            f"action [indices:admin/delete] is unauthorized on [{target}]")
        self.deleted.append(target)
        return es_response({"acknowledged": True})

    def deletes_sent(self) -> list[str]:
        return [path for method, path in self.server.requests_seen() if method == "DELETE"]


@pytest.fixture
def run(elkctl_env, elkctl_log_dir):
    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, ["cleanup", "indices", *args], input=input)

    return invoke


def test_write_index_is_protected_even_when_old(run, es_server):
    cluster = FakeCluster(es_server, ALL)
    result = run("--pattern", "logs-api-*", "--include-data-streams", "--older-than", "30d",
                 "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert cluster.deleted == [b.name for b in BACKING[:2]]
    summary = json.loads(result.stdout)
    assert summary["protected"] == [WRITE_INDEX]
    assert summary["deleted"] == 2 and summary["bytes_freed"] == 5000
    assert summary["remaining_bytes"] == 1000


def test_backing_indices_need_include_data_streams_and_hidden_ones_are_skipped(run, es_server):
    cluster = FakeCluster(es_server, ALL)
    result = run("--pattern", "*", "--older-than", "30d", "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert cluster.deleted == [i.name for i in LEGACY[:3]]
    summary = json.loads(result.stdout)
    # two backing indices (no --include-data-streams) + three hidden/system indices
    assert summary["skipped"] == 5 and summary["protected"] == [WRITE_INDEX]


def test_allow_hidden_takes_hidden_indices_but_never_the_write_index(run, es_server):
    cluster = FakeCluster(es_server, ALL)
    result = run("--pattern", "*", "--older-than", "30d", "--allow-hidden", "--yes")
    assert result.exit_code == 0, result.output
    assert set(cluster.deleted) == {i.name for i in LEGACY[:3] + HIDDEN}
    assert WRITE_INDEX not in cluster.deleted


def test_size_budget_deletes_oldest_first(run, es_server):
    cluster = FakeCluster(es_server, LEGACY)
    # total 1400; budget 800: 2026.05 (500) then 2026.06 (400) go -> 500 left
    result = run("--pattern", "logs-legacy-*", "--max-total-size", "800", "--yes")
    assert result.exit_code == 0, result.output
    assert result.output == ""  # quiet on success
    assert cluster.deleted == ["logs-legacy-2026.05", "logs-legacy-2026.06"]


def test_keep_spares_the_newest_n(run, es_server):
    cluster = FakeCluster(es_server, LEGACY)
    result = run("--pattern", "logs-legacy-*", "--keep", "3", "--yes")
    assert result.exit_code == 0, result.output
    assert cluster.deleted == ["logs-legacy-2026.05"]
    cluster.deleted.clear()
    # AND with age: the newest two are kept, of the rest only the ones older than 150d go
    result = run("--pattern", "logs-legacy-*", "--keep", "2", "--older-than", "150d", "--yes")
    assert cluster.deleted == ["logs-legacy-2026.05", "logs-legacy-2026.06"]


def test_dry_run_prints_the_exact_list_and_sends_no_delete(run, es_server):
    cluster = FakeCluster(es_server, ALL)
    result = run("--pattern", "logs-*", "--include-data-streams", "--older-than", "30d",
                 "--dry-run")
    assert result.exit_code == 0, result.output
    assert cluster.deletes_sent() == []
    expected = [b.name for b in BACKING[:2]] + [i.name for i in LEGACY[:3]]
    for name in expected:
        assert name in result.stdout
    assert WRITE_INDEX not in result.stdout and "logs-legacy-2026.11" not in result.stdout
    as_json = json.loads(run("--pattern", "logs-*", "--include-data-streams", "--older-than",
                             "30d", "--dry-run", "--json").stdout)
    assert sorted(as_json["would_delete"]) == sorted(expected)
    assert cluster.deletes_sent() == []


def test_deletes_are_one_explicit_name_each(run, es_server):
    cluster = FakeCluster(es_server, ALL)
    result = run("--pattern", "logs-*", "--include-data-streams", "--older-than", "30d", "--yes")
    assert result.exit_code == 0, result.output
    sent = cluster.deletes_sent()
    assert sorted(sent) == sorted("/" + name for name in cluster.deleted)
    assert len(sent) == 5
    for path in sent:
        assert not any(c in path for c in "*?,") and "_all" not in path


def test_newest_timestamp_age_source(run, es_server):
    cluster = FakeCluster(es_server, [*LEGACY, FakeIndex("logs-legacy-empty", 400, 10)])
    result = run("--pattern", "logs-legacy-*", "--older-than", "150d",
                 "--age-source", "newest-timestamp", "--yes", "--json")
    assert result.exit_code == 0, result.output
    # by newest @timestamp only 2026.05 (190d) and 2026.06 (160d) are old; the empty index
    # has no timestamp and is left alone
    assert cluster.deleted == ["logs-legacy-2026.05", "logs-legacy-2026.06"]


def test_interactive_run_asks_with_the_count(run, es_server):
    cluster = FakeCluster(es_server, LEGACY)
    declined = run("--pattern", "logs-legacy-*", "--older-than", "100d", input="n\n")
    assert declined.exit_code == EXIT_ABORTED
    assert "Delete these 3 indices" in declined.stderr
    assert cluster.deletes_sent() == []
    accepted = run("--pattern", "logs-legacy-*", "--older-than", "100d", "--json",
                   input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert len(cluster.deleted) == 3
    assert "logs-legacy-2026.05" in accepted.stderr  # the list is shown before the question
    assert json.loads(accepted.stdout)["deleted"] == 3


def test_a_failed_delete_is_reported_and_the_rest_continue(run, es_server):
    cluster = FakeCluster(es_server, LEGACY, fail_delete={"logs-legacy-2026.05"})
    result = run("--pattern", "logs-legacy-*", "--older-than", "100d", "--yes", "--json")
    assert result.exit_code == EXIT_PARTIAL
    assert cluster.deleted == ["logs-legacy-2026.06", "logs-legacy-2026.07"]
    assert "could not delete logs-legacy-2026.05" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["failed"] == 1 and summary["errors"][0]["index"] == "logs-legacy-2026.05"


def test_bad_patterns_and_missing_filters_are_refused(run, es_server):
    assert run("--pattern", "logs-*,.kibana*", "--older-than", "1d").exit_code == 2
    assert run("--pattern", "_all", "--older-than", "1d").exit_code == 2
    no_filter = run("--pattern", "logs-*")
    assert "--older-than" in one_line_failure(no_filter)
    assert es_server.requests_seen() == []
    with pytest.raises(ValueError):
        check_pattern("-logs-*")


@pytest.mark.parametrize("name", ["logs-*", "a,b", "_all", "-x", "", "logs-?"])
def test_explicit_name_guard(name):
    with pytest.raises(Exception, match="not one explicit index name"):
        explicit_name(name)


def test_failure_store_write_index_is_protected_too(run, es_server):
    cluster = FakeCluster(es_server, ALL + FAILURE_STORE)
    result = run("--pattern", ".fs-logs-api-*", "--include-data-streams", "--allow-hidden",
                 "--older-than", "30d", "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert cluster.deleted == [FAILURE_STORE[0].name]
    assert json.loads(result.stdout)["protected"] == [FAILURE_WRITE_INDEX]


def test_an_exact_name_that_does_not_exist_is_a_one_line_error(run, es_server):
    missing = {"error": {"root_cause": [], "type": "index_not_found_exception",
                         "reason": "no such index [logs-typo]", "index": "logs-typo"},
               "status": 404}
    es_server.respond_json("GET", "/logs-typo/_settings", missing, 404)
    result = run("--pattern", "logs-typo", "--older-than", "1d", "--yes")
    assert one_line_failure(result) == (
        "elkctl: Elasticsearch answered 404: index_not_found_exception: no such index [logs-typo]"
    )
    assert [m for m, _ in es_server.requests_seen() if m == "DELETE"] == []
