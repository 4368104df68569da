"""The `elkctl cleanup` group."""

from __future__ import annotations

import click

from elkctl.cleanup.files_command import files_command
from elkctl.cleanup.indices_command import indices_command


@click.group("cleanup")
def cleanup() -> None:
    """Delete old log files and Elasticsearch indices (safe to run from cron)."""


cleanup.add_command(files_command)
cleanup.add_command(indices_command)
