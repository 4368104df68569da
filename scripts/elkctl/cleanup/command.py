"""The `elkctl cleanup` group."""

from __future__ import annotations

import click

from elkctl.cleanup.files_command import files_command


@click.group("cleanup")
def cleanup() -> None:
    """Delete old log files and Elasticsearch indices (safe to run from cron)."""


cleanup.add_command(files_command)
