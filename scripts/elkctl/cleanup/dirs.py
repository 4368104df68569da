"""Where `cleanup files` may work: never `/`, the home directory or an empty value."""

from __future__ import annotations

import os

from elkctl.cleanup.errors import CleanupError


def checked_directory(raw: str, home: str | None = None) -> str:
    """The resolved directory to clean, or CleanupError when it is missing or dangerous.

    The path is resolved (symlinks followed once, here) so that every later check and
    every deletion works on the real directory, not on a name that could be swapped.
    """
    if not raw or not raw.strip():
        raise CleanupError("--dir is empty; give the directory that holds the log files")
    resolved = os.path.realpath(raw)
    home_dir = os.path.realpath(home if home is not None else os.path.expanduser("~"))
    if resolved == os.path.sep:
        raise CleanupError(f"refusing --dir {raw!r}: it resolves to the root directory '/'")
    if resolved == home_dir or _is_ancestor(resolved, home_dir):
        raise CleanupError(
            f"refusing --dir {raw!r}: it resolves to {resolved}, the home directory or "
            "one above it; point --dir at the log directory itself"
        )
    if not os.path.isdir(resolved):
        raise CleanupError(f"--dir {raw!r} does not exist or is not a directory")
    return resolved


def _is_ancestor(path: str, of: str) -> bool:
    return of.startswith(path.rstrip(os.path.sep) + os.path.sep)
