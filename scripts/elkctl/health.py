"""Pure assessments for `elkctl status`: documented API bodies in, one row per component out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elkctl import ages
from python_logging.units import format_size

UP, DEGRADED, DOWN, STALE = "up", "degraded", "down", "stale"


@dataclass(frozen=True)
class Check:
    component: str
    state: str
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.state in (DOWN, STALE)


def color_state(status: str) -> str:
    """A green / yellow / red health status (Elasticsearch, Logstash) as a row state."""
    return {"green": UP, "yellow": DEGRADED}.get(status, DOWN)


def assess_elasticsearch(health: dict[str, Any], version: str) -> Check:
    """GET _cluster/health: green up, yellow degraded (usual on one node), red down."""
    status = health.get("status", "unknown")
    state = color_state(status)
    detail = (
        f"{version}, health {status}, {health.get('number_of_nodes', '?')} node(s), "
        f"{health.get('unassigned_shards', '?')} unassigned shard(s)"
    )
    return Check("Elasticsearch", state, detail)


def overall_of(body: Any) -> dict[str, Any]:
    """`status.overall` of a /api/status answer; {} for any other body (an error page, or
    Elasticsearch's `{"error": ..., "status": 403}` when KIBANA_URL names the wrong port)."""
    status = body.get("status") if isinstance(body, dict) else None
    overall = status.get("overall") if isinstance(status, dict) else None
    return overall if isinstance(overall, dict) else {}


def overall_status(body: Any) -> str:
    """`status.overall.level` (Kibana 8/9), or the older `status.overall.state`."""
    overall = overall_of(body)
    return str(overall.get("level") or overall.get("state") or "")


def kibana_state(level: str) -> str:
    """UP, DEGRADED or DOWN for a `status.overall.level` (or the older `state`)."""
    return _KIBANA_STATES.get(level, DOWN)


_KIBANA_STATES = {"available": UP, "green": UP, "degraded": DEGRADED}


def assess_kibana(status_code: int, body: Any) -> Check:
    """GET /api/status: `status.overall.level` available / degraded / unavailable / critical."""
    overall = overall_of(body)
    level = overall_status(body) or f"HTTP {status_code}"
    version_info = body.get("version") if isinstance(body, dict) else None
    version = version_info.get("number", "") if isinstance(version_info, dict) else ""
    state = kibana_state(level)
    summary = overall.get("summary", "")
    return Check("Kibana", state, ", ".join(filter(None, [version, level, summary])))


def assess_logstash_health(body: dict[str, Any]) -> Check:
    """GET :9600/_health_report: top-level `status` green / yellow / red, plus a `symptom`."""
    status = str(body.get("status", "unknown"))
    state = color_state(status)
    pipelines = body.get("indicators", {}).get("pipelines", {}).get("indicators", {})
    names = ", ".join(sorted(pipelines)) or "no pipeline"
    detail = f"{status}: {body.get('symptom', '')} ({names})".replace(":  (", ": (")
    return Check("Logstash", state, detail)


def assess_logstash_pipelines(body: dict[str, Any]) -> Check:
    """GET :9600/_node/pipelines (Logstash before _health_report): running if any pipeline."""
    pipelines = sorted(body.get("pipelines") or {})
    if not pipelines:
        return Check("Logstash", DOWN, "no pipeline running")
    return Check("Logstash", UP, f"pipelines: {', '.join(pipelines)}")


def assess_filebeat(body: dict[str, Any]) -> Check:
    """GET :5066/stats: events acked and failed by the output, open harvesters."""
    events = body.get("libbeat", {}).get("output", {}).get("events", {})
    harvester = body.get("filebeat", {}).get("harvester", {})
    failed = int(events.get("failed", 0) or 0)
    detail = (
        f"{events.get('acked', 0)} events acked, {failed} failed, "
        f"{harvester.get('open_files', 0)} open file(s)"
    )
    return Check("Filebeat", DEGRADED if failed else UP, detail)


@dataclass(frozen=True)
class StreamFreshness:
    name: str
    newest_ms: int | None
    backing_indices: int
    size_bytes: int

    def age_seconds(self, now_ms: int) -> float | None:
        return None if self.newest_ms is None else max(0.0, (now_ms - self.newest_ms) / 1000)


def stream_freshness(stats: dict[str, Any]) -> list[StreamFreshness]:
    """GET _data_stream/<pattern>/_stats: `maximum_timestamp` (epoch millis) per data stream."""
    return [
        StreamFreshness(
            name=entry["data_stream"],
            # 0 means the stream holds no document yet.
            newest_ms=int(entry.get("maximum_timestamp") or 0) or None,
            backing_indices=int(entry.get("backing_indices", 0)),
            size_bytes=int(entry.get("store_size_bytes", 0)),
        )
        for entry in stats.get("data_streams", [])
    ]


def format_age(seconds: float | None) -> str:
    return "no documents" if seconds is None else ages.format_ago(seconds)


def assess_stream(stream: StreamFreshness, now_ms: int, max_age: float | None) -> Check:
    age = stream.age_seconds(now_ms)
    stale = max_age is not None and (age is None or age > max_age)
    detail = (
        f"newest {format_age(age)}, {stream.backing_indices} backing index(es), "
        f"{format_size(stream.size_bytes)}"
    )
    return Check(f"data stream {stream.name}", STALE if stale else UP, detail)
