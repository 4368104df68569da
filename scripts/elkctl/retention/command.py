"""`elkctl retention show` and `elkctl retention set --days N [--policy NAME]`."""

from __future__ import annotations

import dataclasses
import json
import logging

import click
import elasticsearch

from elkctl.connection import ElkctlError, Settings, elasticsearch_client, load_settings
from elkctl.options import Decorator, as_json_option
from elkctl.own_logging import start_own_logging
from elkctl.retention.policy import RetentionView, view, with_delete_after
from elkctl.tables import print_table

log = logging.getLogger("elkctl.retention")

# The ILM policy `elkctl setup` installs (elasticsearch/ilm_policies/logs-python.json).
DEFAULT_POLICY = "logs-python"
POLICY_ENV = "ELKCTL_ILM_POLICY"


def _policy_option(multiple: bool) -> Decorator:
    return click.option(
        "--policy", "policies" if multiple else "policy", multiple=multiple, metavar="NAME",
        envvar=POLICY_ENV, default=(DEFAULT_POLICY,) if multiple else DEFAULT_POLICY,
        show_default=True, show_envvar=True,
        help="ILM policy name" + (" (repeatable)." if multiple else "."),
    )


@click.group("retention")
def retention() -> None:
    """Show or change how long the stack keeps logs (the ILM delete phase)."""


@retention.command("show")
@_policy_option(multiple=True)
@as_json_option
def show_command(policies: tuple[str, ...], as_json: bool) -> None:
    """Print the delete phase of the stack's ILM policies."""
    es = elasticsearch_client(load_settings())
    views = [view(name, _get_policy(es, name)) for name in policies]
    if as_json:
        click.echo(json.dumps([_as_dict(v) for v in views], separators=(",", ":")))
        return
    print_table(
        "ILM retention", ("policy", "delete after", "days", "indices", "data streams",
                          "version", "modified"),
        (
            (v.policy, v.delete_min_age or "never", _days(v), str(v.in_use_by_indices),
             str(v.in_use_by_data_streams), str(v.version), v.modified_date or "")
            for v in views
        ),
    )


@retention.command("set")
@click.option("--days", type=click.IntRange(min=1), required=True,
              help="Delete indices this many days after rollover.")
@_policy_option(multiple=False)
@click.option("--dry-run", is_flag=True, help="Print the change; send nothing.")
def set_command(days: int, policy: str, dry_run: bool) -> None:
    """Change only the delete phase's min_age of one ILM policy."""
    settings = load_settings()
    start_own_logging(settings)
    es = elasticsearch_client(settings)
    stored = _get_policy(es, policy)
    before = view(policy, stored)
    if before.delete_min_age == f"{days}d":
        click.echo(f"{policy}: already deletes after {days}d; nothing to change")
        return
    body = with_delete_after(stored, days)
    change = f"{policy}: delete phase min_age {before.delete_min_age or 'none'} -> {days}d"
    if dry_run:
        click.echo(f"dry run: {change} (not sent)")
        return
    es.ilm.put_lifecycle(name=policy, policy=body["policy"])
    log.info(change, extra={"event": {"action": "retention-set", "outcome": "success"}})
    click.echo(change)
    _warn_if_env_differs(settings, days)


def _get_policy(es: elasticsearch.Elasticsearch, name: str) -> dict:
    try:
        body = es.ilm.get_lifecycle(name=name).body
    except elasticsearch.NotFoundError:
        raise ElkctlError(
            f"ILM policy {name!r} does not exist; run `elkctl setup` or pass --policy NAME"
        ) from None
    if name not in body:
        raise ElkctlError(f"Elasticsearch returned no policy named {name!r}")
    return body[name]


def _warn_if_env_differs(settings: Settings, days: int) -> None:
    if settings.log_retention_days != days:
        click.echo(
            f"note: LOG_RETENTION_DAYS is {settings.log_retention_days}; set it to {days} in "
            ".env too, or the next `elkctl setup` puts the old value back",
            err=True,
        )


def _days(v: RetentionView) -> str:
    days = v.days
    return "" if days is None else f"{days:g}"


def _as_dict(v: RetentionView) -> dict:
    return {**dataclasses.asdict(v), "days": v.days}
