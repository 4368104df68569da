"""`elkctl errors ...`: list, show, triage (resolve/ignore/reopen/assign), stats, notify,
escalate and summary.

Tests pass `obj={"clock": ..., "sleep": ...}` to the CLI runner to fix the time and skip the
backoff waits.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console, RenderableType
from rich.panel import Panel

from elkctl.connection import ElkctlError, elasticsearch_client, load_settings
from elkctl.error_tracking import model, render
from elkctl.error_tracking.alerts_config import (
    AlertsConfig,
    AlertsConfigError,
    load_alerts_config,
)
from elkctl.error_tracking.channels import deliver_all
from elkctl.error_tracking.digest import build_digest
from elkctl.error_tracking.links import request_link
from elkctl.error_tracking.messages import digest_message, short_key
from elkctl.error_tracking.model import GroupState, TrackedGroup
from elkctl.error_tracking.queries import ErrorStore, EventFilter, get_field
from elkctl.error_tracking.runner import Outcome, run_escalate, run_notify, track
from python_logging.units import parse_duration

STATUS_CHOICES = ("unresolved", "regressed", "resolved", "ignored", "all")
SORTS = {"last": lambda g: -g.summary.last_seen.timestamp(),
         "count": lambda g: -g.summary.count,
         "first": lambda g: -g.first_seen.timestamp()}


@dataclass(frozen=True)
class Env:
    store: ErrorStore
    kibana_url: str
    now: datetime
    sleep: Callable[[float], None]


def _env(ctx: click.Context) -> Env:
    options = ctx.find_object(dict) or {}
    settings = load_settings()
    clock = options.get("clock") or (lambda: datetime.now(timezone.utc))
    return Env(ErrorStore(elasticsearch_client(settings)), settings.kibana_url, clock(),
               options.get("sleep") or time.sleep)


def _console() -> Console:
    # Pipes and cron mails get a wide table instead of one squeezed to 80 columns.
    width = shutil.get_terminal_size((160, 40)).columns
    return Console(width=max(width, 160), highlight=False)


def _show(*renderables: RenderableType) -> None:
    console = _console()
    for renderable in renderables:
        console.print(renderable)


def _json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _seconds(value: str, option: str) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc
    if seconds <= 0:
        raise click.BadParameter("must be longer than 0s", param_hint=option)
    return seconds


def _config(path: Path) -> AlertsConfig:
    try:
        return load_alerts_config(path)
    except AlertsConfigError as exc:
        raise ElkctlError(f"{path}: {exc}") from exc


def _full_key(store: ErrorStore, prefix: str) -> str:
    matches = store.matching_keys(prefix)
    if not matches:
        raise ElkctlError(f"no error group matches {prefix!r}; see `elkctl errors list`")
    if len(matches) > 1 and prefix not in matches:
        raise ElkctlError(f"{prefix!r} matches several groups ({', '.join(matches)}, ...); "
                          "give more characters of the key")
    return prefix if prefix in matches else matches[0]


def _wants(status: str, group: TrackedGroup) -> bool:
    if status == "all":
        return True
    if status == "unresolved":  # everything that needs attention
        return group.status in model.OPEN_STATUSES
    return group.status == status


@click.group("errors")
def errors() -> None:
    """Error groups (by error.grouping_key): triage, alerts, escalation and summaries."""


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")


@errors.command("list")
@click.option("--since", default="24h", show_default=True, help="Window, e.g. 1h, 24h, 7d.")
@click.option("--service", help="Only this service.name.")
@click.option("--status", type=click.Choice(STATUS_CHOICES), default="unresolved",
              show_default=True, help="unresolved includes regressed groups.")
@click.option("--severity", help="Only events with this log.level (critical, error, ...).")
@click.option("--user", help="Only events of this user.id.")
@click.option("--search", help="Text in the error message, type or group name.")
@click.option("--file", "file_name", help="Only events from this log.origin.file.name.")
@click.option("--function", help="Only events from this log.origin.function.")
@click.option("--sort", type=click.Choice(tuple(SORTS)), default="last", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Rows to show; 0 shows all.")
@json_option
@click.pass_context
def list_groups(ctx: click.Context, since: str, service: str | None, status: str,
                severity: str | None, user: str | None, search: str | None,
                file_name: str | None, function: str | None, sort: str, limit: int,
                as_json: bool) -> None:
    """Error groups seen in the window, newest first."""
    window = _seconds(since, "--since")
    env = _env(ctx)
    spec = EventFilter(since=env.now - timedelta(seconds=window), until=env.now,
                       service=service, levels=(severity.lower(),) if severity else (),
                       user=user, search=search, file=file_name, function=function)
    groups = [g for g in track(env.store, spec, env.now, 1000).groups if _wants(status, g)]
    groups.sort(key=SORTS[sort])
    shown = groups[:limit] if limit else groups
    if as_json:
        _json({"total": len(groups), "groups": [render.group_json(g) for g in shown]})
    else:
        _show(render.groups_table(shown, len(groups), env.now,
                                  f"Error groups, last {since}, status {status}"))


@errors.command("show")
@click.argument("key")
@click.option("--since", default="7d", show_default=True, help="Window for counts and events.")
@click.option("--hours", type=click.IntRange(1, 24 * 14), default=24, show_default=True,
              help="Hours in the histogram.")
@json_option
@click.pass_context
def show(ctx: click.Context, key: str, since: str, hours: int, as_json: bool) -> None:
    """Details, latest event with stack trace, hourly histogram and recent request IDs."""
    window = _seconds(since, "--since")
    env = _env(ctx)
    key = _full_key(env.store, key)
    spec = EventFilter(since=env.now - timedelta(seconds=window), until=env.now, key=key)
    groups = track(env.store, spec, env.now, 10).groups
    state = env.store.states([key]).get(key, (None, None))[0]
    events = env.store.latest_events(spec, size=10)
    hourly = env.store.hourly(EventFilter(since=env.now - timedelta(hours=hours),
                                          until=env.now, key=key))
    request_ids = [rid for rid in (get_field(e, "http.request.id") for e in events) if rid]
    if as_json:
        _json({"group": render.group_json(groups[0]) if groups else None,
               "state": render.state_json(state),
               "latest_event": events[0] if events else None,
               "hourly": [{"hour": h.isoformat(), "count": n} for h, n in hourly],
               "requests": [{"id": rid, "kibana": request_link(env.kibana_url, rid)}
                            for rid in request_ids]})
        return
    _show(*_show_view(key, groups, state, events, hourly, request_ids, env, since))


def _show_view(key: str, groups: list[TrackedGroup], state: GroupState | None,
               events: list[dict[str, Any]], hourly: list[tuple[datetime, int]],
               request_ids: list[str], env: Env, since: str) -> list[RenderableType]:
    status = groups[0].status if groups else model.effective_status(state, None, env.now)
    rows: list[tuple[str, Any]] = [("Key", key), ("Status", status),
                                   ("Assignee", state.assignee if state else None)]
    if groups:
        g = groups[0].summary
        rows += [("Group", g.name), ("Type", g.error_type), ("Level", g.severity),
                 ("Services", ", ".join(g.services)), (f"Events ({since})", g.count),
                 ("Users affected", g.users),
                 ("First seen", f"{groups[0].first_seen:%Y-%m-%d %H:%M} UTC"),
                 ("Last seen", f"{g.last_seen:%Y-%m-%d %H:%M} UTC"),
                 ("Origin", f"{g.file or '?'} in {g.function or '?'}")]
    else:
        rows.append((f"Events ({since})", 0))
    if state and state.resolved_at:
        rows.append(("Resolved", f"{state.resolved_at:%Y-%m-%d %H:%M} by {state.resolved_by}"))
    if state and state.ignored_until:
        rows.append(("Ignored until", f"{state.ignored_until:%Y-%m-%d %H:%M} UTC"))
    counts = [n for _, n in hourly]
    spark = (f"{render.sparkline(counts)}  (last {len(counts)}h, peak {max(counts, default=0)}"
             f"/h, total {sum(counts)})")
    view: list[RenderableType] = [render.key_value_table(rows, "Error group"),
                                  Panel(spark, title="Events per hour", expand=False)]
    if events:
        latest = events[0]
        trace = get_field(latest, "error.stack_trace") or "(no stack trace)"
        title = f"Latest event {get_field(latest, '@timestamp')}"
        message = get_field(latest, "error.message") or get_field(latest, "message") or ""
        view.append(Panel(f"{message}\n\n{trace}", title=title, expand=False))
    links = [(rid, request_link(env.kibana_url, rid)) for rid in request_ids]
    view.append(render.key_value_table(links, "Recent request IDs (Kibana: By request ID)")
                if links else "No request IDs in recent events.")
    view.append(render.history_table(state))
    return view


def _triage(ctx: click.Context, prefix: str,
            change: Callable[[GroupState, datetime], GroupState]) -> None:
    env = _env(ctx)
    key = _full_key(env.store, prefix)
    env.store.ensure_indices()
    found = env.store.states([key])
    state, version = found.get(key, (GroupState(key), None))
    updated = change(state, env.now)
    env.store.save_state(updated, version)
    last = updated.history[-1]
    click.echo(f"{short_key(key)}: {last.action} by {last.by or '-'}; status now "
               f"{updated.status}" + (f", assignee {updated.assignee}" if updated.assignee else ""))


by_option = click.option("--by", default=lambda: os.environ.get("USER") or None,
                         help="Who made the change (default: $USER).")
note_option = click.option("--note", help="Why; kept in the group's history.")


def triage_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """`elkctl errors NAME KEY [--by] [--note] ...`: the options every triage change takes."""

    def register(func: Callable[..., None]) -> click.Command:
        func = note_option(by_option(click.argument("key")(click.pass_context(func))))
        return errors.command(name)(func)

    return register


@triage_command("resolve")
def resolve(ctx: click.Context, key: str, by: str | None, note: str | None) -> None:
    """Mark a group resolved; new events after now make it regressed."""
    _triage(ctx, key, lambda s, now: model.resolve(s, now, by, note))


@triage_command("ignore")
@click.option("--until", "until", help="Ignore only for this long, e.g. 8h or 7d.")
def ignore(ctx: click.Context, key: str, by: str | None, note: str | None,
           until: str | None) -> None:
    """Silence a group (no alerts, hidden from the default list), optionally for a while."""
    duration = _seconds(until, "--until") if until else None
    _triage(ctx, key, lambda s, now: model.ignore(
        s, now, by, note, now + timedelta(seconds=duration) if duration else None))


@triage_command("reopen")
def reopen(ctx: click.Context, key: str, by: str | None, note: str | None) -> None:
    """Mark a resolved or ignored group unresolved again."""
    _triage(ctx, key, lambda s, now: model.reopen(s, now, by, note))


@triage_command("assign")
@click.option("--to", "assignee", required=True, help="Owner; '-' removes the assignee.")
def assign(ctx: click.Context, key: str, assignee: str, by: str | None,
           note: str | None) -> None:
    """Assign a group to a person or team."""
    owner = None if assignee == "-" else assignee
    _triage(ctx, key, lambda s, now: model.assign(s, now, by, note, owner))


@errors.command("stats")
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True)
@click.option("--top", type=click.IntRange(1, 100), default=10, show_default=True)
@json_option
@click.pass_context
def stats(ctx: click.Context, days: int, top: int, as_json: bool) -> None:
    """Error events per day, service and severity, and the top groups."""
    env = _env(ctx)
    spec = EventFilter(since=env.now - timedelta(days=days), until=env.now)
    result = render.stats_json(env.store.stats(spec, top))
    if as_json:
        _json(result)
    else:
        _show(render.stats_view(result, days))


config_option = click.option("--config", "config_path", required=True,
                             type=click.Path(dir_okay=False, path_type=Path),
                             help="alerts.yml (see scripts/alerts.example.yml).")
dry_run_option = click.option("--dry-run", is_flag=True,
                              help="Print what would be sent; send and record nothing.")


def _report(outcomes: list[Outcome], title: str, as_json: bool) -> None:
    if as_json:
        _json([render.outcome_json(o) for o in outcomes])
    else:
        _show(render.outcomes_table(outcomes, title))
    failed = [f"{d.channel} ({d.error})" for o in outcomes for d in o.failed]
    if failed:
        raise ElkctlError(f"{len(failed)} deliveries failed after retries: {'; '.join(failed)}")


@errors.command("notify")
@config_option
@dry_run_option
@json_option
@click.pass_context
def notify(ctx: click.Context, config_path: Path, dry_run: bool, as_json: bool) -> None:
    """Alert on new groups, regressions and thresholds (run from cron every few minutes)."""
    config = _config(config_path)
    env = _env(ctx)
    outcomes = run_notify(env.store, config, env.now, env.kibana_url, dry_run=dry_run,
                          sleep=env.sleep)
    _report(outcomes, "Notifications" + (" (dry run)" if dry_run else ""), as_json)


@errors.command("escalate")
@config_option
@click.option("--window", default="7d", show_default=True,
              help="Consider groups with events in this window.")
@dry_run_option
@json_option
@click.pass_context
def escalate(ctx: click.Context, config_path: Path, window: str, dry_run: bool,
             as_json: bool) -> None:
    """Escalate open groups older than the policy (once per level); auto-assign owners."""
    seconds = _seconds(window, "--window")
    config = _config(config_path)
    if not config.escalation_channels:
        raise ElkctlError(f"{config_path}: escalation.channels is empty; name the channel(s) "
                          "that receive escalations")
    env = _env(ctx)
    outcomes = run_escalate(env.store, config, env.now, env.kibana_url, seconds,
                            dry_run=dry_run, sleep=env.sleep)
    _report(outcomes, "Escalations" + (" (dry run)" if dry_run else ""), as_json)


@errors.command("summary")
@click.option("--since", default="24h", show_default=True)
@click.option("--send", is_flag=True, help="Also send it to summary.channels of --config.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="alerts.yml; needed with --send.")
@json_option
@click.pass_context
def summary(ctx: click.Context, since: str, send: bool, config_path: Path | None,
            as_json: bool) -> None:
    """Digest: new, regressed, top by volume and the oldest unresolved critical groups."""
    window = _seconds(since, "--since")
    config = None
    if send:
        if config_path is None:
            raise click.UsageError("--send needs --config alerts.yml")
        config = _config(config_path)
        if not config.summary_channels:
            raise ElkctlError(f"{config_path}: summary.channels is empty; nothing to send to")
    env = _env(ctx)
    start = env.now - timedelta(seconds=window)
    spec = EventFilter(since=start, until=env.now)
    tracked = track(env.store, spec, env.now, 1000, correct_first_seen=True)
    digest = build_digest(tracked.groups, start, env.now)
    if as_json:
        _json(render.digest_json(digest))
    else:
        _show(render.digest_view(digest, env.now))
    if config is not None:
        channels = [config.channels[name] for name in config.summary_channels]
        results = deliver_all(channels, digest_message(digest, env.kibana_url),
                              config.retries, config.backoff, env.sleep)
        failed = [f"{d.channel} ({d.error})" for d in results if not d.ok]
        if failed:
            raise ElkctlError(f"summary not delivered to: {'; '.join(failed)}")
        click.echo(f"summary sent to {', '.join(d.channel for d in results)}", err=True)
