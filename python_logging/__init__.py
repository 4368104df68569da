"""ECS JSON logging for Python services: one `setup_logging()` call."""

from python_logging.capture import capture_errors, capture_exception
from python_logging.config import ConfigError, LoggingConfig
from python_logging.configure import redact, setup_logging
from python_logging.context import current_request_id, request_context
from python_logging.failures import failure_counts
from python_logging.performance import log_performance
from python_logging.propagation import (
    instrument_httpx,
    instrument_requests,
    submit_with_context,
    with_context,
)
from python_logging.user import set_user

__all__ = [
    "ConfigError",
    "LoggingConfig",
    "capture_errors",
    "capture_exception",
    "current_request_id",
    "failure_counts",
    "instrument_httpx",
    "instrument_requests",
    "log_performance",
    "redact",
    "request_context",
    "set_user",
    "setup_logging",
    "submit_with_context",
    "with_context",
]
