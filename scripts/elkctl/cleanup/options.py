"""Click options shared by the cleanup commands, with parsing through python_logging.units."""

from __future__ import annotations

from pathlib import Path

import click

from elkctl.options import Decorator, seconds_option, size_option


def older_than_option(help_text: str) -> Decorator:
    return seconds_option("--older-than", help_text)


def max_total_size_option(help_text: str) -> Decorator:
    return size_option("--max-total-size", help_text)


dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Print exactly what would be deleted; delete nothing."
)
verbose_option = click.option(
    "--verbose", "-v", is_flag=True, help="Print what was deleted (quiet on success otherwise)."
)
lock_file_option = click.option(
    "--lock-file", type=click.Path(dir_okay=False, path_type=Path),
    help="Lock file that keeps overlapping runs apart (default: one per command and user "
    "in $ELKCTL_LOCK_DIR, else $XDG_RUNTIME_DIR, else $TMPDIR, else /tmp).",
)
yes_option = click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (for cron and systemd)."
)
