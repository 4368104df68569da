"""`elkctl cleanup files`: delete rotated log files by age and size budget, from cron."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import click

from elkctl.ages import format_age
from elkctl.cleanup import file_delete, options
from elkctl.cleanup.dirs import checked_directory
from elkctl.cleanup.errors import CleanupError
from elkctl.cleanup.file_plan import FilePlan, plan_file_cleanup
from elkctl.cleanup.file_scan import DirectoryScan, name_matcher, scan_directory
from elkctl.cleanup.lock import default_lock_path, exclusive_run
from elkctl.cleanup.report import finish_run, show_dry_run
from elkctl.connection import load_settings
from elkctl.options import as_json_option
from elkctl.own_logging import start_own_logging
from elkctl.tables import print_table
from python_logging.units import format_size


@click.command("files")
@click.option(
    "--dir", "dirs", multiple=True, required=True, metavar="DIR",
    help="Log directory to clean (repeatable). Only its direct children are considered.",
)
@options.older_than_option("Delete files whose modification time is older than this (e.g. 30d).")
@options.max_total_size_option(
    "Size budget across all --dir (e.g. 5GB or bytes); the oldest files go first."
)
@click.option(
    "--pattern", "patterns", multiple=True, metavar="GLOB",
    help="File name glob (repeatable). Default: python_logging's rotated files, "
    "compressed ones included. Active <service>.log files are never deleted.",
)
@options.dry_run_option
@as_json_option
@options.verbose_option
@options.lock_file_option
def files_command(
    dirs: tuple[str, ...],
    older_than: float | None,
    max_total_size: int | None,
    patterns: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    verbose: bool,
    lock_file: Path | None,
) -> None:
    """Delete old rotated log files; quiet on success unless --verbose."""
    if older_than is None and max_total_size is None:
        raise CleanupError("give --older-than and/or --max-total-size: nothing is selected without")
    directories = list(dict.fromkeys(checked_directory(d) for d in dirs))
    start_own_logging(load_settings())
    with exclusive_run(lock_file or default_lock_path("cleanup-files")):
        matcher = name_matcher(patterns)
        scans = [_scan(d, matcher) for d in directories]
        plan = plan_file_cleanup(
            [f for s in scans for f in s.candidates],
            protected_bytes=sum(f.size for s in scans for f in s.active),
            now=time.time(),
            older_than=older_than,
            max_total_size=max_total_size,
        )
        summary = _summary(directories, scans, plan, dry_run)
        if dry_run:
            show_dry_run(summary, [d.file.path for d in plan.delete], as_json=as_json,
                         show_plan=lambda: _dry_run_table(plan))
            return
        outcome = file_delete.delete_files(d.file for d in plan.delete)
        summary.update(
            deleted=len(outcome.deleted),
            failed=len(outcome.failed),
            skipped=len(outcome.skipped),
            bytes_freed=outcome.bytes_freed,
            remaining_bytes=plan.total_bytes - outcome.bytes_freed,
            errors=[{"path": f.path, "error": reason} for f, reason in outcome.failed],
        )
        finish_run(
            summary, [(f.path, reason) for f, reason in outcome.failed], "files",
            as_json=as_json, verbose=verbose,
            show_deleted=lambda: print_table(
                "Deleted files", ("file", "size"),
                ((f.path, format_size(f.size)) for f in outcome.deleted),
            ),
        )


def _scan(directory: str, globs: re.Pattern[str] | None) -> DirectoryScan:
    try:
        return scan_directory(directory, globs)
    except OSError as exc:
        raise CleanupError(f"cannot list {directory}: {exc.strerror}; nothing was deleted") from exc


def _summary(
    directories: list[str], scans: list[DirectoryScan], plan: FilePlan, dry_run: bool
) -> dict[str, Any]:
    return {
        "command": "cleanup files",
        "dry_run": dry_run,
        "directories": directories,
        "scanned": sum(s.entries for s in scans),
        "matched": sum(len(s.candidates) for s in scans),
        "active_protected": sum(len(s.active) for s in scans),
        "symlinks_skipped": sum(len(s.skipped_links) for s in scans),
        "planned": len(plan.delete),
        "deleted": 0,
        "failed": 0,
        "skipped": 0,
        "bytes_freed": plan.bytes_to_free if dry_run else 0,
        "remaining_bytes": plan.total_bytes - (plan.bytes_to_free if dry_run else 0),
        "errors": [],
    }


def _dry_run_table(plan: FilePlan) -> None:
    now = time.time()
    print_table(
        "Dry run: files that would be deleted", ("file", "size", "age", "reason"),
        (
            (d.file.path, format_size(d.file.size), format_age(now - d.file.mtime), d.reason)
            for d in plan.delete
        ),
    )

