"""The `elkctl errors` command group: views, triage changes, alerts and the digest."""

from __future__ import annotations

import click

from elkctl.error_tracking.alert_commands import escalate, notify, summary
from elkctl.error_tracking.triage_commands import assign, ignore, reopen, resolve
from elkctl.error_tracking.view_commands import list_groups, show_group, stats


@click.group("errors")
def errors() -> None:
    """Error groups (by error.grouping_key): triage, alerts, escalation and summaries."""


for command in (list_groups, show_group, resolve, ignore, reopen, assign, stats, notify,
                escalate, summary):
    errors.add_command(command)
