"""Shared helpers for the ECSFileHandler tests: fake clock, test lines, file listing."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

SERVICE = "api"


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when.timestamp()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def names(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if not name.startswith("."))


def line(n: int, width: int = 40) -> bytes:
    return (f'{{"n":{n}}}'.ljust(width) + "\n").encode()
