"""`elkctl errors resolve|ignore|reopen|assign KEY`: change a group's triage state."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

import click

from elkctl.error_tracking import model
from elkctl.error_tracking.cli_support import command_env, duration_option, full_key
from elkctl.error_tracking.messages import short_key
from elkctl.error_tracking.model import GroupState
from elkctl.options import Duration


def _triage(ctx: click.Context, prefix: str,
            change: Callable[[GroupState, datetime], GroupState]) -> None:
    env = command_env(ctx)
    key = full_key(env.store, prefix)
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
        return click.command(name)(func)

    return register


@triage_command("resolve")
def resolve(ctx: click.Context, key: str, by: str | None, note: str | None) -> None:
    """Mark a group resolved; new events after now make it regressed."""
    _triage(ctx, key, lambda s, now: model.resolve(s, now, by, note))


@triage_command("ignore")
@duration_option("--until", "Ignore only for this long, e.g. 8h or 7d.")
def ignore(ctx: click.Context, key: str, by: str | None, note: str | None,
           until: Duration | None) -> None:
    """Silence a group (no alerts, hidden from the default list), optionally for a while."""
    _triage(ctx, key, lambda s, now: model.ignore(
        s, now, by, note, now + until.delta if until else None))


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
