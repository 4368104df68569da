"""Ages for people, the one style of the whole CLI: the largest unit that fits with one
decimal (`1.5d`, `2.0h`, `30s`), so a table column stays narrow yet tells 1.1d from 1.9d."""

from __future__ import annotations

UNITS = (("d", 86400), ("h", 3600), ("m", 60))


def format_age(seconds: float) -> str:
    for unit, size in UNITS:
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def format_ago(seconds: float) -> str:
    """How long ago a moment was (`1.5h ago`); a moment in the future (clock skew) is `0s ago`."""
    return f"{format_age(max(0.0, seconds))} ago"
