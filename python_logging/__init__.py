"""ECS JSON logging for Python services: one `setup_logging()` call."""

from python_logging.context import current_request_id, request_context
from python_logging.failures import failure_counts

__all__ = ["current_request_id", "failure_counts", "request_context"]
