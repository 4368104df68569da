"""`elkctl verify`: write a marked line where Filebeat reads; wait until it is searchable."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Any

import click
import elasticsearch
from rich.console import Console

from elkctl.connection import ElkctlError, elasticsearch_client, load_settings
from elkctl.definitions import LOG_STREAMS
from elkctl.waiting import Clock, Probe, wait_until
from python_logging import ConfigError, LoggingConfig, setup_logging
from python_logging.config import load_config
from python_logging.naming import active_name


def new_marker() -> str:
    return f"elkctl-verify-{uuid.uuid4().hex}"


def marker_config(log_dir: Path, service: str, environment: str | None) -> dict[str, Any]:
    """python_logging settings for the one line: file only, no rotation housekeeping."""
    service_fields = {"name": service, **({"environment": environment} if environment else {})}
    return {
        "service": service_fields,
        "console": {"enabled": False},
        "file": {
            "dir": str(log_dir),
            "compress": False,
            "backup_count": None,
            "retention_days": None,
        },
    }


def _check_writable(log_dir: Path) -> None:
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ElkctlError(f"cannot write to {log_dir}: {exc.strerror}; check --log-dir") from exc
    if not os.access(log_dir, os.W_OK | os.X_OK):
        raise ElkctlError(f"cannot write to {log_dir}: permission denied; check --log-dir")


def effective_config(log_dir: Path, wanted: dict[str, Any]) -> LoggingConfig:
    """What setup_logging will use (environment included); a LOG_DIR elsewhere is an error."""
    try:
        config = load_config(wanted)
    except ConfigError as exc:
        raise ElkctlError(str(exc)) from exc
    if config.file.dir.resolve() != log_dir.resolve():
        raise ElkctlError(
            f"LOG_DIR={config.file.dir} in the environment overrides --log-dir {log_dir}; "
            "unset it or pass the same directory"
        )
    return config


def log_once(wanted: dict[str, Any], level: int, message: str, marker: str) -> None:
    """Install python_logging, log one line, then remove its handlers again.

    Removing them keeps the client's own logging while polling out of the shipped file.
    """
    root = logging.getLogger()
    before = set(root.handlers)
    setup_logging(wanted)
    try:
        logging.getLogger("elkctl.verify").log(
            level, message, extra={"labels": {"elkctl_verify": marker}}
        )
    finally:
        for handler in set(root.handlers) - before:
            root.removeHandler(handler)
            handler.close()


def write_marker_line(log_dir: Path, service: str, environment: str | None, marker: str) -> Path:
    """Log one line through `python_logging.setup_logging` into `<log_dir>/<service>.log`."""
    _check_writable(log_dir)
    wanted = marker_config(log_dir, service, environment)
    config = effective_config(log_dir, wanted)
    # LOG_LEVEL may raise the threshold above INFO: log at whatever passes it.
    level = max(logging.INFO, logging.getLevelName(config.level))
    log_once(wanted, level, f"end-to-end check {marker}", marker)
    path = config.file.dir / active_name(config.service.name)
    if marker not in _tail(path):
        raise ElkctlError(f"the line did not reach {path} (see python_logging's report above)")
    return path


def _tail(path: Path, size: int = 65536) -> str:
    try:
        with path.open("rb") as file:
            file.seek(max(0, path.stat().st_size - size))
            return file.read().decode("utf-8", "replace")
    except OSError:
        return ""


def search_probe(client: elasticsearch.Elasticsearch, marker: str) -> Probe[dict[str, Any]]:
    try:
        response = client.search(
            index=LOG_STREAMS, query={"match_phrase": {"message": marker}}, size=1
        )
    except elasticsearch.NotFoundError:
        return Probe(reason=f"no {LOG_STREAMS} data stream yet")
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
    console.print(f"Wrote {marker} to {path}; waiting for it in {LOG_STREAMS} ...")
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
