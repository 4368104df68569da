"""`elkctl cleanup indices`: delete old Elasticsearch indices safely, from cron or by hand."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from elkctl.ages import format_age
from elkctl.cleanup import options
from elkctl.cleanup.errors import CleanupError, Declined
from elkctl.cleanup.index_delete import delete_indices
from elkctl.cleanup.index_plan import (
    DELETE,
    PROTECTED,
    SKIPPED,
    Decision,
    IndexFilters,
    check_pattern,
    plan_indices,
    select_indices,
)
from elkctl.cleanup.index_source import fetch_data_streams, fetch_indices, newest_timestamps
from elkctl.cleanup.lock import default_lock_path, exclusive_run
from elkctl.cleanup.report import finish_run, show_dry_run
from elkctl.connection import elasticsearch_client, load_settings
from elkctl.options import as_json_option
from elkctl.own_logging import start_own_logging
from elkctl.tables import print_table
from python_logging.units import format_size

CREATION_DATE = "creation-date"
NEWEST_TIMESTAMP = "newest-timestamp"


def _patterns(_ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    try:
        return [check_pattern(p) for p in value]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


@click.command("indices")
@click.option(
    "--pattern", "patterns", multiple=True, required=True, metavar="GLOB", callback=_patterns,
    help="Index or data-stream glob (repeatable), e.g. 'logs-*'.",
)
@options.older_than_option("Delete indices older than this (e.g. 30d); see --age-source.")
@click.option(
    "--age-source", type=click.Choice([CREATION_DATE, NEWEST_TIMESTAMP]),
    default=CREATION_DATE, show_default=True,
    help="Age from the index creation date, or from the newest @timestamp it holds.",
)
@options.max_total_size_option("Size budget across the matching indices; the oldest go first.")
@click.option("--keep", type=click.IntRange(min=0), help="Always keep the newest N indices.")
@click.option(
    "--include-data-streams", is_flag=True,
    help="Also take backing indices of matching data streams (never the write index).",
)
@click.option(
    "--allow-hidden", is_flag=True, help="Also take hidden and dot-prefixed (system) indices."
)
@options.dry_run_option
@options.yes_option
@as_json_option
@options.verbose_option
@options.lock_file_option
def indices_command(
    patterns: list[str],
    older_than: float | None,
    age_source: str,
    max_total_size: int | None,
    keep: int | None,
    include_data_streams: bool,
    allow_hidden: bool,
    dry_run: bool,
    yes: bool,
    as_json: bool,
    verbose: bool,
    lock_file: Path | None,
) -> None:
    """Delete old indices by explicit name; filters combine with AND."""
    filters = IndexFilters(older_than, max_total_size, keep, include_data_streams, allow_hidden)
    if not filters.selects_anything:
        raise CleanupError("give --older-than, --max-total-size and/or --keep")
    settings = load_settings()
    start_own_logging(settings)
    es = elasticsearch_client(settings)
    with exclusive_run(lock_file or default_lock_path("cleanup-indices")):
        selection = select_indices(
            fetch_indices(es, patterns), fetch_data_streams(es), patterns, filters
        )
        newest = (
            newest_timestamps(es, [c.info.name for c in selection.eligible])
            if age_source == NEWEST_TIMESTAMP else None
        )
        decisions = plan_indices(selection, filters, int(time.time() * 1000), newest)
        doomed = [d for d in decisions if d.action == DELETE]
        summary = _summary(decisions, doomed, dry_run)
        if dry_run:
            show_dry_run(
                summary, [d.name for d in doomed], as_json=as_json,
                show_plan=lambda: _table("Dry run: indices that would be deleted",
                                         decisions if verbose else doomed),
            )
            return
        if doomed and not yes:
            _confirm(doomed)
        outcome = delete_indices(es, [d.name for d in doomed], settings.elasticsearch_url)
        deleted_names = set(outcome.deleted)
        deleted = [d for d in doomed if d.name in deleted_names]
        freed = sum(d.size_bytes for d in deleted)
        summary.update(
            deleted=len(outcome.deleted), failed=len(outcome.failed), bytes_freed=freed,
            remaining_bytes=summary["remaining_bytes"] - freed,
            errors=[{"index": name, "error": reason} for name, reason in outcome.failed],
        )
        finish_run(
            summary, outcome.failed, "indices", as_json=as_json, verbose=verbose,
            show_deleted=lambda: _table("Deleted indices", deleted),
        )


def _summary(decisions: list[Decision], doomed: list[Decision], dry_run: bool) -> dict[str, Any]:
    counted = [d for d in decisions if d.action != SKIPPED]
    to_free = sum(d.size_bytes for d in doomed)
    return {
        "command": "cleanup indices",
        "dry_run": dry_run,
        "matched": len(decisions),
        "protected": [d.name for d in decisions if d.action == PROTECTED],
        "skipped": len([d for d in decisions if d.action == SKIPPED]),
        "planned": len(doomed),
        "deleted": 0,
        "failed": 0,
        "bytes_freed": to_free if dry_run else 0,
        "remaining_bytes": sum(d.size_bytes for d in counted) - (to_free if dry_run else 0),
        "errors": [],
    }


def _table(title: str, decisions: list[Decision], err: bool = False) -> None:
    now_ms = time.time() * 1000
    print_table(
        title, ("index", "data stream", "age", "size", "action", "reason"),
        (
            (
                d.name, d.data_stream or "",
                "" if d.age_since_ms is None else format_age((now_ms - d.age_since_ms) / 1000),
                format_size(d.size_bytes), d.action, d.reason,
            )
            for d in decisions
        ),
        err=err,
    )


def _confirm(doomed: list[Decision]) -> None:
    _table("Indices to delete", doomed, err=True)  # stdout stays clean for --json
    size = format_size(sum(d.size_bytes for d in doomed))
    try:
        confirmed = click.confirm(f"Delete these {len(doomed)} indices ({size})?", err=True)
    except click.Abort:
        confirmed = False
    if not confirmed:
        raise Declined("not confirmed; no index deleted (use --yes to run unattended)")

