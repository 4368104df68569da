"""Fixtures for the ECSFileHandler tests (loaded with `pytest_plugins`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from python_logging import compression, rotation
from python_logging.failures import failures
from python_logging.handlers import ECSFileHandler
from tests.file_handler_support import SERVICE


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """No waiting: compress files at once and stat the active path on every write."""
    monkeypatch.setattr(compression, "QUIET_SECONDS", 0.0)
    monkeypatch.setattr(rotation, "CHECK_INTERVAL", 0.0)


@pytest.fixture
def clean_failures() -> Iterator[None]:
    failures.reset()
    yield
    failures.reset()


@pytest.fixture
def make_handler(tmp_path: Path) -> Iterator:
    made: list[ECSFileHandler] = []

    def make(directory: Path | None = None, service: str = SERVICE, **options) -> ECSFileHandler:
        settings = dict(
            max_bytes=None, when=None, backup_count=None, retention_days=None, compress=False
        )
        settings.update(options)
        handler = ECSFileHandler(directory or tmp_path / "logs", service, **settings)
        made.append(handler)
        return handler

    yield make
    for handler in made:
        handler.close()
