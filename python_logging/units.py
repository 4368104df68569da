"""Human sizes ('100MB', '1.5GiB') and durations ('30d', '90m'), shared by config and elkctl."""

from __future__ import annotations

import re

_SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_size(value: int | str) -> int:
    """Bytes from an int or a string such as '100MB' (decimal), '64KiB' or '1G' (binary).

    Raises ValueError with the accepted forms.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value!r} is negative; a size is a number of bytes >= 0")
        return value
    match = _SIZE.match(str(value))
    unit = match.group(2).lower() if match else None
    # A fraction needs a unit larger than a byte ("1.5GB"): "1.5" bytes is a mistake.
    if match and unit in _SIZE_UNITS and not ("." in match.group(1) and _SIZE_UNITS[unit] == 1):
        return int(float(match.group(1)) * _SIZE_UNITS[unit])
    raise ValueError(
        f"{value!r} is not a size; use a number of bytes or a number with a unit "
        "(KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB or K/M/G/T powers of 1024), "
        "for example 100MB"
    )


def parse_duration(value: int | float | str) -> float:
    """Seconds from a number of seconds or a string such as '30d', '24h', '90m', '45s', '2w'."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{value!r} is negative; a duration is >= 0")
        return float(value)
    match = _DURATION.match(str(value))
    if match:
        return float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    raise ValueError(
        f"{value!r} is not a duration; use a number with a unit s, m, h, d or w, for example 30d"
    )


def format_size(num_bytes: int) -> str:
    """'1.5 MiB' style, for people."""
    size = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
