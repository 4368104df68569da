"""What every `elkctl errors` sub-command needs: the store, the clock, output helpers.

Tests pass `obj={"clock": ..., "sleep": ...}` to the CLI runner to fix the time and skip the
backoff waits.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console, RenderableType

from elkctl.connection import ElkctlError, elasticsearch_client, load_settings
from elkctl.error_tracking.alerts_config import (
    AlertsConfig,
    AlertsConfigError,
    load_alerts_config,
)
from elkctl.error_tracking.queries import ErrorStore
from elkctl.options import Decorator, parsed_by, positive_duration

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")


@dataclass(frozen=True)
class Env:
    store: ErrorStore
    kibana_url: str
    now: datetime
    sleep: Callable[[float], None]


def command_env(ctx: click.Context) -> Env:
    options = ctx.find_object(dict) or {}
    settings = load_settings()
    clock = options.get("clock") or (lambda: datetime.now(timezone.utc))
    return Env(ErrorStore(elasticsearch_client(settings)), settings.kibana_url, clock(),
               options.get("sleep") or time.sleep)


def show(*renderables: RenderableType) -> None:
    # Pipes and cron mails get a wide table instead of one squeezed to 80 columns.
    width = shutil.get_terminal_size((160, 40)).columns
    console = Console(width=max(width, 160), highlight=False)
    for renderable in renderables:
        console.print(renderable)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def duration_option(name: str, help_text: str, default: str | None = None) -> Decorator:
    """A --since/--window/--until option parsed into a `Duration` (bad values: usage errors)."""
    return click.option(name, metavar="DURATION", default=default, show_default=default is not None,
                        callback=parsed_by(positive_duration), help=help_text)


def alerts_config(path: Path) -> AlertsConfig:
    try:
        return load_alerts_config(path)
    except AlertsConfigError as exc:
        raise ElkctlError(f"{path}: {exc}") from exc


def full_key(store: ErrorStore, prefix: str) -> str:
    """The grouping key a user means by `prefix` (any unique prefix, or the whole key)."""
    matches = store.matching_keys(prefix)
    if not matches:
        raise ElkctlError(f"no error group matches {prefix!r}; see `elkctl errors list`")
    if len(matches) > 1 and prefix not in matches:
        raise ElkctlError(f"{prefix!r} matches several groups ({', '.join(matches)}, ...); "
                          "give more characters of the key")
    return prefix if prefix in matches else matches[0]
