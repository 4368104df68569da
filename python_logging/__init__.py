"""ECS JSON logging for Python services: one `setup_logging()` call."""

from python_logging.config import ConfigError, LoggingConfig
from python_logging.configure import redact, setup_logging
from python_logging.context import current_request_id, request_context
from python_logging.failures import failure_counts

__all__ = [
    "ConfigError",
    "LoggingConfig",
    "current_request_id",
    "failure_counts",
    "redact",
    "request_context",
    "setup_logging",
]
