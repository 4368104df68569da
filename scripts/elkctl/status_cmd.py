"""`elkctl status`: one row per component and per data stream; exit 1 when something is down."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import click
import elasticsearch
from rich.console import Console
from rich.table import Table
from rich.text import Text

from elkctl.connection import (
    ElkctlError,
    HttpResponse,
    KibanaClient,
    Settings,
    describe_failure,
    elasticsearch_client,
    get_json,
    load_settings,
)
from elkctl.definitions import LOG_STREAMS
from elkctl.errors import explain
from elkctl.health import (
    DEGRADED,
    DOWN,
    STALE,
    UP,
    Check,
    assess_elasticsearch,
    assess_filebeat,
    assess_kibana,
    assess_logstash_health,
    assess_logstash_pipelines,
    assess_stream,
    stream_freshness,
)
from elkctl.options import seconds_option
from elkctl.tables import build_table

STATE_STYLES = {UP: "green", DEGRADED: "yellow", DOWN: "bold red", STALE: "bold red"}


def guarded(component: str, probe: Callable[[], list[Check]], es_url: str) -> list[Check]:
    """Run one probe; a known failure becomes a `down` row instead of aborting the report."""
    try:
        return probe()
    except Exception as exc:
        reason = explain(exc, es_url)
        if reason is None:
            raise
        return [Check(component, DOWN, reason)]


def elasticsearch_checks(
    client: elasticsearch.Elasticsearch, now_ms: int, max_age: float | None
) -> list[Check]:
    version = client.info()["version"]["number"]
    checks = [assess_elasticsearch(dict(client.cluster.health()), version)]
    try:
        stats = client.indices.data_streams_stats(name=LOG_STREAMS)
    except elasticsearch.NotFoundError:
        stats = {"data_streams": []}
    streams = stream_freshness(dict(stats))
    if not streams:
        state = STALE if max_age is not None else DEGRADED
        checks.append(Check("data streams", state, f"no {LOG_STREAMS} data stream yet"))
    checks += [assess_stream(stream, now_ms, max_age) for stream in streams]
    return checks


def kibana_checks(settings: Settings) -> list[Check]:
    response = KibanaClient(settings).status()
    return [assess_kibana(response.status, response.body)]


def assessed(
    component: str, response: HttpResponse, assess: Callable[[dict[str, Any]], Check]
) -> list[Check]:
    """`assess` of a 200 JSON object; any other answer is a `down` row saying what came back."""
    if response.status != 200 or not isinstance(response.body, dict):
        return [Check(component, DOWN, describe_failure(response))]
    return [assess(response.body)]


def logstash_checks(settings: Settings) -> list[Check]:
    base = settings.logstash_url
    response = get_json(f"{base}/_health_report", settings, service="Logstash")
    assess = assess_logstash_health
    if response.status == 404:  # Logstash older than 8.16 has no health report
        response = get_json(f"{base}/_node/pipelines", settings, service="Logstash")
        assess = assess_logstash_pipelines
    return assessed("Logstash", response, assess)


def filebeat_checks(settings: Settings) -> list[Check]:
    response = get_json(f"{settings.filebeat_url}/stats", settings, service="Filebeat")
    return assessed("Filebeat", response, assess_filebeat)


def status_table(checks: list[Check]) -> Table:
    return build_table(
        "Logging stack status",
        ("component", "state", "detail"),
        ((c.component, Text(c.state, STATE_STYLES[c.state]), c.detail) for c in checks),
    )


@click.command("status")
@seconds_option(
    "--max-age",
    "Fail when a data stream's newest document is older (e.g. 15m). Default: report only.",
)
def status(max_age: float | None) -> None:
    """Health of Elasticsearch, Kibana, Logstash, Filebeat and ingest freshness per data stream."""
    settings = load_settings()
    url = settings.elasticsearch_url
    now_ms = int(time.time() * 1000)
    checks = guarded(
        "Elasticsearch",
        lambda: elasticsearch_checks(elasticsearch_client(settings), now_ms, max_age),
        url,
    )
    checks += guarded("Kibana", lambda: kibana_checks(settings), url)
    checks += guarded("Logstash", lambda: logstash_checks(settings), url)
    checks += guarded("Filebeat", lambda: filebeat_checks(settings), url)
    Console().print(status_table(checks))
    failed = [check.component for check in checks if check.failed]
    if failed:
        raise ElkctlError(f"{len(failed)} problem(s): {', '.join(failed)}")
