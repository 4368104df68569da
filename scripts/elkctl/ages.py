"""Ages for people: the largest unit that fits, one decimal (`1.5d`, `2.0h`, `30s`)."""

from __future__ import annotations

UNITS = (("d", 86400), ("h", 3600), ("m", 60))


def format_age(seconds: float) -> str:
    for unit, size in UNITS:
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"
