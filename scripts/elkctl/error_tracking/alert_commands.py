"""`elkctl errors notify|escalate|summary`: alerts, escalation and the digest (from cron)."""

from __future__ import annotations

from pathlib import Path

import click

from elkctl.connection import ElkctlError
from elkctl.error_tracking import render
from elkctl.error_tracking.channels import deliver_all
from elkctl.error_tracking.cli_support import (
    alerts_config,
    command_env,
    duration_option,
    emit_json,
    json_option,
    show,
)
from elkctl.error_tracking.digest import build_digest
from elkctl.error_tracking.messages import digest_message
from elkctl.error_tracking.queries import EventFilter
from elkctl.error_tracking.runner import Run, run_escalate, run_notify, track
from elkctl.options import Duration

config_option = click.option("--config", "config_path", required=True,
                             type=click.Path(dir_okay=False, path_type=Path),
                             help="alerts.yml (see scripts/alerts.example.yml).")
dry_run_option = click.option("--dry-run", is_flag=True,
                              help="Print what would be sent; send and record nothing.")


def _report(run: Run, title: str, as_json: bool) -> None:
    outcomes = run.outcomes
    if run.skipped_changes:  # on stderr: stdout stays the table or the JSON
        click.echo(f"{run.skipped_changes} group state change(s) not saved: someone changed "
                   "those groups since this run read them; the next run decides again",
                   err=True)
    if as_json:
        emit_json([render.outcome_json(o) for o in outcomes])
    else:
        show(render.outcomes_table(outcomes, title))
    failed = [f"{d.channel} ({d.error})" for o in outcomes for d in o.failed]
    if failed:
        raise ElkctlError(f"{len(failed)} deliveries failed after retries: {'; '.join(failed)}")


@click.command("notify")
@config_option
@dry_run_option
@json_option
@click.pass_context
def notify(ctx: click.Context, config_path: Path, dry_run: bool, as_json: bool) -> None:
    """Alert on new groups, regressions and thresholds (run from cron every few minutes)."""
    config = alerts_config(config_path)
    env = command_env(ctx)
    run = run_notify(env.store, config, env.now, env.kibana_url, dry_run=dry_run,
                     sleep=env.sleep)
    _report(run, "Notifications" + (" (dry run)" if dry_run else ""), as_json)


@click.command("escalate")
@config_option
@duration_option("--window", "Consider groups with events in this window.", default="7d")
@dry_run_option
@json_option
@click.pass_context
def escalate(ctx: click.Context, config_path: Path, window: Duration, dry_run: bool,
             as_json: bool) -> None:
    """Escalate open groups older than the policy (once per level); auto-assign owners."""
    config = alerts_config(config_path)
    if not config.escalation_channels:
        raise ElkctlError(f"{config_path}: escalation.channels is empty; name the channel(s) "
                          "that receive escalations")
    env = command_env(ctx)
    run = run_escalate(env.store, config, env.now, env.kibana_url, window.seconds,
                       dry_run=dry_run, sleep=env.sleep)
    _report(run, "Escalations" + (" (dry run)" if dry_run else ""), as_json)


@click.command("summary")
@duration_option("--since", "Window of the digest, e.g. 24h or 7d.", default="24h")
@click.option("--send", is_flag=True, help="Also send it to summary.channels of --config.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="alerts.yml; needed with --send.")
@json_option
@click.pass_context
def summary(ctx: click.Context, since: Duration, send: bool, config_path: Path | None,
            as_json: bool) -> None:
    """Digest: new, regressed, top by volume and the oldest unresolved critical groups."""
    config = None
    if send:
        if config_path is None:
            raise click.UsageError("--send needs --config alerts.yml")
        config = alerts_config(config_path)
        if not config.summary_channels:
            raise ElkctlError(f"{config_path}: summary.channels is empty; nothing to send to")
    env = command_env(ctx)
    start = env.now - since.delta
    spec = EventFilter(since=start, until=env.now)
    tracked = track(env.store, spec, env.now, 1000, correct_first_seen=True)
    digest = build_digest(tracked.groups, start, env.now)
    if as_json:
        emit_json(render.digest_json(digest))
    else:
        show(render.digest_view(digest, env.now))
    if config is not None:
        channels = [config.channels[name] for name in config.summary_channels]
        results = deliver_all(channels, digest_message(digest, env.kibana_url),
                              config.retries, config.backoff, env.sleep)
        failed = [f"{d.channel} ({d.error})" for d in results if not d.ok]
        if failed:
            raise ElkctlError(f"summary not delivered to: {'; '.join(failed)}")
        click.echo(f"summary sent to {', '.join(d.channel for d in results)}", err=True)
