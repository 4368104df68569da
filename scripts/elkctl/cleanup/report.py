"""What a cleanup run tells people and machines: a rich table, or one JSON summary line."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from elkctl.cleanup.errors import PartialFailure
from python_logging.units import format_size

log = logging.getLogger("elkctl.cleanup")


def print_json_line(summary: dict[str, Any]) -> None:
    click.echo(json.dumps(summary, sort_keys=False, separators=(",", ":")))


def print_summary(summary: dict[str, Any]) -> None:
    """The human one-liner for --verbose and dry runs."""
    verb = "would free" if summary.get("dry_run") else "freed"
    done = summary.get("planned") if summary.get("dry_run") else summary.get("deleted")
    click.echo(
        f"{summary['command']}: {done} to delete, {verb} {format_size(summary['bytes_freed'])}, "
        f"{format_size(summary['remaining_bytes'])} remaining, {summary['failed']} failed"
    )


def report_errors(errors: Iterable[tuple[str, str]]) -> None:
    for target, reason in errors:
        click.echo(f"could not delete {target}: {reason}", err=True)


def log_summary(summary: dict[str, Any]) -> None:
    """The run's outcome through logging, so cleanup runs are searchable in Kibana."""
    log.info(
        "%s: %d deleted, %d failed, %d bytes freed",
        summary["command"], summary["deleted"], summary["failed"], summary["bytes_freed"],
        extra={
            "event": {
                "action": summary["command"].replace(" ", "-"),
                "outcome": "failure" if summary["failed"] else "success",
            },
            "labels": {
                key: summary[key]
                for key in ("deleted", "failed", "bytes_freed", "remaining_bytes")
            },
        },
    )


def finish_run(
    summary: dict[str, Any],
    failures: Sequence[tuple[str, str]],
    noun: str,
    *,
    as_json: bool,
    verbose: bool,
    show_deleted: Callable[[], None],
) -> None:
    """Log and print a finished run (not a dry one); PartialFailure when a deletion failed."""
    log_summary(summary)
    report_errors(failures)
    if as_json:
        print_json_line(summary)
    elif verbose:
        show_deleted()
        print_summary(summary)
    if failures:
        raise PartialFailure(
            f"{len(failures)} of {summary['planned']} {noun} could not be deleted"
        )


def show_dry_run(
    summary: dict[str, Any], would_delete: list[str], *, as_json: bool,
    show_plan: Callable[[], None],
) -> None:
    """What a dry run would delete: one JSON line, or the plan table and the summary."""
    if as_json:
        print_json_line({**summary, "would_delete": would_delete})
        return
    show_plan()
    print_summary(summary)
