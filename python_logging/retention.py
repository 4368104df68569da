"""Which rotated files to delete: at most `backup_count` rotations, none older than the limit.

A pure selection over `logfiles.rotated_files(...)`; the deleting happens in `maintenance`.
The active file is never in the list it starts from, so it can never be selected.
"""

from __future__ import annotations

from python_logging.logfiles import RotatedFile


def expired(
    files: list[RotatedFile],
    *,
    now: float,
    backup_count: int | None,
    max_age_seconds: float | None,
) -> list[RotatedFile]:
    """Files to delete. `files` is oldest first; a file and its `.gz` count as one rotation."""
    rotations: dict[str, list[RotatedFile]] = {}
    for rotated in files:
        rotations.setdefault(rotated.base, []).append(rotated)
    ordered = list(rotations.values())  # dicts keep insertion order: oldest first
    doomed: list[RotatedFile] = []
    if backup_count is not None and len(ordered) > backup_count:
        excess = len(ordered) - backup_count
        for group in ordered[:excess]:
            doomed.extend(group)
        ordered = ordered[excess:]
    if max_age_seconds is not None:
        for group in ordered:
            if now - max(rotated.mtime for rotated in group) > max_age_seconds:
                doomed.extend(group)
    return doomed
