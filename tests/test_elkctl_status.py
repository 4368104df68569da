import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from elkctl.cli import cli
from elkctl.health import (
    DEGRADED,
    DOWN,
    STALE,
    UP,
    StreamFreshness,
    assess_elasticsearch,
    assess_filebeat,
    assess_kibana,
    assess_logstash_health,
    assess_logstash_pipelines,
    assess_stream,
    format_age,
    stream_freshness,
)
from elkctl.status_cmd import logstash_checks
from tests.cli_assertions import one_line_failure
from tests.fake_stack import FakeElasticsearch, FakeKibana
from tests.net import free_port

# GET :9600/_health_report (Logstash 8.16+), documented shape.
LOGSTASH_HEALTHY = {
    "status": "green",
    "symptom": "1 indicator is healthy (pipelines)",
    "indicators": {
        "pipelines": {
            "status": "green",
            "symptom": "1 indicator is healthy (main)",
            "indicators": {"main": {"status": "green", "symptom": "The pipeline is healthy"}},
        }
    },
}
# GET :5066/stats (Filebeat HTTP endpoint), trimmed to what status reads.
FILEBEAT_STATS = {
    "beat": {"info": {"ephemeral_id": "x", "uptime": {"ms": 1000}}},
    "filebeat": {"harvester": {"open_files": 2, "running": 2}},
    "libbeat": {"output": {"events": {"acked": 120, "failed": 0, "total": 120}}},
}


@pytest.fixture
def healthy(es_server, kibana_server, elkctl_env, monkeypatch):
    """ES + Kibana fakes; Logstash and Filebeat endpoints served by the Kibana fake's server."""
    es = FakeElasticsearch().install(es_server)
    now_ms = int(time.time() * 1000)
    es.data_streams["logs-shop-production"] = {
        "backing_indices": 2,
        "store_size_bytes": 2048,
        "maximum_timestamp": now_ms - 5000,
    }
    FakeKibana().install(kibana_server)
    kibana_server.expect_request("/_health_report").respond_with_json(LOGSTASH_HEALTHY)
    kibana_server.expect_request("/stats").respond_with_json(FILEBEAT_STATS)
    base = kibana_server.url_for("/").rstrip("/")
    monkeypatch.setenv("LOGSTASH_API_URL", base)
    monkeypatch.setenv("FILEBEAT_HTTP_URL", base)
    return es


def run(*args):
    return CliRunner().invoke(cli, ["status", *args])


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_all_up_exits_zero_and_shows_every_component(healthy):
    result = run()
    assert result.exit_code == 0, result.output
    for name in ("Elasticsearch", "Kibana", "Logstash", "Filebeat", "logs-shop-production"):
        assert name in result.output
    assert "down" not in result.output


@pytest.mark.parametrize(
    ("variable", "component", "still_reported"),
    [
        ("FILEBEAT_HTTP_URL", "Filebeat", "Elasticsearch"),
        ("ELASTICSEARCH_URL", "Elasticsearch", "Kibana"),
    ],
)
def test_a_component_down_is_a_row_and_the_rest_still_reported(
    healthy, monkeypatch, variable, component, still_reported
):
    monkeypatch.setenv(variable, closed_url())
    result = run()
    assert one_line_failure(result) == f"elkctl: 1 problem(s): {component}"
    assert f"cannot reach {component}" in result.stdout
    assert still_reported in result.stdout


