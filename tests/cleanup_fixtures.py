"""Fixtures for the cleanup and retention CLI tests (loaded with `pytest_plugins`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from python_logging import setup_logging


@pytest.fixture
def elkctl_log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the commands log their own actions; python_logging is reset afterwards.

    Request it after `elkctl_env` (which clears LOG_DIR) when both are used.
    """
    directory = tmp_path / "elkctl-logs"
    for variable in ("SERVICE_NAME", "SERVICE_VERSION", "ENVIRONMENT", "LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_DIR", str(directory))
    monkeypatch.setenv("ELKCTL_ENV_FILE", "")  # never a developer's real .env
    monkeypatch.setenv("ELKCTL_LOCK_DIR", str(tmp_path))
    yield directory
    setup_logging({"file": {"enabled": False}, "console": {"enabled": False}})
