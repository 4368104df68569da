"""`elkctl verify`: write a marked line where Filebeat reads; wait until it is searchable."""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
import elasticsearch
from rich.console import Console

from elkctl.connection import ElkctlError, elasticsearch_client, load_settings
from elkctl.waiting import Clock, Probe, wait_until
from python_logging.naming import active_name

SEARCH_PATTERN = "logs-*-*"


def new_marker() -> str:
    return f"elkctl-verify-{uuid.uuid4().hex}"


def marker_document(marker: str, service: str, environment: str | None) -> dict[str, Any]:
    """An ECS line like python_logging writes (interim writer, see `write_marker_line`)."""
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    service_fields = {"name": service, **({"environment": environment} if environment else {})}
    return {
        "@timestamp": now,
        "log.level": "info",
        "message": f"end-to-end check {marker}",
        "ecs.version": "8.11.0",
        "log": {"logger": "elkctl.verify"},
        "service": service_fields,
        "event": {"dataset": service},
        "labels": {"elkctl_verify": marker},
    }


def write_marker_line(log_dir: Path, service: str, environment: str | None, marker: str) -> Path:
    """Append one line to `<log_dir>/<service>.log` with a single O_APPEND write.

    Interim: switches to `python_logging.setup_logging` once that lands on main.
    """
    path = log_dir / active_name(service)
    line = json.dumps(marker_document(marker, service, environment), separators=(",", ":")) + "\n"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise ElkctlError(f"cannot write to {path}: {exc.strerror}; check --log-dir") from exc
    return path


def search_probe(client: elasticsearch.Elasticsearch, marker: str) -> Probe[dict[str, Any]]:
    try:
        response = client.search(
            index=SEARCH_PATTERN, query={"match_phrase": {"message": marker}}, size=1
        )
    except elasticsearch.NotFoundError:
        return Probe(reason=f"no {SEARCH_PATTERN} data stream yet")
    hits = response["hits"]["hits"]
    return Probe(value=hits[0]) if hits else Probe(reason="line not searchable yet")


@click.command("verify")
@click.option(
    "--log-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    show_default="LOG_DIR from the environment or .env, else ./logs",
    help="The directory Filebeat ships (mounted read-only into the Filebeat container).",
)
@click.option(
    "--service", default="elkctl-verify", show_default=True, help="service.name of the line."
)
@click.option("--environment", default=None, help="service.environment of the line.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=120.0,
    show_default=True,
    help="Seconds to wait until the line is searchable.",
)
def verify(log_dir: Path | None, service: str, environment: str | None, timeout: float) -> None:
    """Prove the pipeline works end to end and print its latency."""
    console = Console()
    settings = load_settings()
    log_dir = log_dir or settings.log_dir
    client = elasticsearch_client(settings)
    clock = Clock()
    marker = new_marker()
    path = write_marker_line(log_dir, service, environment, marker)
    started = clock.now()
    console.print(f"Wrote {marker} to {path}; waiting for it in {SEARCH_PATTERN} ...")
    try:
        hit = wait_until(
            lambda: search_probe(client, marker),
            what=f"line {marker} (written to {path}) in Elasticsearch",
            timeout=timeout,
            clock=clock,
            interval=0.5,
        )
    except ElkctlError as exc:
        raise ElkctlError(
            f"{exc}; is {log_dir} the directory Filebeat reads? see `elkctl status`"
        ) from exc
    latency = clock.now() - started
    console.print(f"Searchable after {latency:.1f} s in {hit['_index']} (end-to-end latency).")