@pytest.fixture
def not_http_url() -> Iterator[str]:
    """A listener that answers every connection with TLS-alert bytes, not HTTP (as a TLS
    port does behind an http:// URL)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def answer_garbage() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"\x15\x03\x01\x00\x02\x02\x50garbage\r\n\r\n")

    threading.Thread(target=answer_garbage, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_an_endpoint_that_does_not_speak_http_is_a_down_row(healthy, monkeypatch, not_http_url):
    for variable in ("KIBANA_URL", "LOGSTASH_API_URL", "FILEBEAT_HTTP_URL"):
        monkeypatch.setenv(variable, not_http_url)
    result = run()
    assert one_line_failure(result) == "elkctl: 3 problem(s): Kibana, Logstash, Filebeat"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "no valid HTTP answer from Kibana" in result.stdout


def test_kibana_url_naming_elasticsearch_is_a_down_row(healthy, monkeypatch, es_server):
    # Elasticsearch answers /api/status with its own error shape: {"error": ..., "status": 400}
    monkeypatch.setenv("KIBANA_URL", es_server.url_for("/").rstrip("/"))
    result = run()
    assert one_line_failure(result) == "elkctl: 1 problem(s): Kibana"
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("pipelines_status", "pipelines_body", "state", "detail"),
    [
        (200, {"pipelines": {"main": {}}}, UP, "pipelines: main"),
        (500, {"error": "boom"}, DOWN, "HTTP 500: boom"),
    ],
)
def test_logstash_without_health_report_is_read_from_node_pipelines(
    httpserver, elkctl_settings, pipelines_status, pipelines_body, state, detail
):
    # Logstash before 8.16 answers 404 for /_health_report.
    httpserver.expect_request("/_health_report").respond_with_data("", status=404)
    httpserver.expect_request("/_node/pipelines").respond_with_json(
        pipelines_body, status=pipelines_status
    )
    settings = dataclasses.replace(
        elkctl_settings, logstash_url=httpserver.url_for("/").rstrip("/")
    )
    [check] = logstash_checks(settings)
    assert (check.component, check.state, check.detail) == ("Logstash", state, detail)


def test_stale_stream_fails_only_with_max_age(healthy):
    healthy.data_streams["logs-shop-production"]["maximum_timestamp"] = (
        int(time.time() * 1000) - 3_600_000
    )
    assert run().exit_code == 0
    result = run("--max-age", "15m")
    assert "data stream logs-shop-production" in one_line_failure(result)


def test_bad_max_age_is_a_usage_error(healthy):
    result = run("--max-age", "soon")
    assert result.exit_code == 2
    assert "not a duration" in result.output


def test_assess_elasticsearch():
    assert assess_elasticsearch({"status": "green"}, "9.1.0").state == UP
    assert assess_elasticsearch({"status": "yellow"}, "9.1.0").state == DEGRADED
    assert assess_elasticsearch({"status": "red"}, "9.1.0").state == DOWN


def test_assess_kibana():
    body = {
        "version": {"number": "9.1.0"},
        "status": {"overall": {"level": "available", "summary": "ok"}},
    }
    assert assess_kibana(200, body).state == UP
    assert assess_kibana(503, {"status": {"overall": {"level": "unavailable"}}}).state == DOWN
    check = assess_kibana(503, "Kibana server is not ready yet")
    assert (check.state, check.detail) == (DOWN, "HTTP 503")


def test_assess_logstash():
    check = assess_logstash_health(LOGSTASH_HEALTHY)
    assert check.state == UP
    assert "main" in check.detail
    assert assess_logstash_health({"status": "red", "symptom": "pipeline down"}).state == DOWN
    assert assess_logstash_pipelines({"pipelines": {"main": {}}}).state == UP
    assert assess_logstash_pipelines({"pipelines": {}}).state == DOWN


def test_assess_filebeat():
    assert assess_filebeat(FILEBEAT_STATS).state == UP
    failing = {"libbeat": {"output": {"events": {"acked": 1, "failed": 3}}}}
    assert assess_filebeat(failing).state == DEGRADED


def test_stream_freshness_and_staleness():
    streams = stream_freshness(
        {
            "data_streams": [
                {
                    "data_stream": "logs-a-b",
                    "backing_indices": 1,
                    "store_size_bytes": 10,
                    "maximum_timestamp": 1_000,
                },
                {
                    "data_stream": "logs-c-d",
                    "backing_indices": 1,
                    "store_size_bytes": 0,
                    "maximum_timestamp": 0,
                },
            ]
        }
    )
    assert streams[0] == StreamFreshness("logs-a-b", 1_000, 1, 10)
    assert streams[1].newest_ms is None
    assert assess_stream(streams[0], 61_000, max_age=120).state == UP
    assert assess_stream(streams[0], 601_000, max_age=120).state == STALE
    assert assess_stream(streams[1], 601_000, max_age=None).state == UP
    assert assess_stream(streams[1], 601_000, max_age=120).state == STALE
    assert format_age(30) == "30s ago"
    assert format_age(5400) == "1.5h ago"
    assert format_age(None) == "no documents"
