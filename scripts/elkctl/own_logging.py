"""elkctl's own log lines, through python_logging, so cleanup runs are searchable in Kibana.

They go to `<LOG_DIR>/elkctl.log` (LOG_DIR from the environment or `.env`, the directory
Filebeat tails), as ECS JSON like every app's lines. The console handler stays off: the
commands print their own output and are quiet on success.
"""

from __future__ import annotations

from elkctl.connection import ElkctlError, Settings
from python_logging import ConfigError, setup_logging

SERVICE = "elkctl"


def start_own_logging(settings: Settings) -> None:
    try:
        setup_logging(
            service={"name": SERVICE},
            file={"dir": str(settings.log_dir)},
            console={"enabled": False},
        )
    except ConfigError as exc:
        raise ElkctlError(f"cannot log elkctl's own actions: {exc}") from None
