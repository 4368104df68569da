"""`elkctl errors list|show|stats`: read-only views of the error groups."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click
from rich.console import RenderableType
from rich.panel import Panel
from rich.text import Text

from elkctl.error_tracking import model, render
from elkctl.error_tracking.cli_support import (
    Env,
    command_env,
    duration_option,
    emit_json,
    full_key,
    json_option,
    show,
)
from elkctl.error_tracking.links import request_link
from elkctl.error_tracking.model import GroupState, TrackedGroup
from elkctl.error_tracking.queries import EventFilter, event_message, get_field
from elkctl.error_tracking.runner import track
from elkctl.options import Duration

STATUS_CHOICES = ("unresolved", "regressed", "resolved", "ignored", "all")
SORTS = {"last": lambda g: -g.summary.last_seen.timestamp(),
         "count": lambda g: -g.summary.count,
         "first": lambda g: -g.first_seen.timestamp()}


def _wants(status: str, group: TrackedGroup) -> bool:
    if status == "all":
        return True
    if status == "unresolved":  # everything that needs attention
        return group.status in model.OPEN_STATUSES
    return group.status == status


@click.command("list")
@duration_option("--since", "Window, e.g. 1h, 24h, 7d.", default="24h")
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
def list_groups(ctx: click.Context, since: Duration, service: str | None, status: str,
                severity: str | None, user: str | None, search: str | None,
                file_name: str | None, function: str | None, sort: str, limit: int,
                as_json: bool) -> None:
    """Error groups seen in the window, newest first."""
    env = command_env(ctx)
    spec = EventFilter(since=env.now - since.delta, until=env.now,
                       service=service, levels=(severity.lower(),) if severity else (),
                       user=user, search=search, file=file_name, function=function)
    groups = [g for g in track(env.store, spec, env.now, 1000).groups if _wants(status, g)]
    groups.sort(key=SORTS[sort])
    shown = groups[:limit] if limit else groups
    if as_json:
        emit_json({"total": len(groups), "groups": [render.group_json(g) for g in shown]})
    else:
        show(render.groups_table(shown, len(groups), env.now,
                                 f"Error groups, last {since.text}, status {status}"))


@click.command("show")
@click.argument("key")
@duration_option("--since", "Window for counts and events.", default="7d")
@click.option("--hours", type=click.IntRange(1, 24 * 14), default=24, show_default=True,
              help="Hours in the histogram.")
@json_option
@click.pass_context
def show_group(ctx: click.Context, key: str, since: Duration, hours: int, as_json: bool) -> None:
    """Details, latest event with stack trace, hourly histogram and recent request IDs."""
    env = command_env(ctx)
    key = full_key(env.store, key)
    spec = EventFilter(since=env.now - since.delta, until=env.now, key=key)
    groups = track(env.store, spec, env.now, 10).groups
    state = env.store.states([key]).get(key, (None, None))[0]
    events = env.store.latest_events(spec, size=10)
    hourly = env.store.hourly(EventFilter(since=env.now - timedelta(hours=hours),
                                          until=env.now, key=key))
    request_ids = [rid for rid in (get_field(e, "http.request.id") for e in events) if rid]
    if as_json:
        emit_json({"group": render.group_json(groups[0]) if groups else None,
                   "state": render.state_json(state),
                   "latest_event": events[0] if events else None,
                   "hourly": [{"hour": h.isoformat(), "count": n} for h, n in hourly],
                   "requests": [{"id": rid, "kibana": request_link(env.kibana_url, rid)}
                                for rid in request_ids]})
        return
    show(*_show_view(key, groups, state, events, hourly, request_ids, env, since.text))


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
        message = event_message(latest) or ""
        view.append(Panel(Text(f"{message}\n\n{trace}"), title=Text(title), expand=False))
    links = [(rid, request_link(env.kibana_url, rid)) for rid in request_ids]
    view.append(render.key_value_table(links, "Recent request IDs (Kibana: By request ID)")
                if links else Text("No request IDs in recent events."))
    view.append(render.history_table(state))
    return view


@click.command("stats")
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True)
@click.option("--top", type=click.IntRange(1, 100), default=10, show_default=True)
@json_option
@click.pass_context
def stats(ctx: click.Context, days: int, top: int, as_json: bool) -> None:
    """Error events per day, service and severity, and the top groups."""
    env = command_env(ctx)
    spec = EventFilter(since=env.now - timedelta(days=days), until=env.now)
    result = render.stats_json(env.store.stats(spec, top))
    if as_json:
        emit_json(result)
    else:
        show(render.stats_view(result, days))
